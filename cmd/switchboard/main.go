// Command switchboard is the phone-system server: SIP registrar and call
// router with the credit gate, and the account API.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/internal/selfcert"
	"github.com/tetherphone/tether/phone/netsim"
	"github.com/tetherphone/tether/phone/switchboard"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

const usage = `switchboard: the Tether phone-system server

Usage:
  switchboard [--data DIR] [--sip URI]... [--http ADDR] [--demo] [--trunk HOST:PORT|simulator]
              [--tls-cert FILE --tls-key FILE] [--payments sandbox|stripe [--stripe-api URL]]
              [--phone-media rtp|webrtc] [--ice URL]...
  switchboard adjust --data DIR --account ID --amount DECIMAL --reason TEXT
  switchboard balance --data DIR --account ID

--sip takes udp://, tcp://, tls://, ws:// and wss:// (SIP over WebSocket,
RFC 7118) listen addresses (default udp and tcp
on 127.0.0.1:5060); port 0 picks a free port. The addresses bound are
printed on start. SIGTERM or Ctrl-C stops it gracefully.

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

--payments chooses who charges cards: "sandbox" (the default; moves no
money, test cards 4242... succeed, 4000000000000002 is declined) or "stripe",
which reads the secret key from STRIPE_SECRET_KEY and the webhook signing
secret from STRIPE_WEBHOOK_SECRET, and takes Stripe's events at
POST /v1/webhooks/stripe on the account API. --stripe-api points it at
another API base URL (stripe-mock in tests).

balance prints an account's available credit (a decimal, for scripts).

adjust is an operator's audited balance change (refund, goodwill,
correction): a negative amount may bring the balance down to zero, never
below.
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
	if len(args) > 0 && args[0] == "adjust" {
		return adjust(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "balance" {
		return balance(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage, "\nFlags:\n"); fs.PrintDefaults() }
	data := fs.String("data", defaultData(), "data directory (the database, the demo credentials)")
	var sips listFlag
	fs.Var(&sips, "sip", "SIP listen URI, repeatable (udp://HOST:PORT, tcp://, tls://, ws://, wss://)")
	httpAddr := fs.String("http", "127.0.0.1:8080", "account API listen address")
	withDemo := fs.Bool("demo", false, "create the demo account on first start")
	trunkFlag := fs.String("trunk", "", `outside calls: a SIP trunk, HOST:PORT (by address) or sip:USER:PASSWORD@HOST:PORT (registering), or "simulator" (default with --demo)`)
	tlsCert := fs.String("tls-cert", "", "PEM certificate for tls:// listeners (default: a self-signed one, written to DATA/tls/)")
	tlsKey := fs.String("tls-key", "", "PEM private key for --tls-cert")
	payments := fs.String("payments", "sandbox", `who charges cards: "sandbox" or "stripe" (keys from STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)`)
	stripeAPI := fs.String("stripe-api", "", "Stripe's API base URL (default Stripe's own; stripe-mock's in tests)")
	phoneMedia := fs.String("phone-media", "rtp", `how signed-in phones are told to carry calls: "rtp", or "webrtc" (over a ws:// or wss:// listener)`)
	var iceServers []webrtcgw.ICEServer
	var iceURLs []string
	fs.Func("ice", "a STUN or TURN server for WebRTC legs, stun:HOST:PORT or turn:[USER:PASSWORD@]HOST:PORT (repeatable)",
		func(v string) error {
			s, err := webrtcgw.ParseICEServer(v)
			iceServers, iceURLs = append(iceServers, s), append(iceURLs, v)
			return err
		})
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

	opt := demo.Options{Demo: *withDemo}
	webhooks := map[string]http.Handler{}
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
		opt.Processor = proc
		hook = &payment.StripeWebhook{Secret: secret, Log: log}
		webhooks["/v1/webhooks/stripe"] = hook
	default:
		fmt.Fprintf(stderr, "switchboard: --payments is sandbox or stripe, not %q\n", *payments)
		return exitUsage
	}
	sys, err := demo.OpenWith(ctx, *data, opt)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard:", err)
		return exitFailure
	}
	defer sys.Close()
	if hook != nil {
		hook.Settle = sys.Engine.SettlePayment
	}
	// Reservations of calls that stopped settling expire, and top-ups whose
	// outcome the processor had not told are finished, every minute.
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := sys.Engine.Sweep(ctx); err != nil && ctx.Err() == nil {
					log.Warn("switchboard: sweep", "err", err)
				}
			}
		}
	}()
	tlsConf, code := loadTLS(sips, *tlsCert, *tlsKey, *data, stdout, stderr)
	if code != exitOK {
		return code
	}
	sb, err := switchboard.New(switchboard.Config{Listen: sips, TLS: tlsConf, Directory: sys.Store, Billing: sys.Engine, Records: sys.Store, VoicemailDir: *data,
		ICEServers: iceServers, Log: log})
	if err != nil {
		fmt.Fprintln(stderr, "switchboard:", err)
		if errors.Is(err, switchboard.ErrConfig) {
			return exitUsage
		}
		return exitFailure
	}
	defer sb.Close()
	trunk := *trunkFlag
	if trunk == "" && *withDemo {
		trunk = "simulator"
	}
	switch trunk {
	case "":
	case "simulator":
		udp, ok := sb.Addr("udp")
		if !ok {
			fmt.Fprintln(stderr, "switchboard: the network simulator needs a udp:// SIP listener")
			return exitUsage
		}
		sim, err := netsim.Start(netsim.Config{Switchboard: udp, Log: log})
		if err != nil {
			fmt.Fprintln(stderr, "switchboard:", err)
			return exitFailure
		}
		defer sim.Close()
		sb.SetTrunk(sim.Addr())
		fmt.Fprintf(stdout, "trunk simulator %s\n", sim.Addr())
	default:
		a, auth, err := parseTrunk(trunk)
		if err != nil {
			fmt.Fprintln(stderr, "switchboard:", err)
			return exitUsage
		}
		sb.SetTrunk(a)
		if auth != nil {
			sb.SetTrunkAuth(auth)
			fmt.Fprintf(stdout, "trunk %s (registering as %s)\n", a, auth.User)
		} else {
			fmt.Fprintf(stdout, "trunk %s\n", a)
		}
	}
	sipAddrs := map[string]string{}
	for _, n := range []string{"udp", "tcp", "tls", "ws", "wss"} {
		if a, ok := sb.Addr(n); ok {
			sipAddrs[n] = a.String()
			fmt.Fprintf(stdout, "sip %s://%s\n", n, a)
		}
	}
	switch *phoneMedia {
	case "rtp":
	case "webrtc":
		if sipAddrs["ws"] == "" && sipAddrs["wss"] == "" {
			fmt.Fprintln(stderr, "switchboard: --phone-media webrtc needs a ws:// or wss:// SIP listener (--sip ws://HOST:PORT)")
			return exitUsage
		}
	default:
		fmt.Fprintf(stderr, "switchboard: --phone-media %q: rtp or webrtc\n", *phoneMedia)
		return exitUsage
	}
	l, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard:", err)
		return exitFailure
	}
	srv := &http.Server{Handler: api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: *data, Realm: "tether",
		SIP: sipAddrs, PhoneMedia: *phoneMedia, ICE: iceURLs, Webhooks: webhooks, Log: log}),
		ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	fmt.Fprintf(stdout, "http http://%s\n", l.Addr())
	if *withDemo {
		fmt.Fprintf(stdout, "demo account %q: passwords in %s\n", demo.Account, filepath.Join(*data, demo.CredentialsFile))
	}
	fmt.Fprintln(stdout, "ready")
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shut)
	return exitOK
}

