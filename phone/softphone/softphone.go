// Package softphone is what a softphone does around its calls, shared by
// the desktop app (cmd/softphone) and the terminal phone (cmd/phonectl):
// signing in to the switchboard's account API for this device's SIP
// credentials, and the sound of placing a call — ringback on the speaker
// while it rings (the far end's own early media instead when it sends
// some), the busy tone when it is refused, each key sent sounding quietly.
// The speaker is a sound device (audio/device) or anything that takes
// frames; this package opens none itself.
package softphone

import (
	"context"
	"errors"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
)

// Speaker is where call progress plays (*device.Device is one).
type Speaker interface {
	WriteFrame(pcm []int16)
	SampleRate() int
}

// Dialer places calls (*phone.UA is one).
type Dialer interface {
	Dial(ctx context.Context, target string, opts ...phone.DialOption) (*phone.Call, error)
}

// BusyFor is how long the busy tone sounds after a refusal.
const BusyFor = 2 * time.Second

// toneLevel is the peak of progress tones (about -12 dBFS): clearly heard,
// well under a voice.
const toneLevel = 8000

// Place dials target through d with the sound of it on spk (nil: silent):
// ringback from the first 180 or 183 until the answer, unless the far end
// sends early media, which then plays instead; the busy tone for BusyFor
// when the call is refused busy (Place returns after it). opts are passed
// on; their OnRinging and OnEarlyMedia callbacks run too.
func Place(ctx context.Context, d Dialer, target string, spk Speaker, opts ...phone.DialOption) (*phone.Call, error) {
	if spk == nil {
		return d.Dial(ctx, target, opts...)
	}
	p := &progress{spk: spk}
	defer p.stop()
	opts = append(opts,
		phone.OnRinging(func() { p.play(audio.Ringback) }),
		phone.OnEarlyMedia(func(c *phone.Call) { p.early(ctx, c) }))
	c, err := d.Dial(ctx, target, opts...)
	p.stop()
	if errors.Is(err, phone.ErrBusy) {
		p.play(audio.Busy)
		t := time.NewTimer(BusyFor)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		p.stop()
	}
	return c, err
}

// progress is what a call being placed sounds like now: one tone or the
// early media, stopped before the next starts.
type progress struct {
	spk     Speaker
	stopNow func()
}

// play starts a tone on the speaker, in place of what played before.
func (p *progress) play(tone audio.Cadence) {
	p.stop()
	p.stopNow = PlayTone(p.spk, tone)
}

// early plays the far end's audio before the answer, in place of ringback.
func (p *progress) early(ctx context.Context, c *phone.Call) {
	p.stop()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		media.Pump(ctx, c.Media(), nil, p.spk, false, c.Done())
	}()
	p.stopNow = func() { cancel(); <-done }
}

func (p *progress) stop() {
	if p.stopNow != nil {
		p.stopNow()
		p.stopNow = nil
	}
}

// PlayTone plays a cadence (ringback, busy, the ringtone) on spk, a frame
// every 20 ms, until the returned function is called.
func PlayTone(spk Speaker, tone audio.Cadence) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		rate := spk.SampleRate()
		src := tone.New(rate, toneLevel)
		frame := make([]int16, rate/50)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				src.ReadFrame(frame)
				spk.WriteFrame(frame)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// SendKeys sends digits in the call as RFC 4733 events and returns what
// the call's audio should play into: spk with each key's tones mixed in,
// quietly (spk itself when it is nil or the keys could not go).
func SendKeys(c *phone.Call, digits string, spk Speaker) (media.Sink, error) {
	if err := c.Media().SendDTMF(digits, 100*time.Millisecond); err != nil {
		if spk == nil {
			return nil, err
		}
		return spk, err
	}
	if spk == nil {
		return nil, nil
	}
	fb := audio.NewFeedback(spk, spk.SampleRate())
	fb.Press(digits, 100*time.Millisecond, 60*time.Millisecond)
	return fb, nil
}

// WithProgress is a Dialer whose calls sound as Place makes them, on a
// speaker opened for the time each call is being placed (the desktop app
// opens its sound device per call).
type WithProgress struct {
	Dialer Dialer
	// Open opens the speaker and says how to close it; on error the call
	// is placed silently.
	Open func() (Speaker, func(), error)
}

// Dial places a call through w.Dialer with its progress heard.
func (w WithProgress) Dial(ctx context.Context, target string, opts ...phone.DialOption) (*phone.Call, error) {
	spk, closeSpk, err := w.Open()
	if err != nil {
		return w.Dialer.Dial(ctx, target, opts...)
	}
	defer closeSpk()
	return Place(ctx, w.Dialer, target, spk, opts...)
}
