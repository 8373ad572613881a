package switchboard_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/switchboard"
)

// rawSIP is a bare UDP socket that writes SIP by hand, as an attacker
// (or a careless phone) would.
type rawSIP struct {
	t    *testing.T
	c    *net.UDPConn
	to   netip.AddrPort
	addr netip.AddrPort // our own
}

func dialRaw(t *testing.T, from string, to netip.AddrPort) *rawSIP {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(from), 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawSIP{t: t, c: c, to: to, addr: c.LocalAddr().(*net.UDPAddr).AddrPort()}
}

func (r *rawSIP) send(msg string) {
	r.t.Helper()
	if _, err := r.c.WriteToUDPAddrPort([]byte(msg), r.to); err != nil {
		r.t.Fatal(err)
	}
}

// read returns the next response, or nil after within.
func (r *rawSIP) read(within time.Duration) *sip.Response {
	r.t.Helper()
	buf := make([]byte, 65536)
	r.c.SetReadDeadline(time.Now().Add(within))
	n, err := r.c.Read(buf)
	if err != nil {
		return nil
	}
	m, err := sip.NewParser().ParseSIP(buf[:n])
	if err != nil {
		r.t.Fatalf("unparsable answer: %v\n%s", err, buf[:n])
	}
	res, ok := m.(*sip.Response)
	if !ok {
		return nil
	}
	return res
}

// answer returns the next final response to method (skipping 100 Trying).
func (r *rawSIP) answer(method string) *sip.Response {
	r.t.Helper()
	for range 10 {
		res := r.read(10 * time.Second)
		if res == nil {
			r.t.Fatalf("no answer to %s", method)
		}
		if res.StatusCode >= 200 && res.CSeq() != nil && string(res.CSeq().MethodName) == method {
			return res
		}
	}
	r.t.Fatalf("no final answer to %s", method)
	return nil
}

func token() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// register writes a REGISTER for user from r, with the Authorization
// value auth ("" for none), and returns the text sent.
func (r *rawSIP) register(user string, cseq int, callID, auth string) string {
	to := r.to.String()
	msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%s@%s>;tag=%s\r\n"+
		"To: <sip:%s@%s>\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: %d REGISTER\r\n"+
		"Contact: <sip:%s@%s>\r\n"+
		"Expires: 60\r\n", to, r.addr, token(), user, to, callID, user, to, callID, cseq, user, r.addr)
	if auth != "" {
		msg += "Authorization: " + auth + "\r\n"
	}
	msg += "Content-Length: 0\r\n\r\n"
	r.send(msg)
	return msg
}

