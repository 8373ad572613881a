package audio_test

import (
	"testing"

	"github.com/tetherphone/tether/audio"
)

// TestConcealKeepsATone: a tone with frames lost is concealed with the
// same tone, so the listener (and a tone detector) hears no gap.
func TestConcealKeepsATone(t *testing.T) {
	const rate, n = 8000, 160
	c := audio.NewConcealer(rate, n)
	frame := make([]int16, n)
	var out []int16
	for k := range 50 {
		if k%10 == 5 { // 10% loss, one frame at a time
			c.Conceal(frame)
		} else {
			audio.Sine(frame, 440, rate, 12000, k*n)
			c.Good(frame)
		}
		out = append(out, frame...)
	}
	for k := 5; k < 50; k += 10 {
		f := out[k*n : (k+1)*n]
		if share := audio.ToneShare(f, 440, rate); share < 0.8 {
			t.Errorf("concealed frame %d: 440 Hz share %.2f", k, share)
		}
		if audio.Energy(f) < 0.5*audio.Energy(out[(k-1)*n:k*n]) {
			t.Errorf("concealed frame %d lost too much energy", k)
		}
	}
	// Whole stream: still one clean tone.
	if share := audio.ToneShare(out, 440, rate); share < 0.85 {
		t.Errorf("tone share over the stream %.2f", share)
	}
}

func TestConcealFadesToSilence(t *testing.T) {
	const rate, n = 8000, 160
	c := audio.NewConcealer(rate, n)
	frame := make([]int16, n)
	audio.Sine(frame, 300, rate, 12000, 0)
	c.Good(frame)
	var energies []float64
	for range 5 {
		c.Conceal(frame)
		energies = append(energies, audio.Energy(frame))
	}
	for i := 1; i < len(energies); i++ {
		if energies[i] > energies[i-1]+1e-9 {
			t.Errorf("energy rose during a long loss: %v", energies)
		}
	}
	if energies[len(energies)-1] != 0 {
		t.Errorf("after 100 ms of loss, still sound: %v", energies)
	}
	// Before any audio, concealment is silence.
	fresh := audio.NewConcealer(rate, n)
	fresh.Conceal(frame)
	if audio.Energy(frame) != 0 {
		t.Error("concealed out of nothing")
	}
}

func TestConcealDoesNotAllocate(t *testing.T) {
	c := audio.NewConcealer(48000, 960)
	frame := make([]int16, 960)
	audio.Sine(frame, 440, 48000, 8000, 0)
	allocs := testing.AllocsPerRun(200, func() {
		c.Good(frame)
		c.Conceal(frame)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations", allocs)
	}
}
