package phone_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
)

// TestFailedDialLeavesNothing: a call that fails before it starts (its
// INVITE cannot go: nothing listens on the server's TCP port) ends, and
// its event queue, never read, is let go a minute after the end (on the
// phone's clock) rather than kept until the phone closes.
func TestFailedDialLeavesNothing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().String()
	l.Close()
	clock := clockwork.NewFakeClock()
	u := startUA(t, phone.Config{User: "sip:alice@" + closedPort, Transport: "tcp", KeepAlive: -1, Clock: clock})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := u.Dial(ctx, "bob"); err == nil {
		t.Fatal("a call to a server that is not there was placed")
	}
	if err := clock.BlockUntilContext(ctx, 1); err != nil { // the unread events' grace
		t.Fatal(err)
	}
	if n := phone.EventPumps(u); n != 1 {
		t.Fatalf("%d event queues right after the failure, want the one waiting for a reader", n)
	}
	clock.Advance(time.Minute)
	eventually.Must(t, 10*time.Second, "the failed call's event queue let go", func() bool { return phone.EventPumps(u) == 0 })
}
