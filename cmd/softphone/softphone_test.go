package main_test

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "softphone")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "softphone")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		panic(fmt.Sprintf("building softphone: %v\n%s", err, out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// xvfb starts a private X display and returns its DISPLAY value.
func xvfb(t testing.TB) string {
	t.Helper()
	n := 120
	for ; n < 400; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); os.IsNotExist(err) {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); os.IsNotExist(err) {
				break
			}
		}
	}
	cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Sprintf(":%d", n)
}

// app runs the softphone on a display; its standard output comes as lines.
func app(t testing.TB, display string, env []string, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), append(env, "DISPLAY="+display, "LANG=en_US.UTF-8")...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return cmd, lines
}

func waitLine(t testing.TB, lines <-chan string, prefix string) string {
	t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the app exited before %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			t.Fatalf("no %q within 90 s", prefix)
		}
	}
}

// screenshot takes a picture of the whole display.
func screenshot(t testing.TB, display, path string) {
	t.Helper()
	xwd := exec.Command("xwd", "-root", "-silent", "-display", display)
	pnm := exec.Command("xwdtopnm")
	topng := exec.Command("pnmtopng")
	var err error
	if pnm.Stdin, err = xwd.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if topng.Stdin, err = pnm.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	topng.Stdout = &out
	for _, c := range []*exec.Cmd{xwd, pnm, topng} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*exec.Cmd{xwd, pnm, topng} {
		if err := c.Wait(); err != nil {
			t.Fatalf("%s: %v", c.Path, err)
		}
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// colours counts the distinct colours of a PNG: a drawn window has many,
// a blank display one.
func colours(t testing.TB, path string) int { return regionColours(t, path, image.Rectangle{}, 3) }

// regionColours counts the distinct colours in part of a PNG (all of it
// for an empty rectangle), every step pixels: text drawn there brings its
// anti-aliased shades.
func regionColours(t testing.TB, path string, r image.Rectangle, step int) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.Empty() {
		r = img.Bounds()
	}
	seen := map[[4]uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y += step {
		for x := r.Min.X; x < r.Max.X; x += step {
			cr, g, b, a := img.At(x, y).RGBA()
			seen[[4]uint32{cr, g, b, a}] = true
		}
	}
	return len(seen)
}

// TestWindowCallsTheNetwork: a real window under Xvfb; the app starts on
// the in-process demo system, registers, and places a call to a London
// number through the simulated network, with its sound on PulseAudio: a
// tone played into the microphone comes back (the simulator echoes) out of
// the speaker. A picture of the window in the call is taken.
func TestWindowCallsTheNetwork(t *testing.T) {
	t.Run("rtp", func(t *testing.T) { windowCall(t, "rtp", "call.png") })
	// The same with WebRTC media: registered over WebSocket, ICE and
	// DTLS-SRTP to the switchboard, which bridges to the network.
	t.Run("webrtc", func(t *testing.T) { windowCall(t, "webrtc", "call-webrtc.png") })
}

func windowCall(t *testing.T, mediaKind, shotName string) {
	p := peers.StartPulse(t)
	display := xvfb(t)
	dir := t.TempDir()
	tone := filepath.Join(dir, "600.wav")
	pcm := make([]int16, 8000*20)
	audio.Sine(pcm, 600, 8000, 12000, 0)
	if err := audio.SaveWAV(tone, &audio.PCM{Rate: 8000, Channels: 1, Samples: pcm}); err != nil {
		t.Fatal(err)
	}
	cmd, lines := app(t, display, p.Env(), "--demo", "--data", filepath.Join(dir, "data"), "--audio-backend", "pulse",
		"--capture", "Monitor of mic", "--playback", "spk", "--call", "+442071234567", "--quit-after", "6s", "--media", mediaKind)
	want := map[string]string{"rtp": "phone: rtp media over udp://", "webrtc": "phone: webrtc media over ws://"}[mediaKind]
	waitLine(t, lines, want)
	waitLine(t, lines, "registered in ")
	play := exec.Command("paplay", "--server="+p.Server, "--device=mic", tone)
	if err := play.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { play.Process.Kill(); play.Wait() })
	waitLine(t, lines, "connected")
	heard := p.Record(t, "spk.monitor", 3*time.Second)
	shot := filepath.Join(dir, shotName)
	screenshot(t, display, shot)
	best := 0.0
	for i := 0; i+4000 <= len(heard); i += 800 {
		best = max(best, audio.ToneShare(heard[i:i+4000], 600, 8000))
	}
	if best < 0.8 {
		t.Errorf("the microphone's 600 Hz came back out of the speaker at share %.2f", best)
	}
	if n := colours(t, shot); n < 20 {
		t.Errorf("the window's picture has %d colours: nothing drawn", n)
	}
	waitLine(t, lines, "ready")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the app: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Error("the app did not quit")
	}
	if out := os.Getenv("TETHER_SHOTS"); out != "" {
		b, _ := os.ReadFile(shot)
		os.WriteFile(filepath.Join(out, shotName), b, 0o644)
	}
}

// BenchmarkLaunch: from starting the app to registered on the in-process
// demo system (a warm start: the demo data exists), and its memory once
// idle and registered: resident in all, and private (anonymous) memory.
// Under Xvfb the resident figure includes Mesa's software renderer
// (libLLVM, about 60 MB of shared library pages).
func BenchmarkLaunch(b *testing.B) {
	display := xvfb(b)
	data := filepath.Join(b.TempDir(), "data")
	var ms, rss, private []float64
	for i := 0; i < b.N+1; i++ {
		cmd, lines := app(b, display, nil, "--demo", "--data", data, "--audio-backend", "null", "--quit-after", "4s")
		l := waitLine(b, lines, "registered in ")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(l, "registered in "), " ms"))
		waitLine(b, lines, "ready")
		time.Sleep(2 * time.Second)
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		var kb, anon float64
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ = strconv.ParseFloat(f[1], 64)
			} else if len(f) >= 2 && f[0] == "RssAnon:" {
				anon, _ = strconv.ParseFloat(f[1], 64)
			}
		}
		cmd.Wait()
		if i == 0 {
			continue // the first start creates the demo data
		}
		ms, rss, private = append(ms, float64(n)), append(rss, kb/1024), append(private, anon/1024)
	}
	avg := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	b.ReportMetric(avg(ms), "ms-to-registered")
	b.ReportMetric(avg(rss), "MB-resident")
	b.ReportMetric(avg(private), "MB-private") // resident less the shared libraries and program text
}
