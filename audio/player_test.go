package audio_test

import (
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
)

// TestRingtoneOnChosenDevice rings on one sink of a real PulseAudio
// daemon: the ringtone's two notes come out there, nothing comes out of
// the other sink, and closing the player silences it.
func TestRingtoneOnChosenDevice(t *testing.T) {
	p := peers.StartPulse(t)
	t.Setenv("PULSE_SERVER", p.Server)
	ring, err := audio.Play(audio.DeviceConfig{Backend: "pulse", Playback: "spk"}, audio.Ringtone.New(8000, 12000))
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	heard := p.Record(t, "spk.monitor", 4*time.Second) // a whole cadence: 1 s on, 2 s off
	other := p.Record(t, "mic.monitor", time.Second)
	ring.Close()
	after := p.Record(t, "spk.monitor", time.Second)

	// The loudest second holds both notes and little else.
	best, bestAt := 0.0, 0
	for i := 0; i+8000 <= len(heard); i += 800 {
		if e := audio.Energy(heard[i : i+8000]); e > best {
			best, bestAt = e, i
		}
	}
	if best < 1e-3 {
		t.Fatalf("nothing rang on the chosen device (energy %.5f)", best)
	}
	win := heard[bestAt+1600 : bestAt+6400] // clear of the on/off edges
	share := audio.ToneShare(win, 523.25, 8000) + audio.ToneShare(win, 659.25, 8000)
	if share < 0.8 {
		t.Errorf("the ringtone's notes hold %.2f of what rang", share)
	}
	// It rings in a cadence: some of the four seconds are silent.
	quiet := 0
	for i := 0; i+800 <= len(heard); i += 800 {
		if audio.Energy(heard[i:i+800]) < 1e-5 {
			quiet++
		}
	}
	if quiet < 10 {
		t.Errorf("only %d of %d tenths of a second were quiet: no cadence", quiet, len(heard)/800)
	}
	if e := audio.Energy(other); e > 1e-6 {
		t.Errorf("the other device rang too (energy %.6f)", e)
	}
	if e := audio.Energy(after); e > 1e-6 {
		t.Errorf("still ringing after Close (energy %.6f)", e)
	}
}

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
