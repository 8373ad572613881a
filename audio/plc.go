package audio

// Concealer hides lost frames (packet loss concealment) by repeating the
// last pitch period of the audio before the loss, fading it out over
// consecutive losses, and cross-fading back into real audio: a simple form
// of ITU-T G.711 Appendix I. It works on frames of a fixed size and does
// not allocate after New.
type Concealer struct {
	rate      int
	hist      []int16 // the latest audio, oldest first
	period    int     // pitch period found at the start of a loss
	pos       int     // position in the repeated period
	misses    int     // consecutive lost frames
	frameLen  int
	lastValid bool
	fadeFrom  []int16 // concealment continued into the first good frame
}

// NewConcealer returns a concealer for frames of frameLen samples at rate
// Hz.
func NewConcealer(rate, frameLen int) *Concealer {
	return &Concealer{rate: rate, frameLen: frameLen, hist: make([]int16, 3*rate/100*2), fadeFrom: make([]int16, frameLen)}
}

// maxConceal is how long a loss is concealed before silence (60 ms).
func (c *Concealer) maxFrames() int { return max(1, 60*c.rate/1000/c.frameLen) }

// Good passes a frame that arrived (decoded) through the concealer: it is
// remembered, and after a loss its start is cross-faded with the
// concealment so the join does not click. frame is modified in place.
func (c *Concealer) Good(frame []int16) {
	if c.misses > 0 && c.lastValid {
		n := min(len(frame), c.rate/400) // 2.5 ms
		c.synth(c.fadeFrom[:n], c.gain())
		for i := range n {
			w := (i + 1) * 256 / (n + 1)
			frame[i] = int16((int(frame[i])*w + int(c.fadeFrom[i])*(256-w)) / 256)
		}
	}
	c.misses = 0
	c.remember(frame)
	c.lastValid = true
}

// Conceal fills out with a frame standing in for a lost one.
func (c *Concealer) Conceal(out []int16) {
	if !c.lastValid || c.misses >= c.maxFrames() {
		clear(out)
		c.misses++
		c.remember(out)
		return
	}
	if c.misses == 0 {
		c.period = c.pitch()
		c.pos = 0
	}
	c.misses++
	c.synth(out, c.gain())
}

// gain fades the repetition: full for the first 10 ms, then down 20% for
// each further 10 ms.
func (c *Concealer) gain() int {
	ms := (c.misses - 1) * c.frameLen * 1000 / c.rate
	g := 256 - max(0, ms-10)*256/50
	return max(g, 0)
}

// synth continues the repeated pitch period into out at gain/256.
func (c *Concealer) synth(out []int16, gain int) {
	h := c.hist
	for i := range out {
		s := h[len(h)-c.period+c.pos]
		out[i] = int16(int(s) * gain / 256)
		if c.pos++; c.pos == c.period {
			c.pos = 0
		}
	}
}

func (c *Concealer) remember(frame []int16) {
	h := c.hist
	if len(frame) >= len(h) {
		copy(h, frame[len(frame)-len(h):])
		return
	}
	copy(h, h[len(frame):])
	copy(h[len(h)-len(frame):], frame)
}

// pitch finds the period (2.5 to 15 ms) that best predicts the latest
// audio by autocorrelation; unvoiced audio gets the longest period.
func (c *Concealer) pitch() int {
	h := c.hist
	lo, hi := c.rate/400, c.rate*15/1000
	win := min(c.rate/50, len(h)-hi) // 20 ms compared
	best, bestScore := hi, int64(0)
	tail := h[len(h)-win:]
	for p := lo; p <= hi; p++ {
		prev := h[len(h)-win-p : len(h)-p]
		var score int64
		for i := range tail {
			score += int64(tail[i]) * int64(prev[i])
		}
		if score > bestScore {
			best, bestScore = p, score
		}
	}
	return best
}