// challenge asks for a fresh challenge and returns it.
func (r *rawSIP) challenge(user string) *digest.Challenge {
	r.t.Helper()
	r.register(user, 1, token(), "")
	res := r.answer("REGISTER")
	if res.StatusCode != 401 {
		r.t.Fatalf("REGISTER without credentials: %d", res.StatusCode)
	}
	c, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func signed(t *testing.T, c *digest.Challenge, user, password, uri string, count int) string {
	t.Helper()
	cred, err := digest.Digest(c, digest.Options{Method: "REGISTER", URI: uri, Username: user, Password: password, Count: count, Cnonce: token()})
	if err != nil {
		t.Fatal(err)
	}
	return cred.String()
}

// TestBlindTrafficBansNobody: REGISTERs anyone could send without
// reading a reply (made-up nonces, nonces sent to another address, junk)
// never get their source banned, however many; wrong passwords answered
// to a nonce this server sent that address still do.
func TestBlindTrafficBansNobody(t *testing.T) {
	e := newEnv(t)
	d, pw := e.device("ann@acme.test")
	sb, _ := e.sb.Addr("udp")
	uri := "sip:" + sb.String()
	elsewhere := dialRaw(t, "127.0.0.6", sb).challenge(d.Username) // a nonce the attacker got for itself
	office := dialRaw(t, "127.0.0.5", sb)
	madeUp := *elsewhere
	madeUp.Nonce = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for i := range 30 {
		switch i % 3 {
		case 0:
			office.register(d.Username, i+1, token(), signed(t, &madeUp, d.Username, "guess", uri, 1))
		case 1:
			office.register(d.Username, i+1, token(), signed(t, elsewhere, d.Username, "guess", uri, 1))
		case 2:
			office.register(d.Username, i+1, token(), `Digest garbage`)
		}
	}
	// Every one of them was answered (a challenge), none was counted.
	for range 30 {
		if res := office.read(10 * time.Second); res == nil || res.StatusCode != 401 {
			t.Fatalf("blind REGISTER answered %v, want a challenge", res)
		}
	}
	if switchboard.Banned(e.sb, "127.0.0.5") {
		t.Fatal("an address was banned for traffic anyone could forge blind")
	}
	c := office.challenge(d.Username)
	office.register(d.Username, 100, token(), signed(t, c, d.Username, pw, uri, 1))
	if res := office.answer("REGISTER"); res.StatusCode != 200 {
		t.Fatalf("the office's own phone after the attack: %d", res.StatusCode)
	}

	// Guessing passwords against nonces it was sent still earns a ban.
	guesser := dialRaw(t, "127.0.0.7", sb)
	for i := range 25 {
		c := guesser.challenge(d.Username)
		guesser.register(d.Username, i+2, token(), signed(t, c, d.Username, "guess", uri, 1))
		if res := guesser.answer("REGISTER"); res.StatusCode == 200 {
			t.Fatal("a wrong password registered")
		}
		if switchboard.Banned(e.sb, "127.0.0.7") {
			return
		}
	}
	t.Fatal("25 wrong passwords on our own nonces: not banned")
}

// TestReplayedRegister: a REGISTER captured on the way, replayed from
// another address (with its own Contact) or from the same one, does not
// become a location of the phone; the phone's own retransmission and its
// next count on the same nonce still work.
func TestReplayedRegister(t *testing.T) {
	e := newEnv(t)
	d, pw := e.device("ann@acme.test")
	sb, _ := e.sb.Addr("udp")
	uri := "sip:" + sb.String()
	ph := dialRaw(t, "127.0.0.2", sb)
	c := ph.challenge(d.Username)
	callID := token()
	auth := signed(t, c, d.Username, pw, uri, 1)
	sent := ph.register(d.Username, 2, callID, auth)
	if res := ph.answer("REGISTER"); res.StatusCode != 200 {
		t.Fatalf("the phone's REGISTER: %d", res.StatusCode)
	}
	ph.send(sent) // its retransmission (the answer was slow): answered alike
	if res := ph.answer("REGISTER"); res.StatusCode != 200 {
		t.Fatalf("the phone's REGISTER sent again: %d", res.StatusCode)
	}
	thief := dialRaw(t, "127.0.0.3", sb)
	thief.register(d.Username, 3, callID, auth)
	if res := thief.answer("REGISTER"); res.StatusCode != 401 {
		t.Fatalf("replayed from another address: %d", res.StatusCode)
	}
	ph.register(d.Username, 4, callID, auth) // same count, same address
	res := ph.answer("REGISTER")
	if res.StatusCode != 401 || !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale=true") {
		t.Fatalf("replayed from the same address: %d (want 401 with stale=true)", res.StatusCode)
	}
	ph.register(d.Username, 5, callID, signed(t, c, d.Username, pw, uri, 2))
	if res := ph.answer("REGISTER"); res.StatusCode != 200 {
		t.Fatalf("the phone's next count on its nonce: %d", res.StatusCode)
	}
	src := switchboard.Sources(e.sb, d.Username)
	if !slices.Contains(src, ph.addr.String()) || slices.ContainsFunc(src, func(s string) bool { return strings.HasPrefix(s, "127.0.0.3:") }) {
		t.Fatalf("registered from %v; want only the phone's %s", src, ph.addr)
	}
}

