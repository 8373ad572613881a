package audio

import (
	"math"
	"time"
)

// Cadence is a call-progress tone: one or more frequencies, on and off in
// turn (ITU-T E.180). It implements the media Source shape, frame by frame.
type Cadence struct {
	Freqs     []float64
	On, Off   time.Duration // Off 0: continuous
	Rate      int
	Amplitude int16
	pos       int // samples produced so far
}

// Tones of the North American plan (the demo's numbers are US).
var (
	// Ringback is heard while the far end rings: 440+480 Hz, 2 s on, 4 s off.
	Ringback = Cadence{Freqs: []float64{440, 480}, On: 2 * time.Second, Off: 4 * time.Second}
	// Busy is heard when the far end is busy: 480+620 Hz, 0.5 s on, 0.5 s off.
	Busy = Cadence{Freqs: []float64{480, 620}, On: 500 * time.Millisecond, Off: 500 * time.Millisecond}
)

// New returns a copy of the tone ready to play at rate Hz.
func (c Cadence) New(rate int, amplitude int16) *Cadence {
	c.Rate, c.Amplitude, c.pos = rate, amplitude, 0
	return &c
}

// ReadFrame fills pcm with the next stretch of the tone; it never runs dry.
func (c *Cadence) ReadFrame(pcm []int16) bool {
	on := int(c.On.Seconds() * float64(c.Rate))
	period := on + int(c.Off.Seconds()*float64(c.Rate))
	a := float64(c.Amplitude) / float64(len(c.Freqs))
	for i := range pcm {
		n := c.pos + i
		if c.Off > 0 && n%period >= on {
			pcm[i] = 0
			continue
		}
		var v float64
		for _, f := range c.Freqs {
			v += a * math.Sin(2*math.Pi*f*float64(n)/float64(c.Rate))
		}
		pcm[i] = int16(v)
	}
	c.pos += len(pcm)
	return true
}
