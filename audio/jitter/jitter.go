// Package jitter is an adaptive jitter buffer for one RTP audio stream.
//
// The network side pushes packets as they arrive, in any order; the media
// side pops one frame per packet interval. Playout is held back by a
// target delay. A packet that arrives too late to be played raises the
// target by a frame and stretches playout by one concealed frame; when for
// a whole adaptation window the buffer never held less than a frame above
// the target, one frame is dropped; and after a quiet while without late
// packets the target comes down a frame. The delay so follows the
// network's jitter without drifting up for good.
// It stores payloads in slots allocated once, so Push and Pop do not
// allocate.
package jitter

import (
	"sync"
)

// Status says what Pop returned.
type Status int

// Pop outcomes.
const (
	Waiting Status = iota // not started, or resynchronising: play silence
	Frame                 // a packet's payload
	Lost                  // the packet for this slot never came in time: conceal it
)

func (s Status) String() string {
	return [...]string{"waiting", "frame", "lost"}[s]
}

// Config sizes a buffer. Delays are in frames (packet intervals).
type Config struct {
	FrameTicks  uint32 // RTP timestamp units per packet: 160 for 20 ms at 8 kHz
	MinDelay    int    // frames held back at least (default 1)
	MaxDelay    int    // frames held back at most (default 10)
	StartDelay  int    // frames held back at first (default 2)
	MaxPayload  int    // largest payload kept (default 1500)
	AdaptFrames int    // frames over which shrinking is judged (default 50: 1 s at 20 ms)
}

type slot struct {
	ts     uint32
	filled bool
	n      int
	data   []byte
}

// Stats counts what happened to packets and frames.
type Stats struct {
	Received   int // packets pushed and kept
	Late       int // packets that arrived after their playout time
	Duplicates int // packets already held
	Played     int // frames popped with a payload
	Lost       int // frames popped without one
	Dropped    int // frames skipped to shrink the delay
	Resyncs    int // times the stream jumped and playout restarted
	Target     int // the current target delay, in frames
}

// Buffer is an adaptive jitter buffer. Its methods are safe for concurrent
// use by one producer and one consumer.
type Buffer struct {
	cfg   Config
	mu    sync.Mutex
	slots []slot

	started  bool
	filling  bool   // after a (re)start, until the target delay is held
	play     uint32 // timestamp of the next frame to pop
	newest   uint32 // newest timestamp seen
	target   int
	stretch  int // concealed frames to insert to grow the delay
	lowWater int // lowest depth seen since the last adaptation
	popped   int // pops since the last adaptation
	calm     int // adaptation windows since the last late packet
	lateRun  int // late packets in a row at the largest delay
	stats    Stats
}

// lateRunResync is how many packets in a row may come too late at the
// largest delay before playout follows the sender's clock.
const lateRunResync = 10

// New returns a buffer.
func New(cfg Config) *Buffer {
	if cfg.MinDelay <= 0 {
		cfg.MinDelay = 1
	}
	if cfg.MaxDelay < cfg.MinDelay {
		cfg.MaxDelay = max(10, cfg.MinDelay)
	}
	if cfg.StartDelay <= 0 {
		cfg.StartDelay = 2
	}
	cfg.StartDelay = min(max(cfg.StartDelay, cfg.MinDelay), cfg.MaxDelay)
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = 1500
	}
	if cfg.AdaptFrames <= 0 {
		cfg.AdaptFrames = 50
	}
	if cfg.FrameTicks == 0 {
		cfg.FrameTicks = 160
	}
	// Room for the largest delay twice over, as a power of two.
	n := 1
	for n < 2*(cfg.MaxDelay+2) {
		n <<= 1
	}
	b := &Buffer{cfg: cfg, slots: make([]slot, n), target: cfg.StartDelay}
	for i := range b.slots {
		b.slots[i].data = make([]byte, cfg.MaxPayload)
	}
	b.lowWater = 1 << 30
	return b
}

// before reports whether timestamp a comes before b, modulo wraparound.
func before(a, b uint32) bool { return int32(a-b) < 0 }