// TestChallengeSentOnce: an INVITE nobody authenticates draws one 407,
// not one per Timer G tick until an ACK that never comes; a phone that
// lost it resends its INVITE and gets another.
func TestChallengeSentOnce(t *testing.T) {
	e := newEnv(t)
	sb, _ := e.sb.Addr("udp")
	r := dialRaw(t, "127.0.0.4", sb)
	callID, branch := token(), token()
	invite := fmt.Sprintf("INVITE sip:101@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:someone@%s>;tag=x1\r\n"+
		"To: <sip:101@%s>\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: 1 INVITE\r\n"+
		"Contact: <sip:someone@%s>\r\n"+
		"Content-Length: 0\r\n\r\n", sb, r.addr, branch, sb, sb, callID, r.addr)
	r.send(invite)
	if res := r.answer("INVITE"); res.StatusCode != 407 {
		t.Fatalf("unauthenticated INVITE: %d", res.StatusCode)
	}
	// Timer G would resend at 0.5 s, 1.5 s, 3.5 s...
	eventually.Never(t, 2500*time.Millisecond, "the 407 is resent without a new INVITE", func() bool {
		res := r.read(100 * time.Millisecond)
		return res != nil && res.StatusCode == 407
	})
	r.send(invite)
	if res := r.answer("INVITE"); res.StatusCode != 407 {
		t.Fatalf("resent INVITE: %d", res.StatusCode)
	}
}

// TestIdleStreams: connections that say nothing are closed after
// StreamIdle, one address holds at most MaxConnsPerAddr, a WebSocket
// client that never finishes its upgrade holds up nobody, and a phone
// that authenticated keeps its connection while quiet.
func TestIdleStreams(t *testing.T) {
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0", "ws://127.0.0.1:0"},
		StreamIdle: 700 * time.Millisecond, MaxConnsPerAddr: 4})
	tcp, _ := e.sb.Addr("tcp")
	ws, _ := e.sb.Addr("ws")
	// A WebSocket client stuck half-way through its upgrade request.
	slow := dialTCP(t, "127.0.0.21", ws)
	slow.Write([]byte("GET /ws HTTP/1.1\r\nHost: x\r\n"))
	e.phoneFor("bob@acme.test", "ws") // registers regardless (fails after 20 s otherwise)
	ph := e.phoneFor("ann@acme.test", "tcp")
	var idle []net.Conn
	for range 6 {
		idle = append(idle, dialTCP(t, "127.0.0.20", tcp))
	}
	eventually.Must(t, 10*time.Second, "connections past the address's limit to be refused", func() bool { return switchboard.StreamRefused(e.sb) == 2 })
	closed := 0
	for _, c := range idle {
		c.SetReadDeadline(time.Now().Add(15 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("an idle connection stayed open 15 s")
			}
			closed++
		}
	}
	if closed != 6 {
		t.Fatalf("%d of 6 idle connections closed", closed)
	}
	// Only the two phones' connections are left, quiet for longer than
	// StreamIdle by now.
	eventually.Must(t, 15*time.Second, "the idle connections to go", func() bool { return switchboard.StreamConns(e.sb) == 2 })
	eventually.Never(t, 1500*time.Millisecond, "a registered phone's quiet connection is closed", func() bool { return switchboard.StreamConns(e.sb) < 2 })
	// And it still carries calls.
	caller := e.phoneFor("cy@acme.test", "udp")
	dialed := make(chan error, 1)
	go func() { _, err := caller.Dial(e.ctx, "101"); dialed <- err }()
	select {
	case in := <-ph.Incoming():
		in.Decline(486)
	case <-time.After(15 * time.Second):
		t.Fatal("the quiet TCP phone never rang")
	}
	if err := <-dialed; !errors.Is(err, phone.ErrBusy) {
		t.Fatalf("the call to the quiet TCP phone: %v, want busy", err)
	}
}

func dialTCP(t *testing.T, from string, to netip.AddrPort) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", to.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// slowDirectory holds every device lookup until told to go on.
type slowDirectory struct {
	*sqlite.DB
	held chan struct{} // a lookup is waiting
	go_  chan struct{} // closed: lookups go on
}

func (d *slowDirectory) Device(ctx context.Context, username string) (team.Device, error) {
	d.held <- struct{}{}
	<-d.go_
	return d.DB.Device(ctx, username)
}

