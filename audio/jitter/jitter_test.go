package jitter_test

import (
	"encoding/binary"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/tetherphone/tether/audio/jitter"
)

const frame = 160 // 20 ms at 8 kHz

func payload(k int) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(k))
	return b
}

// pops pops n frames and returns the packet numbers played, -1 for a lost
// frame, -2 for waiting.
func pops(b *jitter.Buffer, n int) []int {
	out := make([]int, 0, n)
	buf := make([]byte, 64)
	for range n {
		m, st := b.Pop(buf)
		switch st {
		case jitter.Frame:
			if m != 4 {
				panic("short frame")
			}
			out = append(out, int(binary.BigEndian.Uint32(buf)))
		case jitter.Lost:
			out = append(out, -1)
		default:
			out = append(out, -2)
		}
	}
	return out
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestInOrderAfterStartDelay(t *testing.T) {
	b := jitter.New(jitter.Config{FrameTicks: frame, StartDelay: 3})
	if got := pops(b, 1); got[0] != -2 {
		t.Fatalf("before any packet: %v", got)
	}
	b.Push(1000, payload(0))
	b.Push(1000+frame, payload(1))
	if got := pops(b, 1); got[0] != -2 {
		t.Fatalf("two of three start frames: %v", got)
	}
	b.Push(1000+2*frame, payload(2))
	b.Push(1000+3*frame, payload(3))
	if got := pops(b, 5); !equal(got, []int{0, 1, 2, 3, -1}) {
		t.Fatalf("got %v", got)
	}
}

func TestReorderLossDuplicates(t *testing.T) {
	b := jitter.New(jitter.Config{FrameTicks: frame, StartDelay: 3})
	for _, k := range []int{0, 2, 1, 1, 4, 3, 6, 7} { // 5 lost, 1 duplicated
		b.Push(uint32(k*frame), payload(k))
	}
	if got := pops(b, 8); !equal(got, []int{0, 1, 2, 3, 4, -1, 6, 7}) {
		t.Fatalf("got %v", got)
	}
	st := b.Stats()
	if st.Duplicates != 1 || st.Lost != 1 || st.Played != 7 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTimestampWraparound(t *testing.T) {
	b := jitter.New(jitter.Config{FrameTicks: frame, StartDelay: 2})
	start := uint32(0xFFFFFFFF - 2*frame + 1)
	for k := range 6 {
		b.Push(start+uint32(k*frame), payload(k))
	}
	if got := pops(b, 6); !equal(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("across the wrap: %v", got)
	}
}

func TestLatePacketGrowsDelay(t *testing.T) {
	b := jitter.New(jitter.Config{FrameTicks: frame, StartDelay: 1, MaxDelay: 5})
	b.Push(0, payload(0))
	pops(b, 1)                // plays 0
	pops(b, 1)                // 1 has not come: lost
	b.Push(frame, payload(1)) // arrives late
	if st := b.Stats(); st.Late != 1 || st.Target != 2 {
		t.Fatalf("after a late packet: %+v", st)
	}
	// The next pop is a stretch (concealed) frame, then 2 plays on time.
	b.Push(2*frame, payload(2))
	if got := pops(b, 2); !equal(got, []int{-1, 2}) {
		t.Fatalf("got %v", got)
	}
}

func TestResyncOnJump(t *testing.T) {
	b := jitter.New(jitter.Config{FrameTicks: frame, StartDelay: 1})
	b.Push(0, payload(0))
	pops(b, 1)
	b.Push(1_000_000, payload(9)) // the sender restarted
	if got := pops(b, 1); got[0] != 9 {
		t.Fatalf("after a jump: %v", got)
	}
	if b.Stats().Resyncs != 1 {
		t.Fatal("no resync counted")
	}
}

// TestResyncWhenFarBehind: a sender whose timestamps stood still while
// it sent nothing (so the playout point ran ahead by seconds) is followed,
// not dropped as late forever.
func TestResyncWhenFarBehind(t *testing.T) {
	b := jitter.New(jitter.Config{FrameTicks: frame, StartDelay: 1, MaxDelay: 10})
	b.Push(0, payload(0))
	pops(b, 150) // three seconds of playout with nothing coming
	b.Push(frame, payload(1))
	b.Push(2*frame, payload(2))
	if got := pops(b, 2); !equal(got, []int{1, 2}) {
		t.Fatalf("after the sender stalled: %v (%+v)", got, b.Stats())
	}
	if st := b.Stats(); st.Resyncs != 1 || st.Late != 0 {
		t.Fatalf("stats %+v, want one resync and nothing late", st)
	}
}

// TestResyncWhenLateForGood: a sender behind our clock by more than the
// largest delay (but less than the buffer's span) is followed after a few
// late packets, not dropped as late forever.
func TestResyncWhenLateForGood(t *testing.T) {
	b := jitter.New(jitter.Config{FrameTicks: frame, StartDelay: 1, MaxDelay: 3})
	b.Push(0, payload(0))
	pops(b, 12) // the playout point runs 12 frames ahead of the sender
	var played []int
	for k := 1; k < 40; k++ {
		b.Push(uint32(k*frame), payload(k))
		played = append(played, pops(b, 1)...)
	}
	heard := 0
	for _, p := range played {
		if p >= 0 {
			heard++
		}
	}
	if st := b.Stats(); st.Resyncs != 1 || heard < 20 {
		t.Fatalf("played %v (%+v)", played, st)
	}
}

// simulate sends n packets every 20 ms over a network that delays each by
// base plus jitter(k) ms, pops every 20 ms, and returns the playout.
func simulate(b *jitter.Buffer, n int, jitterMs func(k int) int) []int {
	type arrival struct{ at, k int }
	var arrivals []arrival
	for k := range n {
		arrivals = append(arrivals, arrival{at: 20*k + 30 + jitterMs(k), k: k})
	}
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].at < arrivals[j].at })
	var played []int
	next := 0
	for tick := 37; tick < 20*n+2000; tick += 20 { // the sound card's clock, offset
		for next < len(arrivals) && arrivals[next].at <= tick {
			b.Push(uint32(arrivals[next].k*frame), payload(arrivals[next].k))
			next++
		}
		played = append(played, pops(b, 1)...)
	}
	return played
}

