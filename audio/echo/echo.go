// Package echo cleans a call's microphone audio before it is sent: it
// removes the echo of what the speaker played (speexdsp's MDF adaptive
// filter), then suppresses the residual echo and steady noise and levels
// the voice (speexdsp's preprocessor). It links libspeexdsp through cgo;
// the switchboard does not import it.
//
// A Canceller is given each frame from the microphone with what the
// speaker played at the same instants (audio/device records the two side
// by side in its callback, underruns and all, so they never drift apart);
// speexdsp's filter learns the delay and colouring of the path from
// speaker to microphone, up to Tail long.
package echo

/*
#cgo pkg-config: speexdsp
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

static int ctl_int(SpeexPreprocessState *st, int request, int value) {
	return speex_preprocess_ctl(st, request, &value);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// Options say how a Canceller works. Rate and Frame are required.
type Options struct {
	Rate  int           // samples per second of both directions
	Frame int           // samples per frame (10 to 20 ms of audio)
	Tail  time.Duration // the longest echo path it learns; 0 means 300 ms
	// NoNoiseSuppression and NoGain turn those stages off (the residual
	// echo suppression stays).
	NoNoiseSuppression bool
	NoGain             bool
}

// Canceller is one call's echo canceller. Its methods are safe for
// concurrent use; Close frees its C state.
type Canceller struct {
	mu    sync.Mutex
	echo  *C.SpeexEchoState
	pre   *C.SpeexPreprocessState
	frame int
	block int             // samples speexdsp takes at a time
	buf   []C.spx_int16_t // scratch for conversions (spx_int16_t is int16)
}

// New makes a Canceller.
func New(o Options) (*Canceller, error) {
	if o.Rate < 8000 || o.Rate > 48000 {
		return nil, fmt.Errorf("echo: rate %d: from 8000 to 48000", o.Rate)
	}
	if o.Frame < o.Rate/200 || o.Frame > o.Rate/25 {
		return nil, fmt.Errorf("echo: frame of %d samples at %d Hz: from 5 to 40 ms", o.Frame, o.Rate)
	}
	if o.Tail == 0 {
		o.Tail = 300 * time.Millisecond
	}
	if o.Tail < 20*time.Millisecond || o.Tail > 2*time.Second {
		return nil, fmt.Errorf("echo: tail %s: from 20 ms to 2 s", o.Tail)
	}
	taps := int(int64(o.Rate) * int64(o.Tail) / int64(time.Second))
	// speexdsp takes the whole frame at once. (Its preprocessor delays
	// what it cleans by one block: blocks of 10 ms in a 20 ms frame would
	// save 10 ms, but measured 26 dB of echo return loss enhancement on
	// the PulseAudio echo path instead of 37, and a poorer double talk.)
	block := o.Frame
	c := &Canceller{frame: o.Frame, block: block, buf: make([]C.spx_int16_t, o.Frame)}
	c.echo = C.speex_echo_state_init(C.int(block), C.int(taps))
	if c.echo == nil {
		return nil, errors.New("echo: speexdsp made no echo state")
	}
	rate := C.int(o.Rate)
	C.speex_echo_ctl(c.echo, C.SPEEX_ECHO_SET_SAMPLING_RATE, unsafe.Pointer(&rate))
	c.pre = C.speex_preprocess_state_init(C.int(block), rate)
	if c.pre == nil {
		C.speex_echo_state_destroy(c.echo)
		return nil, errors.New("echo: speexdsp made no preprocessor")
	}
	C.speex_preprocess_ctl(c.pre, C.SPEEX_PREPROCESS_SET_ECHO_STATE, unsafe.Pointer(c.echo))
	C.ctl_int(c.pre, C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, C.int(envInt("AEC_ACTIVE", -15)))
	C.ctl_int(c.pre, C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, C.int(envInt("AEC_SUP", -40)))
	C.ctl_int(c.pre, C.SPEEX_PREPROCESS_SET_DENOISE, boolInt(!o.NoNoiseSuppression))
	C.ctl_int(c.pre, C.SPEEX_PREPROCESS_SET_AGC, boolInt(!o.NoGain))
	if !o.NoGain {
		// Speech at about -20 dBFS, raised by at most 18 dB: a quiet
		// microphone is helped, a silent room is not pumped up into hiss.
		C.ctl_int(c.pre, C.SPEEX_PREPROCESS_SET_AGC_TARGET, 3300)
		C.ctl_int(c.pre, C.SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, 18)
	}
	return c, nil
}

func envInt(k string, d int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return d
}

func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// FrameSize is the samples per frame Cancel takes.
func (c *Canceller) FrameSize() int { return c.frame }

// Cancel cleans a frame from the microphone into out (which may be mic
// itself), given what the speaker played at the same instants. Frames of
// another length are copied unchanged.
func (c *Canceller) Cancel(mic, played, out []int16) {
	if len(mic) != c.frame || len(played) != c.frame || len(out) != c.frame {
		copy(out, mic)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.echo == nil {
		copy(out, mic)
		return
	}
	for i, v := range mic {
		c.buf[i] = C.spx_int16_t(v)
	}
	for i := 0; i < c.frame; i += c.block {
		o := (*C.spx_int16_t)(unsafe.Pointer(&out[i]))
		C.speex_echo_cancellation(c.echo, &c.buf[i], (*C.spx_int16_t)(unsafe.Pointer(&played[i])), o)
		C.speex_preprocess_run(c.pre, o)
	}
}

// Close frees the canceller; later calls pass audio through unchanged.
func (c *Canceller) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.echo != nil {
		C.speex_preprocess_state_destroy(c.pre)
		C.speex_echo_state_destroy(c.echo)
		c.echo, c.pre = nil, nil
	}
}
