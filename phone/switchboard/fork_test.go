package switchboard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/switchboard"
)

// TestRingTimeout: a call nobody answers is given up RingTimeout after it
// began on the switchboard's clock, even when one of the phones refuses on
// the way (each refusal used to start the wait again): the caller gets
// 480, no answer (the number takes no voicemail). The switchboard runs on a fake clock.
func TestRingTimeout(t *testing.T) {
	const ringFor = 2 * time.Minute
	clock := clockwork.NewFakeClock()
	e := newEnvWith(t, 0, switchboard.Config{RingTimeout: ringFor, Clock: clock, Now: time.Now})
	n, err := e.db.Number(e.ctx, "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	n.Voicemail = false // (with voicemail, NoAnswer then voicemail: noanswer_test.go)
	if err := e.db.UpdateNumber(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp") // rings on, unanswered
	cy := e.phoneFor("cy@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	result := make(chan error, 1)
	go func() {
		_, err := ann.Dial(ctx, "+14155550101") // bob and cy share it
		result <- err
	}()
	var cyIn *phone.Incoming
	select {
	case cyIn = <-cy.Incoming():
	case <-ctx.Done():
		t.Fatal("cy's phone never rang")
	}
	select {
	case <-bob.Incoming():
	case <-ctx.Done():
		t.Fatal("bob's phone never rang")
	}
	if err := clock.BlockUntilContext(ctx, 1); err != nil { // the ring-all's deadline
		t.Fatal(err)
	}
	clock.Advance(ringFor - time.Second)
	cyIn.Decline(486)
	// The refusal reaches the ring-all; it rings on (bob), for one second
	// more, not another two minutes.
	eventually.Must(t, 10*time.Second, "the ring-all sees cy's refusal", func() bool { return cyIn.State() == phone.Ended })
	select {
	case err := <-result:
		t.Fatalf("the call ended at the refusal: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	clock.Advance(time.Second)
	select {
	case err := <-result:
		if ce := (*phone.CallError)(nil); !errors.As(err, &ce) || ce.Code != 480 {
			t.Errorf("an unanswered ring-all with one refusal: %v, want 480", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the ring-all outlived its timeout after a phone refused")
	}
}

// TestCloseEndsCalls: closing the switchboard with one call connected and
// one ringing ends both (the connected caller gets a BYE, the ringing one
// a 503) and returns once every call's goroutine has.
func TestCloseEndsCalls(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	cy := e.phoneFor("cy@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	answered := answerNext(ctx, t, bob)
	talking, err := ann.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	<-answered
	rang := make(chan struct{})
	go func() {
		<-ann.Incoming() // ann's second phone line: cy calls ann, nobody answers
		close(rang)
	}()
	ringing := make(chan error, 1)
	go func() {
		_, err := cy.Dial(ctx, "ann")
		ringing <- err
	}()
	select {
	case <-rang:
	case <-time.After(20 * time.Second):
		t.Fatal("ann's phone never rang")
	}
	if switchboard.Running(e.sb) == 0 {
		t.Fatal("no call goroutine counted while calls are up")
	}
	start := time.Now()
	e.sb.Close()
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("Close took %v", took)
	}
	if n := switchboard.Running(e.sb); n != 0 {
		t.Errorf("%d call goroutines still running after Close", n)
	}
	select {
	case <-talking.Done():
	case <-time.After(10 * time.Second):
		t.Error("the connected call did not end")
	}
	select {
	case err := <-ringing:
		var ce *phone.CallError
		if !errors.As(err, &ce) || ce.Code != 503 {
			t.Errorf("the ringing caller got %v, want 503", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the ringing call did not end")
	}
}