// TestShedsLoad: past MaxPending new requests at work, a new one is
// answered 503 with Retry-After at once (not queued behind the rest);
// those at work finish normally, and room is made again.
func TestShedsLoad(t *testing.T) {
	dir := &slowDirectory{held: make(chan struct{}, 10), go_: make(chan struct{})}
	// (MaxLag out of the way: this is about MaxPending; under -race on a
	// busy machine the front door's lag measure shed the second REGISTER
	// before it reached the directory.)
	e := newEnvWrapped(t, 0, switchboard.Config{MaxPending: 2, MaxLag: 10 * time.Second}, func(db *sqlite.DB) switchboard.Directory { dir.DB = db; return dir })
	var users []team.Device
	var pws []string
	for _, email := range []string{"ann@acme.test", "bob@acme.test", "cy@acme.test"} {
		d, pw := e.device(email)
		users, pws = append(users, d), append(pws, pw)
	}
	sb, _ := e.sb.Addr("udp")
	uri := "sip:" + sb.String()
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(dir.go_) }) })
	var phones []*rawSIP
	var chals []*digest.Challenge
	for i := range 3 {
		ph := dialRaw(t, fmt.Sprintf("127.0.0.%d", 40+i), sb)
		phones, chals = append(phones, ph), append(chals, ph.challenge(users[i].Username)) // a challenge looks nobody up
	}
	for i, ph := range phones {
		ph.register(users[i].Username, 2, token(), signed(t, chals[i], users[i].Username, pws[i], uri, 1))
		if i < 2 {
			select {
			case <-dir.held: // at work, held
			case <-time.After(10 * time.Second):
				t.Fatal("a REGISTER never reached the directory")
			}
		}
	}
	res := phones[2].answer("REGISTER")
	if res.StatusCode != 503 || res.GetHeader("Retry-After") == nil {
		t.Fatalf("a third REGISTER with two at work: %v, want 503 with Retry-After", res)
	}
	if e.sb.Shed() != 1 {
		t.Errorf("shed %d, want 1", e.sb.Shed())
	}
	release.Do(func() { close(dir.go_) })
	for i := range 2 {
		if res := phones[i].answer("REGISTER"); res.StatusCode != 200 {
			t.Fatalf("a REGISTER at work: %d", res.StatusCode)
		}
	}
	c := phones[2].challenge(users[2].Username)
	phones[2].register(users[2].Username, 3, token(), signed(t, c, users[2].Username, pws[2], uri, 1))
	if res := phones[2].answer("REGISTER"); res.StatusCode != 200 {
		t.Fatalf("the refused phone, coming back: %d", res.StatusCode)
	}
}

