package phone_test

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/internal/netns"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone"
)

// TestReregisterOnNetworkChange: a registered phone whose next refresh is
// an hour away and which sends no pings registers again within moments of
// the machine's network changing (an address coming or going, as after
// sleep or a new Wi-Fi; a link taken up and down), so the server reaches it
// at its new address. Run in a network namespace of its own, where the test
// may change addresses and links.
func TestReregisterOnNetworkChange(t *testing.T) {
	if !netns.Isolated(t) {
		return
	}
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret"}, "MD5")
	u := startUA(t, phone.Config{User: fmt.Sprintf("sip:alice@127.0.0.1:%d", k.Port), Password: "alice-secret",
		Expires: time.Hour, KeepAlive: -1})
	keepRegistered(t, u)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	// settle reads the events a change set off until the phone has been
	// quiet for 300 ms, so each change below is measured by its own.
	settle := func() {
		deadline := time.After(5 * time.Second)
		for {
			select {
			case <-u.Events():
			case <-time.After(300 * time.Millisecond):
				return
			case <-deadline:
				t.Fatal("the phone never settled")
			}
		}
	}
	ip("link", "add", "v0", "type", "veth", "peer", "name", "v1")
	for _, change := range [][]string{
		{"addr", "add", "10.77.0.2/24", "dev", "lo"},
		{"addr", "del", "10.77.0.2/24", "dev", "lo"},
		{"link", "set", "v0", "up"}, // a link taken up, and down
		{"link", "set", "v0", "down"},
	} {
		settle()
		ip(change...)
		start := time.Now()
		waitState(t, u, phone.Registering)
		waitState(t, u, phone.Registered)
		took := time.Since(start)
		t.Logf("ip %v: registered again after %s", change, took.Round(time.Millisecond))
		if took > 5*time.Second {
			t.Fatalf("ip %v: registered again only after %s", change, took)
		}
	}
}

// TestCallRefreshedOnNetworkChange: when the network changes during a
// call, the phone registers again and then offers the call's media again
// (a re-INVITE, same direction): the far end answers it, and the call goes
// on with sound both ways.
func TestCallRefreshedOnNetworkChange(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	changes := make(chan struct{}, 1)
	alice := startUA(t, phone.Config{User: fmt.Sprintf("sip:alice@127.0.0.1:%d", k.Port), Password: "alice-secret",
		Expires: time.Hour, KeepAlive: -1, NetworkChanges: changes})
	keepRegistered(t, alice)
	bob := registered(t, k, "bob", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, bobCall := dialAnswered(t, ctx, alice, bob)
	defer call.Hangup(context.Background())
	if call.MediaUpdates() != 0 || bobCall.MediaUpdates() != 0 {
		t.Fatalf("media updated before anything changed: %d, %d", call.MediaUpdates(), bobCall.MediaUpdates())
	}
	changes <- struct{}{}
	waitState(t, alice, phone.Registering)
	waitState(t, alice, phone.Registered)
	eventually.Must(t, 10*time.Second, "the call's media offered again", func() bool {
		return call.MediaUpdates() == 1 && bobCall.MediaUpdates() == 1
	})
	if call.OnHold() || bobCall.OnHold() {
		t.Error("a refresh put the call on hold")
	}
	var recA, recB []int16
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); recA = talk(call.Media(), 440, time.Second, call.Done()) }()
	go func() { defer wg.Done(); recB = talk(bobCall.Media(), 1000, time.Second, bobCall.Done()) }()
	wg.Wait()
	if s := audio.BestShare(recB[len(recB)/2:], 440, 8000, quarter); s < 0.8 {
		t.Errorf("after the refresh bob hears alice at share %.2f", s)
	}
	if s := audio.BestShare(recA[len(recA)/2:], 1000, 8000, quarter); s < 0.8 {
		t.Errorf("after the refresh alice hears bob at share %.2f", s)
	}
}
