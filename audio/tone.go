package audio

import (
	"math"
	"time"
)

// Sine fills out with a sine of freq Hz at the given sample rate and peak
// amplitude (0-32767), starting at phase sample index start, so that
// successive calls continue one tone without clicks.
func Sine(out []int16, freq float64, rate int, amplitude int16, start int) {
	w := 2 * math.Pi * freq / float64(rate)
	for i := range out {
		out[i] = int16(float64(amplitude) * math.Sin(w*float64(start+i)))
	}
}

// dtmfFreqs gives each keypad digit its row and column frequencies (ITU-T
// Q.23).
var dtmfFreqs = map[rune][2]float64{
	'1': {697, 1209}, '2': {697, 1336}, '3': {697, 1477}, 'A': {697, 1633},
	'4': {770, 1209}, '5': {770, 1336}, '6': {770, 1477}, 'B': {770, 1633},
	'7': {852, 1209}, '8': {852, 1336}, '9': {852, 1477}, 'C': {852, 1633},
	'*': {941, 1209}, '0': {941, 1336}, '#': {941, 1477}, 'D': {941, 1633},
}

var dtmfRows = []float64{697, 770, 852, 941}
var dtmfCols = []float64{1209, 1336, 1477, 1633}

// DTMF fills out with the two-tone signal of a keypad digit (each tone at
// half of amplitude), for feedback in the earpiece and in-band signalling.
// It reports false for a rune that is not a digit.
func DTMF(out []int16, digit rune, rate int, amplitude int16, start int) bool {
	f, ok := dtmfFreqs[digit]
	if !ok {
		return false
	}
	w1 := 2 * math.Pi * f[0] / float64(rate)
	w2 := 2 * math.Pi * f[1] / float64(rate)
	a := float64(amplitude) / 2
	for i := range out {
		n := float64(start + i)
		out[i] = int16(a*math.Sin(w1*n) + a*math.Sin(w2*n))
	}
	return true
}

// Goertzel returns the power of freq Hz in samples, normalised so that a
// full-scale sine at exactly freq gives about 1 and silence 0.
func Goertzel(samples []int16, freq float64, rate int) float64 {
	if len(samples) == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - coeff*s1*s2
	n := float64(len(samples))
	return 4 * p / (n * n)
}

// Energy returns the mean power of samples, full scale being 1: a
// full-scale sine gives 0.5.
func Energy(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var e float64
	for _, x := range samples {
		v := float64(x) / 32768
		e += v * v
	}
	return e / float64(len(samples))
}

// ToneShare returns how much of the signal's power lies at freq: near 1
// for a clean tone at freq, near 0 for a tone elsewhere or noise. It is
// what tests use to decide that a tone made it through a call.
func ToneShare(samples []int16, freq float64, rate int) float64 {
	e := Energy(samples)
	if e == 0 {
		return 0
	}
	return Goertzel(samples, freq, rate) / (2 * e)
}

// BestShare is the largest ToneShare of freq over windows of pcm the
// length of window, stepped a fifth of a window at a time: what a test
// uses to decide a tone came through, robust to a moment of lost or late
// audio on a loaded machine (which breaks the tone's phase and lowers its
// share over a whole recording). 0 when pcm is shorter than a window.
func BestShare(pcm []int16, freq float64, rate int, window time.Duration) float64 {
	win := int(window.Seconds() * float64(rate))
	if win <= 0 {
		return 0
	}
	best := 0.0
	for i := 0; i+win <= len(pcm); i += max(win/5, 1) {
		best = max(best, ToneShare(pcm[i:i+win], freq, rate))
	}
	return best
}

// DetectDTMF returns the keypad digit whose two tones dominate samples (at
// least 20 ms of audio), or false when none clearly does.
func DetectDTMF(samples []int16, rate int) (rune, bool) {
	if len(samples) < rate/50 {
		return 0, false
	}
	best := func(fs []float64) (float64, float64) {
		var f, p, second float64
		for _, c := range fs {
			q := Goertzel(samples, c, rate)
			if q > p {
				f, p, second = c, q, p
			} else if q > second {
				second = q
			}
		}
		if second > p/4 { // no clear winner
			return 0, 0
		}
		return f, p
	}
	row, pr := best(dtmfRows)
	col, pc := best(dtmfCols)
	e := Energy(samples)
	// The two tones must carry most of the signal, and neither may be
	// far weaker than the other (twist).
	if row == 0 || col == 0 || (pr+pc)/2 < 0.5*e || pr < pc/6 || pc < pr/6 {
		return 0, false
	}
	for d, f := range dtmfFreqs {
		if f[0] == row && f[1] == col {
			return d, true
		}
	}
	return 0, false
}