func defaultData() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "tether-switchboard")
	}
	return "tether-switchboard"
}

func adjust(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("adjust", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData(), "data directory")
	account := fs.String("account", "", "account ID")
	amount := fs.String("amount", "", "decimal amount, negative to take credit away (e.g. -5.00)")
	reason := fs.String("reason", "", "why, for the audit trail")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	amt, err := decimal.NewFromString(*amount)
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "switchboard adjust: unexpected %q\n", fs.Arg(0))
		return exitUsage
	case *account == "":
		fmt.Fprintln(stderr, "switchboard adjust: --account is required")
		return exitUsage
	case err != nil || amt.IsZero():
		fmt.Fprintf(stderr, "switchboard adjust: --amount %q is not a non-zero decimal\n", *amount)
		return exitUsage
	case strings.TrimSpace(*reason) == "":
		fmt.Fprintln(stderr, "switchboard adjust: --reason is required")
		return exitUsage
	}
	if _, err := os.Stat(*data); err != nil {
		fmt.Fprintf(stderr, "switchboard adjust: no data directory %s\n", *data)
		return exitUsage
	}
	ctx := context.Background()
	sys, err := demo.OpenSystem(ctx, *data, false)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard adjust:", err)
		return exitFailure
	}
	defer sys.Close()
	id := fmt.Sprintf("adjust-%d", time.Now().UnixNano())
	if err := sys.Engine.Adjust(ctx, *account, id, amt, *reason); err != nil {
		fmt.Fprintln(stderr, "switchboard adjust:", err)
		return exitFailure
	}
	host, _ := os.Hostname()
	if err := sys.Store.AppendAudit(ctx, team.AuditEntry{Account: *account, At: time.Now(), Actor: "operator", Action: "credits.adjust",
		Target: id, Detail: fmt.Sprintf("%s: %s", amt.String(), *reason), Source: "switchboard adjust on " + host}); err != nil {
		fmt.Fprintln(stderr, "switchboard adjust: the audit log:", err)
	}
	b, err := sys.Engine.Balance(ctx, *account)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard adjust:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "adjusted %s by %s: balance %s\n", *account, amt.String(), money.Display(b.Posted, b.Currency))
	return exitOK
}

