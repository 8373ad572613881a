package phone_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// registered starts a UA and keeps it registered for the test.
func registered(t *testing.T, k *peers.Kamailio, user, transport string) *phone.UA {
	t.Helper()
	u := newUA(t, k, user, user+"-secret", transport)
	keepRegistered(t, u)
	return u
}

// talk plays a tone into a call and records what comes back, in real
// time, until d has passed or the call ends.
func talk(m *media.Session, freq float64, d time.Duration, done <-chan struct{}) []int16 {
	n := m.FrameSize()
	tone, in := make([]int16, n), make([]int16, n)
	var rec []int16
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for k := 0; k < int(d/(20*time.Millisecond)); k++ {
		select {
		case <-tick.C:
		case <-done:
			return rec
		}
		audio.Sine(tone, freq, 8000, 12000, k*n)
		m.WriteFrame(tone)
		m.ReadFrame(in)
		rec = append(rec, in...)
	}
	return rec
}

// answerNext answers u's next incoming call and hands it over.
func answerNext(t *testing.T, u *phone.UA) <-chan *phone.Incoming {
	ch := make(chan *phone.Incoming, 1)
	go func() {
		in := <-u.Incoming()
		if err := in.Answer(context.Background()); err != nil {
			t.Error(err)
		}
		ch <- in
	}()
	return ch
}

// converse has a and b send tones fa and fb for a second, and returns the
// share of the other's tone each heard over the second half.
func converse(a, b *phone.Call, fa, fb float64) (aHeard, bHeard float64) {
	var ra, rb []int16
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ra = talk(a.Media(), fa, time.Second, a.Done()) }()
	go func() { defer wg.Done(); rb = talk(b.Media(), fb, time.Second, b.Done()) }()
	wg.Wait()
	return audio.BestShare(ra, fb, 8000, quarter), audio.BestShare(rb, fa, 8000, quarter)
}

