package main_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/peers"
)

// speak makes a WAV of text spoken by espeak-ng's voice, at 8 kHz mono
// (what --play takes); when twice, said again after pause seconds.
func speak(t testing.TB, dir, name, voice, text string, twice bool, pause float64) string {
	t.Helper()
	raw := filepath.Join(dir, name+"-22k.wav")
	if out, err := exec.Command("espeak-ng", "-v", voice, "-w", raw, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng (make deps installs it): %v\n%s", err, out)
	}
	out := filepath.Join(dir, name+".wav")
	args := []string{raw}
	if twice {
		gap := filepath.Join(dir, name+"-gap.wav")
		if o, err := exec.Command("sox", "-n", "-r", "22050", "-c", "1", "-b", "16", gap, "trim", "0", fmt.Sprint(pause)).CombinedOutput(); err != nil {
			t.Fatalf("sox: %v\n%s", err, o)
		}
		args = append(args, gap, raw)
	}
	args = append(args, "-r", "8000", "-c", "1", "-b", "16", out)
	if o, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, o)
	}
	return out
}

// power is the mean square of x from second a to second b (8 kHz).
func power(x []int16, a, b float64) float64 {
	i, j := int(a*8000), min(len(x), int(b*8000))
	if i < 0 || i >= j {
		return 0
	}
	var e float64
	for _, v := range x[i:j] {
		e += float64(v) * float64(v)
	}
	return e / float64(j-i)
}

func dB(x float64) float64 { return 10 * math.Log10(x) }

