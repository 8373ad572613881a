// Command phonectl is the headless Tether phone: register, call, answer and
// text from a terminal, for scripting, CRM click-to-call and tests.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/internal/version"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// Exit statuses (an interface contract: scripts and tests rely on them).
const (
	exitOK        = 0
	exitFailure   = 1
	exitUsage     = 2
	exitCredit    = 3 // refused for credit (402)
	exitForbidden = 4 // forbidden (403)
	exitNoAnswer  = 5 // busy, declined or unanswered
)

const usage = `Usage: phonectl --sip-user sip:USER@HOST:PORT --sip-password P [--transport udp|tcp|tls|ws|wss] [--ws-path /ws]
                [--tls-ca FILE] [--srtp required|off] [--media rtp|webrtc [--ice URL]... [--ice-relay-only]]
                [--listen ADDR] [--json] COMMAND [ARGS]
       phonectl --server URL --user EMAIL --password P [--transport ...] COMMAND [ARGS]
       phonectl --server URL signup --company NAME --email E --password P --country CC [--plan ID] [--name N]
       phonectl --server URL accept-invitation TOKEN --password P [--name N]
       phonectl --server URL plans

The first form is a plain SIP phone on any SIP server. The second signs in to a
Tether switchboard's account API, which issues this run its own SIP
credentials (deleted again on exit), and registers with them.

Commands:
  register [--for DURATION]           register and stay registered, printing state changes
  call TARGET [--play FILE.wav] [--record FILE.wav] [--duration DURATION] [--dtmf DIGITS]
                                      call a SIP URI, user or number through the server
  answer [--play FILE.wav] [--record FILE.wav] [--echo] [--count N] [--duration DURATION]
         [--transfer TARGET | --consult TARGET | --add TARGET] [--transfer-after DURATION]
                                      register and answer incoming calls (printing keys pressed);
                                      --transfer passes each on (blind), --consult calls TARGET
                                      first and hands the call over when they answer (attended),
                                      --add holds the call, calls TARGET and joins all three
  sms send TARGET TEXT                send a text message
  sms listen [--count N]              register and print each message received
  devices [--audio-backend B]         list sound devices (needs no account)

Account commands (account mode only; what each may do depends on your role):
  credits                             the credit gate, balance and bundle left
  credits add AMOUNT [--key K]        charge the card on file and add credit at once
  credits history [--since D] [--until D] [--type T] [--limit N] [--offset N]
  topup [--threshold T --amount A | --off]
                                      show or set auto top-up (with the suggested threshold)
  numbers list                        my numbers (all the account's for admins)
  numbers search COUNTRY [local|mobile|toll-free|national]
  numbers buy NUMBER                  two are free per account, then the monthly price
  numbers release NUMBER
  numbers assign NUMBER EMAIL         a dedicated line
  numbers share NUMBER EMAIL...       a shared line: all of them ring
  numbers settings NUMBER [--hours S] [--zone Z] [--routing members|ivr|forward|voicemail]
                [--forward N|none] [--forward-after-hours on|off] [--record on|off]
                [--voicemail on|off] [--transcribe on|off] [--greeting FILE.wav|standard] [--menu FILE.json]
  verify CODE | verify --resend       the Owner verifies the emailed code (no money moves before)
  account [show]                      the company: name, country, time zone, plan, caller ID
  account set [--name N] [--country CC] [--zone Z] [--caller-id NUMBER]
  subscription [plan ID]              the plan, seats and charges; change plan (up now, down on the billing day)
  receipts | receipts ID --save FILE.html
                                      what the account paid for; a receipt as a printable page
  team list | team invite EMAIL ROLE | team role EMAIL ROLE | team remove EMAIL
  team invitations | team revoke EMAIL | team resend EMAIL
  team transfer-ownership EMAIL       (the Owner only)
  click-to-call NUMBER [--from YOUR-NUMBER]
                                      ring your own phones; when one answers, dial NUMBER
  dispose CALL-ID DISPOSITION [--notes TEXT]
                                      log how a call went (the account's dispositions)
  integrations | integrations connect KIND --token T [--portal P] [--create-contacts]
  integrations authorize KIND | integrations disconnect KIND | integrations contact KIND NUMBER
                                      the CRM (hubspot, pipedrive) calls and texts are logged in
  keys | keys create NAME --scope PERMISSION... | keys revoke ID
                                      API keys for scripts and CRMs: the secret is shown once
  webhooks | webhooks create URL --event TYPE... [--format slack] [--number N] | webhooks deliveries ID
  webhooks replay ID DELIVERY | webhooks delete ID
                                      the account's events posted to your address, signed

Calls use the sound devices (--capture, --playback, --audio-backend choose them)
unless --play or --record is given: then audio comes from and goes to 16-bit mono
8 kHz WAV files (either may be given alone). "phonectl devices" lists the devices.

With --media webrtc, calls carry audio as WebRTC does (ICE, DTLS-SRTP, Opus or
G.711), for servers that want it, usually over --transport ws or wss; --ice
adds STUN and TURN servers, and --ice-relay-only sends everything through TURN.

Exit status: 0 answered and ended normally (or done); 3 refused for credit (402);
4 forbidden (403, or a failed sign-in); 5 busy, declined or unanswered; 2 bad usage
or input (the server's 400 or 404 included); 1 any other failure.
The last line printed states the outcome. "phonectl COMMAND --help" shows a command's flags.
`

