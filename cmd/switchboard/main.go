// Command switchboard is the phone-system server: SIP registrar and call
// router with the credit gate, and the account API.
package main

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tetherphone/tether/account/crm"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/phone/switchboard"
)

const usage = `switchboard: the Tether phone-system server

Usage:
  switchboard [--data DIR] [--sip URI]... [--http ADDR] [--demo] [--trunk HOST:PORT|simulator]
              [--tls-cert FILE --tls-key FILE] [--payments sandbox|stripe [--stripe-api URL]]
              [--phone-media rtp|webrtc] [--ice URL]... [--signup open|closed] [--public-url URL]
              [--smtp HOST:PORT [--smtp-security starttls|tls|none] [--smtp-user USER] [--smtp-ca FILE]] [--mail-from ADDR]
  switchboard adjust --data DIR --account ID --amount DECIMAL --reason TEXT [--ref TEXT]
  switchboard balance --data DIR --account ID
  switchboard rates import --data DIR FILE.csv
  switchboard rates list --data DIR [--prefix DIGITS] [--sms]
  switchboard accounts create --data DIR --company NAME --owner EMAIL --country CC [--plan ID] [--public-url URL]
  switchboard accounts list --data DIR
  switchboard accounts suspend|resume --data DIR --account ID --reason TEXT

--sip takes udp://, tcp://, tls://, ws:// and wss:// (SIP over WebSocket,
RFC 7118) listen addresses (default udp and tcp
on 127.0.0.1:5060); port 0 picks a free port. The addresses bound are
printed on start. SIGTERM or Ctrl-C stops it gracefully;
SIGHUP re-reads the rate decks at once.

Phones may send WebRTC media (ICE and DTLS-SRTP, usually over ws:// or
wss://): the switchboard bridges it to plain RTP for everyone else. Its
WebRTC legs offer host candidates on the listening address; behind NAT,
--ice adds a STUN or TURN server to gather more. --phone-media webrtc tells
the desktop apps that sign in to register over ws:// (or wss://) with WebRTC
media, using the --ice servers too.

--trunk is where calls to outside numbers go: a carrier's SIP trunk
(HOST:PORT, UDP, authenticated by its address; or sip:USER:PASSWORD@HOST:PORT
for a carrier that wants the switchboard to register), or "simulator", the built-in
network simulator that answers any number with a short prompt and then
echoes (the default with --demo).

Accounts connect their CRM in Settings > Integrations (or PUT
/v1/integrations/hubspot): calls and texts with outside numbers are then
logged on the contact with that number, through the same queue and retries
as webhooks. HubSpot is connected with a private app's token, or by signing
in when the operator registered a HubSpot app (--hubspot-client-id, the
secret from HUBSPOT_CLIENT_SECRET; its redirect URL is
PUBLIC-URL/v1/integrations/oauth/callback); Pipedrive with an API token.
Tokens are kept encrypted with DATA/crm.key (made on first start; back it
up apart from the database). --crm-api points a CRM at another address.

--payments chooses who charges cards: "sandbox" (the default; moves no
money, test cards 4242... succeed, 4000000000000002 is declined) or "stripe",
which reads the secret key from STRIPE_SECRET_KEY and the webhook signing
secret from STRIPE_WEBHOOK_SECRET, and takes Stripe's events at
POST /v1/webhooks/stripe on the account API. --stripe-api points it at
another API base URL (stripe-mock in tests).

Calls and texts that cost credits are priced from the operator's rate
decks: "rates import" loads the carrier's CSV (the voice deck's header is
prefix,destination,rate_per_minute,increment,connect_fee; the SMS deck's
prefix,destination,rate_per_segment), checks every line and changes
nothing unless all are good; a running switchboard on the same data picks
it up within a minute. "rates list" shows what is in force. Without a
deck, such calls and texts are refused (with --demo, the sample decks
stand in for a missing one).

Companies sign up by themselves (the app's "Create a company account", or
POST /v1/signup; the Owner verifies the address with a code sent by email
before any money moves) unless --signup closed; then the operator opens
them: "accounts create" opens the company on its plan and prints the
Owner's invitation (a tether://invite link the app opens, and its token).
"accounts suspend" refuses an account's calls and texts (403, with the
reason) until "accounts resume"; nothing is deleted. "accounts list" shows
every account, its seats, balance and status.

Emails (sign-up codes, invitations) go through --smtp HOST:PORT
(--smtp-security starttls, tls or none for a local relay; --smtp-user, with
the password in TETHER_SMTP_PASSWORD; --smtp-ca FILE to trust a private CA;
--mail-from the sender); without --smtp they are written to DATA/outbox as
.eml files.

balance prints an account's available credit (a decimal, for scripts).

adjust is an operator's audited balance change (refund, goodwill,
correction): a negative amount may bring the balance down to zero, never
below. The same adjustment (account, amount, reason and --ref) is made
once, however many times the command runs; --ref tells apart two that are
otherwise alike (a ticket number).
`

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "adjust":
			return adjust(args[1:], stdout, stderr)
		case "balance":
			return balance(args[1:], stdout, stderr)
		case "rates":
			return rates(args[1:], stdout, stderr)
		case "accounts":
			return accounts(args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage, "\nFlags:\n"); fs.PrintDefaults() }
	data := fs.String("data", defaultData(), "data directory (the database, the demo credentials)")
	var sips listFlag
	fs.Var(&sips, "sip", "SIP listen URI, repeatable (udp://HOST:PORT, tcp://, tls://, ws://, wss://)")
	httpAddr := fs.String("http", "127.0.0.1:8080", "account API listen address")
	withDemo := fs.Bool("demo", false, "create the demo account on first start; the sample rate decks stand in for any not imported")
	trunkFlag := fs.String("trunk", "", `outside calls: a SIP trunk, HOST:PORT (by address) or sip:USER:PASSWORD@HOST:PORT (registering), or "simulator" (default with --demo)`)
	tlsCert := fs.String("tls-cert", "", "PEM certificate for tls:// listeners (default: a self-signed one, written to DATA/tls/)")
	tlsKey := fs.String("tls-key", "", "PEM private key for --tls-cert")
	payments := fs.String("payments", "sandbox", `who charges cards: "sandbox" or "stripe" (keys from STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)`)
	stripeAPI := fs.String("stripe-api", "", "Stripe's API base URL (default Stripe's own; stripe-mock's in tests)")
	phoneMedia := fs.String("phone-media", "rtp", `how signed-in phones are told to carry calls: "rtp", or "webrtc" (over a ws:// or wss:// listener)`)
	var ice listFlag
	noAnswer := fs.Duration("no-answer", 25*time.Second, "how long a call to a number rings its members before the caller reaches the number's voicemail")
	checkpoint := fs.Duration("checkpoint", 5*time.Second, "how often calls in progress are noted: after a crash each is charged and recorded up to its last note")
	fs.Var(&ice, "ice", "a STUN or TURN server for WebRTC legs, stun:HOST:PORT or turn:[USER:PASSWORD@]HOST:PORT (repeatable)")
	publicURL := fs.String("public-url", "", "the account API as people reach it, https://phone.example.com (default: the --http address), put in emailed links")
	signup := fs.String("signup", "open", `self-serve sign-up: "open", or "closed" (the operator opens accounts)`)
	smtpAddr := fs.String("smtp", "", "SMTP server for the switchboard's emails, HOST:PORT (default: none, emails are written to DATA/outbox)")
	smtpSecurity := fs.String("smtp-security", "starttls", `"starttls", "tls" (implicit, usually port 465) or "none" (a relay on this machine)`)
	smtpUser := fs.String("smtp-user", "", "SMTP user name (the password from TETHER_SMTP_PASSWORD)")
	smtpCA := fs.String("smtp-ca", "", "PEM file of the CA that signed the SMTP server's certificate (default: the system's)")
	mailFrom := fs.String("mail-from", "Tether <tether@localhost>", "the sender of the switchboard's emails")
	hooksAnywhere := fs.Bool("webhooks-anywhere", false, "let accounts' webhooks post over plain http and to private addresses (a closed network, tests); by default https to the internet only")
	deliverEvery := fs.Duration("deliver-every", 2*time.Second, "how often due webhook and CRM deliveries are made")
	hubspotApp := fs.String("hubspot-client-id", "", "the client id of the HubSpot app accounts sign in with (its secret from HUBSPOT_CLIENT_SECRET); without it HubSpot is connected with a private app's token")
	hubspotOAuth := fs.String("hubspot-oauth", "", "HubSpot's OAuth address, for its /authorize and /token (default HubSpot's own; a test server's in tests)")
	var crmAPIs listFlag
	fs.Var(&crmAPIs, "crm-api", "KIND=URL: talk to that CRM at URL rather than the vendor's address, e.g. hubspot=http://127.0.0.1:4010 (a sandbox; tests; repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard: unexpected %q\n", fs.Arg(0))
		return exitUsage
	}
	if len(sips) == 0 {
		sips = listFlag{"udp://127.0.0.1:5060", "tcp://127.0.0.1:5060"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	parts := system.Parts{Dir: *data, Log: log}
	if *withDemo {
		parts = demo.Parts(*data)
		parts.Log = log
	}
	if *noAnswer < 5*time.Second || *noAnswer > 5*time.Minute {
		fmt.Fprintln(stderr, "switchboard: --no-answer is between 5s and 5m")
		return exitUsage
	}
	if *checkpoint < 100*time.Millisecond || *checkpoint > time.Minute {
		fmt.Fprintln(stderr, "switchboard: --checkpoint is between 100ms and 1m")
		return exitUsage
	}
	serve := system.Serve{SIP: sips, HTTP: *httpAddr, PhoneMedia: *phoneMedia, ICE: ice, CheckpointEvery: *checkpoint, PublicURL: *publicURL, NoAnswer: *noAnswer}
	serve.WebhooksAnywhere = *hooksAnywhere
	if *deliverEvery < 100*time.Millisecond || *deliverEvery > 24*time.Hour {
		fmt.Fprintln(stderr, "switchboard: --deliver-every is between 100ms and 24h")
		return exitUsage
	}
	serve.HooksEvery = *deliverEvery
	for _, v := range crmAPIs {
		kind, u, ok := strings.Cut(v, "=")
		if !ok || !slices.Contains(crm.Kinds, kind) || !strings.HasPrefix(u, "http") {
			fmt.Fprintf(stderr, "switchboard: --crm-api is KIND=URL with KIND one of %s, not %q\n", strings.Join(crm.Kinds, ", "), v)
			return exitUsage
		}
		if serve.CRMAPIs == nil {
			serve.CRMAPIs = map[string]string{}
		}
		serve.CRMAPIs[kind] = u
	}
	if *hubspotApp != "" {
		secret := os.Getenv("HUBSPOT_CLIENT_SECRET")
		if secret == "" {
			fmt.Fprintln(stderr, "switchboard: --hubspot-client-id needs the app's secret in HUBSPOT_CLIENT_SECRET")
			return exitUsage
		}
		o := crm.OAuth{ClientID: *hubspotApp, ClientSecret: secret, AuthURL: crm.HubSpotAuthURL, TokenURL: crm.HubSpotTokenURL, Scopes: crm.HubSpotScopes}
		if *hubspotOAuth != "" {
			o.AuthURL, o.TokenURL = strings.TrimRight(*hubspotOAuth, "/")+"/authorize", strings.TrimRight(*hubspotOAuth, "/")+"/token"
		}
		serve.CRMOAuth = map[string]crm.OAuth{crm.KindHubSpot: o}
	}
	switch *signup {
	case "open":
	case "closed":
		serve.SignupClosed = true
	default:
		fmt.Fprintf(stderr, "switchboard: --signup is open or closed, not %q\n", *signup)
		return exitUsage
	}
	if *smtpAddr != "" {
		m := mail.SMTP{Addr: *smtpAddr, Security: *smtpSecurity, Username: *smtpUser, Password: os.Getenv("TETHER_SMTP_PASSWORD"), From: *mailFrom}
		if *smtpCA != "" {
			pem, err := os.ReadFile(*smtpCA)
			m.RootCAs = x509.NewCertPool()
			if err != nil || !m.RootCAs.AppendCertsFromPEM(pem) {
				fmt.Fprintf(stderr, "switchboard: --smtp-ca %s: no PEM certificate in it (%v)\n", *smtpCA, err)
				return exitUsage
			}
		}
		if err := m.Check(); err != nil {
			fmt.Fprintln(stderr, "switchboard: --smtp:", err)
			return exitUsage
		}
		serve.Mail = m
	}
	var hook *payment.StripeWebhook
	switch *payments {
	case "sandbox":
	case "stripe":
		key, secret := os.Getenv("STRIPE_SECRET_KEY"), os.Getenv("STRIPE_WEBHOOK_SECRET")
		if !strings.HasPrefix(secret, "whsec_") {
			fmt.Fprintln(stderr, "switchboard: --payments stripe needs STRIPE_WEBHOOK_SECRET (whsec_...) in the environment")
			return exitUsage
		}
		proc, err := payment.NewStripe(payment.StripeConfig{Key: key, URL: *stripeAPI, Log: log})
		if err != nil {
			fmt.Fprintln(stderr, "switchboard: STRIPE_SECRET_KEY:", err)
			return exitUsage
		}
		parts.Processor = proc
		hook = &payment.StripeWebhook{Secret: secret, Log: log}
		serve.Webhooks = map[string]http.Handler{"/v1/webhooks/stripe": hook}
	default:
		fmt.Fprintf(stderr, "switchboard: --payments is sandbox or stripe, not %q\n", *payments)
		return exitUsage
	}
	switch trunk := *trunkFlag; {
	case trunk == "simulator" || trunk == "" && *withDemo:
		serve.Trunk.Simulator = true
	case trunk != "":
		a, auth, err := switchboard.ParseTrunk(trunk)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard: --trunk: %v (or \"simulator\")\n", err)
			return exitUsage
		}
		serve.Trunk.Addr, serve.Trunk.Auth = a, auth
	}
	if wantsTLS(sips) {
		conf, self, err := system.ServerTLS(*data, *tlsCert, *tlsKey)
		if err != nil {
			fmt.Fprintln(stderr, "switchboard:", err)
			return exitCode(err)
		}
		if self != "" {
			fmt.Fprintf(stdout, "tls certificate %s (self-signed; phones trust it with --tls-ca)\n", self)
		}
		serve.TLS = conf
	} else if *tlsCert != "" || *tlsKey != "" {
		fmt.Fprintln(stderr, "switchboard: --tls-cert is for tls:// and wss:// listeners; none is given")
		return exitUsage
	}

	var sys *system.System
	var err error
	if *withDemo {
		sys, err = demo.OpenWith(ctx, parts)
	} else {
		sys, err = system.Open(ctx, parts)
	}
	if err != nil {
		fmt.Fprintln(stderr, "switchboard:", err)
		return exitFailure
	}
	defer sys.Close()
	if hook != nil {
		hook.Settle = sys.Engine.SettlePayment
	}
	run, err := sys.Start(ctx, serve)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard:", err)
		return exitCode(err)
	}
	defer run.Close()
	switch {
	case run.Sim != nil:
		fmt.Fprintf(stdout, "trunk simulator %s\n", run.Trunk)
	case serve.Trunk.Auth != nil:
		fmt.Fprintf(stdout, "trunk %s (registering as %s)\n", run.Trunk, serve.Trunk.Auth.User)
	case run.Trunk.IsValid():
		fmt.Fprintf(stdout, "trunk %s\n", run.Trunk)
	}
	for _, n := range []string{"udp", "tcp", "tls", "ws", "wss"} {
		if a, ok := run.SIP[n]; ok {
			fmt.Fprintf(stdout, "sip %s://%s\n", n, a)
		}
	}
	fmt.Fprintf(stdout, "http %s\n", run.API)
	if *withDemo {
		fmt.Fprintf(stdout, "demo account %q: passwords in %s\n", demo.Account, filepath.Join(*data, demo.CredentialsFile))
	}
	printRates := func() {
		r, err := sys.CurrentRates(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "switchboard: rate decks:", err)
			return
		}
		fmt.Fprintf(stdout, "rates voice %s, sms %s\n", cmp.Or(r.VoiceFrom, "none: calls to outside numbers are refused"),
			cmp.Or(r.SMSFrom, "none: texts abroad are refused"))
	}
	printRates()
	fmt.Fprintln(stdout, "ready")
	// SIGHUP re-reads the rate decks now, rather than at the next sweep.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout, "stopping")
			return exitOK
		case <-hup:
			if _, err := sys.ReloadRates(ctx); err != nil {
				fmt.Fprintln(stderr, "switchboard: rate decks:", err)
				continue
			}
			printRates()
		}
	}
}

// exitCode is exitUsage for an operator's mistake in the configuration,
// exitFailure for anything else.
func exitCode(err error) int {
	if errors.Is(err, system.ErrServe) {
		return exitUsage
	}
	return exitFailure
}

func wantsTLS(sips []string) bool {
	for _, s := range sips {
		if strings.HasPrefix(s, "tls://") || strings.HasPrefix(s, "wss://") {
			return true
		}
	}
	return false
}

func defaultData() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "tether-switchboard")
	}
	return "tether-switchboard"
}
