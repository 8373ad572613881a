package ui_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/media"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/internal/embedded"
	wait "github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/ui"
)

// phoneOf registers a new phone (device) of a demo user at the embedded
// switchboard, with media of kind ("" for rtp; "webrtc").
func phoneOf(t *testing.T, sys *embedded.System, who string, kind ...string) *phone.UA {
	t.Helper()
	ctx := context.Background()
	c := session(t, sys.API, sys.Users, who).Account.(*api.Client)
	dev, err := c.NewDevice(ctx, "test "+who)
	if err != nil {
		t.Fatal(err)
	}
	route, err := dev.Route(append(kind, "rtp")[0])
	if err != nil {
		t.Fatal(err)
	}
	ua, err := phone.New(phone.Config{User: "sip:" + dev.Username + "@" + route.Addr, Password: dev.Password, Listen: "127.0.0.1:0",
		Transport: route.Transport, Media: route.Media})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	rctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go ua.Register(rctx)
	for e := range ua.Events() {
		if e.State == phone.Registered {
			break
		}
	}
	return ua
}

// TestCallWaiting: on a call, a second call rings the app too; answering
// it puts the first on hold (its far end hears that), and when the second
// ends the app takes the first up again.
func TestCallWaiting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sys := startSystem(t, ctx)
	s := session(t, sys.API, sys.Users, "owner")
	owner := phoneOf(t, sys, "owner")
	rep, admin := phoneOf(t, sys, "rep"), phoneOf(t, sys, "admin")
	sh, _ := shell(t, s, owner)
	soft := make(chan bool, 4)
	ui.Run(func() {
		sh.Phone.Ringer = func() func() { soft <- false; return func() {} }
		sh.Phone.SoftRinger = func() func() { soft <- true; return func() {} }
	})
	ring := func(from *phone.UA) *phone.Call { return callTheApp(ctx, t, sh, owner, from, s.Me.Extension) }
	first := ring(rep)
	if <-soft {
		t.Error("the first call rang softly")
	}
	eventually(t, "the first call connected", func() bool { in, state := sh.Phone.InCall(); return in && strings.HasPrefix(state, "Connected") })
	heldEvents := first.Events()
	second := ring(admin)
	if !<-soft {
		t.Error("the second call rang at full ringtone during the first")
	}
	eventually(t, "the second call connected, the first on hold", func() bool {
		in, state := sh.Phone.InCall()
		waiting, who := sh.Phone.Waiting()
		return in && strings.HasPrefix(state, "Connected") && waiting && who != ""
	})
	sawHold := false
	for deadline := time.After(10 * time.Second); !sawHold; {
		select {
		case e := <-heldEvents:
			sawHold = e.RemoteHold
		case <-deadline:
			t.Fatal("the first caller never heard it was put on hold")
		}
	}
	second.Hangup(ctx)
	eventually(t, "the first call taken up again", func() bool {
		in, state := sh.Phone.InCall()
		waiting, _ := sh.Phone.Waiting()
		return in && !waiting && strings.HasPrefix(state, "Connected")
	})
	for deadline := time.After(10 * time.Second); sawHold; {
		select {
		case e := <-heldEvents:
			sawHold = e.RemoteHold
		case <-deadline:
			t.Fatal("the first caller was not taken off hold")
		}
	}
	select {
	case <-first.Done():
		t.Fatal("the first call ended")
	default:
	}
	ui.Run(func() { sh.Phone.Hangup() })
	eventually(t, "the dialer back", func() bool { in, _ := sh.Phone.InCall(); return !in })
}

// TestTransferFromTheApp: on a call, the rep transfers it attended: the
// caller waits on hold while the app calls a teammate, "Complete
// transfer" hands the caller over, and the app is back at the dialer
// while the two talk on. A blind transfer passes the next call at once.
func TestTransferFromTheApp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sys := startSystem(t, ctx)
	s := session(t, sys.API, sys.Users, "owner")
	owner := phoneOf(t, sys, "owner")
	rep, admin := phoneOf(t, sys, "rep"), phoneOf(t, sys, "admin")
	adminExt := session(t, sys.API, sys.Users, "admin").Me.Extension
	sh, _ := shell(t, s, owner)

	for _, consult := range []bool{true, false} {
		caller := callTheApp(ctx, t, sh, owner, rep, s.Me.Extension)
		eventually(t, "the call connected", func() bool { in, state := sh.Phone.InCall(); return in && strings.HasPrefix(state, "Connected") })
		answered := make(chan *phone.Incoming, 1)
		go func() {
			in := <-admin.Incoming()
			in.Answer(ctx)
			answered <- in
		}()
		ui.Run(func() { sh.Phone.TransferTo(adminExt, consult) })
		var colleague *phone.Incoming
		if consult {
			colleague = <-answered
			eventually(t, "consulting the colleague, the caller on hold", func() bool {
				waiting, _ := sh.Phone.Waiting()
				in, state := sh.Phone.InCall()
				return sh.Phone.Consulting() && waiting && in && strings.HasPrefix(state, "Connected")
			})
			ui.Run(func() { sh.Phone.CompleteTransfer() })
		} else {
			colleague = <-answered
		}
		eventually(t, "the app back at the dialer", func() bool { in, _ := sh.Phone.InCall(); waiting, _ := sh.Phone.Waiting(); return !in && !waiting })
		// They hear each other (the caller was on hold during the
		// consultation: the transfer takes it off).
		heardByCaller, heardByColleague := talkBoth(caller.Media(), colleague.Media(), 440, 1000, 2*time.Second)
		if sh := audio.BestShare(heardByColleague, 440, 8000, 250*time.Millisecond); sh < 0.8 {
			t.Errorf("consult %v: the colleague hears the caller at share %.2f", consult, sh)
		}
		if sh := audio.BestShare(heardByCaller, 1000, 8000, 250*time.Millisecond); sh < 0.8 {
			t.Errorf("consult %v: the caller hears the colleague at share %.2f", consult, sh)
		}
		select {
		case <-caller.Done():
			t.Fatalf("consult %v: the caller's call ended with the transfer", consult)
		case <-colleague.Done():
			t.Fatalf("consult %v: the colleague's call ended with the transfer", consult)
		default:
		}
		caller.Hangup(ctx)
		select {
		case <-colleague.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("consult %v: the colleague's call did not end with the caller's", consult)
		}
	}
}

