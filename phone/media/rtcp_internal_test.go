package media

import (
	"testing"
	"time"
)

// The sequence counter wraps at 65535; a missing packet across the wrap is
// one lost, late and duplicate packets change neither the highest sequence
// nor the loss beyond what they are.
func TestRecvStatsWrap(t *testing.T) {
	var r recvStats
	at := time.Now()
	seqs := []uint16{65530, 65531, 65532, 65534, 65535, 0, 1, 2, 65533, 3, 3}
	for i, s := range seqs {
		r.packet(7, s, uint32(i*160), 8000, true, at.Add(time.Duration(i)*20*time.Millisecond))
	}
	b := r.block(at)
	if b.LastSequenceNumber != 1<<16+3 {
		t.Errorf("extended highest %d, want %d", b.LastSequenceNumber, 1<<16+3)
	}
	// 10 expected (65530..3), 11 received (one duplicate): RFC 3550 counts
	// that as -1 lost (24-bit two's complement), and no fraction.
	if b.TotalLost != 0xffffff || b.FractionLost != 0 {
		t.Errorf("lost %#x (fraction %d), want -1 (0xffffff)", b.TotalLost, b.FractionLost)
	}
	for i := range 10 { // 4..13 with 6 and 9 missing
		s := uint16(4 + i)
		if s == 6 || s == 9 {
			continue
		}
		r.packet(7, s, uint32((20+i)*160), 8000, true, at.Add(time.Duration(20+i)*20*time.Millisecond))
	}
	b = r.block(at)
	if b.TotalLost != 1 || b.FractionLost != 2*256/10 {
		// cumulative: 20 expected, 19 received (the duplicate hides one)
		t.Errorf("lost %d (fraction %d/256), want 1 (51/256)", b.TotalLost, b.FractionLost)
	}
	// Perfectly paced packets have no jitter.
	if b.Jitter != 0 {
		t.Errorf("jitter %d for evenly spaced packets", b.Jitter)
	}
	// A new source starts the count again.
	r.packet(8, 100, 0, 8000, true, at)
	if b := r.block(at); b.SSRC != 8 || b.LastSequenceNumber != 100 || b.TotalLost != 0 {
		t.Errorf("after a new source: %+v", b)
	}
}

func TestNTP(t *testing.T) {
	tm := time.Date(2026, 1, 2, 3, 4, 5, 500_000_000, time.UTC)
	n := ntp(tm)
	if secs := n >> 32; secs != uint64(tm.Unix())+2208988800 {
		t.Errorf("seconds %d", secs)
	}
	if frac := uint32(n); frac != 1<<31 {
		t.Errorf("half a second is %#x, want 0x80000000", frac)
	}
	if m := middle32(tm.Add(time.Second)) - middle32(tm); m != 65536 {
		t.Errorf("one second in middle-32 units is %d", m)
	}
}

// A report block's round trip: arrival less LSR less DLSR, in 1/65536 s; a
// round trip under that resolution (loopback; CI saw baresip's reports come
// to exactly 0) is known, not the 0 that means unknown.
func TestRoundTrip(t *testing.T) {
	for _, c := range []struct {
		arrived, lsr, dlsr uint32
		want               time.Duration
		ok                 bool
	}{
		{arrived: 100000, lsr: 0, dlsr: 0, ok: false}, // no sender report yet
		{arrived: 100000 + 65536/10, lsr: 100000, want: 100 * time.Millisecond, ok: true},
		{arrived: 100000 + 65536/2, lsr: 100000, dlsr: 65536 / 4, want: 250 * time.Millisecond, ok: true},
		{arrived: 100000, lsr: 90000, dlsr: 10000, want: time.Second / 65536, ok: true}, // under the resolution
		{arrived: 100000, lsr: 100000, dlsr: 5, ok: false},                              // a clock that went back
	} {
		got, ok := roundTrip(c.arrived, c.lsr, c.dlsr)
		if ok != c.ok || (ok && (got-c.want > time.Millisecond || c.want-got > time.Millisecond || got <= 0)) {
			t.Errorf("roundTrip(%d, %d, %d) = %v, %v; want %v, %v", c.arrived, c.lsr, c.dlsr, got, ok, c.want, c.ok)
		}
	}
}