func TestCallThroughKamailio(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
			alice := registered(t, k, "alice", transport)
			bob := registered(t, k, "bob", transport)

			var bobCall *phone.Incoming
			answered := make(chan error, 1)
			go func() {
				select {
				case in := <-bob.Incoming():
					bobCall = in
					if in.Remote() != "sip:alice@127.0.0.1" {
						t.Errorf("bob sees the call from %s", in.Remote())
					}
					answered <- in.Answer(context.Background())
				case <-time.After(20 * time.Second):
					answered <- errors.New("no call arrived")
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			call, err := alice.Dial(ctx, "bob")
			if err != nil {
				select {
				case aerr := <-answered:
					t.Fatalf("Dial: %v (bob's Answer: %v)", err, aerr)
				default:
				}
				t.Fatalf("Dial: %v", err)
			}
			if err := <-answered; err != nil {
				t.Fatalf("Answer: %v", err)
			}
			if call.State() != phone.Connected {
				t.Fatalf("state %s", call.State())
			}
			// Audio both ways, and digits from alice to bob.
			if err := call.Media().SendDTMF("42#", 100*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			var recA, recB []int16
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); recA = talk(call.Media(), 440, 1500*time.Millisecond, call.Done()) }()
			go func() { defer wg.Done(); recB = talk(bobCall.Media(), 1000, 1500*time.Millisecond, bobCall.Done()) }()
			wg.Wait()
			if share := audio.BestShare(recB, 440, 8000, quarter); share < 0.8 {
				t.Errorf("bob hears alice's 440 Hz at share %.2f", share)
			}
			if share := audio.BestShare(recA, 1000, 8000, quarter); share < 0.8 {
				t.Errorf("alice hears bob's 1000 Hz at share %.2f", share)
			}
			var digits []rune
		collect:
			for len(digits) < 3 {
				select {
				case d := <-bobCall.Media().Digits():
					digits = append(digits, d)
				case <-time.After(5 * time.Second):
					break collect
				}
			}
			if string(digits) != "42#" {
				t.Errorf("bob received digits %q", string(digits))
			}
			// The same by SIP INFO, from the answering side this time.
			if err := bobCall.SendDTMFInfo(ctx, "7*"); err != nil {
				t.Fatalf("SendDTMFInfo: %v", err)
			}
			for _, want := range "7*" {
				select {
				case d := <-call.Media().Digits():
					if d != want {
						t.Errorf("INFO digit %q, want %q", d, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("no INFO digit %q", want)
				}
			}
			// Bob hangs up; alice's call ends.
			if err := bobCall.Hangup(ctx); err != nil {
				t.Fatalf("Hangup: %v", err)
			}
			select {
			case <-call.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("alice's call did not end after bob's BYE")
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}, "MD5")
	alice := registered(t, k, "alice", "udp")
	bob := registered(t, k, "bob", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Busy.
	go func() {
		in := <-bob.Incoming()
		in.Decline(486)
	}()
	if _, err := alice.Dial(ctx, "bob"); !errors.Is(err, phone.ErrBusy) {
		t.Errorf("busy: %v", err)
	}
	// Declined.
	go func() {
		in := <-bob.Incoming()
		in.Decline(603)
	}()
	if _, err := alice.Dial(ctx, "bob"); !errors.Is(err, phone.ErrDeclined) {
		t.Errorf("declined: %v", err)
	}
	// Not registered.
	if _, err := alice.Dial(ctx, "carol"); !errors.Is(err, phone.ErrNotFound) {
		t.Errorf("unregistered callee: %v", err)
	}
	// Cancelled while ringing: bob's side ends too.
	ringing := make(chan *phone.Incoming, 1)
	go func() { ringing <- <-bob.Incoming() }()
	dctx, dcancel := context.WithCancel(ctx)
	_, err := alice.Dial(dctx, "bob", phone.OnRinging(dcancel))
	if !errors.Is(err, phone.ErrUnanswered) {
		t.Errorf("cancelled: %v", err)
	}
	in := <-ringing
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Error("bob's ringing call did not end after CANCEL")
	}
}

// TestHoldResume: alice holds the call (re-INVITE sendonly): no audio
// either way; she resumes: audio flows again. Then bob holds and resumes.
func TestHoldResume(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	alice := registered(t, k, "alice", "udp")
	bob := registered(t, k, "bob", "udp")
	holdResume(t, alice, bob)
}

// dialAnswered has alice call bob, who answers: both ends of the call.
func dialAnswered(t *testing.T, ctx context.Context, alice, bob *phone.UA) (*phone.Call, *phone.Incoming) {
	t.Helper()
	answered := make(chan *phone.Incoming, 1)
	go func() {
		in := <-bob.Incoming()
		in.Answer(context.Background())
		answered <- in
	}()
	call, err := alice.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	return call, <-answered
}

// holdResume: alice calls bob; audio flows, stops while either holds, and
// flows again on resuming.
func holdResume(t *testing.T, alice, bob *phone.UA) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, bobCall := dialAnswered(t, ctx, alice, bob)
	exchange := func() (recA, recB []int16) {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); recA = talk(call.Media(), 440, time.Second, call.Done()) }()
		go func() { defer wg.Done(); recB = talk(bobCall.Media(), 1000, time.Second, bobCall.Done()) }()
		wg.Wait()
		return recA[len(recA)/2:], recB[len(recB)/2:]
	}
	flows := func(when string) {
		t.Helper()
		a, b := exchange()
		if s := audio.BestShare(b, 440, 8000, quarter); s < 0.8 {
			t.Errorf("%s: bob hears alice at share %.2f", when, s)
		}
		if s := audio.BestShare(a, 1000, 8000, quarter); s < 0.8 {
			t.Errorf("%s: alice hears bob at share %.2f", when, s)
		}
	}
	silent := func(when string) {
		t.Helper()
		a, b := exchange()
		if e := audio.Energy(a); e > 1e-4 {
			t.Errorf("%s: alice still hears audio (energy %.4f)", when, e)
		}
		if e := audio.Energy(b); e > 1e-4 {
			t.Errorf("%s: bob still hears audio (energy %.4f)", when, e)
		}
	}
	flows("before hold")
	if err := call.Hold(ctx); err != nil {
		t.Fatalf("Hold: %v", err)
	}
	if !call.OnHold() {
		t.Error("OnHold false after Hold")
	}
	silent("alice holds")
	if err := call.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	flows("alice resumed")
	// Now the callee holds (a re-INVITE from the answering side).
	if err := bobCall.Hold(ctx); err != nil {
		t.Fatalf("bob Hold: %v", err)
	}
	silent("bob holds")
	if err := bobCall.Resume(ctx); err != nil {
		t.Fatalf("bob Resume: %v", err)
	}
	flows("bob resumed")
	// Ten more holds and resumes, the events left unread meanwhile: none
	// is dropped, and each says who holds.
	for range 10 {
		if err := call.Hold(ctx); err != nil {
			t.Fatalf("Hold: %v", err)
		}
		if err := call.Resume(ctx); err != nil {
			t.Fatalf("Resume: %v", err)
		}
	}
	call.Hangup(ctx)
	var got []string
	timeout := time.After(10 * time.Second)
