package device_test

import (
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/audio/device"
	"github.com/tetherphone/tether/internal/peers"
)

// TestRingtoneOnChosenDevice rings on one sink of a real PulseAudio
// daemon: the ringtone's two notes come out there, nothing comes out of
// the other sink, and closing the player silences it.
func TestRingtoneOnChosenDevice(t *testing.T) {
	p := peers.StartPulse(t)
	t.Setenv("PULSE_SERVER", p.Server)
	ring, err := device.Play(device.Config{Backend: "pulse", Playback: "spk"}, audio.Ringtone.New(8000, 12000))
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
