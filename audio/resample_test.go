package audio_test

import (
	"math"
	"testing"

	"github.com/tetherphone/tether/audio"
)

// resampleAll runs s through r in frames of n samples.
func resampleAll(t testing.TB, r *audio.Resampler, s []int16, n int) []int16 {
	t.Helper()
	var out []int16
	buf := make([]int16, r.OutLen(n)+1)
	for i := 0; i+n <= len(s); i += n {
		w := r.Process(s[i:i+n], buf)
		out = append(out, buf[:w]...)
	}
	return out
}

func TestResampleTonesKeepTheirPitch(t *testing.T) {
	for _, c := range []struct{ from, to int }{{8000, 16000}, {16000, 8000}, {8000, 48000}, {48000, 16000}, {16000, 48000}} {
		in := make([]int16, c.from) // one second
		audio.Sine(in, 1000, c.from, 10000, 0)
		r, err := audio.NewResampler(c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		out := resampleAll(t, r, in, c.from/50) // 20 ms frames
		if len(out) != c.to {
			t.Errorf("%d->%d: %d samples out for a second", c.from, c.to, len(out))
		}
		body := out[len(out)/10 : len(out)*9/10]
		if s := audio.ToneShare(body, 1000, c.to); s < 0.99 {
			t.Errorf("%d->%d: 1 kHz holds %.3f of the output", c.from, c.to, s)
		}
		// The level is kept (a sine of peak 10000 has power 0.5*(10000/32768)^2).
		want := 0.5 * math.Pow(10000.0/32768, 2)
		if e := audio.Energy(body); math.Abs(e-want)/want > 0.05 {
			t.Errorf("%d->%d: power %.5f, want %.5f", c.from, c.to, e, want)
		}
	}
}

// Going down, what the lower rate cannot carry is filtered out, not
// folded back as a false tone.
func TestResampleRejectsAliases(t *testing.T) {
	in := make([]int16, 16000)
	audio.Sine(in, 6000, 16000, 10000, 0) // above 8 kHz's 4 kHz Nyquist
	r, _ := audio.NewResampler(16000, 8000)
	out := resampleAll(t, r, in, 320)
	ratio := audio.Energy(out[800:]) / audio.Energy(in)
	if db := 10 * math.Log10(ratio); db > -40 {
		t.Errorf("a 6 kHz tone comes through at %.1f dB (alias at 2 kHz)", db)
	}
}

// Up then down gives back the original tone, clean: nothing else above
// -30 dB, and the level kept.
func TestResampleRoundTrip(t *testing.T) {
	in := make([]int16, 8000)
	audio.Sine(in, 440, 8000, 8000, 0)
	up, _ := audio.NewResampler(8000, 16000)
	down, _ := audio.NewResampler(16000, 8000)
	back := resampleAll(t, down, resampleAll(t, up, in, 160), 320)
	if len(back) != len(in) {
		t.Fatalf("%d samples back from %d", len(back), len(in))
	}
	body := back[800:7200]
	if s := audio.ToneShare(body, 440, 8000); s < 0.999 {
		t.Errorf("440 Hz holds %.4f after the round trip", s)
	}
	if r := audio.Energy(body) / audio.Energy(in[800:7200]); r < 0.95 || r > 1.05 {
		t.Errorf("the round trip changed the power by %.3f", r)
	}
}

func TestResamplerRates(t *testing.T) {
	for _, bad := range [][2]int{{0, 8000}, {8000, 4000}, {44100, 8001}} {
		if _, err := audio.NewResampler(bad[0], bad[1]); err == nil {
			t.Errorf("%d->%d accepted", bad[0], bad[1])
		}
	}
}

func BenchmarkResample16to8(b *testing.B) {
	r, _ := audio.NewResampler(16000, 8000)
	in, out := make([]int16, 320), make([]int16, 161)
	audio.Sine(in, 440, 16000, 8000, 0)
	b.ReportAllocs()
	for b.Loop() {
		r.Process(in, out)
	}
}
