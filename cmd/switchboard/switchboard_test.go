package main_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/internal/peers"
)

var switchboardBin, phonectlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "switchboard")
	if err != nil {
		panic(err)
	}
	switchboardBin, phonectlBin = filepath.Join(dir, "switchboard"), filepath.Join(dir, "phonectl")
	for bin, pkg := range map[string]string{switchboardBin: ".", phonectlBin: "../phonectl"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			panic(fmt.Sprintf("building %s: %v\n%s", pkg, err, out))
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running switchboard process.
type server struct {
	cmd      *exec.Cmd
	data     string
	api      string
	out      <-chan string
	accounts map[string]string // email -> password
}

func lines(r io.Reader) <-chan string {
	ch := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}()
	return ch
}

// waitFor reads lines until one contains want (or fails after a while),
// returning it.
func waitFor(t *testing.T, ch <-chan string, want string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				t.Fatalf("output ended before %q", want)
			}
			if strings.Contains(l, want) {
				return l
			}
		case <-deadline:
			t.Fatalf("no %q within 30 s", want)
		}
	}
}

func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	return startServerArgs(t, data, append([]string{"--demo"}, extra...)...)
}

// startServerArgs starts a switchboard on data with args (the demo
// account's passwords must be in data already, or --demo among args).
func startServerArgs(t *testing.T, data string, args ...string) *server {
	t.Helper()
	return startServerEnv(t, data, nil, args...)
}

