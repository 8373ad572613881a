package switchboard_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/tetherphone/tether/phone/switchboard"
)

// TestSessionTimers: a caller asking for a session timer below Min-SE
// gets 422 with Min-SE; one asking for a fair one gets it, refresher
// itself, in the 2xx; its UPDATE refreshes keep the call up past the
// interval; when they stop, the switchboard ends the call on both legs
// with Reason 408. Methods it does not take get 405 with Allow.
func TestSessionTimers(t *testing.T) {
	e := newEnvWith(t, 0, switchboard.Config{MinSE: 2 * time.Second})
	udp, _ := e.sb.Addr("udp")
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := dialRaw(t, "127.0.0.1", udp)
	user, pw := bob.registered(e, "bob@acme.test")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	short := bob.dial(user, pw, "101", "Supported: timer\r\nSession-Expires: 1\r\n")
	if short.ok.StatusCode != 422 || short.ok.GetHeader("Min-SE") == nil || short.ok.GetHeader("Min-SE").Value() != "2" {
		t.Fatalf("Session-Expires 1 with Min-SE 2: %d %v", short.ok.StatusCode, short.ok.GetHeader("Min-SE"))
	}
	short.ackFailure()

	answered := make(chan func() <-chan struct{}, 1)
	go func() {
		select {
		case in := <-ann.Incoming():
			if err := in.Answer(ctx); err != nil {
				t.Error(err)
			}
			answered <- in.Done
		case <-ctx.Done():
		}
	}()
	c := bob.dial(user, pw, "101", "Supported: timer\r\nSession-Expires: 3\r\n")
	if c.ok.StatusCode != 200 {
		t.Fatalf("INVITE with a session timer: %d", c.ok.StatusCode)
	}
	se := c.ok.GetHeader("Session-Expires")
	if se == nil || strings.ReplaceAll(se.Value(), " ", "") != "3;refresher=uac" || c.ok.GetHeader("Require") == nil {
		t.Fatalf("the answer's session timer: Session-Expires %v, Require %v", se, c.ok.GetHeader("Require"))
	}
	c.inDialog("ACK", 2, "")
	annDone := <-answered

	// Refreshed every second for 4 s (past the 2 s a silent leg gets).
	for i := range 4 {
		time.Sleep(time.Second)
		c.inDialog("UPDATE", 3+i, "Supported: timer\r\nSession-Expires: 3;refresher=uac\r\n")
		res := bob.answer("UPDATE")
		if res.StatusCode != 200 || res.GetHeader("Session-Expires") == nil {
			t.Fatalf("refresh %d: %d, Session-Expires %v", i, res.StatusCode, res.GetHeader("Session-Expires"))
		}
		select {
		case <-annDone():
			t.Fatalf("the call ended while refreshed (refresh %d)", i)
		default:
		}
	}
	// Silence: the switchboard hangs up both legs.
	stopped := time.Now()
	bye, _ := bob.request(10 * time.Second)
	if bye.Method != sip.BYE {
		t.Fatalf("after the refreshes stopped bob got %s", bye.Method)
	}
	if r := bye.GetHeader("Reason"); r == nil || !strings.Contains(r.Value(), "cause=408") {
		t.Errorf("the BYE's Reason: %v", r)
	}
	if waited := time.Since(stopped); waited < time.Second {
		t.Errorf("hung up %v after the last refresh, before the interval was out", waited)
	}
	bob.reply(bye, 200, "", netip.AddrPort{})
	select {
	case <-annDone():
	case <-time.After(10 * time.Second):
		t.Error("ann's leg did not end with the caller's")
	}

	// A method the switchboard does not take.
	bob.send("PUBLISH sip:" + udp.String() + " SIP/2.0\r\nVia: SIP/2.0/UDP " + bob.addr.String() + ";branch=z9hG4bK" + token() +
		"\r\nMax-Forwards: 70\r\nFrom: <sip:" + user + "@" + udp.String() + ">;tag=p1\r\nTo: <sip:" + user + "@" + udp.String() +
		">\r\nCall-ID: " + token() + "\r\nCSeq: 1 PUBLISH\r\nEvent: presence\r\nContent-Length: 0\r\n\r\n")
	res := bob.answer("PUBLISH")
	if res.StatusCode != 405 || res.GetHeader("Allow") == nil || !strings.Contains(res.GetHeader("Allow").Value(), "UPDATE") {
		t.Errorf("PUBLISH: %d, Allow %v", res.StatusCode, res.GetHeader("Allow"))
	}
}