// out prints events as text or JSON lines.
type out struct {
	w    io.Writer
	json bool
}

func (o out) event(kind string, text string, fields map[string]any) {
	if o.json {
		m := map[string]any{"event": kind, "time": time.Now().UTC().Format(time.RFC3339Nano)}
		for k, v := range fields {
			m[k] = v
		}
		if text != "" {
			m["message"] = text
		}
		b, _ := json.Marshal(m)
		fmt.Fprintln(o.w, string(b))
		return
	}
	fmt.Fprintln(o.w, text)
}

func main() {
	// One processor unless told otherwise: a call's work is small and
	// steady, and the sound device calls into Go a hundred times a second
	// from its own thread; with more processors the runtime hands work
	// between them on each call and spends twice the CPU doing it.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	// The SIP stack's own transport chatter ("WS ref went negative") is
	// not the user's business; its errors are.
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phonectl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage, "\nGlobal flags:\n"); fs.PrintDefaults() }
	user := fs.String("sip-user", "", "the account, sip:USER@HOST:PORT (HOST:PORT is the server)")
	password := fs.String("sip-password", "", "the account's password")
	transport := fs.String("transport", "udp", "udp, tcp, tls, ws or wss (SIP over WebSocket, RFC 7118)")
	wsPath := fs.String("ws-path", "/", "with ws or wss: the WebSocket path the server serves SIP on (/ws for many)")
	tlsCA := fs.String("tls-ca", "", "PEM file of the certificate authorities to trust for tls (default: the system's)")
	srtp := fs.String("srtp", "", `encrypt calls: "" with tls, "required" always, "off" never`)
	listen := fs.String("listen", "", "local SIP address HOST:PORT (default: the address that reaches the server, any port)")
	server := fs.String("server", "", "a Tether switchboard's account API, http://HOST:PORT (account mode)")
	email := fs.String("user", "", "account mode: the email you sign in with")
	accountPassword := fs.String("password", "", "account mode: your password")
	mediaKind := fs.String("media", "rtp", "how calls carry audio: rtp, or webrtc (ICE and DTLS-SRTP, for WebRTC servers)")
	var iceServers []webrtcgw.ICEServer
	fs.Func("ice", "with --media webrtc: a STUN or TURN server, stun:HOST:PORT or turn:[USER:PASSWORD@]HOST:PORT (repeatable)",
		func(v string) error {
			s, err := webrtcgw.ParseICEServer(v)
			iceServers = append(iceServers, s)
			return err
		})
	relayOnly := fs.Bool("ice-relay-only", false, "with --media webrtc: use TURN relay candidates only")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (for `go tool pprof`)")
	showVersion := fs.Bool("version", false, "print the version and build, and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *showVersion {
		fmt.Fprintln(stdout, version.String())
		return exitOK
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "phonectl: --cpuprofile:", err)
			return exitUsage
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	o := out{w: stdout, json: *asJSON}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	if fs.Arg(0) == "devices" {
		return cmdDevices(fs.Args()[1:], o, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, ok := publicCommands[fs.Arg(0)]; ok {
		return runPublic(ctx, *server, fs.Arg(0), fs.Args()[1:], o, stderr)
	}
	if _, ok := accountCommands[fs.Arg(0)]; ok {
		return runAccount(ctx, *server, *email, *accountPassword, fs.Arg(0), fs.Args()[1:], o, stderr)
	}
	if *server != "" {
		if *user != "" || *password != "" {
			fmt.Fprintln(stderr, "phonectl: --server signs in with --user and --password; --sip-user and --sip-password are for plain SIP")
			return exitUsage
		}
		sipUser, sipPassword, release, code := signIn(ctx, *server, *email, *accountPassword, *transport, stderr)
		if code != exitOK {
			return code
		}
		defer release()
		*user, *password = sipUser, sipPassword
	}
	if *user == "" {
		fmt.Fprintln(stderr, "phonectl: --sip-user (plain SIP) or --server (account mode) is required")
		return exitUsage
	}
	if *mediaKind != "rtp" && *mediaKind != "webrtc" {
		fmt.Fprintf(stderr, "phonectl: --media %q: rtp or webrtc\n", *mediaKind)
		return exitUsage
	}
	if (len(iceServers) > 0 || *relayOnly) && *mediaKind != "webrtc" {
		fmt.Fprintln(stderr, "phonectl: --ice and --ice-relay-only go with --media webrtc")
		return exitUsage
	}
	if *relayOnly && len(iceServers) == 0 {
		fmt.Fprintln(stderr, "phonectl: --ice-relay-only needs a TURN server (--ice turn:USER:PASSWORD@HOST:PORT)")
		return exitUsage
	}
	cfg := phone.Config{User: *user, Password: *password, Transport: *transport, WSPath: *wsPath, Listen: *listen, UserAgent: "Tether phonectl",
		SRTP: *srtp, Media: *mediaKind, ICEServers: iceServers, ICERelayOnly: *relayOnly}
	if *tlsCA != "" {
		pem, err := os.ReadFile(*tlsCA)
		if err != nil {
			fmt.Fprintln(stderr, "phonectl:", err)
			return exitUsage
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintf(stderr, "phonectl: %s holds no PEM certificate\n", *tlsCA)
			return exitUsage
		}
		cfg.TLS = &tls.Config{RootCAs: pool}
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	switch cmd {
	case "register":
		return cmdRegister(ctx, cfg, rest, o, stderr)
	case "call":
		return cmdCall(ctx, cfg, rest, o, stderr)
	case "answer":
		return cmdAnswer(ctx, cfg, rest, o, stderr)
	case "sms":
		return cmdSMS(ctx, cfg, rest, o, stderr)
	}
	fmt.Fprintf(stderr, "phonectl: unknown command %q\n", cmd)
	fs.Usage()
	return exitUsage
}

// parseArgs parses flags wherever they stand among positional arguments
// ("call TARGET --play f.wav"); everything after "--" is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return append(pos, tail...), nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func newUA(cfg phone.Config, stderr io.Writer) (*phone.UA, int) {
	u, err := phone.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "phonectl:", err)
		if errors.Is(err, phone.ErrConfig) {
			return nil, exitUsage
		}
		return nil, exitFailure
	}
	return u, exitOK
}

