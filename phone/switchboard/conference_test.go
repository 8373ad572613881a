package switchboard_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
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

	bobIn := answerNext(ctx, t, bob)
	call, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatal(err)
	}
	rep := (<-bobIn).Call
	if err := rep.Hold(ctx); err != nil {
		t.Fatal(err)
	}
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