// startServerEnv starts a switchboard with env added to its environment.
func startServerEnv(t *testing.T, data string, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(switchboardBin, append([]string{"--data", data, "--sip", "udp://127.0.0.1:0", "--sip", "tcp://127.0.0.1:0",
		"--http", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s := &server{cmd: cmd, data: data, out: lines(stdout), accounts: map[string]string{}}
	for {
		l := waitFor(t, s.out, "")
		if api, ok := strings.CutPrefix(l, "http "); ok {
			s.api = api
		}
		if l == "ready" {
			break
		}
	}
	b, err := os.ReadFile(filepath.Join(data, "demo-credentials.txt"))
	if errors.Is(err, os.ErrNotExist) && !slices.Contains(args, "--demo") {
		return s // a switchboard without the demo account
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		email, pw, _ := strings.Cut(l, " ")
		s.accounts[email] = pw
	}
	return s
}

// as returns phonectl's account-mode arguments for a demo user.
func (s *server) as(email string, args ...string) []string {
	return append([]string{"--server", s.api, "--user", email, "--password", s.accounts[email], "--listen", "127.0.0.1:0"}, args...)
}

func toneWAV(t *testing.T, path string, freq float64, seconds int) {
	t.Helper()
	pcm := make([]int16, 8000*seconds)
	audio.Sine(pcm, freq, 8000, 12000, 0)
	if err := audio.SaveWAV(path, &audio.PCM{Rate: 8000, Channels: 1, Samples: pcm}); err != nil {
		t.Fatal(err)
	}
}

func bestShare(t *testing.T, path string, freq float64) float64 {
	t.Helper()
	p, err := audio.LoadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	// The best quarter second: proof the tone came through, robust to a
	// hiccup on a loaded machine.
	return audio.BestShare(p.Mono(), freq, 8000, 250*time.Millisecond)
}

// answer starts phonectl answering one call as the rep.
func (s *server) answer(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(phonectlBin, s.as("rep@demo.test", "answer", "--play", filepath.Join(dir, "1000.wav"),
		"--record", filepath.Join(dir, "rep.wav"), "--count", "1")...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, lines(stdout), "registered")
	return cmd
}

func exitCode(err error) int {
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestDemoCallsAndGate: two demo users sign in with phonectl (account
// mode) and call each other through the switchboard with audio both ways;
// at zero credit the call is refused with exit status 3, and after credit
// is added it goes through again; SIGTERM stops the server cleanly and a
// restart keeps the balance.
func TestDemoCallsAndGate(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 3)
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 3)
	s := startServer(t, data)

	rep := s.answer(t, dir)
	call := func() ([]byte, error) {
		return exec.Command(phonectlBin, s.as("admin@demo.test", "call", "103", "--play", filepath.Join(dir, "440.wav"),
			"--record", filepath.Join(dir, "admin.wav"), "--duration", "2s")...).CombinedOutput()
	}
	if out, err := call(); err != nil {
		t.Fatalf("admin calls the rep: %v\n%s", err, out)
	}
	if err := rep.Wait(); err != nil {
		t.Fatalf("the rep's answer: %v", err)
	}
	if sh := bestShare(t, filepath.Join(dir, "rep.wav"), 440); sh < 0.8 {
		t.Errorf("the rep hears the admin's 440 Hz at share %.2f", sh)
	}
	if sh := bestShare(t, filepath.Join(dir, "admin.wav"), 1000); sh < 0.8 {
		t.Errorf("the admin hears the rep's 1000 Hz at share %.2f", sh)
	}

	// The gate: take the account to zero.
	adjust := func(amount string) {
		t.Helper()
		out, err := exec.Command(switchboardBin, "adjust", "--data", data, "--account", "demo", "--amount", amount, "--reason", "test").CombinedOutput()
		if err != nil {
			t.Fatalf("adjust %s: %v\n%s", amount, err, out)
		}
	}
	london := func() ([]byte, error) {
		return exec.Command(phonectlBin, s.as("rep@demo.test", "call", "+442071234567", "--play", filepath.Join(dir, "440.wav"),
			"--record", filepath.Join(dir, "london.wav"), "--duration", "3s")...).CombinedOutput()
	}
	adjust("-20")
	out, err := call()
	if code := exitCode(err); code != 3 {
		t.Fatalf("at zero credit: exit %d, want 3\n%s", code, out)
	}
	if last := lastLine(out); !strings.Contains(last, "402") || !strings.Contains(last, "no credit") {
		t.Errorf("at zero credit the last line says %q", last)
	}
	if out, err := london(); exitCode(err) != 3 {
		t.Errorf("a London number at zero credit: %v\n%s", err, out)
	}
	text := func() ([]byte, error) {
		return exec.Command(phonectlBin, s.as("rep@demo.test", "sms", "send", "+442071234567", "hi")...).CombinedOutput()
	}
	if out, err := text(); exitCode(err) != 3 {
		t.Errorf("a text at zero credit: %v\n%s", err, out)
	}
	adjust("5")
	s.answer(t, dir)
	if out, err := call(); err != nil {
		t.Fatalf("after credit was added: %v\n%s", err, out)
	}
	// The London number now: the simulator answers and echoes.
	if out, err := london(); err != nil {
		t.Fatalf("a London number after credit was added: %v\n%s", err, out)
	}
	if sh := bestShare(t, filepath.Join(dir, "london.wav"), 440); sh < 0.8 {
		t.Errorf("the rep hears her 440 Hz echoed from London at share %.2f", sh)
	}
	if out, err := text(); err != nil {
		t.Errorf("a text after credit was added: %v\n%s", err, out)
	}

	// SIGTERM: a clean stop; a restart on the same data keeps the balance.
	s.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, s.out, "stopping")
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
	s2 := startServer(t, data)
	out, err = exec.Command(switchboardBin, "adjust", "--data", data, "--account", "demo", "--amount", "-1", "--reason", "check").CombinedOutput()
	// $5 less two seconds to London ($0.015/min), a text ($0.04), and $1.
	if err != nil || !strings.Contains(string(out), "balance $3.95") {
		t.Errorf("after a restart: %v %s", err, out)
	}
	_ = s2
}

func lastLine(b []byte) string {
	ls := strings.Split(strings.TrimSpace(string(b)), "\n")
	return ls[len(ls)-1]
}

// TestAdjustRefusesBadInput: the operator command checks its flags.
func TestAdjustRefusesBadInput(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	_ = s
	for _, args := range [][]string{
		{"--account", "demo", "--amount", "abc", "--reason", "x"},
		{"--account", "demo", "--amount", "5"},
		{"--amount", "5", "--reason", "x"},
		{"--account", "demo", "--amount", "0", "--reason", "x"},
	} {
		err := exec.Command(switchboardBin, append([]string{"adjust", "--data", data}, args...)...).Run()
		if code := exitCode(err); code != 2 {
			t.Errorf("adjust %v: exit %d, want 2", args, code)
		}
	}
	// Below zero: refused, balance unchanged.
	out, err := exec.Command(switchboardBin, "adjust", "--data", data, "--account", "demo", "--amount", "-25", "--reason", "x").CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "not below") {
		t.Errorf("below zero: %v %s", err, out)
	}
}

// TestBaresipThroughSwitchboard: baresip, a third-party SIP phone, signs
// in with credentials the account API issued, registers to the switchboard
// and calls the admin's extension; phonectl answers and hears its tone.
func TestBaresipThroughSwitchboard(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	s := startServer(t, data)
	admin, _ := s.phonectl(t, "admin@demo.test", "answer", "--record", filepath.Join(dir, "admin.wav"), "--duration", "3s", "--count", "1")
	b := peers.StartBaresipAccount(t, s.baresipAccount(t, "rep@demo.test"), 440, "/dial sip:102@127.0.0.1")
	waitExit(t, admin, "the admin's phonectl", b)
	if sh := bestShare(t, filepath.Join(dir, "admin.wav"), 440); sh < 0.8 {
		t.Errorf("the admin hears baresip's 440 Hz at share %.2f", sh)
	}
}

// TestTLS: with a tls:// listener and no certificate given, the
// switchboard makes a self-signed one in DATA/tls/; phonectl trusts it
// with --tls-ca, registers over TLS and calls a teammate on UDP, with
// SRTP end to end.
func TestTLS(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 3)
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 3)
	s := startServer(t, data, "--sip", "tls://127.0.0.1:0")
	s.answer(t, dir)
	out, err := exec.Command(phonectlBin, s.as("admin@demo.test", "--transport", "tls", "--tls-ca", filepath.Join(data, "tls", "switchboard.crt"),
		"call", "103", "--play", filepath.Join(dir, "440.wav"), "--record", filepath.Join(dir, "admin.wav"), "--duration", "2s")...).CombinedOutput()
	if err != nil {
		t.Fatalf("a call over TLS: %v\n%s", err, out)
	}
	if sh := bestShare(t, filepath.Join(dir, "admin.wav"), 1000); sh < 0.8 {
		t.Errorf("over TLS and SRTP the admin hears the rep at share %.2f", sh)
	}
}