// TestShedsWhenBehind: while new work waits long for the CPU, the front
// door answers new requests 503 with Retry-After itself, before they are
// parsed or queued: first those without credentials, then, four times as
// far behind, any new one; a request within a dialog always goes on; and
// once the queue is gone, requests are served as before. (How far behind
// the switchboard is, is TestBacklog's; the figures under real load are
// BenchmarkOverload's.)
func TestShedsWhenBehind(t *testing.T) {
	e := newEnv(t)
	d, pw := e.device("ann@acme.test")
	sb, _ := e.sb.Addr("udp")
	uri := "sip:" + sb.String()
	ph := dialRaw(t, "127.0.0.60", sb)
	c := ph.challenge(d.Username) // served while idle

	switchboard.Behind(e.sb, 50*time.Millisecond) // the default MaxLag, not past it
	ph.register(d.Username, 1, token(), "")
	if res := ph.answer("REGISTER"); res.StatusCode != 401 {
		t.Fatalf("a fresh REGISTER 50 ms behind: %v, want 401", res)
	}

	shed := e.sb.Shed()
	switchboard.Behind(e.sb, 80*time.Millisecond)
	ph.register(d.Username, 1, token(), "")
	if res := ph.answer("REGISTER"); res.StatusCode != 503 || res.GetHeader("Retry-After") == nil {
		t.Fatalf("a fresh REGISTER 80 ms behind: %v, want 503 with Retry-After", res)
	}
	if e.sb.Shed() != shed+1 {
		t.Errorf("shed %d, want %d", e.sb.Shed(), shed+1)
	}
	ph.register(d.Username, 2, token(), signed(t, c, d.Username, pw, uri, 1))
	if res := ph.answer("REGISTER"); res.StatusCode != 200 {
		t.Fatalf("a REGISTER with credentials 80 ms behind: %v, want 200", res)
	}
	bye := func() *sip.Response {
		ph.send(fmt.Sprintf("BYE sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\nMax-Forwards: 70\r\n"+
			"From: <sip:%s@%s>;tag=a1\r\nTo: <sip:x@%s>;tag=b2\r\nCall-ID: %s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
			sb, ph.addr, token(), d.Username, sb, sb, token()))
		return ph.answer("BYE")
	}

	switchboard.Behind(e.sb, 250*time.Millisecond) // past four times MaxLag
	ph.register(d.Username, 3, token(), signed(t, c, d.Username, pw, uri, 2))
	if res := ph.answer("REGISTER"); res.StatusCode != 503 || res.GetHeader("Retry-After") == nil {
		t.Fatalf("a REGISTER with credentials 250 ms behind: %v, want 503 with Retry-After", res)
	}
	if res := bye(); res.StatusCode == 503 {
		t.Errorf("a BYE (within a dialog) 250 ms behind: %v, want it passed on", res)
	}

	switchboard.Behind(e.sb, 0)
	ph.register(d.Username, 1, token(), "")
	if res := ph.answer("REGISTER"); res.StatusCode != 401 {
		t.Fatalf("a fresh REGISTER with the queue gone: %v, want 401", res)
	}

	// The UDP reader itself saturated (datagrams queue in the kernel).
	switchboard.ReaderBusy(e.sb, 850)
	ph.register(d.Username, 1, token(), "")
	if res := ph.answer("REGISTER"); res.StatusCode != 503 {
		t.Fatalf("a fresh REGISTER with the reader 85%% busy: %v, want 503", res)
	}
	ph.register(d.Username, 4, token(), signed(t, c, d.Username, pw, uri, 3))
	if res := ph.answer("REGISTER"); res.StatusCode != 200 {
		t.Fatalf("a REGISTER with credentials, the reader 85%% busy: %v, want 200", res)
	}
	switchboard.ReaderBusy(e.sb, 960)
	ph.register(d.Username, 5, token(), signed(t, c, d.Username, pw, uri, 4))
	if res := ph.answer("REGISTER"); res.StatusCode != 503 {
		t.Fatalf("a REGISTER with credentials, the reader 96%% busy: %v, want 503", res)
	}
	switchboard.ReaderBusy(e.sb, 0)
	ph.register(d.Username, 1, token(), "")
	if res := ph.answer("REGISTER"); res.StatusCode != 401 {
		t.Fatalf("a fresh REGISTER with the reader free: %v, want 401", res)
	}
}

// brokenDirectory fails every device lookup, as a store in trouble would.
type brokenDirectory struct{ *sqlite.DB }

func (brokenDirectory) Device(context.Context, string) (team.Device, error) {
	return team.Device{}, errors.New("the store is in trouble")
}

// TestStoreTroubleBansNobody: when the switchboard cannot look devices
// up, phones are told to come back (503 with Retry-After), and however
// many try, no address is banned for the switchboard's own failure.
func TestStoreTroubleBansNobody(t *testing.T) {
	e := newEnvWrapped(t, 0, switchboard.Config{}, func(db *sqlite.DB) switchboard.Directory { return brokenDirectory{db} })
	d, pw := e.device("ann@acme.test")
	sb, _ := e.sb.Addr("udp")
	ph := dialRaw(t, "127.0.0.60", sb)
	for i := range 25 {
		c := ph.challenge(d.Username)
		ph.register(d.Username, i+2, token(), signed(t, c, d.Username, pw, "sip:"+sb.String(), 1))
		if res := ph.answer("REGISTER"); res.StatusCode != 503 || res.GetHeader("Retry-After") == nil {
			t.Fatalf("a REGISTER the store cannot check: %v, want 503 with Retry-After", res)
		}
	}
	if switchboard.Banned(e.sb, "127.0.0.60") {
		t.Fatal("an address was banned for the store's trouble")
	}
}
