// Tests of phones with WebRTC media (ICE, DTLS-SRTP) through the
// switchboard's bridge.

package switchboard_test

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/selfcert"
	"github.com/tetherphone/tether/phone/switchboard"
)

// TestWebRTCPhone: a phone with WebRTC media (ICE, DTLS-SRTP) over
// WebSocket calls a UDP phone through the switchboard, which bridges
// WebRTC to plain RTP: audio both ways, key presses delivered, hold and
// resume across the bridge. Then the UDP phone calls it back (the
// switchboard offers WebRTC to it), and it calls a number on the network
// simulator, billed as any call.
func TestWebRTCPhone(t *testing.T) {
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}})
	sim := e.withSim()
	ann := e.phoneWith("ann@acme.test", phone.Config{Transport: "ws", Media: "webrtc"})
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	ch := answerNext(ctx, t, bob)
	call, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatalf("the WebRTC phone calling bob: %v", err)
	}
	in := <-ch
	if !call.Secure() {
		t.Error("the WebRTC call is not reported secure")
	}
	hearEachOther(t, "WebRTC to UDP", call, in.Call, 0.9)
	if err := call.Media().SendDTMF("42*", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	talking := make(chan struct{})
	go func() { talk(call.Media(), 440, 3*time.Second, call.Done()); close(talking) }()
	var digits []rune
	for len(digits) < 3 {
		select {
		case d := <-in.Media().Digits():
			digits = append(digits, d)
		case <-time.After(10 * time.Second):
			t.Fatalf("bob received %q of the key presses 42*", string(digits))
		}
	}
	<-talking
	if string(digits) != "42*" {
		t.Errorf("bob received %q, want 42*", string(digits))
	}
	if err := call.Hold(ctx); err != nil {
		t.Fatalf("holding over WebRTC: %v", err)
	}
	if _, heardByBob := talkBoth(call.Media(), in.Media(), 440, 1000, 1500*time.Millisecond); audio.Energy(heardByBob[6000:]) > 1e-4 {
		t.Errorf("bob still hears ann while she holds (energy %.5f)", audio.Energy(heardByBob[6000:]))
	}
	if err := call.Resume(ctx); err != nil {
		t.Fatalf("resuming over WebRTC: %v", err)
	}
	hearEachOther(t, "resumed", call, in.Call, 0.9)
	call.Hangup(ctx)
	waitEnded(t, in.Call, "bob's call, when the WebRTC phone hung up")

	ch = answerNext(ctx, t, ann)
	back, err := bob.Dial(ctx, "101")
	if err != nil {
		t.Fatalf("bob calling the WebRTC phone: %v", err)
	}
	in = <-ch
	hearEachOther(t, "UDP to WebRTC", back, in.Call, 0.9)
	in.Hangup(ctx)
	waitEnded(t, back, "bob's call, when the WebRTC phone hung up")

	out, err := ann.Dial(ctx, "+442071234567")
	if err != nil {
		t.Fatalf("the WebRTC phone calling London: %v", err)
	}
	heard := talk(out.Media(), 600, 2*time.Second)
	out.Hangup(ctx)
	if s := quarterShare(heard[8000:], 600); s < 0.8 {
		t.Errorf("the WebRTC phone hears its echo from the network at share %.2f", s)
	}
	if calls, _ := sim.Stats(); calls != 1 {
		t.Errorf("the network answered %d calls", calls)
	}
	recs := waitRecords(e, 3)
	var billed bool
	for _, r := range recs {
		billed = billed || r.Direction == "outbound" && r.Cost.IsPositive()
	}
	if !billed {
		t.Errorf("the call to London was not billed: %+v", recs)
	}
	noWebRTCLegsLeft(t, e)
}

// TestSDESCallerAndWebRTCCallee: a caller whose keys (SDES) pass the
// relay end to end cannot reach a phone with WebRTC media, which has its
// own: the WebRTC phone does not ring, the caller hears 480, and a phone
// of the same person on plain RTP still takes the call.
func TestSDESCallerAndWebRTCCallee(t *testing.T) {
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}})
	ann := e.phoneWith("ann@acme.test", phone.Config{Transport: "udp", SRTP: "required"})
	bobWeb := e.phoneWith("bob@acme.test", phone.Config{Transport: "ws", Media: "webrtc"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := ann.Dial(ctx, "102")
	var ce *phone.CallError
	if !errors.As(err, &ce) || ce.Code != 480 {
		t.Fatalf("calling a WebRTC-only teammate with SDES keys: %v, want 480", err)
	}
	select {
	case in := <-bobWeb.Incoming():
		t.Errorf("the WebRTC phone rang for an SDES call: %s", in.Remote())
	default:
	}
	answerNext(ctx, t, e.phoneFor("bob@acme.test", "udp"))
	call, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatalf("with a plain phone online too: %v", err)
	}
	if !call.Secure() {
		t.Error("the call is not encrypted end to end")
	}
	call.Hangup(ctx)
}

// TestSecureWebSocketWebRTC: a WebRTC phone over wss:// (SIP over
// WebSocket over TLS, the switchboard's certificate trusted) calls a UDP
// phone: audio both ways.
func TestSecureWebSocketWebRTC(t *testing.T) {
	cert, err := selfcert.New()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "wss://127.0.0.1:0"},
		TLS: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}})
	ann := e.phoneWith("ann@acme.test", phone.Config{Transport: "wss", Media: "webrtc", TLS: &tls.Config{RootCAs: cert.Pool}})
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	answered := answerNext(ctx, t, bob)
	call, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatalf("calling over wss: %v", err)
	}
	in := <-answered
	hearEachOther(t, "wss and WebRTC to UDP", call, in.Call, 0.9)
	if err := call.Hangup(ctx); err != nil {
		t.Errorf("hanging up over wss: %v", err)
	}
	waitEnded(t, in.Call, "bob's call")
}

// answerNext answers u's next incoming call (until ctx ends) and hands it
// over.
func answerNext(ctx context.Context, t *testing.T, u *phone.UA) <-chan *phone.Incoming {
	ch := make(chan *phone.Incoming, 1)
	go func() {
		select {
		case in := <-u.Incoming():
			if err := in.Answer(ctx); err != nil {
				t.Error(err)
			}
			ch <- in
		case <-ctx.Done():
		}
	}()
	return ch
}

// hearEachOther has a call's two ends talk at once (the caller 440 Hz, the
// callee 1000 Hz) and checks that each hears the other at share min or
// better.
func hearEachOther(t *testing.T, when string, caller, callee *phone.Call, min float64) {
	t.Helper()
	heardByCaller, heardByCallee := talkBoth(caller.Media(), callee.Media(), 440, 1000, 2*time.Second)
	if s := quarterShare(heardByCallee[4000:], 440); s < min {
		t.Errorf("%s: the callee hears the caller at share %.2f", when, s)
	}
	if s := quarterShare(heardByCaller[4000:], 1000); s < min {
		t.Errorf("%s: the caller hears the callee at share %.2f", when, s)
	}
}

// waitEnded waits (10 s at most) for a call to end.
func waitEnded(t *testing.T, c *phone.Call, what string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not end", what)
	}
}

// noWebRTCLegsLeft checks (waiting 10 s at most) that the switchboard has
// released every WebRTC leg.
func noWebRTCLegsLeft(t *testing.T, e *env) {
	t.Helper()
	eventually.True(10*time.Second, func() bool { return e.sb.WebRTCLegs() == 0 })
	if n := e.sb.WebRTCLegs(); n > 0 {
		t.Errorf("%d WebRTC legs left open after the calls", n)
	}
}
