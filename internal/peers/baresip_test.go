package peers

import (
	"fmt"
	"net"
	"testing"
)

// A port taken between the check and baresip's bind (CI saw TLS, one above
// sip_listen, taken by a parallel test) costs a retry, not the test.
func TestBaresipPortTaken(t *testing.T) {
	k := StartKamailio(t, map[string]string{"bob": "bob-secret"}, "MD5")
	var held net.Listener
	tries := 0
	baresipPort = func(t testing.TB) int {
		tries++
		if held == nil {
			port := FreePort(t)
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1))
			if err != nil {
				t.Fatal(err)
			}
			held = l
			return port
		}
		return pairPort(t)
	}
	t.Cleanup(func() { baresipPort = pairPort; held.Close() })
	b := StartBaresip(t, k, "bob", 440)
	if tries != 2 {
		t.Fatalf("baresip started after %d tries, want 2 (the first port's TLS was taken)", tries)
	}
	if b.Port == held.Addr().(*net.TCPAddr).Port-1 {
		t.Fatalf("baresip kept the taken port %d", b.Port)
	}
}
