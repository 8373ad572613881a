package audio_test

import (
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
)

type frames struct{ got []int16 }

func (f *frames) WriteFrame(pcm []int16) { f.got = append(f.got, pcm...) }

// TestFeedback: each key sent sounds its own two tones, quietly, mixed
// over what the call plays, on the schedule the presses go out.
func TestFeedback(t *testing.T) {
	var out frames
	fb := audio.NewFeedback(&out, 8000)
	fb.Press("5#", 100*time.Millisecond, 60*time.Millisecond)
	call := make([]int16, 160)
	for k := range 25 { // 500 ms of a quiet 440 Hz call
		audio.Sine(call, 440, 8000, 1000, k*160)
		fb.WriteFrame(call)
	}
	at := func(ms int) []int16 { return out.got[ms*8 : ms*8+640] } // 80 ms from ms
	if d, ok := audio.DetectDTMF(at(10), 8000); !ok || d != '5' {
		t.Errorf("first press sounds %q (%v), want 5", d, ok)
	}
	if d, ok := audio.DetectDTMF(at(170), 8000); !ok || d != '#' {
		t.Errorf("second press sounds %q (%v), want #", d, ok)
	}
	// Between and after the presses, only the call.
	if s := audio.ToneShare(out.got[2600:3000], 440, 8000); s < 0.95 {
		t.Errorf("the gap holds the call at share %.2f", s)
	}
	if s := audio.ToneShare(at(330), 440, 8000); s < 0.95 {
		t.Errorf("after the presses the call is at share %.2f", s)
	}
	// Quiet: the tone peaks near FeedbackLevel, not full scale.
	peak := 0
	for _, v := range at(10) {
		peak = max(peak, int(v), -int(v))
	}
	if peak > audio.FeedbackLevel+1100 || peak < audio.FeedbackLevel/2 {
		t.Errorf("feedback peaks at %d", peak)
	}
}