func (b *Buffer) slot(ts uint32) *slot {
	return &b.slots[int(ts/b.cfg.FrameTicks)&(len(b.slots)-1)]
}

// depth is how many frames are held beyond the playout point.
func (b *Buffer) depth() int {
	if before(b.newest, b.play) {
		return 0
	}
	return int((b.newest-b.play)/b.cfg.FrameTicks) + 1
}

// Push stores a packet's payload (copied) under its RTP timestamp.
func (b *Buffer) Push(ts uint32, payload []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(payload) > b.cfg.MaxPayload {
		return
	}
	switch {
	case !b.started:
		b.start(ts) // the first packet sets playout
	case before(ts, b.play) && b.play-ts >= uint32(len(b.slots))*b.cfg.FrameTicks:
		// Far behind, beyond any jitter: the sender's clock stalled or
		// went back (a sender that stopped stamping while it sent
		// nothing, a restart): follow it.
		b.stats.Resyncs++
		b.start(ts)
	case before(ts, b.play) && b.lateRun >= lateRunResync:
		// Late again and again even at the largest delay: the sender's
		// clock is behind ours by more than the buffer holds. Follow it.
		b.stats.Resyncs++
		b.start(ts)
	case before(ts, b.play):
		// Too late to play: grow the delay by a frame.
		b.stats.Late++
		b.calm = 0
		if b.target < b.cfg.MaxDelay {
			b.target++
			b.stretch++
		} else {
			b.lateRun++
		}
		return
	case ts-b.play >= uint32(len(b.slots))*b.cfg.FrameTicks:
		// Far ahead: the sender jumped (a restart, a new stream).
		b.stats.Resyncs++
		b.start(ts)
	}
	b.lateRun = 0
	s := b.slot(ts)
	if s.filled && s.ts == ts {
		b.stats.Duplicates++
		return
	}
	s.ts, s.filled, s.n = ts, true, copy(s.data, payload)
	if before(b.newest, ts) {
		b.newest = ts
	}
	b.stats.Received++
}

// start restarts playout at ts.
func (b *Buffer) start(ts uint32) {
	b.started, b.play, b.newest = true, ts, ts
	b.popped, b.lowWater, b.stretch = 0, 1<<30, 0
	b.filling = true
	for i := range b.slots {
		b.slots[i].filled = false
	}
}

// Pop returns the next frame's payload, copied into out, with its status.
// Call it once per frame interval.
func (b *Buffer) Pop(out []byte) (int, Status) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started {
		return 0, Waiting
	}
	if b.filling {
		if b.depth() < b.target {
			return 0, Waiting // filling up to the target delay
		}
		b.filling = false
	}
	if b.stretch > 0 {
		b.stretch--
		b.stats.Lost++
		return 0, Lost // hold playout back a frame: the caller conceals
	}
	b.adapt()
	s := b.slot(b.play)
	ts := b.play
	b.play += b.cfg.FrameTicks
	if s.filled && s.ts == ts {
		s.filled = false
		b.stats.Played++
		return copy(out, s.data[:s.n]), Frame
	}
	b.stats.Lost++
	return 0, Lost
}

// adapt drops a frame when the buffer has held more than needed for a
// whole adaptation window, and lowers the target after a calm while.
func (b *Buffer) adapt() {
	b.lowWater = min(b.lowWater, b.depth())
	b.popped++
	if b.popped < b.cfg.AdaptFrames {
		return
	}
	if b.calm++; b.calm >= 5 && b.target > b.cfg.MinDelay {
		b.target-- // five windows without a late packet
		b.calm = 0
	}
	if b.lowWater > b.target+1 {
		if s := b.slot(b.play); s.filled && s.ts == b.play {
			s.filled = false
		}
		b.play += b.cfg.FrameTicks // skip the oldest frame: one less of delay
		b.stats.Dropped++
	}
	b.popped, b.lowWater = 0, 1<<30
}

// Stats returns the counters so far.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Target = b.target
	return s
}

// Delay returns the frames currently held beyond the playout point.
func (b *Buffer) Delay() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.depth()
}