read:
	for {
		select {
		case e, ok := <-call.Events():
			if !ok {
				break read
			}
			got = append(got, fmt.Sprintf("%s held=%v remote=%v", e.State, e.Held, e.RemoteHold))
		case <-timeout:
			t.Fatalf("the call's events did not end: %q", got)
		}
	}
	want := []string{"connected held=false remote=false", "held held=true remote=false", "connected held=false remote=false",
		"held held=false remote=true", "connected held=false remote=false"}
	for range 10 {
		want = append(want, "held held=true remote=false", "connected held=false remote=false")
	}
	want = append(want, "ended held=false remote=false")
	if len(got) > 0 && strings.HasPrefix(got[0], "ringing") {
		got = got[1:]
	}
	if !slices.Equal(got, want) {
		t.Errorf("alice's call events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRTPTimeout: the far end's audio stops without a BYE; the call ends
// with ErrRTPTimeout.
func TestRTPTimeout(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	alice := startUA(t, phone.Config{User: "sip:alice@127.0.0.1:" + itoa(k.Port), Password: "alice-secret",
		Expires: time.Minute, RTPTimeout: time.Second})
	bob := registered(t, k, "bob", "udp")
	go func() {
		in := <-bob.Incoming()
		in.Answer(context.Background())
		// Bob sends nothing at all.
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := alice.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-call.Done():
		if !errors.Is(call.Err(), phone.ErrRTPTimeout) {
			t.Fatalf("ended with %v", call.Err())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the call did not time out")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCallWaiting: bob is talking to alice when carol calls her; alice
// holds bob, answers carol, talks, hangs up, and resumes bob.
func TestCallWaiting(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}, "MD5")
	alice := registered(t, k, "alice", "udp")
	bob := registered(t, k, "bob", "udp")
	carol := registered(t, k, "carol", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	answer := func() <-chan *phone.Incoming {
		ch := make(chan *phone.Incoming, 1)
		go func() {
			select {
			case in := <-alice.Incoming():
				if err := in.Answer(ctx); err != nil {
					t.Error(err)
				}
				ch <- in
			case <-ctx.Done():
				close(ch)
			}
		}()
		return ch
	}
	firstCh := answer()
	bobCall, err := bob.Dial(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	first := <-firstCh

	// Carol calls while alice is on the first call: it rings as a second call.
	secondCh := make(chan *phone.Incoming, 1)
	go func() { secondCh <- <-alice.Incoming() }()
	carolDone := make(chan *phone.Call, 1)
	go func() {
		c, err := carol.Dial(ctx, "alice")
		if err != nil {
			t.Error(err)
		}
		carolDone <- c
	}()
	second := <-secondCh
	if second.Remote() != "sip:carol@127.0.0.1" || first.State() != phone.Connected {
		t.Fatalf("second call from %s while the first is %s", second.Remote(), first.State())
	}
	if err := first.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	if err := second.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	carolCall := <-carolDone
	if carolCall == nil {
		t.FailNow()
	}
	pair := func(a, b *phone.Call, fa, fb float64) (float64, float64) {
		var ra, rb []int16
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); ra = talk(a.Media(), fa, time.Second, a.Done()) }()
		go func() { defer wg.Done(); rb = talk(b.Media(), fb, time.Second, b.Done()) }()
		wg.Wait()
		return audio.BestShare(rb, fa, 8000, quarter), audio.BestShare(ra, fb, 8000, quarter)
	}
	if sa, sb := pair(second.Call, carolCall, 440, 1000); sa < 0.8 || sb < 0.8 {
		t.Errorf("alice and carol: shares %.2f %.2f", sa, sb)
	}
	if err := second.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	<-carolCall.Done()
	if err := first.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if sa, sb := pair(first.Call, bobCall, 600, 1200); sa < 0.8 || sb < 0.8 {
		t.Errorf("alice and bob after resume: shares %.2f %.2f", sa, sb)
	}
	bobCall.Hangup(ctx)
}

// TestBlindTransfer: bob answers alice, then transfers her to carol; alice
// calls carol by herself, they talk, and bob is out of the call.
func TestBlindTransfer(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}, "MD5")
	alice := registered(t, k, "alice", "udp")
	bob := registered(t, k, "bob", "udp")
	carol := registered(t, k, "carol", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bobCh, carolCh := answerNext(t, bob), answerNext(t, carol)
	aliceCall, err := alice.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	bobCall := <-bobCh
	if err := bobCall.Transfer(ctx, "carol", 20*time.Second); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	var newCall *phone.Call
	select {
	case newCall = <-alice.Transferred():
	case <-time.After(20 * time.Second):
		t.Fatal("alice placed no transferred call")
	}
	carolCall := <-carolCh
	if newCall.Remote() != "sip:carol@127.0.0.1" {
		t.Errorf("transferred to %s", newCall.Remote())
	}
	select {
	case <-aliceCall.Done():
	case <-time.After(10 * time.Second):
		t.Error("the transferred call with bob did not end")
	}
	if bobCall.State() != phone.Ended {
		t.Errorf("bob's call is %s", bobCall.State())
	}
	if a, c := converse(newCall, carolCall.Call, 440, 1000); a < 0.8 || c < 0.8 {
		t.Errorf("after the transfer: alice hears carol at share %.2f, carol hears alice at %.2f", a, c)
	}
	newCall.Hangup(ctx)
}

// TestSRTPCall: a phone that requires SRTP calls one with the default
// policy: the call is encrypted (SDES keys in the SDP) and carries audio
// both ways; a phone with SRTP off refuses the same call.
func TestSRTPCall(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}, "MD5")
	alice := startUA(t, phone.Config{User: "sip:alice@127.0.0.1:" + itoa(k.Port), Password: "alice-secret",
		SRTP: "required"})
	bob := registered(t, k, "bob", "udp")
	answered := answerNext(t, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := alice.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	bobCall := <-answered
	if !call.Secure() || !bobCall.Secure() {
		t.Fatalf("secure: alice %v, bob %v", call.Secure(), bobCall.Secure())
	}
	if a, b := converse(call, bobCall.Call, 440, 1000); a < 0.8 || b < 0.8 {
		t.Errorf("over SRTP: alice hears bob at share %.2f, bob hears alice at %.2f", a, b)
	}
	call.Hangup(ctx)

	// Carol will not do SRTP: alice's call is refused as not acceptable.
	carol := startUA(t, phone.Config{User: "sip:carol@127.0.0.1:" + itoa(k.Port), Password: "carol-secret", SRTP: "off"})
	keepRegistered(t, carol)
	go func() {
		in := <-carol.Incoming()
		if err := in.Answer(context.Background()); err == nil {
			t.Error("carol answered an SRTP offer with SRTP off")
		}
	}()
	var ce *phone.CallError
	if _, err := alice.Dial(ctx, "carol"); !errors.As(err, &ce) || ce.Code != 488 {
		t.Fatalf("SRTP to a phone without it: %v, want 488", err)
	}
}

// TestTLSCall: registration and a call over TLS to Kamailio; with TLS the
// call is encrypted end to end by default (SRTP).
func TestTLSCall(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	tlsUA := func(user string) *phone.UA {
		u := startUA(t, phone.Config{User: fmt.Sprintf("sip:%s@127.0.0.1:%d", user, k.TLSPort), Password: user + "-secret",
			Transport: "tls", TLS: &tls.Config{RootCAs: k.CA, ServerName: "127.0.0.1"}, Expires: time.Minute})
		keepRegistered(t, u)
		return u
	}
	alice, bob := tlsUA("alice"), tlsUA("bob")
	answered := answerNext(t, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := alice.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	bobCall := <-answered
	if !call.Secure() || !bobCall.Secure() {
		t.Fatalf("over TLS the call should be SRTP: alice %v, bob %v", call.Secure(), bobCall.Secure())
	}
	if a, b := converse(call, bobCall.Call, 440, 1000); a < 0.8 || b < 0.8 {
		t.Errorf("over TLS: alice hears bob at share %.2f, bob hears alice at %.2f", a, b)
	}
	if err := bobCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	<-call.Done()
}

// TestEarlyMedia: bob plays an announcement before refusing (as a server
// does for a call it will not connect): alice hears it while the call
// rings, then gets the refusal.
func TestEarlyMedia(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	alice := registered(t, k, "alice", "udp")
	bob := registered(t, k, "bob", "udp")
	go func() {
		in := <-bob.Incoming()
		if err := in.Progress(context.Background()); err != nil {
			t.Error(err)
			return
		}
		talk(in.Media(), 440, 1500*time.Millisecond, in.Done())
		in.Decline(486)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	heard := make(chan []int16, 1)
	states := make(chan []phone.CallState, 1)
	_, err := alice.Dial(ctx, "bob", phone.OnEarlyMedia(func(c *phone.Call) {
		go func() { heard <- talk(c.Media(), 1000, time.Second, c.Done()) }()
		go func() {
			var seen []phone.CallState
			for e := range c.Events() {
				seen = append(seen, e.State)
			}
			states <- seen
		}()
	}))
	if !errors.Is(err, phone.ErrBusy) {
		t.Fatalf("after the announcement: %v, want busy", err)
	}
	select {
	case seen := <-states:
		if !slices.Equal(seen, []phone.CallState{phone.Ringing, phone.EarlyMedia, phone.Ended}) {
			t.Errorf("the call went %v, want ringing, early media, ended", seen)
		}
	case <-time.After(10 * time.Second):
		t.Error("the call's events did not end")
	}
	select {
	case rec := <-heard:
		// The best quarter second: under load the stream may start late.
		best := 0.0
		for i := 0; i+2000 <= len(rec); i += 1000 {
			best = max(best, audio.ToneShare(rec[i:i+2000], 440, 8000))
		}
		if best < 0.8 {
			t.Errorf("early media heard at share %.2f (%d samples)", best, len(rec))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no early media")
	}
}

// TestWebRTCThroughKamailio: two phones with WebRTC media (ICE,
// DTLS-SRTP) register with Kamailio over WebSocket and call through it:
// audio both ways, key presses delivered, hold and resume.
func TestWebRTCThroughKamailio(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	fast := phone.Config{RTCPInterval: 300 * time.Millisecond}
	alice, bob := webrtcUA(t, k, "alice", fast), webrtcUA(t, k, "bob", fast)
	ch := answerNext(t, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := alice.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	in := <-ch
	if !call.Secure() || !in.Secure() {
		t.Error("a WebRTC call is not reported secure")
	}
	aHeard, bHeard := converse(call, in.Call, 440, 1000)
	if aHeard < 0.8 || bHeard < 0.8 {
		t.Errorf("alice hears bob at share %.2f, bob hears alice at %.2f", aHeard, bHeard)
	}
	if err := call.Media().SendDTMF("15#", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	talking := make(chan struct{})
	go func() { talk(call.Media(), 440, 3*time.Second, call.Done()); close(talking) }() // frames carry the presses
	var got []rune
	for len(got) < 3 {
		select {
		case d := <-in.Media().Digits():
			got = append(got, d)
		case <-time.After(10 * time.Second):
			t.Fatalf("bob received %q of the key presses 15#", string(got))
		}
	}
	if string(got) != "15#" {
		t.Errorf("bob received %q, want 15#", string(got))
	}
	<-talking
	// RTCP crosses the gateways too: each side hears the other's reports
	// on its own stream, with a round trip.
	for _, c := range []*phone.Call{call, in.Call} {
		if q := c.Media().Stats().Quality; q.Reports == 0 || q.RTT <= 0 {
			t.Errorf("no reports from the far end over WebRTC: %+v", q)
		}
	}
	call.Hangup(ctx)
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Error("bob's call did not end")
	}
	holdResume(t, alice, bob)
}

// TestWebRTCConnectionFails: a WebRTC call whose media can find no path
// (relay-only, through a TURN server that never answers, so no candidate
// is gathered) is answered, then ends by itself: the side whose
// connection fails first hangs up with ErrMediaFailed (the other hears its
// BYE), rather than both staying silent until the RTP timeout.
func TestWebRTCConnectionFails(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	mute, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	alice := webrtcUA(t, k, "alice", phone.Config{RTPTimeout: 5 * time.Minute, ICERelayOnly: true,
		ICEServers: []webrtcgw.ICEServer{{URL: "turn:" + mute.LocalAddr().String(), Username: "u", Credential: "p"}}})
	bob := webrtcUA(t, k, "bob", phone.Config{RTPTimeout: 5 * time.Minute})
	answered := answerNext(t, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := alice.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	in := <-answered
	for _, c := range []*phone.Call{call, in.Call} {
		select {
		case <-c.Done():
		case <-time.After(90 * time.Second):
			t.Fatal("the call with no media path did not end")
		}
	}
	if !errors.Is(call.Err(), phone.ErrMediaFailed) && !errors.Is(in.Err(), phone.ErrMediaFailed) {
		t.Errorf("the calls ended with %v and %v, want ErrMediaFailed on one side", call.Err(), in.Err())
	}
}

// webrtcUA keeps user (password user+"-secret") registered with k over
// WebSocket, with WebRTC media; cfg adds the rest.
func webrtcUA(t *testing.T, k *peers.Kamailio, user string, cfg phone.Config) *phone.UA {
	t.Helper()
	cfg.User, cfg.Password = fmt.Sprintf("sip:%s@127.0.0.1:%d", user, k.WSPort), user+"-secret"
	cfg.Transport, cfg.WSPath, cfg.Media, cfg.Expires = "ws", "/ws", "webrtc", time.Minute
	u := startUA(t, cfg)
	keepRegistered(t, u)
	return u
}

// quarter is the window tones are looked for in (audio.BestShare): proof
// the sound got through, not that the machine had spare CPU.
const quarter = 250 * time.Millisecond
