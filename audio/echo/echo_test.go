package echo

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

const rate, frame = 16000, 320

// talker makes seconds of speech-like sound: noise shaped by a simple
// vocal-tract resonance at formant Hz, in syllables about 200 ms long with
// short pauses, its loudest syllables about rms (3000 is about -20 dBFS).
func talker(seed uint64, seconds float64, formant float64, rms float64) []int16 {
	r := rand.New(rand.NewPCG(seed, seed+1))
	n := int(seconds * rate)
	raw := make([]float64, n)
	// A two-pole resonator.
	rr := 0.97
	a1 := 2 * rr * math.Cos(2*math.Pi*formant/rate)
	a2 := -rr * rr
	var y1, y2 float64
	syll := 0
	env := 0.0
	for i := range n {
		if i >= syll {
			syll = i + rate/5 + r.IntN(rate/10)
			if r.IntN(4) == 0 {
				env = 0 // a pause
			} else {
				env = 0.4 + 0.6*r.Float64()
			}
		}
		x := r.NormFloat64()
		y := x + a1*y1 + a2*y2
		y2, y1 = y1, y
		raw[i] = y * env
	}
	var e float64
	for _, v := range raw {
		e += v * v
	}
	scale := rms / math.Sqrt(e/float64(n)) * 0.8
	out := make([]int16, n)
	for i, v := range raw {
		out[i] = clip(v * scale)
	}
	return out
}

func clip(v float64) int16 {
	return int16(max(-32768, min(32767, math.Round(v))))
}

// room is the echo path from speaker to microphone: a delay and a few
// attenuated reflections.
func room(far []int16, delay time.Duration, gain float64) []float64 {
	d := int(int64(rate) * int64(delay) / int64(time.Second))
	taps := map[int]float64{d: gain, d + 37: gain * 0.5, d + 90: -gain * 0.3, d + 211: gain * 0.15}
	out := make([]float64, len(far))
	for lag, g := range taps {
		for i := lag; i < len(far); i++ {
			out[i] += g * float64(far[i-lag])
		}
	}
	return out
}

func energy(x []int16) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return e
}

// run feeds far to the speaker and far's echo plus near to the microphone,
// frame by frame, and returns the microphone's samples and what would be
// sent.
func run(t *testing.T, c *Canceller, far []int16, echo []float64, near []int16) (mic, sent []int16) {
	t.Helper()
	mic = make([]int16, len(far))
	sent = make([]int16, len(far))
	for i := range mic {
		v := echo[i]
		if near != nil {
			v += float64(near[i])
		}
		mic[i] = clip(v)
	}
	for i := 0; i+frame <= len(far); i += frame {
		c.Cancel(mic[i:i+frame], far[i:i+frame], sent[i:i+frame])
	}
	return mic, sent
}

func db(x float64) float64 { return 10 * math.Log10(x) }

// correlation is the largest normalised correlation of a and b over lags
// of b behind a up to maxLag samples, and its lag.
func correlation(a, b []int16, maxLag int) (float64, int) {
	best, at := 0.0, 0
	for lag := 0; lag <= maxLag; lag++ {
		var ab, aa, bb float64
		for i := 0; i+lag < len(b) && i < len(a); i++ {
			x, y := float64(a[i]), float64(b[i+lag])
			ab += x * y
			aa += x * x
			bb += y * y
		}
		if aa > 0 && bb > 0 && ab/math.Sqrt(aa*bb) > best {
			best, at = ab/math.Sqrt(aa*bb), lag
		}
	}
	return best, at
}

