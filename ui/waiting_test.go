package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/internal/embedded"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/ui"
)

// phoneOf registers a new phone (device) of a demo user at the embedded
// switchboard.
func phoneOf(t *testing.T, sys *embedded.System, who string) *phone.UA {
	t.Helper()
	ctx := context.Background()
	c := session(t, sys.API, sys.Users, who).Account.(*api.Client)
	dev, err := c.NewDevice(ctx, "test "+who)
	if err != nil {
		t.Fatal(err)
	}
	route, err := dev.Route("rtp")
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
	sys, err := embedded.Start(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	s := session(t, sys.API, sys.Users, "owner")
	owner := phoneOf(t, sys, "owner")
	rep, admin := phoneOf(t, sys, "rep"), phoneOf(t, sys, "admin")
	sh, _ := shell(t, s, owner)
	soft := make(chan bool, 4)
	ui.Run(func() {
		sh.Phone.Ringer = func() func() { soft <- false; return func() {} }
		sh.Phone.SoftRinger = func() func() { soft <- true; return func() {} }
	})
	ext := s.Me.Extension

	ring := func(from *phone.UA) *phone.Call {
		t.Helper()
		placed := make(chan *phone.Call, 1)
		go func() {
			c, err := from.Dial(ctx, ext)
			if err != nil {
				t.Error(err)
			}
			placed <- c
		}()
		in := <-owner.Incoming()
		ui.Run(func() { sh.Phone.Ring(in) })
		ui.Run(func() { sh.Phone.AnswerRinging() })
		c := <-placed
		if c == nil {
			t.FailNow()
		}
		return c
	}
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
