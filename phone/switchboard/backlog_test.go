package switchboard

import (
	"testing"
	"time"
)

// TestBacklog: the backlog reads a standing queue from the time followed
// requests take from the front door to admit (the shortest of the last
// four, all begun within a second), two requests long on their way as
// behind whatever the others said, and a burst, an old reading or one
// lost request as no queue; it follows one request a millisecond at most.
func TestBacklog(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	b := &backlog{}
	key := func(k string) func() string { return func() string { return k } }
	ms := time.Millisecond

	b.follow(at(0), key("a"))
	b.follow(at(ms/2), key("b")) // too soon after a: not followed
	b.arrived(at(ms), key("b"))
	if lag, stuck := b.behind(at(100 * ms)); lag != 0 || stuck != 0 {
		t.Fatalf("a on its way 100 ms: %v %v, want nothing yet", lag, stuck)
	}
	b.follow(at(200*ms), key("c"))
	b.follow(at(600*ms), key("d")) // a and c on their way 600 and 400 ms
	if _, stuck := b.behind(at(650 * ms)); stuck != 450*ms {
		t.Fatalf("two requests on their way 400 ms and more: stuck %v, want 450 ms", stuck)
	}
	b.arrived(at(700*ms), key("a"))
	b.arrived(at(700*ms), key("c"))
	b.follow(at(710*ms), key("e")) // only d on its way (110 ms): nothing stuck
	if lag, stuck := b.behind(at(720 * ms)); lag != 0 || stuck != 0 {
		t.Fatalf("two waits and one on its way: %v %v", lag, stuck)
	}
	b.arrived(at(740*ms), key("d")) // 140 ms
	b.arrived(at(740*ms), key("e")) // 30 ms
	if lag, _ := b.behind(at(750 * ms)); lag != 30*ms {
		t.Fatalf("waits of 700, 500, 140, 30 ms: standing %v, want 30 ms", lag)
	}
	b.follow(at(800*ms), key("f"))
	b.arrived(at(805*ms), key("f")) // a burst passed: 5 ms
	if lag, _ := b.behind(at(810 * ms)); lag != 5*ms {
		t.Fatalf("a short wait among them: standing %v, want 5 ms", lag)
	}
	// A second after the oldest of the four began (c, 200 ms), nothing
	// stands any more.
	if lag, _ := b.behind(at(1201 * ms)); lag != 0 {
		t.Fatalf("old readings: standing %v, want 0", lag)
	}
	// One request that never arrives (a retransmission the stack answered
	// itself) is not a queue; it is forgotten after a second.
	b.follow(at(2000*ms), key("g"))
	b.follow(at(2500*ms), key("h"))
	b.arrived(at(2501*ms), key("h"))
	if _, stuck := b.behind(at(2600 * ms)); stuck != 0 {
		t.Fatalf("one request lost: stuck %v", stuck)
	}
	b.follow(at(3100*ms), key("i"))
	if b.traced.Load() != 1 {
		t.Fatalf("%d followed after g was forgotten, want 1 (i)", b.traced.Load())
	}
	// At most lagTraced followed at once.
	for i := range 2 * lagTraced {
		b.follow(at(3200*ms+time.Duration(i)*ms), key(string(rune('A'+i))))
	}
	if b.traced.Load() != lagTraced {
		t.Fatalf("%d followed, want %d at most", b.traced.Load(), lagTraced)
	}
}

// TestReaderBusy: the reader's busy share is the time it spends between
// reads (on the datagram it read) over a window: 90% busy, then 10%; a
// window with too few reads to tell (a reader descheduled on a busy
// machine) counts as idle, as does one with no read at all.
func TestReaderBusy(t *testing.T) {
	var r reader
	at := time.Unix(1_000_000, 0)
	r.readStarts(at) // the first window begins
	reads := func(n int, busy, each time.Duration) {
		for range n {
			r.readReturns(at.Add(each - busy)) // (waited for it, then busy on it)
			at = at.Add(each)
			r.readStarts(at)
		}
	}
	reads(1000, 90*time.Microsecond, 100*time.Microsecond)
	if b := r.busy.Load(); b < 880 || b > 920 {
		t.Errorf("1,000 reads each 90%% busy: %d per mille, want about 900", b)
	}
	reads(1000, 10*time.Microsecond, 100*time.Microsecond)
	if b := r.busy.Load(); b < 80 || b > 120 {
		t.Errorf("1,000 reads each 10%% busy: %d per mille, want about 100", b)
	}
	reads(10, 9*time.Millisecond, 10*time.Millisecond)
	if b := r.busy.Load(); b != 0 {
		t.Errorf("10 reads each 90%% busy: %d per mille, want 0 (too few to tell)", b)
	}
	reads(1, 0, time.Second)
	if b := r.busy.Load(); b != 0 {
		t.Errorf("after a second without a read: busy %d", b)
	}
}
