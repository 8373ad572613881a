package media

import (
	"context"
	"time"
)

// Source gives audio to send, one frame at a time; it returns false when
// it has no more (silence is then sent).
type Source interface {
	ReadFrame(pcm []int16) bool
}

// Sink takes the audio received, one frame at a time.
type Sink interface {
	WriteFrame(pcm []int16)
}

// Pump moves audio between s and a source and sink every frame interval,
// until ctx ends, the source runs dry (when stopAtEnd), or done is closed.
// It returns the number of frames moved.
func Pump(ctx context.Context, s *Session, src Source, sink Sink, stopAtEnd bool, done <-chan struct{}) int {
	n := s.FrameSize()
	out, in := make([]int16, n), make([]int16, n)
	s.mu.Lock()
	interval := s.cfg.PTime
	s.mu.Unlock()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	frames := 0
	for {
		select {
		case <-ctx.Done():
			return frames
		case <-done:
			return frames
		case <-tick.C:
		}
		more := src != nil && src.ReadFrame(out)
		if !more {
			if stopAtEnd && src != nil {
				return frames
			}
			clear(out)
		}
		s.WriteFrame(out)
		s.ReadFrame(in)
		if sink != nil {
			sink.WriteFrame(in)
		}
		frames++
	}
}

// Device is a sound device as PumpDevice drives it (*device.Device from
// audio/device is one; this package does not import it, so the switchboard
// links no sound library).
type Device interface {
	Source
	Sink
	Wake() <-chan struct{} // signalled after every device period
	Captured() int         // microphone samples waiting
	Queued() int           // speaker samples waiting
}

// Canceller removes the speaker's echo from the microphone's audio
// (audio/echo's *Canceller is one; this package links no DSP library):
// Cancel cleans a microphone frame into out (which may be mic), given what
// the speaker played at the same instants.
type Canceller interface {
	Cancel(mic, played, out []int16)
}

// Referenced is a Device that gives, with each microphone frame, what its
// speaker played while it was captured (*device.Device is one).
type Referenced interface {
	ReadFrameRef(pcm, played []int16) bool
}

// PumpDevice runs a call's audio at the sound device's pace rather than
// on a timer of its own: each frame the microphone completes is sent at
// once, and the speaker is topped up from the jitter buffer only when its
// queue runs under half a frame, so audio waits in no queue longer than it
// must. What goes to the speaker passes through speaker (the device
// itself, or a mixer in front of it). With aec, and a device that is
// Referenced, every frame sent is first cleaned of the echo of what the
// speaker played. It returns the frames sent.
func PumpDevice(ctx context.Context, s *Session, dev Device, speaker Sink, aec Canceller, done <-chan struct{}) int {
	n := s.FrameSize()
	out, in, played := make([]int16, n), make([]int16, n), make([]int16, n)
	if speaker == nil {
		speaker = dev
	}
	ref, _ := dev.(Referenced)
	if ref == nil {
		aec = nil // nothing to cancel against
	}
	// If the device stops calling back (it is starting, or being
	// replaced), a timer keeps the call's clock instead: the far end gets
	// silence each interval, and what it sends is played to nobody rather
	// than piling up in the jitter buffer as delay for later.
	s.mu.Lock()
	interval := s.cfg.PTime
	s.mu.Unlock()
	idle := time.NewTimer(4 * interval)
	defer idle.Stop()
	frames := 0
	for {
		select {
		case <-ctx.Done():
			return frames
		case <-done:
			return frames
		case <-idle.C:
			clear(out)
			s.WriteFrame(out)
			s.ReadFrame(in)
			frames++
			idle.Reset(interval)
			continue
		case <-dev.Wake():
		}
		idle.Reset(4 * interval)
		for dev.Captured() >= n {
			if aec != nil {
				ref.ReadFrameRef(out, played)
				aec.Cancel(out, played, out)
			} else {
				dev.ReadFrame(out)
			}
			s.WriteFrame(out)
			frames++
		}
		for dev.Queued() < n/2 {
			s.ReadFrame(in)
			speaker.WriteFrame(in)
		}
	}
}

// PCMSource plays samples once.
type PCMSource struct {
	Samples []int16
	pos     int
}

// ReadFrame implements Source.
func (p *PCMSource) ReadFrame(pcm []int16) bool {
	if p.pos >= len(p.Samples) {
		return false
	}
	n := copy(pcm, p.Samples[p.pos:])
	clear(pcm[n:])
	p.pos += n
	return true
}

// PCMSink keeps what it is given.
type PCMSink struct {
	Samples []int16
}

// WriteFrame implements Sink.
func (p *PCMSink) WriteFrame(pcm []int16) { p.Samples = append(p.Samples, pcm...) }

// Echo sends back what it receives, one frame later: the far end of an
// echo test. Pump it as both the source and the sink of a session.
type Echo struct {
	last []int16
	have bool
}

// ReadFrame implements Source: the frame received last.
func (e *Echo) ReadFrame(pcm []int16) bool {
	if !e.have {
		clear(pcm)
		return true
	}
	copy(pcm, e.last)
	return true
}

// WriteFrame implements Sink.
func (e *Echo) WriteFrame(pcm []int16) {
	if len(e.last) != len(pcm) {
		e.last = make([]int16, len(pcm))
	}
	copy(e.last, pcm)
	e.have = true
}
