package switchboard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/switchboard"
)

// TestRingTimeout: a call nobody answers is given up RingTimeout after it
// began, even when one of the phones refuses on the way (each refusal used
// to start the wait again): the caller gets 480, no answer.
func TestRingTimeout(t *testing.T) {
	const ringFor, refuseAfter = 6 * time.Second, 3 * time.Second
	e := newEnvWith(t, 0, switchboard.Config{RingTimeout: ringFor})
	ann := e.phoneFor("ann@acme.test", "udp")
	e.phoneFor("bob@acme.test", "udp") // rings on, unanswered
	cy := e.phoneFor("cy@acme.test", "udp")
	go func() {
		in := <-cy.Incoming()
		select {
		case <-time.After(refuseAfter):
			in.Decline(486)
		case <-in.Done():
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	_, err := ann.Dial(ctx, "+14155550101") // bob and cy share it
	took := time.Since(start)
	if ce := (*phone.CallError)(nil); !errors.As(err, &ce) || ce.Code != 480 {
		t.Errorf("an unanswered ring-all with one refusal: %v, want 480", err)
	}
	// Started again by the refusal, it would have lasted refuseAfter+ringFor.
	if took < ringFor-time.Second || took >= refuseAfter+ringFor-500*time.Millisecond {
		t.Errorf("the ring-all lasted %v; RingTimeout is %v from the start", took, ringFor)
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
