package phone_test

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/netns"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone"
)

// TestReregisterOnNetworkChange: a registered phone whose next refresh is
// an hour away and which sends no pings registers again within moments of
// the machine's network changing (an address coming or going, as after
// sleep or a new Wi-Fi), so the server reaches it at its new address. Run
// in a network namespace of its own, where the test may change addresses.
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
	for _, change := range [][]string{
		{"addr", "add", "10.77.0.2/24", "dev", "lo"},
		{"addr", "del", "10.77.0.2/24", "dev", "lo"},
	} {
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
