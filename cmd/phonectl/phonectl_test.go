package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "phonectl")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "phonectl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		panic(fmt.Sprintf("building phonectl: %v\n%s", err, out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func toneWAV(t testing.TB, path string, freq float64, seconds int) {
	t.Helper()
	s := make([]int16, 8000*seconds)
	audio.Sine(s, freq, 8000, 12000, 0)
	if err := audio.SaveWAV(path, &audio.PCM{Rate: 8000, Channels: 1, Samples: s}); err != nil {
		t.Fatal(err)
	}
}

// readWAV reads a recording (its first channel).
func readWAV(t testing.TB, path string) []int16 {
	t.Helper()
	p, err := audio.LoadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	return p.Mono()
}

func account(k *peers.Kamailio, user string) []string {
	return []string{"--sip-user", fmt.Sprintf("sip:%s@127.0.0.1:%d", user, k.Port), "--sip-password", user + "-secret", "--listen", "127.0.0.1:0"}
}

// scanLines turns a reader into a channel of lines.
func scanLines(r io.Reader) <-chan string {
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines
}

// background starts phonectl and returns a channel of its output lines.
func background(t testing.TB, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, scanLines(stdout)
}

func waitLine(t testing.TB, lines <-chan string, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("output ended before %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no %q within 30 s", want)
		}
	}
}

func TestCallAndAnswer(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	dir := t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 3)
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 3)

	bob, bobOut := background(t, append(account(k, "bob"), "answer", "--play", filepath.Join(dir, "1000.wav"),
		"--record", filepath.Join(dir, "bob.wav"), "--count", "1")...)
	waitLine(t, bobOut, "registered")

	cmd := exec.Command(bin, append(account(k, "alice"), "call", "bob", "--play", filepath.Join(dir, "440.wav"),
		"--record", filepath.Join(dir, "alice.wav"), "--duration", "2s", "--dtmf", "12")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("call: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "ended: answered, we hung up after") {
		t.Errorf("last line %q", last)
	}
	// Before it, what the call counted: about two seconds of 20 ms packets
	// each way (a busy machine's timer may skip a few: 99 is as good as
	// 100), none lost on loopback.
	q := lines[len(lines)-2]
	var sent, received int
	if _, err := fmt.Sscanf(q, "quality: sent %d, received %d;", &sent, &received); err != nil || sent < 80 || received < 80 ||
		!strings.Contains(q, "lost 0 of") {
		t.Errorf("quality line %q", q)
	}
	if err := bob.Wait(); err != nil {
		t.Fatalf("answer exited with %v", err)
	}
	heardByAlice := readWAV(t, filepath.Join(dir, "alice.wav"))
	heardByBob := readWAV(t, filepath.Join(dir, "bob.wav"))
	if len(heardByAlice) < 8000 || len(heardByBob) < 8000 {
		t.Fatalf("recordings of %d and %d samples", len(heardByAlice), len(heardByBob))
	}
	if s := audio.BestShare(heardByAlice, 1000, 8000, quarter); s < 0.8 {
		t.Errorf("alice's recording: 1000 Hz share %.2f", s)
	}
	if s := audio.BestShare(heardByBob, 440, 8000, quarter); s < 0.6 {
		t.Errorf("bob's recording: 440 Hz share %.2f", s)
	}
}

func TestExitStatuses(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret"}, "MD5")
	dir := t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 1)
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return code, out.String()
	}
	cases := []struct {
		name string
		args []string
		code int
		last string
	}{
		{"no command", account(k, "alice"), 2, ""},
		{"bad user", []string{"--sip-user", "alice", "register"}, 2, ""},
		{"bad backend", append(account(k, "alice"), "call", "bob", "--audio-backend", "beos"), 1, "unknown backend"},
		{"bad dtmf", append(account(k, "alice"), "call", "bob", "--play", filepath.Join(dir, "440.wav"), "--dtmf", "12x"), 2, ""},
		{"unknown callee", append(account(k, "alice"), "call", "nobody", "--play", filepath.Join(dir, "440.wav")), 1, "refused: 404"},
		{"wrong password", []string{"--sip-user", fmt.Sprintf("sip:alice@127.0.0.1:%d", k.Port), "--sip-password", "nope",
			"--listen", "127.0.0.1:0", "sms", "send", "bob", "hi"}, 1, "authentication failed"},
	}
	for _, c := range cases {
		code, out := run(c.args...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != c.code || !strings.Contains(lines[len(lines)-1], c.last) {
			t.Errorf("%s: exit %d (want %d), output:\n%s", c.name, code, c.code, out)
		}
	}
}

