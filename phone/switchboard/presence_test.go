package switchboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone/switchboard"
)

// TestPresence: a teammate with a phone registered is online; the caller
// and the callee of a call are on a call until it ends; someone with no
// phone is not listed (offline); another account's people never show.
func TestPresence(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	p := e.sb.Presence("acme")
	if p["ann@acme.test"] != switchboard.PresenceOnline || p["bob@acme.test"] != switchboard.PresenceOnline || p["cy@acme.test"] != "" {
		t.Fatalf("registered, before any call: %v", p)
	}
	if other := e.sb.Presence("globex"); len(other) != 0 {
		t.Errorf("another account sees %v", other)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := answerNext(ctx, t, bob)
	call, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatal(err)
	}
	<-in
	p = e.sb.Presence("acme")
	if p["ann@acme.test"] != switchboard.PresenceOnCall || p["bob@acme.test"] != switchboard.PresenceOnCall {
		t.Errorf("during the call: %v", p)
	}
	call.Hangup(ctx)
	eventually.Must(t, 5*time.Second, "both back to online", func() bool {
		p := e.sb.Presence("acme")
		return p["ann@acme.test"] == switchboard.PresenceOnline && p["bob@acme.test"] == switchboard.PresenceOnline
	})
}
