package switchboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
)

// TestTransfer: a rep who answered a call transfers it through the
// switchboard, blind (to an extension: the switchboard rings it and puts
// it in the rep's place) and attended (to the party of the rep's
// consultation call, joined with Replaces); so does a rep who placed the
// call. Each time the remaining party and the new one hear each other,
// the rep's legs end, and the call goes on as one call until one of them
// hangs up.
func TestTransfer(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp") // the customer, 101
	bob := e.phoneFor("bob@acme.test", "udp") // the rep, 102
	cy := e.phoneFor("cy@acme.test", "udp")   // the colleague, 103
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// check: ann (who stays) and the new party hear each other, the
	// rep's legs end, the call is one call until the party hangs up.
	check := func(kind string, stay, party *phone.Call, repLegs ...*phone.Call) {
		t.Helper()
		heardByAnn, heardByCy := talkBoth(stay.Media(), party.Media(), 440, 1000, 1500*time.Millisecond)
		if s := quarterShare(heardByCy[4000:], 440); s < 0.8 {
			t.Errorf("%s: cy hears ann at share %.2f", kind, s)
		}
		if s := quarterShare(heardByAnn[4000:], 1000); s < 0.8 {
			t.Errorf("%s: ann hears cy at share %.2f", kind, s)
		}
		for _, l := range repLegs {
			select {
			case <-l.Done():
			case <-time.After(10 * time.Second):
				t.Errorf("%s: a leg of the rep's is still up", kind)
			}
		}
		eventually.Must(t, 5*time.Second, kind+": one call on the switchboard", func() bool { return e.sb.Calls() == 1 })
		party.Hangup(ctx)
		select {
		case <-stay.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("%s: ann's leg did not end when cy hung up", kind)
		}
		eventually.Must(t, 5*time.Second, kind+": no call left", func() bool { return e.sb.Calls() == 0 })
	}

	// Blind.
	bobIn := answerNext(ctx, t, bob)
	call, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatal(err)
	}
	rep := <-bobIn
	cyIn := answerNext(ctx, t, cy)
	if err := rep.Transfer(ctx, "103", 20*time.Second); err != nil {
		t.Fatalf("blind transfer: %v", err)
	}
	check("blind", call, (<-cyIn).Call, rep.Call)

	// Attended: bob consults cy, then joins ann to her.
	bobIn = answerNext(ctx, t, bob)
	call, err = ann.Dial(ctx, "102")
	if err != nil {
		t.Fatal(err)
	}
	rep = <-bobIn
	cyIn = answerNext(ctx, t, cy)
	consult, err := bob.Dial(ctx, "103")
	if err != nil {
		t.Fatal(err)
	}
	colleague := <-cyIn
	if err := rep.TransferTo(ctx, consult, 20*time.Second); err != nil {
		t.Fatalf("attended transfer: %v", err)
	}
	check("attended", call, colleague.Call, rep.Call, consult)

	// The caller transfers: bob (the rep, 102) called ann (the
	// customer, 101) and hands her to cy, blind then attended.
	annIn := answerNext(ctx, t, ann)
	out, err := bob.Dial(ctx, "101")
	if err != nil {
		t.Fatal(err)
	}
	customer := <-annIn
	cyIn = answerNext(ctx, t, cy)
	if err := out.Transfer(ctx, "103", 20*time.Second); err != nil {
		t.Fatalf("blind transfer by the caller: %v", err)
	}
	check("caller blind", customer.Call, (<-cyIn).Call, out)

	annIn = answerNext(ctx, t, ann)
	out, err = bob.Dial(ctx, "101")
	if err != nil {
		t.Fatal(err)
	}
	customer = <-annIn
	cyIn = answerNext(ctx, t, cy)
	consult, err = bob.Dial(ctx, "103")
	if err != nil {
		t.Fatal(err)
	}
	colleague = <-cyIn
	if err := out.TransferTo(ctx, consult, 20*time.Second); err != nil {
		t.Fatalf("attended transfer by the caller: %v", err)
	}
	check("caller attended", customer.Call, colleague.Call, out, consult)

	// A transfer to nobody leaves the call with the rep.
	bobIn = answerNext(ctx, t, bob)
	call, err = ann.Dial(ctx, "102")
	if err != nil {
		t.Fatal(err)
	}
	rep = <-bobIn
	if err := rep.Transfer(ctx, "999", 10*time.Second); err == nil {
		t.Error("a transfer to an extension nobody has succeeded")
	}
	select {
	case <-rep.Done():
		t.Error("the rep's call ended after a failed transfer")
	default:
	}
	call.Hangup(ctx)
}
