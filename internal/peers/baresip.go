package peers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Baresip is a running baresip phone registered to a Kamailio.
type Baresip struct {
	Dir  string // its config directory; sndfile writes its recordings here
	Port int
	Log  string
}

// StartBaresip runs baresip headless as user (password user+"-secret" in
// k's table), registered to k, answering calls at once and sending a sine
// of toneHz; it records the audio of each call (both directions) as WAV
// files in Dir.
//
// commands are run once baresip has registered, as with its -e option
// ("/dial sip:alice@127.0.0.1").
func StartBaresip(t testing.TB, k *Kamailio, user string, toneHz int, commands ...string) *Baresip {
	t.Helper()
	return StartBaresipCodec(t, k, user, toneHz, "PCMU", commands...)
}

// StartBaresipCodec is StartBaresip offering only the given codec
// ("PCMU", "opus").
func StartBaresipCodec(t testing.TB, k *Kamailio, user string, toneHz int, codec string, commands ...string) *Baresip {
	t.Helper()
	return startBaresip(t, k, user, toneHz, codec, false, commands, "")
}

// StartBaresipEcho runs baresip's echo server as user: it answers every
// call and sends back what it receives (the reference peer for measuring
// mouth-to-ear delay). jitter is its jitter buffer in frames, "MIN-MAX";
// "" keeps baresip's default (5-10: 100 to 200 ms held in the echo
// itself).
func StartBaresipEcho(t testing.TB, k *Kamailio, user, codec, jitter string) *Baresip {
	t.Helper()
	return startBaresip(t, k, user, 440, codec, true, nil, jitter)
}

// SIPAccount is where and as whom a peer registers.
type SIPAccount struct {
	Registrar string // HOST:PORT, over UDP
	User      string
	Password  string
}

// StartBaresipAccount runs baresip registered with an account on any
// registrar (the switchboard), auto-answering with a tone; commands run at
// start ("/dial sip:102@127.0.0.1").
func StartBaresipAccount(t testing.TB, a SIPAccount, toneHz int, commands ...string) *Baresip {
	t.Helper()
	return startBaresipAccount(t, a, toneHz, "PCMU", false, commands, "")
}

func startBaresip(t testing.TB, k *Kamailio, user string, toneHz int, codec string, echo bool, commands []string, jitter string) *Baresip {
	t.Helper()
	a := SIPAccount{Registrar: fmt.Sprintf("127.0.0.1:%d", k.Port), User: user, Password: user + "-secret"}
	return startBaresipAccount(t, a, toneHz, codec, echo, commands, jitter)
}

func startBaresipAccount(t testing.TB, a SIPAccount, toneHz int, codec string, echo bool, commands []string, jitter string) *Baresip {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Fatalf("baresip is not installed (make deps installs it): %v", err)
	}
	var last string
	for attempt := range 3 { // a port can be taken between check and use
		b, out, ok := tryBaresip(t, a, toneHz, codec, echo, commands, jitter)
		if ok {
			return b
		}
		last = out
		if !strings.Contains(out, "Address already in use") {
			break
		}
		t.Logf("baresip attempt %d: a port was taken; trying others", attempt+1)
	}
	t.Fatalf("baresip did not register:\n%s", last)
	return nil
}

// baresipPort picks the port of each try (a test takes one first).
var baresipPort = pairPort

// pairPort returns a port free for UDP and TCP whose successor is free for
// TCP too: baresip listens for TLS one above sip_listen.
func pairPort(t testing.TB) int {
	t.Helper()
	for range 50 {
		port := FreePort(t)
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free pair of ports")
	return 0
}

// tryBaresip starts baresip once; on failure it returns its log and stops it.
func tryBaresip(t testing.TB, a SIPAccount, toneHz int, codec string, echo bool, commands []string, jitter string) (*Baresip, string, bool) {
	t.Helper()
	b := &Baresip{Dir: t.TempDir(), Port: baresipPort(t)}
	config := fmt.Sprintf(`sip_listen		127.0.0.1:%d
audio_player		aubridge,tether
audio_source		ausine,%d
audio_alert		aubridge,tether
net_interface		127.0.0.1
ausrc_srate		48000
ausrc_channels		2
auplay_srate		48000
auplay_channels		2
module_path		/usr/lib/baresip/modules
module			g711.so
module			opus.so
module			ausine.so
module			aubridge.so
module			sndfile.so
module			account.so
module			menu.so
snd_path		%s
`, b.Port, toneHz, b.Dir)
	if echo {
		// The echo module bridges each call's player to its own source
		// through aubridge.
		config = strings.Replace(config, "audio_source\t\tausine,", "audio_source\t\taubridge,x\n#", 1)
		config += "module\t\t\techo.so\n"
		if jitter != "" {
			config += "jitter_buffer_delay\t" + jitter + "\n"
		}
	}
	answer := "auto"
	if echo {
		answer = "manual" // the echo module answers
	}
	account := fmt.Sprintf("<sip:%s@127.0.0.1;transport=udp>;auth_pass=%s;outbound=\"sip:%s;transport=udp\";answermode=%s;regint=60;audio_codecs=%s\n",
		a.User, a.Password, a.Registrar, answer, codec)
	for name, body := range map[string]string{"config": config, "accounts": account, "contacts": ""} {
		if err := os.WriteFile(filepath.Join(b.Dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.Log = filepath.Join(b.Dir, "baresip.log")
	log, _ := os.Create(b.Log)
	args := []string{"-f", b.Dir, "-v"}
	for _, c := range commands {
		args = append(args, "-e", c)
	}
	cmd := command("baresip", args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	halt := func() {
		if cmd.Process != nil {
			cmd.Process.Signal(os.Interrupt)
		}
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		log.Close()
	}
	// Registered when its log says so. (Commands given with -e may run
	// before that; a dial goes through the outbound proxy anyway.)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := os.ReadFile(b.Log)
		if strings.Contains(string(out), "200 OK") && strings.Contains(string(out), a.User) {
			t.Cleanup(halt)
			return b, "", true
		}
		if strings.Contains(string(out), "init failed") {
			break
		}
		select {
		case <-exited:
			deadline = time.Now()
		case <-time.After(100 * time.Millisecond):
		}
	}
	halt()
	out, _ := os.ReadFile(b.Log)
	return nil, string(out), false
}

// Recordings returns the WAV files baresip's sndfile module wrote.
func (b *Baresip) Recordings() []string {
	files, _ := filepath.Glob(filepath.Join(b.Dir, "*.wav"))
	return files
}
