// Package echo cleans a call's microphone audio before it is sent: it
// removes the echo of what the speaker played (speexdsp's MDF adaptive
// filter), then suppresses the residual echo and steady noise and levels
// the voice (speexdsp's preprocessor). It links libspeexdsp through cgo;
// the switchboard does not import it.
//
// A Canceller is fed every frame queued for the speaker (Playback) and
// every frame taken from the microphone (Capture), in the order they
// happen. Each captured frame is cleaned against the oldest played frame
// not yet used (played frames wait in a short queue, so bursts on either
// side do not matter), and speexdsp's filter learns the delay and colouring
// of the path from speaker to microphone, up to Tail long.
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
	buf   []C.spx_int16_t // scratch for conversions (spx_int16_t is int16)
	// played frames not yet matched with a captured one, oldest first
	played  [][]int16
	spare   [][]int16
	silence []int16
}

// maxQueued bounds the played frames waiting for captured ones: when the
// speaker runs that far ahead (the microphone stopped), the oldest go.
const maxQueued = 8

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
	c := &Canceller{frame: o.Frame, buf: make([]C.spx_int16_t, o.Frame)}
	c.echo = C.speex_echo_state_init(C.int(o.Frame), C.int(taps))
	if c.echo == nil {
		return nil, errors.New("echo: speexdsp made no echo state")
	}
	rate := C.int(o.Rate)
	C.speex_echo_ctl(c.echo, C.SPEEX_ECHO_SET_SAMPLING_RATE, unsafe.Pointer(&rate))
	c.pre = C.speex_preprocess_state_init(C.int(o.Frame), rate)
	if c.pre == nil {
		C.speex_echo_state_destroy(c.echo)
		return nil, errors.New("echo: speexdsp made no preprocessor")
	}
	C.speex_preprocess_ctl(c.pre, C.SPEEX_PREPROCESS_SET_ECHO_STATE, unsafe.Pointer(c.echo))
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

func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// FrameSize is the samples per frame both methods take.
func (c *Canceller) FrameSize() int { return c.frame }

// Playback tells the canceller a frame was queued for the speaker. A frame
// of another length is ignored.
func (c *Canceller) Playback(pcm []int16) {
	if len(pcm) != c.frame {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.echo == nil {
		return
	}
	var f []int16
	if len(c.played) == maxQueued {
		f = c.played[0]
		c.played = append(c.played[:0], c.played[1:]...)
	} else if n := len(c.spare); n > 0 {
		f, c.spare = c.spare[n-1], c.spare[:n-1]
	} else {
		f = make([]int16, c.frame)
	}
	copy(f, pcm)
	c.played = append(c.played, f)
}

// Capture cleans a frame from the microphone into out (which may be mic
// itself). Frames of another length are copied unchanged.
func (c *Canceller) Capture(mic, out []int16) {
	if len(mic) != c.frame || len(out) != c.frame {
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
	// The speaker's frame this one is cleaned against: the oldest played
	// and not yet used, or silence when nothing was played.
	var play []int16
	if len(c.played) > 0 {
		play = c.played[0]
		c.played = append(c.played[:0], c.played[1:]...)
		defer func() { c.spare = append(c.spare, play) }()
	} else {
		if c.silence == nil {
			c.silence = make([]int16, c.frame)
		}
		play = c.silence
	}
	C.speex_echo_cancellation(c.echo, &c.buf[0], (*C.spx_int16_t)(unsafe.Pointer(&play[0])), (*C.spx_int16_t)(unsafe.Pointer(&out[0])))
	C.speex_preprocess_run(c.pre, (*C.spx_int16_t)(unsafe.Pointer(&out[0])))
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
