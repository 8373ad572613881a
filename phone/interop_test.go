package phone_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone"
)

// startUA starts a UA on loopback that closes with the test.
func startUA(t *testing.T, cfg phone.Config) *phone.UA {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	u, err := phone.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	return u
}

// keepRegistered registers u until the test ends (unregistering then),
// and waits for the first registration.
func keepRegistered(t *testing.T, u *phone.UA) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Register(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitState(t, u, phone.Registered)
}

func newUA(t *testing.T, k *peers.Kamailio, user, password, transport string) *phone.UA {
	t.Helper()
	return startUA(t, phone.Config{User: fmt.Sprintf("sip:%s@127.0.0.1:%d", user, k.Port), Password: password,
		Transport: transport, Expires: time.Minute})
}

// waitState reads events until the wanted state (or fails after a
// generous bound).
func waitState(t *testing.T, u *phone.UA, want phone.RegState) phone.RegEvent {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-u.Events():
			if e.State == want {
				return e
			}
		case <-deadline:
			t.Fatalf("never reached %s (now %s)", want, u.State())
		}
	}
}

// TestRegisterWithKamailio registers to a real Kamailio over UDP and TCP,
// with MD5 and SHA-256 digests, exchanges MESSAGEs through it, and checks
// that unregistering removes the binding.
func TestRegisterWithKamailio(t *testing.T) {
	for _, algo := range []string{"MD5", "SHA-256"} {
		for _, transport := range []string{"udp", "tcp"} {
			t.Run(algo+"/"+transport, func(t *testing.T) {
				k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, algo)
				alice := newUA(t, k, "alice", "alice-secret", transport)
				bob := newUA(t, k, "bob", "bob-secret", transport)
				actx, stopAlice := context.WithCancel(context.Background())
				aliceDone := make(chan error, 1)
				go func() { aliceDone <- alice.Register(actx) }()
				bctx, stopBob := context.WithCancel(context.Background())
				bobDone := make(chan error, 1)
				go func() { bobDone <- bob.Register(bctx) }()
				defer func() { stopBob(); <-bobDone }()
				if e := waitState(t, alice, phone.Registered); e.Expires != time.Minute {
					t.Errorf("granted %s, asked a minute", e.Expires)
				}
				waitState(t, bob, phone.Registered)

				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := bob.SendMessage(ctx, "alice", "Héllo ✓ from bob"); err != nil {
					t.Fatalf("MESSAGE to a registered user: %v", err)
				}
				select {
				case m := <-alice.Messages():
					if m.Text != "Héllo ✓ from bob" || m.From != "sip:bob@127.0.0.1" {
						t.Errorf("alice got %+v", m)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("alice got no message")
				}

				stopAlice()
				waitState(t, alice, phone.Unregistered)
				if err := <-aliceDone; err != nil {
					t.Fatal(err)
				}
				err := bob.SendMessage(ctx, "alice", "are you there?")
				if !errors.Is(err, phone.ErrNotFound) {
					t.Fatalf("MESSAGE after alice unregistered: %v, want 404", err)
				}
			})
		}
	}
}

func TestWrongPasswordBacksOff(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "right"}, "MD5")
	u := newUA(t, k, "alice", "wrong", "udp")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Register(ctx); close(done) }()
	e := waitState(t, u, phone.Retrying)
	var ce *phone.CallError
	if !errors.As(e.Err, &ce) || e.Retry < 800*time.Millisecond || e.Retry > 1200*time.Millisecond {
		t.Fatalf("first failure: %+v", e)
	}
	e = waitState(t, u, phone.Retrying)
	if e.Retry < 1600*time.Millisecond || e.Retry > 2400*time.Millisecond {
		t.Fatalf("second retry in %s, want about 2 s", e.Retry)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Register did not return after cancel")
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []phone.Config{
		{User: "alice"},
		{User: "sip:127.0.0.1"},
		{User: "tel:+14155550100"},
		{User: "sip:alice@127.0.0.1", Transport: "sctp"},
		{User: "sip:alice@127.0.0.1", Expires: time.Second},
		{User: "sip:alice@127.0.0.1", Listen: "not an address"},
	}
	for _, c := range bad {
		if u, err := phone.New(c); err == nil {
			u.Close()
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

// cutRelay forwards UDP to a server until cut.
type cutRelay struct {
	conn    *net.UDPConn
	cut     atomic.Bool
	dropped atomic.Int32 // packets from the phone dropped while cut
}

func newCutRelay(t *testing.T, to netip.AddrPort) *cutRelay {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &cutRelay{conn: c}
	go func() {
		buf := make([]byte, 65535)
		for {
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if r.cut.Load() {
				r.dropped.Add(1)
				continue
			}
			c.WriteToUDPAddrPort(buf[:n], to) // replies go straight back, by Via
		}
	}()
	return r
}

// TestReregisterWhenNetworkReturns: keepalive pings notice the server is
// unreachable, and when it is back the phone registers again at once,
// without waiting for the refresh.
func TestReregisterWhenNetworkReturns(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret"}, "MD5")
	r := newCutRelay(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(k.Port)))
	port := r.conn.LocalAddr().(*net.UDPAddr).Port
	u := startUA(t, phone.Config{User: fmt.Sprintf("sip:alice@127.0.0.1:%d", port), Password: "alice-secret",
		Expires: time.Minute, KeepAlive: 300 * time.Millisecond})
	keepRegistered(t, u)
	r.cut.Store(true)
	// Several pings go unanswered (every 300 ms, each sent again on UDP).
	eventually.Must(t, 20*time.Second, "pings lost in the cut", func() bool { return r.dropped.Load() >= 6 })
	r.cut.Store(false)
	start := time.Now()
	waitState(t, u, phone.Registering)
	waitState(t, u, phone.Registered)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("re-registered %s after the network came back", took)
	}
}