// TestConferenceFromTheApp: on a call, the rep consults a teammate with
// the caller on hold, then "Merge calls" joins the three: the caller and
// the teammate hear each other, the app shows the three-way call, and
// hanging up in the app ends both calls.
func TestConferenceFromTheApp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sys := startSystem(t, ctx)
	s := session(t, sys.API, sys.Users, "owner")
	owner := phoneOf(t, sys, "owner")
	rep, admin := phoneOf(t, sys, "rep"), phoneOf(t, sys, "admin")
	adminExt := session(t, sys.API, sys.Users, "admin").Me.Extension
	sh, _ := shell(t, s, owner)

	caller := callTheApp(ctx, t, sh, owner, rep, s.Me.Extension)
	eventually(t, "the call connected", func() bool { in, state := sh.Phone.InCall(); return in && strings.HasPrefix(state, "Connected") })
	var can bool
	ui.Run(func() { can = sh.Phone.CanTransfer() })
	if !can {
		t.Error("Transfer and Add call not offered on a call")
	}
	answered := make(chan *phone.Incoming, 1)
	go func() {
		in := <-admin.Incoming()
		in.Answer(ctx)
		answered <- in
	}()
	ui.Run(func() { sh.Phone.TransferTo(adminExt, true) })
	colleague := <-answered
	eventually(t, "consulting the colleague, the caller on hold", func() bool {
		waiting, _ := sh.Phone.Waiting()
		in, state := sh.Phone.InCall()
		return sh.Phone.Consulting() && waiting && in && strings.HasPrefix(state, "Connected") && strings.HasSuffix(state, " on hold")
	})
	// The teammates the Add call and Transfer dialogs offer say who is on
	// a call: the colleague is now.
	presence := func() string {
		ts, err := sh.Phone.Teammates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ts {
			if m.Extension == adminExt {
				return m.Label
			}
		}
		return ""
	}
	ui.Run(func() { can = sh.Phone.CanTransfer() })
	if can {
		t.Error("Transfer and Add call offered during a consultation (they would do nothing)")
	}
	if p := presence(); !strings.HasSuffix(p, "ext. "+adminExt+" · on a call") {
		t.Errorf("the colleague, consulted, offered as %q", p)
	}
	ui.Run(func() { sh.Phone.MergeCalls() })
	eventually(t, "the three-way call shown", func() bool {
		_, state := sh.Phone.InCall()
		return sh.Phone.Conference() && strings.Contains(state, "Three-way call")
	})
	heardByCaller, heardByColleague := talkBoth(caller.Media(), colleague.Media(), 440, 1000, 2*time.Second)
	if sh := audio.BestShare(heardByColleague, 440, 8000, 250*time.Millisecond); sh < 0.5 {
		t.Errorf("the colleague hears the caller at share %.2f", sh)
	}
	if sh := audio.BestShare(heardByCaller, 1000, 8000, 250*time.Millisecond); sh < 0.5 {
		t.Errorf("the caller hears the colleague at share %.2f", sh)
	}
	ui.Run(func() { can = sh.Phone.CanTransfer() })
	if can {
		t.Error("Transfer and Add call offered in the three-way call")
	}
	ui.Run(func() { sh.Phone.Hangup() })
	for who, c := range map[string]*phone.Call{"caller": caller, "colleague": colleague.Call} {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("the %s's call did not end when the app hung up the three-way call", who)
		}
	}
	eventually(t, "the dialer back", func() bool { in, _ := sh.Phone.InCall(); waiting, _ := sh.Phone.Waiting(); return !in && !waiting })
	wait.Must(t, 10*time.Second, "the colleague free again", func() bool { return strings.HasSuffix(presence(), " · online") })
}

// talkBoth plays a tone into each of two calls for d and returns what each
// heard.
func talkBoth(a, b *media.Session, fa, fb float64, d time.Duration) (heardByA, heardByB []int16) {
	var wg sync.WaitGroup
	talk := func(m *media.Session, f float64, into *[]int16) {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		var sink media.PCMSink
		media.Pump(ctx, m, audio.Cadence{Freqs: []float64{f}}.New(8000, 8000), &sink, false, nil)
		*into = sink.Samples
	}
	wg.Add(2)
	go talk(a, fa, &heardByA)
	go talk(b, fb, &heardByB)
	wg.Wait()
	return
}

// callTheApp has from call the app's extension ext and the app answer it
// (its incoming-call window's Answer); it returns from's call.
func callTheApp(ctx context.Context, t *testing.T, sh *ui.Shell, app, from *phone.UA, ext string) *phone.Call {
	t.Helper()
	placed := make(chan *phone.Call, 1)
	go func() {
		c, err := from.Dial(ctx, ext)
		if err != nil {
			t.Error(err)
		}
		placed <- c
	}()
	in := <-app.Incoming()
	ui.Run(func() { sh.Phone.Ring(in) })
	ui.Run(func() { sh.Phone.AnswerRinging() })
	c := <-placed
	if c == nil {
		t.FailNow()
	}
	return c
}