func TestAdaptsToJitterAndBack(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	b := jitter.New(jitter.Config{FrameTicks: frame, StartDelay: 1, MaxDelay: 10})
	// 20 s of up to 70 ms jitter, then 40 s of a quiet network.
	played := simulate(b, 3000, func(k int) int {
		if k < 1000 {
			return r.IntN(70)
		}
		return r.IntN(3)
	})
	st := b.Stats()
	if st.Late == 0 || st.Late > 40 {
		t.Errorf("%d late packets: the buffer should grow early and then hold (stats %+v)", st.Late, st)
	}
	if st.Target > 3 {
		t.Errorf("target still %d frames after 40 s of a quiet network", st.Target)
	}
	if st.Dropped == 0 {
		t.Error("the delay never shrank")
	}
	// Every packet played at most once, in order.
	last := -1
	seen := 0
	for _, k := range played {
		if k < 0 {
			continue
		}
		if k <= last {
			t.Fatalf("packet %d played after %d", k, last)
		}
		last = k
		seen++
	}
	if lost := 3000 - seen; lost > st.Late+st.Dropped+5 {
		t.Errorf("%d packets never played; late %d, dropped %d", lost, st.Late, st.Dropped)
	}
	t.Logf("%+v", st)
}

func TestNoAllocations(t *testing.T) {
	b := jitter.New(jitter.Config{FrameTicks: frame})
	p := make([]byte, 160)
	out := make([]byte, 160)
	ts := uint32(0)
	allocs := testing.AllocsPerRun(1000, func() {
		b.Push(ts, p)
		b.Pop(out)
		ts += frame
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per push and pop", allocs)
	}
}
