package audio_test

import (
	"testing"

	"github.com/tetherphone/tether/audio"
)

func TestCadence(t *testing.T) {
	busy := audio.Busy.New(8000, 16000)
	s := make([]int16, 8000) // 1 s: 0.5 s on, 0.5 s off
	busy.ReadFrame(s)
	on, off := s[:4000], s[4000:]
	if audio.ToneShare(on, 480, 8000) < 0.35 || audio.ToneShare(on, 620, 8000) < 0.35 {
		t.Errorf("busy on: shares %.2f %.2f", audio.ToneShare(on, 480, 8000), audio.ToneShare(on, 620, 8000))
	}
	if audio.Energy(off) != 0 {
		t.Error("busy off is not silent")
	}
	ring := audio.Ringback.New(8000, 16000)
	frame := make([]int16, 160)
	var onFrames, offFrames int
	for range 300 { // 6 s: one full cadence
		ring.ReadFrame(frame)
		if audio.Energy(frame) > 0 {
			onFrames++
		} else {
			offFrames++
		}
	}
	if onFrames != 100 || offFrames != 200 {
		t.Errorf("ringback cadence %d on, %d off frames; want 100 and 200", onFrames, offFrames)
	}
}