func TestSMSAndJSON(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	listener, lines := background(t, append(account(k, "bob"), "--json", "sms", "listen", "--count", "1")...)
	var first map[string]any
	select {
	case l := <-lines:
		if err := json.Unmarshal([]byte(l), &first); err != nil || first["event"] != "registration" {
			t.Fatalf("first JSON line %q: %v", l, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no output")
	}
	waitLineJSON := func(event string) map[string]any {
		deadline := time.After(30 * time.Second)
		for {
			select {
			case l := <-lines:
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) == nil && m["event"] == event {
					return m
				}
			case <-deadline:
				t.Fatalf("no %s event", event)
			}
		}
	}
	if first["state"] != "registered" {
		waitLineJSON("registration")
	}
	out, err := exec.Command(bin, append(account(k, "alice"), "sms", "send", "bob", "Meeting", "at", "3pm ✓")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sent to bob") {
		t.Fatalf("sms send: %v\n%s", err, out)
	}
	m := waitLineJSON("message")
	if m["from"] != "sip:alice@127.0.0.1" || m["text"] != "Meeting at 3pm ✓" {
		t.Fatalf("message %v", m)
	}
	if err := listener.Wait(); err != nil {
		t.Fatalf("sms listen exited with %v", err)
	}
}

// wsAccount is account() over SIP over WebSocket, to Kamailio's WebSocket
// port.
func wsAccount(k *peers.Kamailio, user string) []string {
	return []string{"--sip-user", fmt.Sprintf("sip:%s@127.0.0.1:%d", user, k.WSPort), "--sip-password", user + "-secret",
		"--transport", "ws", "--ws-path", "/ws", "--listen", "127.0.0.1:0"}
}

// TestWebSocketThroughKamailio: interop with Kamailio's websocket module:
// bob registers over WebSocket and answers alice's UDP call; then bob calls
// alice from WebSocket; both hear each other each time.
func TestWebSocketThroughKamailio(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	dir := t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 3)
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 3)
	check := func(caller, callee string, callerAcct, calleeAcct []string) {
		t.Helper()
		ans, out := background(t, append(calleeAcct, "answer", "--play", filepath.Join(dir, "1000.wav"),
			"--record", filepath.Join(dir, callee+".wav"), "--count", "1")...)
		waitLine(t, out, "registered")
		o, err := exec.Command(bin, append(callerAcct, "call", callee, "--play", filepath.Join(dir, "440.wav"),
			"--record", filepath.Join(dir, caller+".wav"), "--duration", "2s")...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s calls %s: %v\n%s", caller, callee, err, o)
		}
		if err := ans.Wait(); err != nil {
			t.Fatalf("%s's answer: %v", callee, err)
		}
		if s := audio.BestShare(readWAV(t, filepath.Join(dir, callee+".wav")), 440, 8000, quarter); s < 0.8 {
			t.Errorf("%s hears %s at share %.2f", callee, caller, s)
		}
		if s := audio.BestShare(readWAV(t, filepath.Join(dir, caller+".wav")), 1000, 8000, quarter); s < 0.8 {
			t.Errorf("%s hears %s at share %.2f", caller, callee, s)
		}
	}
	check("alice", "bob", account(k, "alice"), wsAccount(k, "bob"))
	check("bob", "alice", wsAccount(k, "bob"), account(k, "alice"))
}
