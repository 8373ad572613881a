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

// Record records source (a sink's monitor: "spk.monitor") at 8 kHz mono
// for d and returns the samples. It returns once the recording is done.
func (p *Pulse) Record(t testing.TB, source string, d time.Duration) []int16 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.wav")
	rec := exec.Command("parecord", "--server="+p.Server, "--device="+source, "--rate=8000", "--channels=1",
		"--format=s16le", "--file-format=wav", path)
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(d)
	rec.Process.Signal(os.Interrupt)
	rec.Wait()
	pcm, err := audio.LoadWAV(path)
	if err != nil {
		t.Fatalf("recording %s: %v", source, err)
	}
	return pcm.Mono()
}