// TestEchoReturnLossEnhancement: with the far end talking alone, the echo
// of the speaker in the microphone is removed by at least 25 dB once the
// filter has converged (seconds 4 to 8 of 8), for an echo path 60 ms long
// and one 180 ms long.
func TestEchoReturnLossEnhancement(t *testing.T) {
	for _, delay := range []time.Duration{60 * time.Millisecond, 180 * time.Millisecond} {
		c, err := New(Options{Rate: rate, Frame: frame})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		far := talker(1, 8, 700, 3000)
		mic, sent := run(t, c, far, room(far, delay, 0.5), nil)
		from := 4 * rate
		erle := db(energy(mic[from:]) / max(1, energy(sent[from:])))
		t.Logf("echo path %s: ERLE %.1f dB over seconds 4-8", delay, erle)
		if erle < 25 {
			t.Errorf("echo path %s: ERLE %.1f dB, want at least 25", delay, erle)
		}
	}
}

// TestDoubleTalk: when the near speaker talks over the far end, after the
// filter has converged, what is sent is the near speaker's voice (a high
// correlation with it) and keeps most of its level; the far end's echo is
// still far below.
func TestDoubleTalk(t *testing.T) {
	c, err := New(Options{Rate: rate, Frame: frame, NoGain: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	far := talker(1, 10, 700, 3000)
	near := make([]int16, len(far))
	copy(near[6*rate:], talker(7, 4, 1900, 2000))
	echo := room(far, 80*time.Millisecond, 0.5)
	_, sent := run(t, c, far, echo, near)
	w := sent[7*rate:]
	corr, lag := correlation(near[7*rate:], w, 3*frame)
	kept := db(energy(w) / energy(near[7*rate:]))
	t.Logf("double talk: correlation with the near voice %.2f (%d samples later), its level %+.1f dB", corr, lag, kept)
	if corr < 0.8 {
		t.Errorf("double talk: what is sent correlates %.2f with the near voice, want at least 0.8", corr)
	}
	if kept < -6 {
		t.Errorf("double talk: the near voice lost %.1f dB, want at most 6", -kept)
	}
	// What is left of the echo: what was sent less the near voice.
	var left, heard float64
	for i := 7 * rate; i+lag < len(sent); i++ {
		d := float64(sent[i+lag]) - float64(near[i])
		left += d * d
		heard += echo[i] * echo[i]
	}
	t.Logf("double talk: the echo %.1f dB down", db(heard/left))
	if db(heard/left) < 12 {
		t.Errorf("double talk: the echo only %.1f dB down, want at least 12", db(heard/left))
	}
}

// TestNoiseAndGain: steady noise alone is turned down by the noise
// suppressor, and a quiet voice is raised by the automatic gain.
func TestNoiseAndGain(t *testing.T) {
	c, err := New(Options{Rate: rate, Frame: frame})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := rand.New(rand.NewPCG(3, 4))
	silence := make([]int16, 6*rate)
	noise := make([]float64, len(silence))
	for i := range noise {
		noise[i] = r.NormFloat64() * 300
	}
	mic, sent := run(t, c, silence, noise, nil)
	from := 3 * rate
	cut := db(energy(mic[from:]) / max(1, energy(sent[from:])))
	t.Logf("steady noise turned down %.1f dB", cut)
	if cut < 6 {
		t.Errorf("steady noise turned down %.1f dB, want at least 6", cut)
	}

	g, err := New(Options{Rate: rate, Frame: frame, NoNoiseSuppression: true})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	quiet := talker(5, 12, 900, 300)
	zero := make([]float64, len(quiet))
	far := make([]int16, len(quiet))
	mic, sent = run(t, g, far, zero, quiet)
	from = 8 * rate
	raised := db(energy(sent[from:]) / energy(mic[from:]))
	t.Logf("a quiet voice raised %.1f dB", raised)
	if raised < 6 {
		t.Errorf("a quiet voice raised %.1f dB, want at least 6", raised)
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{{Rate: 4000, Frame: 80}, {Rate: 16000, Frame: 16}, {Rate: 16000, Frame: 320, Tail: 5 * time.Second}} {
		if _, err := New(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	c, err := New(Options{Rate: 8000, Frame: 160})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	in := []int16{1, 2, 3}
	out := make([]int16, 3)
	c.Cancel(in, in, out) // a frame of another length passes unchanged
	if out[2] != 3 {
		t.Errorf("a short frame came out %v", out)
	}
}
