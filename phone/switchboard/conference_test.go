package switchboard_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/switchboard"
)

// talkAll has sessions talk at once, each its own tone, for d; it returns
// what each heard.
func talkAll(sessions []*media.Session, freqs []float64, d time.Duration) [][]int16 {
	heard := make([][]int16, len(sessions))
	var wg sync.WaitGroup
	for i, m := range sessions {
		wg.Go(func() { heard[i] = talk(m, freqs[i], d) })
	}
	wg.Wait()
	return heard
}

// heldCall has customer call the rep's ext, the rep answer and hold the
// call; it returns both ends.
func heldCall(ctx context.Context, t *testing.T, customer, rep *phone.UA, ext string) (call, repEnd *phone.Call) {
	t.Helper()
	in := answerNext(ctx, t, rep)
	call, err := customer.Dial(ctx, ext)
	if err != nil {
		t.Fatal(err)
	}
	repEnd = (<-in).Call
	if err := repEnd.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	return call, repEnd
}

// TestConference: a rep on a call with a customer holds it, calls a
// colleague, and joins the two calls (REFER with Join): all three hear one
// another, the switchboard still has two calls (each metered and recorded
// as it was); when the colleague hangs up, the rep resumes the customer's
// call and they carry on; a join naming no call is refused and changes
// nothing.
func TestConference(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp") // the customer, 101
	bob := e.phoneFor("bob@acme.test", "udp") // the rep, 102
	cy := e.phoneFor("cy@acme.test", "tcp")   // the colleague, 103
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	call, rep := heldCall(ctx, t, ann, bob, "102")
	cyIn := answerNext(ctx, t, cy)
	consult, err := bob.Dial(ctx, "103")
	if err != nil {
		t.Fatal(err)
	}
	colleague := (<-cyIn).Call

	// A join naming a call that is not there: refused, nothing changes.
	if err := rep.Conference(ctx, rep, 20*time.Second); err == nil {
		t.Fatal("joining a call with itself: no error")
	} else if ce := (*phone.CallError)(nil); !errors.As(err, &ce) || ce.Code != 481 {
		t.Fatalf("joining a call with itself: %v, want 481", err)
	}
	hearEachOther(t, "the consultation, after a refused join", consult, colleague, 0.8)

	eventually.Must(t, 10*time.Second, "the customer told she is on hold", func() bool { return call.State() == phone.Held })
	if err := rep.Conference(ctx, consult, 20*time.Second); err != nil {
		t.Fatalf("conference: %v", err)
	}
	eventually.Must(t, 10*time.Second, "the customer off hold in the conference", func() bool { return call.State() == phone.Connected })
	heard := talkAll([]*media.Session{call.Media(), consult.Media(), colleague.Media()}, []float64{440, 1000, 1700}, 2*time.Second)
	names := []string{"ann", "bob", "cy"}
	freqs := []float64{440, 1000, 1700}
	for i := range heard {
		for j, f := range freqs {
			s := quarterShare(heard[i][4000:], f)
			switch {
			case i == j && s > 0.1:
				t.Errorf("%s hears %s own voice: share %.2f", names[i], names[i], s)
			case i != j && s < 0.3:
				t.Errorf("%s hears %s at share %.2f, want both others", names[i], names[j], s)
			}
		}
	}
	if n := e.sb.Calls(); n != 2 {
		t.Errorf("%d calls on the switchboard in the conference, want 2 (each its own meter)", n)
	}

	// The colleague leaves: the rep takes the customer off hold.
	colleague.Hangup(ctx)
	waitEnded(t, consult, "the rep's leg to the colleague")
	eventually.Must(t, 10*time.Second, "one call left", func() bool { return e.sb.Calls() == 1 })
	if err := rep.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	hearEachOther(t, "after the colleague left", call, rep, 0.8)
	rep.Hangup(ctx)
	waitEnded(t, call, "the customer's call")
	eventually.Must(t, 10*time.Second, "no call left", func() bool { return e.sb.Calls() == 0 })
}

// TestConferenceBilling: a rep on a teammate's call adds a London number
// (through the network simulator) and joins the three: the outside leg is
// metered through the conference as it was rated, per second, and its
// record says so; the ledger balances; the internal call is not charged.
func TestConferenceBilling(t *testing.T) {
	e := newEnvWith(t, 4, switchboard.Config{MeterEvery: 500 * time.Millisecond})
	e.withSim()
	before, _ := e.engine.Balance(e.ctx, "acme")
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	call, rep := heldCall(ctx, t, ann, bob, "102")
	out, err := bob.Dial(ctx, "+44 20 7123 4567")
	if err != nil {
		t.Fatal(err)
	}
	answered := time.Now()
	if err := rep.Conference(ctx, out, 20*time.Second); err != nil {
		t.Fatalf("conference: %v", err)
	}
	// Six seconds of three-way call, everyone talking.
	talkAll([]*media.Session{call.Media(), out.Media()}, []float64{440, 1000}, 6*time.Second)
	out.Hangup(ctx)
	talked := time.Since(answered)
	waitEnded(t, out, "the outside call")
	rep.Hangup(ctx)
	waitEnded(t, call, "the teammate's call")

	recs := waitRecords(e, 2)
	var outside *records.Call
	for i := range recs {
		if recs[i].To == "+442071234567" {
			outside = &recs[i]
		}
	}
	if outside == nil {
		t.Fatalf("no record of the outside call among %+v", recs)
	}
	// $0.015/min to a London landline, per second, rounded half-up to
	// $0.0001 as every charge is.
	perSecond := decimal.RequireFromString("0.015").Div(decimal.NewFromInt(60))
	if s := time.Duration(outside.Seconds) * time.Second; s < talked-2*time.Second || s > talked+2*time.Second {
		t.Errorf("the outside call billed %v; it was up %v, most of it in the conference", s, talked.Round(time.Second))
	}
	if want := money.RoundCharge(perSecond.Mul(decimal.NewFromInt(int64(outside.Seconds)))); !outside.Cost.Equal(want) {
		t.Errorf("the outside call cost %s for %d s, want %s", outside.Cost, outside.Seconds, want)
	}
	var after billing.Balance
	eventually.True(5*time.Second, func() bool { after, _ = e.engine.Balance(e.ctx, "acme"); return after.Reserved.IsZero() })
	if spent := before.Available.Sub(after.Available); !spent.Equal(outside.Cost) {
		t.Errorf("the account spent %s, the outside call cost %s (the teammate's call is free)", spent, outside.Cost)
	}
	if err := e.db.Check(e.ctx); err != nil {
		t.Error(err)
	}
}
