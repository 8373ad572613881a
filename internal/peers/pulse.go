package peers

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
)

// Pulse is a private PulseAudio daemon with two null sinks: "mic" (what is
// played into it is what a program capturing from its monitor, "Monitor
// of mic", hears) and "spk" (what a program plays there can be recorded
// from "spk.monitor").
type Pulse struct {
	Server string // the PULSE_SERVER value: "unix:DIR/native"
}

// StartPulse runs the daemon on its own socket, never the default one.
func StartPulse(t testing.TB) *Pulse {
	t.Helper()
	if _, err := exec.LookPath("pulseaudio"); err != nil {
		t.Fatalf("pulseaudio is not installed (make deps installs it): %v", err)
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "native")
	cmd := command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "--use-pid-file=no",
		"--load=module-native-protocol-unix socket="+sock+" auth-anonymous=1",
		"--load=module-null-sink sink_name=mic sink_properties=device.description=mic",
		"--load=module-null-sink sink_name=spk sink_properties=device.description=spk",
		// rec hears both: what goes into the microphone and what comes out
		// of the speaker, through equal loopbacks, for delay measurements.
		"--load=module-null-sink sink_name=rec sink_properties=device.description=rec",
		"--load=module-loopback source=mic.monitor sink=rec latency_msec=20",
		"--load=module-loopback source=spk.monitor sink=rec latency_msec=20")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "PULSE_RUNTIME_PATH="+dir)
	log, _ := os.Create(filepath.Join(dir, "pulse.log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
	})
	p := &Pulse{Server: "unix:" + sock}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if exec.Command("pactl", "--server="+p.Server, "info").Run() == nil {
			p.warm(t)
			return p
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := os.ReadFile(log.Name())
	t.Fatalf("pulseaudio did not start:\n%s", out)
	return nil
}

// warm waits until the null sinks render at the pace their clients ask
// for. A fresh null sink renders its first block at its default latency
// (about two seconds) before the loopbacks' low latency takes hold; a
// device opened during that block would see no data for seconds, which
// no real sound card does.
func (p *Pulse) warm(t testing.TB) {
	t.Helper()
	var wg sync.WaitGroup
	for _, source := range []string{"mic.monitor", "spk.monitor", "rec.monitor"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := exec.Command("parec", "--server="+p.Server, "--device="+source, "--raw", "--rate=8000", "--channels=1",
				"--format=s16le", "--latency-msec=10")
			out, err := rec.StdoutPipe()
			if err != nil || rec.Start() != nil {
				t.Errorf("warming %s: cannot record", source)
				return
			}
			defer func() { rec.Process.Kill(); rec.Wait() }()
			timer := time.AfterFunc(15*time.Second, func() { rec.Process.Kill() })
			defer timer.Stop()
			// Two reads of 10 ms: the second comes once the sink keeps pace.
			buf := make([]byte, 160)
			for range 2 {
				if _, err := io.ReadFull(out, buf); err != nil {
					t.Errorf("warming %s: %v", source, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Env returns environment entries that point clients at this daemon.
func (p *Pulse) Env() []string { return []string{"PULSE_SERVER=" + p.Server} }

// Record records source for d and returns what it captured (mono, 8 kHz).
func (p *Pulse) Record(t testing.TB, source string, d time.Duration) []int16 {
	t.Helper()
	r := p.StartRecording(t, source)
	time.Sleep(d) // the length of the recording, not a wait for an event
	return r.Stop()
}

// Recording is parecord capturing a source to a WAV file.
type Recording struct {
	t      testing.TB
	cmd    *exec.Cmd
	path   string
	source string
}

// StartRecording starts recording source (mono, 8 kHz) and returns once
// audio is being written (at most 10 s), so what follows is on the
// recording: no guess at how long parecord takes to start.
func (p *Pulse) StartRecording(t testing.TB, source string) *Recording {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.wav")
	rec := exec.Command("parecord", "--server="+p.Server, "--device="+source, "--rate=8000", "--channels=1",
		"--format=s16le", "--file-format=wav", "--latency-msec=20", path)
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Process.Kill(); rec.Wait() })
	// A WAV header is 44 bytes; 800 more are 50 ms of audio.
	eventually.Must(t, 10*time.Second, "parecord recording "+source, func() bool {
		st, err := os.Stat(path)
		return err == nil && st.Size() > 44+800
	})
	return &Recording{t: t, cmd: rec, path: path, source: source}
}

// Stop ends the recording and returns it.
func (r *Recording) Stop() []int16 {
	r.t.Helper()
	r.cmd.Process.Signal(os.Interrupt)
	r.cmd.Wait()
	pcm, err := audio.LoadWAV(r.path)
	if err != nil {
		r.t.Fatalf("recording %s: %v", r.source, err)
	}
	return pcm.Mono()
}