// TestCreditRunsOut is the acceptance test at full scale: with credit for
// two minutes to a London landline ($0.015/min, so $0.03), the rep's call
// hears the warning a minute before the end and is hung up at two
// minutes; the ledger shows exactly the rated cost. (It takes two real
// minutes, in parallel with the other tests.)
func TestCreditRunsOut(t *testing.T) {
	t.Parallel()
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 3)
	s := startServer(t, data)
	out, err := exec.Command(switchboardBin, "adjust", "--data", data, "--account", "demo", "--amount", "-19.97", "--reason", "leave two minutes").CombinedOutput()
	if err != nil {
		t.Fatalf("adjust: %v\n%s", err, out)
	}
	start := time.Now()
	out, err = exec.Command(phonectlBin, s.as("rep@demo.test", "call", "+442071234567", "--play", filepath.Join(dir, "440.wav"),
		"--record", filepath.Join(dir, "london.wav"))...).CombinedOutput()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("the call: %v\n%s", err, out)
	}
	if last := lastLine(out); !strings.Contains(last, "the far end hung up") {
		t.Errorf("the call ended with %q", last)
	}
	if took < 115*time.Second || took > 135*time.Second {
		t.Errorf("the call lasted %v; two minutes were paid", took)
	}
	p, err := audio.LoadWAV(filepath.Join(dir, "london.wav"))
	if err != nil {
		t.Fatal(err)
	}
	rec := p.Mono()
	warnAt := -1
	for i := 0; i+800 <= len(rec); i += 400 {
		if audio.ToneShare(rec[i:i+800], 1400, 8000) > 0.5 {
			warnAt = i
			break
		}
	}
	if at := time.Duration(warnAt) * time.Second / 8000; warnAt < 0 || at < 55*time.Second || at > 65*time.Second {
		t.Errorf("the warning came at %v into the call (want about 60 s)", at)
	}
	// Exactly zero left: charges are whole ten-thousandths, and taking one
	// more away is refused.
	out, err = exec.Command(switchboardBin, "adjust", "--data", data, "--account", "demo", "--amount", "-0.0001", "--reason", "check").CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "$0.00 available") {
		t.Errorf("after the call the balance is not exactly zero: %v %s", err, out)
	}
}

