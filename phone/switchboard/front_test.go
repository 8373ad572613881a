package switchboard_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/tetherphone/tether/phone/switchboard"
)

// TestFrontDoorOverWebSocket: a malformed request in a WebSocket frame
// (one message per frame, RFC 7118) is answered 400 with a Warning on
// the same connection, and the connection still carries a good request
// after it.
func TestFrontDoorOverWebSocket(t *testing.T) {
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}})
	addr, _ := e.sb.Addr("ws")
	d := ws.Dialer{Protocols: []string{"sip"}, Timeout: 10 * time.Second}
	conn, _, _, err := d.Dial(t.Context(), "ws://"+addr.String()+"/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ask := func(msg string) string {
		t.Helper()
		if err := wsutil.WriteClientText(conn, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			b, err := wsutil.ReadServerText(conn)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if !strings.HasPrefix(string(b), "SIP/2.0 1") {
				return string(b)
			}
		}
	}
	local := conn.LocalAddr().(*net.TCPAddr).String()
	head := "Via: SIP/2.0/WS " + local + ";branch=z9hG4bK" + token() + "\r\nMax-Forwards: 70\r\nFrom: <sip:x@example.invalid>;tag=f1\r\nTo: <sip:x@example.invalid>\r\nCall-ID: " + token() + "\r\n"
	bad := ask("OPTIONS sip:x@example.invalid SIP/2.0\r\n" + head + "CSeq: 1 OPTIONS\r\nContent-Length: 5\r\nContent-Length: 0\r\n\r\n")
	if !strings.HasPrefix(bad, "SIP/2.0 400") || !strings.Contains(bad, "Warning: 399") {
		t.Errorf("two Content-Lengths over ws: %q", bad)
	}
	good := ask("OPTIONS sip:" + addr.String() + " SIP/2.0\r\n" + head + "CSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n")
	if !strings.HasPrefix(good, "SIP/2.0 200") {
		t.Errorf("a good OPTIONS after it: %q", good)
	}
}
