package billing_test

import (
	"testing"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
)

func TestCycleAt(t *testing.T) {
	day := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		anchor, at, start, end string
	}{
		{"2026-01-15 10:00", "2026-01-15 10:00", "2026-01-15 10:00", "2026-02-15 10:00"},
		{"2026-01-15 10:00", "2026-02-15 09:59", "2026-01-15 10:00", "2026-02-15 10:00"},
		{"2026-01-15 10:00", "2026-02-15 10:00", "2026-02-15 10:00", "2026-03-15 10:00"},
		{"2026-01-31 00:00", "2026-02-28 12:00", "2026-02-28 00:00", "2026-03-31 00:00"}, // short month clamps
		{"2026-01-31 00:00", "2028-02-29 00:00", "2028-02-29 00:00", "2028-03-31 00:00"}, // leap year
		{"2025-12-20 00:00", "2026-01-05 00:00", "2025-12-20 00:00", "2026-01-20 00:00"}, // across a year
		{"2026-03-10 00:00", "2027-03-09 23:00", "2027-02-10 00:00", "2027-03-10 00:00"},
	}
	for _, c := range cases {
		got := billing.CycleAt(day(c.anchor), day(c.at))
		if !got.Start.Equal(day(c.start)) || !got.End.Equal(day(c.end)) {
			t.Errorf("CycleAt(%s, %s) = %s..%s, want %s..%s", c.anchor, c.at, got.Start, got.End, c.start, c.end)
		}
		if at := day(c.at); at.Before(got.Start) || !at.Before(got.End) {
			t.Errorf("CycleAt(%s, %s) does not contain its time", c.anchor, c.at)
		}
	}
}

// TestBundlePooledProratedNoRollover: allowances pool across seats, a seat
// added mid-cycle brings its prorated share, and a new cycle starts fresh.
func TestBundlePooledProratedNoRollover(t *testing.T) {
	plans := map[string]billing.Plan{"p": {ID: "p", PerSeat: map[rating.Pool]int64{rating.PoolVoice: 600, rating.PoolSMS: 100}}}
	e := newEnv(t, withPlans(plans))
	e.open("acme", "p", "5") // opened 2026-11-05 09:00: cycle to 2026-12-05 09:00 (30 days)
	if err := e.engine.AddSeat(e.ctx, "acme", "rep@acme"); err != nil {
		t.Fatal(err)
	}
	st, err := e.engine.Bundle(e.ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Pools[rating.PoolVoice]; got.Allowance != 1200 || got.Left != 1200 {
		t.Fatalf("two seats: %+v, want 1200 s pooled", got)
	}
	e.clock.Advance(20 * 24 * time.Hour) // 10 of 30 days left
	if err := e.engine.AddSeat(e.ctx, "acme", "late@acme"); err != nil {
		t.Fatal(err)
	}
	if err := e.engine.AddSeat(e.ctx, "acme", "late@acme"); err != nil { // twice: granted once
		t.Fatal(err)
	}
	st, _ = e.engine.Bundle(e.ctx, "acme")
	if got := st.Pools[rating.PoolVoice]; got.Allowance != 1400 {
		t.Fatalf("a seat with a third of the cycle left: %+v, want 1200 + 200", got)
	}
	if got := st.Pools[rating.PoolSMS]; got.Allowance != 233 {
		t.Fatalf("SMS: %+v, want 200 + 33", got)
	}
	// Use 1000 s of the 1400 on one call.
	call, g, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c1", Direction: rating.Outbound, Local: us, Remote: ca})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := talk(e.ctx, call, g, 1000); err != nil {
		t.Fatal(err)
	}
	st, _ = e.engine.Bundle(e.ctx, "acme")
	if got := st.Pools[rating.PoolVoice]; got.Used != 1002 || got.Left != 398 || got.Reserved != 0 {
		t.Fatalf("after a 1000 s call (billed 1002 at 6/6): %+v", got)
	}
	// The next cycle: three full seats, nothing carried over.
	e.clock.Advance(11 * 24 * time.Hour)
	st, _ = e.engine.Bundle(e.ctx, "acme")
	if st.Cycle.ID != "2026-12-05" {
		t.Fatalf("cycle %s", st.Cycle.ID)
	}
	if got := st.Pools[rating.PoolVoice]; got.Allowance != 1800 || got.Left != 1800 {
		t.Fatalf("new cycle: %+v, want 3 x 600 and no rollover", got)
	}
	// A removed seat brings nothing to the following cycle.
	if err := e.engine.RemoveSeat(e.ctx, "acme", "late@acme"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(31 * 24 * time.Hour)
	st, _ = e.engine.Bundle(e.ctx, "acme")
	if got := st.Pools[rating.PoolVoice]; got.Allowance != 1200 {
		t.Fatalf("after removing a seat: %+v", got)
	}
	e.check()
}