// TestBadFlags: unusable flags stop the server at once with status 2 and
// say why.
func TestBadFlags(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{
		{"--sip", "smtp://127.0.0.1:0"},
		{"--sip", "udp://127.0.0.1:0", "--trunk", "carrier.example"},
		{"--sip", "udp://127.0.0.1:0", "--trunk", "sip:user:pw@carrier.example:5060"},
		{"--sip", "udp://127.0.0.1:0", "--tls-cert", "x.pem"},
		{"--bogus"},
		{"--sip", "udp://127.0.0.1:0", "--payments", "paypal"},
		{"--sip", "udp://127.0.0.1:0", "--payments", "stripe"}, // no keys in the environment
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a server that starts is a failure
		cmd := exec.CommandContext(ctx, switchboardBin, append([]string{"--data", data, "--http", "127.0.0.1:0"}, args...)...)
		out, err := cmd.CombinedOutput()
		cancel()
		if code := exitCode(err); code != 2 || len(out) == 0 {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
}

// TestStripePayments: the switchboard charging through Stripe (stripe-mock
// standing in for Stripe's API): the demo card is saved with Stripe, the
// owner adds credits with phonectl, and a signed webhook is accepted while
// a forged one is refused.
func TestStripePayments(t *testing.T) {
	mock := peers.StartStripeMock(t, "succeeded")
	t.Setenv("STRIPE_SECRET_KEY", "sk_test_tether")
	t.Setenv("STRIPE_WEBHOOK_SECRET", "whsec_tether_test")
	s := startServer(t, t.TempDir(), "--payments", "stripe", "--stripe-api", mock.URL)
	cmd := exec.Command(phonectlBin, s.as("owner@demo.test", "credits", "add", "15")...)
	out, err := cmd.CombinedOutput()
	if exitCode(err) != 0 || !strings.Contains(string(out), "added 15.00 (succeeded") {
		t.Fatalf("credits add through Stripe: %v\n%s", err, out)
	}
	out, err = exec.Command(phonectlBin, s.as("owner@demo.test", "credits")...).CombinedOutput()
	if exitCode(err) != 0 || !strings.Contains(string(out), "available: 35.0000 USD") {
		t.Fatalf("credits after adding $15 to $20: %v\n%s", err, out)
	}
	res, err := http.Post(s.api+"/v1/webhooks/stripe", "application/json", strings.NewReader(`{"id": "evt_forged", "type": "payment_intent.succeeded"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Errorf("an unsigned webhook: %d, want 400", res.StatusCode)
	}
}

// TestWebSocketPhonectl: phonectl over SIP over WebSocket (--transport ws
// --ws-path) signs in, calls the rep's UDP phonectl through the switchboard,
// and both hear each other.
func TestWebSocketPhonectl(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 3)
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 3)
	s := startServer(t, data, "--sip", "ws://127.0.0.1:0")
	rep := s.answer(t, dir)
	out, err := exec.Command(phonectlBin, s.as("admin@demo.test", "--transport", "ws", "--ws-path", "/ws", "call", "103", "--play",
		filepath.Join(dir, "440.wav"), "--record", filepath.Join(dir, "admin.wav"), "--duration", "2s")...).CombinedOutput()
	if err != nil {
		t.Fatalf("the admin calls over ws: %v\n%s", err, out)
	}
	if err := rep.Wait(); err != nil {
		t.Fatalf("the rep's answer: %v", err)
	}
	if sh := bestShare(t, filepath.Join(dir, "rep.wav"), 440); sh < 0.8 {
		t.Errorf("the rep hears the admin (ws) at share %.2f", sh)
	}
	if sh := bestShare(t, filepath.Join(dir, "admin.wav"), 1000); sh < 0.8 {
		t.Errorf("the admin (ws) hears the rep at share %.2f", sh)
	}
	bad, err := exec.Command(phonectlBin, s.as("admin@demo.test", "--transport", "ws", "--ws-path", "no-slash", "register")...).CombinedOutput()
	if exitCode(err) != 2 {
		t.Errorf("a WebSocket path without a slash: %v\n%s", err, bad)
	}
}

// TestWebRTCPhonectl: phonectl with WebRTC media (ICE, DTLS-SRTP) over
// WebSocket calls a UDP phonectl through the switchboard: audio both
// ways, key presses delivered. Then again with ICE restricted to relay
// candidates from a TURN server (Debian's coturn) on loopback.
func TestWebRTCPhonectl(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 3)
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 3)
	s := startServer(t, data, "--sip", "ws://127.0.0.1:0")
	turn := peers.StartCoturn(t)
	for _, k := range []struct {
		name string
		ice  []string
		path string
	}{
		{"host candidates", nil, "WebRTC, host 127.0.0.1"},
		{"TURN relay only", []string{"--ice", turn.TURN(), "--ice-relay-only"}, "WebRTC, relay 127.0.0.1"},
	} {
		t.Run(k.name, func(t *testing.T) {
			rep := exec.Command(phonectlBin, s.as("rep@demo.test", "answer", "--play", filepath.Join(dir, "1000.wav"),
				"--record", filepath.Join(dir, "rep.wav"), "--count", "1")...)
			stdout, _ := rep.StdoutPipe()
			rep.Stderr = os.Stderr
			if err := rep.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rep.Process.Kill(); rep.Wait() })
			repOut := lines(stdout)
			waitFor(t, repOut, "registered")
			args := append([]string{"--transport", "ws", "--ws-path", "/ws", "--media", "webrtc"}, k.ice...)
			args = append(args, "call", "103", "--play", filepath.Join(dir, "440.wav"), "--record", filepath.Join(dir, "admin.wav"),
				"--duration", "2s", "--dtmf", "159")
			out, err := exec.Command(phonectlBin, s.as("admin@demo.test", args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("the admin calls with WebRTC media: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "media: "+k.path) {
				t.Errorf("the call's media path is not %q:\n%s", k.path, out)
			}
			var keys []string
			deadline := time.After(30 * time.Second)
		read:
			for {
				select {
				case l, ok := <-repOut:
					if !ok {
						break read // the rep answered its one call and exited
					}
					if _, key, ok := strings.Cut(l, "key pressed: "); ok {
						keys = append(keys, key)
					}
				case <-deadline:
					t.Fatal("the rep did not finish within 30 s of the call")
				}
			}
			if err := rep.Wait(); err != nil {
				t.Fatalf("the rep's answer: %v", err)
			}
			if strings.Join(keys, "") != "159" {
				t.Errorf("the rep received keys %q, want 159", keys)
			}
			if sh := bestShare(t, filepath.Join(dir, "rep.wav"), 440); sh < 0.8 {
				t.Errorf("the rep hears the admin (WebRTC) at share %.2f", sh)
			}
			if sh := bestShare(t, filepath.Join(dir, "admin.wav"), 1000); sh < 0.8 {
				t.Errorf("the admin (WebRTC) hears the rep at share %.2f", sh)
			}
		})
	}
	// The gate is the same for WebRTC phones: at zero credit, exit 3 with
	// the reason.
	if out, err := exec.Command(switchboardBin, "adjust", "--data", data, "--account", "demo", "--amount", "-20", "--reason", "test").CombinedOutput(); err != nil {
		t.Fatalf("adjust: %v\n%s", err, out)
	}
	for _, to := range []string{"103", "+442071234567"} {
		out, err := exec.Command(phonectlBin, s.as("admin@demo.test", "--transport", "ws", "--ws-path", "/ws", "--media", "webrtc",
			"call", to, "--play", filepath.Join(dir, "440.wav"), "--record", filepath.Join(dir, "gate.wav"), "--duration", "2s")...).CombinedOutput()
		if code := exitCode(err); code != 3 || !strings.Contains(lastLine(out), "402") {
			t.Errorf("a WebRTC call to %s at zero credit: exit %d\n%s", to, code, out)
		}
	}
	bad, err := exec.Command(phonectlBin, s.as("admin@demo.test", "--media", "webrtc", "--ice", "turn:127.0.0.1:99999", "register")...).CombinedOutput()
	if exitCode(err) != 2 || !strings.Contains(string(bad), "port") {
		t.Errorf("a TURN server with a bad port: %v\n%s", err, bad)
	}
	bad, err = exec.Command(phonectlBin, s.as("admin@demo.test", "--ice-relay-only", "register")...).CombinedOutput()
	if exitCode(err) != 2 {
		t.Errorf("--ice-relay-only without WebRTC media: %v\n%s", err, bad)
	}
}

// baresipAccount is a new device of email's, for a baresip to register
// with.
func (s *server) baresipAccount(t *testing.T, email string) peers.SIPAccount {
	t.Helper()
	ctx := context.Background()
	c, _ := api.NewClient(s.api)
	if _, err := c.SignIn(ctx, email, s.accounts[email]); err != nil {
		t.Fatal(err)
	}
	d, err := c.NewDevice(ctx, "baresip")
	if err != nil {
		t.Fatal(err)
	}
	return peers.SIPAccount{Registrar: d.SIP["udp"], User: d.Username, Password: d.Password}
}

// phonectl starts phonectl as email with args (until the test ends) and
// waits for it to register; it returns its output, line by line.
func (s *server) phonectl(t *testing.T, email string, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(phonectlBin, s.as(email, args...)...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	out := lines(stdout)
	waitFor(t, out, "registered")
	return cmd, out
}

// waitExit waits (a minute at most) for a phonectl to exit, and fails with
// baresip's log if it fails or never does.
func waitExit(t *testing.T, cmd *exec.Cmd, what string, b *peers.Baresip) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			log, _ := os.ReadFile(b.Log)
			t.Fatalf("%s: %v\nbaresip:\n%.3000s", what, err, log)
		}
	case <-time.After(60 * time.Second):
		log, _ := os.ReadFile(b.Log)
		t.Fatalf("%s never ended\nbaresip:\n%.3000s", what, log)
	}
}

// TestTransferWithBaresip: baresip, a third-party phone, calls the rep;
// the rep's phonectl consults the admin and hands baresip's call over
// (attended transfer, REFER with Replaces); the switchboard moves
// baresip's media to the admin, who hears baresip's tone.
func TestTransferWithBaresip(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 3)
	s := startServer(t, data)
	admin, _ := s.phonectl(t, "admin@demo.test", "answer", "--record", filepath.Join(dir, "admin.wav"), "--duration", "4s", "--count", "1")
	_, repOut := s.phonectl(t, "rep@demo.test", "answer", "--play", filepath.Join(dir, "1000.wav"), "--consult", "102", "--transfer-after", "1s", "--count", "1")
	b := peers.StartBaresipAccount(t, s.baresipAccount(t, "owner@demo.test"), 440, "/dial sip:103@127.0.0.1")
	waitFor(t, repOut, "ended: transferred")
	waitExit(t, admin, "the admin's phonectl (the transferred call)", b)
	if sh := bestShare(t, filepath.Join(dir, "admin.wav"), 440); sh < 0.8 {
		log, _ := os.ReadFile(b.Log)
		t.Errorf("after the transfer the admin hears baresip's 440 Hz at share %.2f\nbaresip:\n%.3000s", sh, log)
	}

}

// TestConferenceWithBaresip: the admin (1700 Hz) calls the rep, who
// holds the call, calls the owner's baresip (440 Hz) and joins the three
// (phonectl answer --add): the admin hears baresip and baresip hears the
// admin, through the switchboard's mix; the rep's 1000 Hz reaches both.
func TestConferenceWithBaresip(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 10)
	toneWAV(t, filepath.Join(dir, "1700.wav"), 1700, 10)
	s := startServer(t, data)
	b := peers.StartBaresipAccount(t, s.baresipAccount(t, "owner@demo.test"), 440)
	baresipLog := func() string { log, _ := os.ReadFile(b.Log); return fmt.Sprintf("%.3000s", log) }
	_, repOut := s.phonectl(t, "rep@demo.test", "answer", "--play", filepath.Join(dir, "1000.wav"), "--add", "101",
		"--transfer-after", "1s", "--duration", "4s", "--count", "1")
	admin := exec.Command(phonectlBin, s.as("admin@demo.test", "call", "103", "--play", filepath.Join(dir, "1700.wav"),
		"--record", filepath.Join(dir, "admin.wav"), "--duration", "9s")...)
	if out, err := admin.CombinedOutput(); err != nil {
		t.Fatalf("the admin's call: %v\n%s\nbaresip:\n%s", err, out, baresipLog())
	}
	waitFor(t, repOut, "conference: 101 joined")
	waitFor(t, repOut, "ended: the conference is over")
	for f, who := range map[float64]string{440: "baresip", 1000: "the rep"} {
		if sh := bestShare(t, filepath.Join(dir, "admin.wav"), f); sh < 0.3 {
			t.Errorf("in the conference the admin hears %s's %v Hz at share %.2f\nbaresip:\n%s", who, f, sh, baresipLog())
		}
	}
	var dec string
	eventually.Must(t, 10*time.Second, "baresip's recording of what it heard", func() bool {
		for _, f := range b.Recordings() {
			if strings.Contains(f, "dec") {
				dec = f
			}
		}
		return dec != ""
	})
	for f, who := range map[float64]string{1700: "the admin", 1000: "the rep"} {
		if sh := bestShare(t, dec, f); sh < 0.3 {
			t.Errorf("in the conference baresip hears %s's %v Hz at share %.2f", who, f, sh)
		}
	}
}
