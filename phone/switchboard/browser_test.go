package switchboard_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tetherphone/tether/internal/browser"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/internal/netns"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/switchboard"
)

// TestBrowserSoftphone: a real browser softphone (JsSIP in headless
// Chromium, over ws:// in a network namespace of its own) registers,
// calls a UDP phone and each hears the other's tone; when the UDP phone
// hangs up, the browser's call ends with the BYE. Then a browser call
// asking for a 60 s session timer outlives the interval on the browser's
// UPDATE refreshes. Last, the browser calls a number outside with 10 s of
// credit: the switchboard hangs it up with the 402 reason.
func TestBrowserSoftphone(t *testing.T) {
	if !netns.Isolated(t) {
		return
	}
	e := newEnvWith(t, 4, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}, MinSE: 60 * time.Second,
		WarnBefore: 3 * time.Second, MeterEvery: 500 * time.Millisecond})
	e.withSim()
	ws, _ := e.sb.Addr("ws")
	d, pw := e.device("ann@acme.test")
	ann := browser.Start(t, 440)
	ann.Register(fmt.Sprintf("ws://%s/ws", ws), fmt.Sprintf("sip:%s@127.0.0.1", d.Username), pw)
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	answered := make(chan *phone.Incoming, 1)
	go func() {
		select {
		case in := <-bob.Incoming():
			if err := in.Answer(ctx); err != nil {
				t.Error(err)
			}
			answered <- in
		case <-ctx.Done():
		}
	}()
	ann.Do(`window.tether.call("sip:102@127.0.0.1")`)
	ann.Until(20*time.Second, "the call to be answered", `window.tether.state.session && window.tether.state.session.confirmed`)
	in := <-answered
	heard := make(chan []int16, 1)
	go func() { heard <- talk(in.Media(), 1000, 3*time.Second) }()
	if !ann.Hears(1000, 10*time.Second) {
		hz, db, _ := ann.Loudest()
		t.Errorf("the browser does not hear bob's 1000 Hz (loudest %.0f Hz at %.0f dB)", hz, db)
	}
	if s := quarterShare((<-heard)[4000:], 440); s < 0.8 {
		t.Errorf("bob hears the browser's 440 Hz at share %.2f", s)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatalf("bob hanging up: %v", err)
	}
	ann.Until(10*time.Second, "the browser's call to end when bob hung up", `window.tether.state.session.status === "ended"`)
	if s := ann.Session(); s.End == nil || s.End.Originator != "remote" || s.End.Cause != "Terminated" {
		t.Errorf("the browser's call ended by %+v; want the far end's BYE (JsSIP's cause Terminated)", s.End)
	}
	eventually.Must(t, 5*time.Second, "the switchboard to forget the call", func() bool { return e.sb.Calls() == 0 })

	// A call past its session interval, kept up by the browser's refreshes.
	go func() {
		select {
		case in := <-bob.Incoming():
			in.Answer(ctx)
			answered <- in
		case <-ctx.Done():
		}
	}()
	ann.Do(`window.tether.call("sip:102@127.0.0.1", 60)`)
	ann.Until(20*time.Second, "the second call to be answered", `window.tether.state.session && window.tether.state.session.confirmed`)
	in = <-answered
	// The browser refreshes at 30 s; unrefreshed, the switchboard would
	// end the call 40 s in (RFC 4028: 60 s less 20).
	time.Sleep(45 * time.Second)
	if s := ann.Session(); s.Status != "confirmed" {
		t.Fatalf("45 s into a call with a 60 s session timer the browser's call is %q (%+v)", s.Status, s.End)
	}
	select {
	case <-in.Done():
		t.Fatal("bob's leg ended while the browser refreshed the session")
	default:
	}
	if e.sb.Calls() != 1 {
		t.Errorf("%d calls on the switchboard 45 s in", e.sb.Calls())
	}
	ann.Do(`window.tether.hangup()`)
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Error("bob's leg did not end when the browser hung up")
	}

	eventually.Must(t, 5*time.Second, "the switchboard to forget the call", func() bool { return e.sb.Calls() == 0 })

	// Out of credit: $0.015/min to a London landline, per second, and
	// $0.0025 left buys 10 s.
	b, _ := e.engine.Balance(e.ctx, "acme")
	if err := e.engine.Adjust(e.ctx, "acme", "leave-10s", b.Available.Sub(decimal.RequireFromString("0.0025")).Neg(), "test"); err != nil {
		t.Fatal(err)
	}
	ann.Do(`window.tether.call("sip:+442071234567@127.0.0.1")`)
	ann.Until(20*time.Second, "the call outside to be answered", `window.tether.state.session && window.tether.state.session.confirmed`)
	start := time.Now()
	ann.Until(30*time.Second, "the switchboard to end the call when the credit ran out", `window.tether.state.session.status === "ended"`)
	if took := time.Since(start); took < 8*time.Second {
		t.Errorf("the call ended after %v; 10 s were paid", took)
	}
	if s := ann.Session(); s.End == nil || s.End.Originator != "remote" || !strings.Contains(s.End.Reason, "cause=402") {
		t.Errorf("the browser's call outside ended by %+v; want the switchboard's BYE with Reason 402", s.End)
	}
}
