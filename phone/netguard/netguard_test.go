package netguard_test

import (
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/phone/netguard"
)

// serve accepts on g and, for each connection, echoes what it reads
// until an error, then closes it (as sipgo's read loop does).
func serve(t *testing.T, o netguard.Options) (*netguard.Listener, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := netguard.Listen(l, o)
	t.Cleanup(func() { g.Close() })
	go func() {
		for {
			c, err := g.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return g, l.Addr().String()
}

func dialFrom(t *testing.T, from, to string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", to)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports whether the server closes c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	b := make([]byte, 64)
	for {
		_, err := c.Read(b)
		if err == nil {
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return false
		}
		return true
	}
}

// echoes reports whether c still answers.
func echoes(c net.Conn) bool {
	if _, err := c.Write([]byte("ping")); err != nil {
		return false
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4)
	_, err := io.ReadFull(c, b)
	return err == nil && string(b) == "ping"
}

func TestPerAddressLimit(t *testing.T) {
	g, addr := serve(t, netguard.Options{PerAddr: 3})
	var held []net.Conn
	for range 3 {
		c := dialFrom(t, "127.0.0.9", addr)
		if !echoes(c) {
			t.Fatal("a connection within the limit does not work")
		}
		held = append(held, c)
	}
	extra := dialFrom(t, "127.0.0.9", addr)
	if !closedWithin(extra, 5*time.Second) {
		t.Fatal("a fourth connection from one address was kept")
	}
	if g.Refused() != 1 {
		t.Errorf("refused %d, want 1", g.Refused())
	}
	if !echoes(dialFrom(t, "127.0.0.10", addr)) {
		t.Error("another address was refused")
	}
	held[0].Close()
	for i := 0; ; i++ { // its place is freed once the server sees it closed
		c := dialFrom(t, "127.0.0.9", addr)
		if echoes(c) {
			break
		}
		if i == 50 {
			t.Fatal("a closed connection's place was never freed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIdleConnectionsClosed(t *testing.T) {
	g, addr := serve(t, netguard.Options{Idle: 300 * time.Millisecond, TrustedIdle: time.Hour})
	quiet := dialFrom(t, "127.0.0.11", addr)
	if !closedWithin(quiet, 10*time.Second) {
		t.Fatal("a silent connection stayed open")
	}
	// A trickle of bytes keeps renewing only while it keeps coming;
	// trusted connections may stay quiet longer.
	trusted := dialFrom(t, "127.0.0.12", addr)
	if !echoes(trusted) {
		t.Fatal("no echo")
	}
	g.Trust(netip.MustParseAddrPort(trusted.LocalAddr().String()))
	if closedWithin(trusted, time.Second) {
		t.Fatal("a trusted connection was closed after the untrusted idle time")
	}
	if !echoes(trusted) {
		t.Fatal("the trusted connection no longer answers")
	}
}

// TestSlowSetupHoldsNobodyUp: a client that connects and never finishes
// its WebSocket upgrade request neither blocks the next client (the
// server's accept loop upgrades inline) nor stays forever.
func TestSlowSetupHoldsNobodyUp(t *testing.T) {
	_, addr := serve(t, netguard.Options{HTTPHead: true, Setup: 500 * time.Millisecond})
	slow := dialFrom(t, "127.0.0.13", addr)
	slow.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")) // and nothing more
	fast := dialFrom(t, "127.0.0.14", addr)
	head := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	fast.Write([]byte(head + "after"))
	fast.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, len(head)+5)
	if _, err := io.ReadFull(fast, b); err != nil || string(b) != head+"after" {
		t.Fatalf("the second client, behind a slow one: %q %v (want its head and the bytes after it, in order)", b, err)
	}
	if !closedWithin(slow, 10*time.Second) {
		t.Fatal("a never-finished head kept its connection")
	}
}

func TestHeadTooLong(t *testing.T) {
	_, addr := serve(t, netguard.Options{HTTPHead: true})
	c := dialFrom(t, "127.0.0.15", addr)
	c.Write([]byte("GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 20<<10)))
	if !closedWithin(c, 10*time.Second) {
		t.Fatal("an endless head was kept")
	}
}