// exitFor maps a call or request outcome to the exit status contract;
// the account API's refusals map by status: 2 bad input (400, 404, 413,
// 415, 422), 3 credit (402), 4 not allowed (401, 403).
func exitFor(err error) int {
	var e *api.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &e):
		switch e.Status {
		case 400, 404, 413, 415, 422:
			return exitUsage
		case 402:
			return exitCredit
		case 401, 403:
			return exitForbidden
		}
		return exitFailure
	case errors.Is(err, phone.ErrInsufficientCredit):
		return exitCredit
	case errors.Is(err, phone.ErrForbidden):
		return exitForbidden
	case errors.Is(err, phone.ErrBusy), errors.Is(err, phone.ErrDeclined), errors.Is(err, phone.ErrUnanswered):
		return exitNoAnswer
	}
	return exitFailure
}

// outcome prints the last line and returns the exit status.
func outcome(o out, err error, okText string) int {
	code := exitFor(err)
	var ce *phone.CallError
	var e *api.Error
	switch {
	case err == nil:
		o.event("outcome", okText, map[string]any{"ok": true, "exit": code})
	case errors.As(err, &e):
		o.event("outcome", fmt.Sprintf("refused: %d %s: %s", e.Status, e.Code, e.Message),
			map[string]any{"ok": false, "status": e.Status, "code": e.Code, "reason": e.Message, "exit": code})
	case errors.As(err, &ce):
		o.event("outcome", fmt.Sprintf("refused: %d %s: %s", ce.Code, ce.Phrase, ce.Reason),
			map[string]any{"ok": false, "status": ce.Code, "reason": ce.Reason, "exit": code})
	default:
		o.event("outcome", "failed: "+err.Error(), map[string]any{"ok": false, "error": err.Error(), "exit": code})
	}
	return code
}

// registerUntil registers in the background and waits for the first
// verdict; it returns a stop function that unregisters.
func registerUntil(ctx context.Context, u *phone.UA, o out) (func(), error) {
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { u.Register(rctx); close(done) }()
	stop := func() { cancel(); <-done }
	for {
		select {
		case e := <-u.Events():
			printReg(o, e)
			switch e.State {
			case phone.Registered:
				go func() {
					for e := range u.Events() {
						printReg(o, e)
					}
				}()
				return stop, nil
			case phone.Retrying:
				stop()
				return nil, e.Err
			}
		case <-ctx.Done():
			stop()
			return nil, ctx.Err()
		}
	}
}

func printReg(o out, e phone.RegEvent) {
	text := string(e.State)
	fields := map[string]any{"state": string(e.State)}
	switch e.State {
	case phone.Registered:
		text = fmt.Sprintf("registered (expires in %s)", e.Expires)
		fields["expires_seconds"] = int(e.Expires / time.Second)
	case phone.Retrying:
		text = fmt.Sprintf("registration failed: %v; retrying in %s", e.Err, e.Retry.Round(time.Millisecond))
		fields["error"] = fmt.Sprint(e.Err)
		fields["retry_seconds"] = e.Retry.Seconds()
	}
	o.event("registration", text, fields)
}

func trimJoin(ss []string) string { return strings.TrimSpace(strings.Join(ss, " ")) }