// echoPath loops what the speaker sink plays back into the microphone
// sink, latency later and 6 dB down: a laptop's speaker heard by its own
// microphone.
func echoPath(t testing.TB, p *peers.Pulse, latency time.Duration) {
	t.Helper()
	pactl := func(args ...string) string {
		out, err := exec.Command("pactl", append([]string{"--server=" + p.Server}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("pactl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	pactl("load-module", "module-loopback", "source=spk.monitor", "sink=mic",
		fmt.Sprintf("latency_msec=%d", latency.Milliseconds()),
		"adjust_time=0") // a fixed path, as a room's: no resampling to hold the latency
	micIndex := ""
	for _, l := range strings.Split(pactl("list", "short", "sinks"), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == "mic" {
			micIndex = f[0]
		}
	}
	done := false
	for _, l := range strings.Split(pactl("list", "short", "sink-inputs"), "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[1] == micIndex && strings.Contains(f[3], "loopback") {
			pactl("set-sink-input-volume", f[0], "-6dB")
			done = true
		}
	}
	if !done {
		t.Fatalf("no loopback into the mic sink (%s)", pactl("list", "short", "sink-inputs"))
	}
}

// echoCancellation calls through Kamailio from phonectl on PulseAudio
// sinks whose speaker is heard by the microphone (a loopback 60 ms long,
// 6 dB down), to a phone that talks (espeak-ng's voice: 9 s, a pause of
// 5 s, the same 9 s again) and records what comes back. It returns the
// echo return loss enhancement once the canceller has converged (seconds 5
// to 9): over the whole window, and the median by half seconds; and how
// the near speaker, who says the same sentence alone in the pause and then
// over the far end (double talk), came through the second time against
// the first, in dB.
func echoCancellation(t testing.TB) (erle, median, kept float64) {
	dir := t.TempDir()
	far := speak(t, dir, "far", "en", "Hello, this is Dana from the support desk. I am calling about the order you placed on Tuesday. "+
		"We shipped part of it this morning, and the rest follows next week.", true, 5)
	near := speak(t, dir, "near", "en+f3", "Thank you, that is fine. Please send the tracking number by email.", false, 0)
	got := filepath.Join(dir, "got.wav")

	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	p := peers.StartPulse(t)
	echoPath(t, p, 60*time.Millisecond)
	answer, bl := background(t, append(account(k, "bob"), "answer", "--play", far, "--record", got, "--duration", "24s")...)
	waitLine(t, bl, "registered")

	mic := p.StartRecording(t, "mic.monitor")
	micFrom := time.Now()
	call := exec.Command(bin, append(account(k, "alice"), "call", "bob", "--audio-backend", "pulse",
		"--capture", "Monitor of mic", "--playback", "spk", "--duration", "25s")...)
	call.Env = append(os.Environ(), p.Env()...)
	stdout, _ := call.StdoutPipe()
	call.Stderr = os.Stderr
	if err := call.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { call.Process.Kill(); call.Wait() })
	waitLine(t, scanLines(stdout), "answered")
	answered := time.Since(micFrom).Seconds()
	// The near speaker talks 10 s into the call, in the far end's pause,
	// and 16 s in, over the far end. (Points in the script, not waits for
	// events.)
	start := time.Now()
	for _, at := range []time.Duration{10 * time.Second, 16 * time.Second} {
		time.Sleep(time.Until(start.Add(at)))
		if out, err := exec.Command("paplay", "--server="+p.Server, "--device=mic", near).CombinedOutput(); err != nil {
			t.Fatalf("paplay: %v\n%s", err, out)
		}
	}
	if err := answer.Wait(); err != nil {
		t.Fatalf("the far phone: %v", err)
	}
	heard := mic.Stop()
	sent := readWAV(t, got)

	// Far end alone, after the canceller has converged: seconds 5 to 9.
	micEcho := power(heard, answered+5, answered+9)
	sentEcho := power(sent, 5, 9)
	if dB(micEcho) < 50 { // about -40 dBFS
		t.Fatalf("the microphone heard only %.1f dB of echo: no echo path", dB(micEcho))
	}
	erle = dB(micEcho / max(sentEcho, 1e-3))
	// And by half seconds where the far end talks, the median: a moment of
	// lost sync on a loaded machine (an xrun moves the echo path, and the
	// filter must learn it again) does not make the whole figure.
	var windows []float64
	for a := 4.5; a < 9; a += 0.5 {
		m, s := power(heard, answered+a, answered+a+0.5), power(sent, a, a+0.5)
		if dB(m) > 50 {
			windows = append(windows, dB(m/max(s, 1e-3)))
		}
	}
	if len(windows) < 5 {
		t.Fatalf("the far end talked in only %d of 9 half seconds", len(windows))
	}
	slices.Sort(windows)
	median = windows[len(windows)/2]
	// The near voice alone (10.5 to 13.5 s) and over the far end (16.5 to
	// 19.5 s).
	alone, double := power(sent, 10.5, 13.5), power(sent, 16.5, 19.5)
	t.Logf("echo at the microphone %.1f dB, sent %.1f dB: echo return loss enhancement %.1f dB over seconds 5-9, median by half seconds %.1f dB (%.1f to %.1f); the near voice sent at %.1f dB alone, %.1f dB in double talk",
		dB(micEcho), dB(max(sentEcho, 1e-3)), erle, median, windows[0], windows[len(windows)-1], dB(alone), dB(double))
	return erle, median, dB(double / alone)
}

// TestEchoCancellation: with the canceller on (the default) the far end
// hears its own voice well below what the microphone picked up, and the
// near speaker talking over it comes through. Under make test's load the
// sound server's own underruns move the echo path now and then (CI saw
// medians from 25 to 49 dB), so this asserts 15 dB (without the canceller
// it is 0); the 25 dB goal is measured by make bench
// (BenchmarkEchoCancellation) on a quiet machine.
func TestEchoCancellation(t *testing.T) {
	_, median, kept := echoCancellation(t)
	if median < 15 {
		t.Errorf("echo return loss enhancement %.1f dB (the median by half seconds), want at least 15 under load (25 in make bench)", median)
	}
	if kept < -6 {
		t.Errorf("double talk: the near voice sent %.1f dB below its level alone, want at most 6", -kept)
	}
}

// BenchmarkEchoCancellation reports the echo return loss enhancement
// (make bench; the goal: at least 25 dB, the median by half seconds) and
// the double talk figure, one call a run.
func BenchmarkEchoCancellation(b *testing.B) {
	var erle, median, kept float64
	for range b.N {
		e, m, k := echoCancellation(b)
		erle, median, kept = erle+e, median+m, kept+k
	}
	n := float64(b.N)
	b.ReportMetric(erle/n, "dB-ERLE")
	b.ReportMetric(median/n, "dB-ERLE-median")
	b.ReportMetric(kept/n, "dB-double-talk")
	if median/n < 25 {
		b.Errorf("echo return loss enhancement %.1f dB (the median by half seconds), want at least 25", median/n)
	}
}
