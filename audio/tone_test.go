package audio_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
)

func TestSineIsContinuous(t *testing.T) {
	a := make([]int16, 160)
	b := make([]int16, 160)
	whole := make([]int16, 320)
	audio.Sine(a, 440, 8000, 10000, 0)
	audio.Sine(b, 440, 8000, 10000, 160)
	audio.Sine(whole, 440, 8000, 10000, 0)
	for i := range a {
		if a[i] != whole[i] || b[i] != whole[160+i] {
			t.Fatalf("sample %d differs: two calls do not continue one tone", i)
		}
	}
}

func TestToneShare(t *testing.T) {
	s := make([]int16, 8000)
	audio.Sine(s, 1000, 8000, 16000, 0)
	if got := audio.ToneShare(s, 1000, 8000); got < 0.9 {
		t.Errorf("share of 1000 Hz in a 1000 Hz tone = %.3f", got)
	}
	if got := audio.ToneShare(s, 440, 8000); got > 0.05 {
		t.Errorf("share of 440 Hz in a 1000 Hz tone = %.3f", got)
	}
	noise := make([]int16, 8000)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range noise {
		noise[i] = int16(r.IntN(20000) - 10000)
	}
	if got := audio.ToneShare(noise, 1000, 8000); got > 0.05 {
		t.Errorf("share of 1000 Hz in noise = %.3f", got)
	}
	if audio.ToneShare(make([]int16, 100), 1000, 8000) != 0 {
		t.Error("silence has a tone")
	}
}

func TestDTMFRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, rate := range []int{8000, 16000, 48000} {
		for _, d := range "0123456789*#ABCD" {
			s := make([]int16, rate/20) // 50 ms
			if !audio.DTMF(s, d, rate, 20000, 0) {
				t.Fatalf("DTMF(%q) refused", d)
			}
			for i := range s { // some noise, as a line would add
				s[i] += int16(r.IntN(2000) - 1000)
			}
			got, ok := audio.DetectDTMF(s, rate)
			if !ok || got != d {
				t.Errorf("%d Hz: sent %q, detected %q %v", rate, d, got, ok)
			}
		}
	}
	plain := make([]int16, 400)
	audio.Sine(plain, 1000, 8000, 20000, 0)
	if d, ok := audio.DetectDTMF(plain, 8000); ok {
		t.Errorf("a 1000 Hz tone detected as %q", d)
	}
	if audio.DTMF(make([]int16, 10), 'x', 8000, 1000, 0) {
		t.Error("DTMF('x') accepted")
	}
}

// TestBestShare: a tone with a stretch of audio lost (a phase jump and a
// gap, as on a loaded machine) has a low share over the whole recording
// and a high one over its best quarter second.
func TestBestShare(t *testing.T) {
	pcm := make([]int16, 8000*2)
	audio.Sine(pcm[:8000], 440, 8000, 9000, 0)
	audio.Sine(pcm[9000:], 440, 8000, 9000, 3) // 125 ms lost, restarted off phase
	if whole := audio.ToneShare(pcm, 440, 8000); whole > 0.8 {
		t.Fatalf("the broken tone's whole share is %.2f; the test needs it low", whole)
	}
	if b := audio.BestShare(pcm, 440, 8000, 250*time.Millisecond); b < 0.95 {
		t.Errorf("best quarter second %.2f", b)
	}
	if b := audio.BestShare(pcm, 1000, 8000, 250*time.Millisecond); b > 0.05 {
		t.Errorf("a tone not there: %.2f", b)
	}
	if b := audio.BestShare(pcm[:100], 440, 8000, 250*time.Millisecond); b != 0 {
		t.Errorf("shorter than a window: %.2f", b)
	}
}
