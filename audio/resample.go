package audio

import (
	"fmt"
	"math"
)

// Resampler converts a mono stream from one sample rate to another by a
// rational factor, with a polyphase windowed-sinc filter: 8 kHz G.711
// against a 16 kHz sound device, 16 kHz Opus against an 8 kHz recording.
// It keeps the stream's history between calls, so frames join without
// clicks. It allocates only when built.
type Resampler struct {
	from, to int
	l, m     int       // to/from in lowest terms: up by l, down by m
	taps     int       // filter taps per phase
	h        []float64 // prototype filter, taps*l long, gain l
	buf      []float64 // the last taps-1 inputs, then the block
	next     int       // upsampled position of the next output, from the block's first sample
}

// resampleTaps is the filter length per phase: 32 taps give about 70 dB
// of stop band with a transition in the top tenth of the narrower band.
const resampleTaps = 32

// NewResampler returns a resampler from one rate to another (each 8000 to
// 192000 Hz).
func NewResampler(from, to int) (*Resampler, error) {
	if from < 8000 || from > 192000 || to < 8000 || to > 192000 {
		return nil, fmt.Errorf("audio: resampling %d Hz to %d Hz: rates run from 8000 to 192000", from, to)
	}
	g := gcd(from, to)
	r := &Resampler{from: from, to: to, l: to / g, m: from / g, taps: resampleTaps}
	if r.l > 48 || r.m > 48 {
		return nil, fmt.Errorf("audio: resampling %d Hz to %d Hz: the ratio %d/%d is too fine", from, to, r.l, r.m)
	}
	n := r.taps * r.l
	// Cut off just below the narrower band's Nyquist frequency, in cycles
	// per upsampled sample.
	fc := 0.45 / float64(max(r.l, r.m))
	r.h = make([]float64, n)
	mid := float64(n-1) / 2
	for k := range n {
		x := float64(k) - mid
		sinc := 2 * fc
		if x != 0 {
			sinc = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		// Blackman window.
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(k)/float64(n-1)) + 0.08*math.Cos(4*math.Pi*float64(k)/float64(n-1))
		r.h[k] = float64(r.l) * sinc * w
	}
	r.buf = make([]float64, r.taps-1, r.taps-1+from) // room for a second of input
	return r, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// OutLen is how many samples Process writes for n input samples, give or
// take one (exact when n is a multiple of the rates' ratio).
func (r *Resampler) OutLen(n int) int { return n * r.l / r.m }

// Process resamples in into out and returns the samples written. out
// needs room for OutLen(len(in))+1; blocks of up to a second of input
// need no allocation.
func (r *Resampler) Process(in []int16, out []int16) int {
	hist := r.taps - 1
	r.buf = r.buf[:hist]
	for _, v := range in {
		r.buf = append(r.buf, float64(v))
	}
	w := 0
	for w < len(out) {
		base := r.next / r.l // the newest input this output reaches
		if base >= len(in) {
			break
		}
		p := r.next % r.l
		var acc float64
		for j := range r.taps {
			acc += r.h[p+j*r.l] * r.buf[hist+base-j]
		}
		out[w] = int16(math.Max(math.Min(math.Round(acc), 32767), -32768))
		w++
		r.next += r.m
	}
	r.next = max(r.next, len(in)*r.l) - len(in)*r.l // out too small: the rest is dropped
	copy(r.buf[:hist], r.buf[len(r.buf)-hist:])
	return w
}