// loadTLS returns the certificate for tls:// listeners: the one given, or
// a self-signed one made once and kept in DATA/tls/ (phones trust it with
// its switchboard.crt).
func loadTLS(sips []string, certFile, keyFile, data string, stdout, stderr io.Writer) (*tls.Config, int) {
	wanted := false
	for _, s := range sips {
		wanted = wanted || strings.HasPrefix(s, "tls://") || strings.HasPrefix(s, "wss://")
	}
	if (certFile == "") != (keyFile == "") {
		fmt.Fprintln(stderr, "switchboard: --tls-cert and --tls-key go together")
		return nil, exitUsage
	}
	if !wanted {
		if certFile != "" {
			fmt.Fprintln(stderr, "switchboard: --tls-cert is for tls:// and wss:// listeners; none is given")
			return nil, exitUsage
		}
		return nil, exitOK
	}
	if certFile == "" {
		dir := filepath.Join(data, "tls")
		certFile, keyFile = filepath.Join(dir, "switchboard.crt"), filepath.Join(dir, "switchboard.key")
		if _, err := os.Stat(certFile); err != nil {
			c, err := selfcert.New()
			if err == nil {
				err = os.MkdirAll(dir, 0o700)
			}
			if err == nil {
				err = os.WriteFile(keyFile, c.KeyPEM, 0o600)
			}
			if err == nil {
				err = os.WriteFile(certFile, c.CertPEM, 0o644)
			}
			if err != nil {
				fmt.Fprintln(stderr, "switchboard: a self-signed certificate:", err)
				return nil, exitFailure
			}
		}
		fmt.Fprintf(stdout, "tls certificate %s (self-signed; phones trust it with --tls-ca)\n", certFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard: TLS certificate:", err)
		return nil, exitUsage
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, exitOK
}

// parseTrunk reads --trunk: HOST:PORT, or sip:USER:PASSWORD@HOST:PORT for
// a carrier that wants registration.
func parseTrunk(v string) (netip.AddrPort, *switchboard.TrunkAuth, error) {
	if a, err := netip.ParseAddrPort(v); err == nil {
		return a, nil, nil
	}
	u, err := url.Parse(v)
	if err == nil && u.Scheme == "sip" && u.Opaque != "" {
		// sip:user:pass@host:port parses as opaque; read it as sip://...
		u, err = url.Parse("sip://" + u.Opaque)
	}
	if err != nil || u.User == nil || u.User.Username() == "" {
		return netip.AddrPort{}, nil, fmt.Errorf("--trunk %q is not HOST:PORT, sip:USER:PASSWORD@HOST:PORT or \"simulator\"", v)
	}
	a, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		return netip.AddrPort{}, nil, fmt.Errorf("--trunk %q: the carrier's address must be IP:PORT", v)
	}
	pw, _ := u.User.Password()
	return a, &switchboard.TrunkAuth{User: u.User.Username(), Password: pw}, nil
}

// balance prints an account's available credit.
func balance(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("balance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData(), "data directory")
	account := fs.String("account", "", "account ID")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *account == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "switchboard balance: --account ID, and nothing else")
		return exitUsage
	}
	if _, err := os.Stat(*data); err != nil {
		fmt.Fprintf(stderr, "switchboard balance: no data directory %s\n", *data)
		return exitUsage
	}
	ctx := context.Background()
	sys, err := demo.OpenSystem(ctx, *data, false)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard balance:", err)
		return exitFailure
	}
	defer sys.Close()
	b, err := sys.Engine.Balance(ctx, *account)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard balance:", err)
		return exitFailure
	}
	fmt.Fprintln(stdout, b.Available.StringFixed(4))
	return exitOK
}
