package main_test

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
)

// chirp is an 80 ms sweep from 300 to 3000 Hz at 8 kHz: sharp to find by
// correlation, inside the telephone band, and over before its echo comes
// back (the phone's echo canceller, on as shipped, would otherwise take
// the returning sweep for the speaker's echo and quiet the sweep still
// being said).
func chirp() []int16 {
	const rate, n = 8000, 640
	s := make([]int16, n)
	for i := range s {
		t := float64(i) / rate
		f0, f1, d := 300.0, 3000.0, float64(n)/rate
		phase := 2 * math.Pi * (f0*t + (f1-f0)*t*t/(2*d))
		s[i] = int16(12000 * math.Sin(phase))
	}
	return s
}

// echoDelay finds the two strongest distinct occurrences of ref in rec
// and returns the time between them.
func echoDelay(rec, ref []int16) (time.Duration, bool) {
	n := len(rec) - len(ref)
	if n <= 0 {
		return 0, false
	}
	corr := make([]float64, n)
	var refE float64
	for _, v := range ref {
		refE += float64(v) * float64(v)
	}
	for lag := 0; lag < n; lag++ {
		var c, e float64
		for i, v := range ref {
			x := float64(rec[lag+i])
			c += x * float64(v)
			e += x * x
		}
		if e > 0 {
			corr[lag] = c / math.Sqrt(e*refE)
		}
	}
	first := 0
	for i, v := range corr {
		if v > corr[first] {
			first = i
		}
	}
	second := -1
	for i, v := range corr {
		if abs(i-first) > 8000*30/1000 && v > 0.3*corr[first] && (second < 0 || v > corr[second]) {
			second = i
		}
	}
	if second < 0 || corr[first] < 0.3 {
		return 0, false
	}
	return time.Duration(abs(second-first)) * time.Second / 8000, true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// mouthToEar calls baresip's echo server from phonectl on PulseAudio null
// sinks, plays a chirp into the microphone, and measures how long it takes
// to come back out of the speaker.
func mouthToEar(t testing.TB, codec, jitter string) (time.Duration, float64) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "echo": "echo-secret"}, "MD5")
	b := peers.StartBaresipEcho(t, k, "echo", codec, jitter)
	d, cpu := measure(t, k, "echo")
	if d == 0 {
		log, _ := os.ReadFile(b.Log)
		t.Fatalf("the chirp did not come back; baresip:\n%s", log)
	}
	return d, cpu
}

// measure calls target from phonectl on PulseAudio null sinks, plays a
// chirp into the microphone and times its return at the speaker; 0 when it
// did not come back.
func measure(t testing.TB, k *peers.Kamailio, target string) (time.Duration, float64) {
	p := peers.StartPulse(t)
	dir := t.TempDir()
	ref := chirp()
	wav := filepath.Join(dir, "chirp.wav")
	if err := audio.SaveWAV(wav, &audio.PCM{Rate: 8000, Channels: 1, Samples: ref}); err != nil {
		t.Fatal(err)
	}

	call := exec.Command(bin, append(account(k, "alice"), "call", target, "--audio-backend", "pulse",
		"--capture", "Monitor of mic", "--playback", "spk", "--duration", "5s")...)
	call.Env = append(os.Environ(), p.Env()...)
	stdout, _ := call.StdoutPipe()
	call.Stderr = os.Stderr
	if err := call.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	defer func() {
		if !waited {
			call.Process.Kill()
			call.Wait()
		}
	}()
	lines := scanLines(stdout)
	var answeredAt time.Time
	for l := range lines {
		if l == "answered" {
			answeredAt = time.Now()
			break
		}
		if len(l) > 7 && l[:7] == "refused" {
			t.Fatal(l)
		}
	}
	time.Sleep(time.Second) // let the jitter buffers settle
	out := filepath.Join(dir, "rec.wav")
	rec := exec.Command("parecord", "--server="+p.Server, "--device=rec.monitor", "--rate=8000", "--channels=1",
		"--format=s16le", "--file-format=wav", out)
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := exec.Command("paplay", "--server="+p.Server, "--device=mic", wav).Run(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	rec.Process.Signal(os.Interrupt)
	rec.Wait()
	d, ok := echoDelay(readWAV(t, out), ref)
	if !ok {
		return 0, 0
	}
	for range lines { // drain until the call ends
	}
	call.Wait()
	waited = true
	// CPU per call: the phone's CPU time over the call's length (setup
	// included, so a little high).
	cpu := call.ProcessState.UserTime() + call.ProcessState.SystemTime()
	return d, 100 * cpu.Seconds() / time.Since(answeredAt).Seconds()
}

// TestMouthToEar checks the measurement works and the delay is sane; the
// figure itself is reported by make bench (BenchmarkMouthToEar).
func TestMouthToEar(t *testing.T) {
	d, cpu := mouthToEar(t, "PCMU", "")
	if d < 10*time.Millisecond || d > 2*time.Second {
		t.Fatalf("mouth-to-ear %s is not plausible", d)
	}
	t.Logf("mouth-to-ear round trip through baresip's echo: %s, phone CPU %.1f%% of a core", d, cpu)
}

// BenchmarkMouthToEar reports the round trip and the phone's CPU per call,
// PCMU and Opus (make bench). Each iteration is one call of a few seconds.
// The echo peer runs twice: with baresip's default jitter buffer (5 to 10
// frames, so the echo itself holds 100 ms or more), and lean (1 to 3
// frames), where the figure is mostly the phone's own.
func BenchmarkMouthToEar(b *testing.B) {
	for _, c := range []struct{ name, codec, jitter string }{
		{"PCMU", "PCMU", ""}, {"opus", "opus", ""}, {"PCMU-lean-echo", "PCMU", "1-3"}, {"opus-lean-echo", "opus", "1-3"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var total time.Duration
			var cpu float64
			for range b.N {
				d, u := mouthToEar(b, c.codec, c.jitter)
				total += d
				cpu += u
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-round-trip")
			b.ReportMetric(cpu/float64(b.N), "%cpu")
		})
	}
}

// TestEchoOwnPeer measures the round trip against phonectl's own echo
// (answer --echo) instead of baresip's, to see each end's share.
func TestEchoOwnPeer(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	_, lines := background(t, append(account(k, "bob"), "answer", "--echo", "--duration", "8s")...)
	waitLine(t, lines, "registered")
	d, cpu := measure(t, k, "bob")
	if d < 10*time.Millisecond || d > 2*time.Second {
		t.Fatalf("round trip %s is not plausible", d)
	}
	t.Logf("mouth-to-ear against phonectl's own echo: %s (caller CPU %.1f%%)", d, cpu)
}
