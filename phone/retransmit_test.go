package phone_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/jonboulle/clockwork"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/sdp"
)

// rawPeer is a bare SIP endpoint built from sipgo's pieces, free to break
// the rules our phone keeps (not ACKing, repeating itself): the lossy
// network a real peer cannot be made to simulate.
type rawPeer struct {
	addr    netip.AddrPort
	client  *sipgo.Client
	dialogs *sipgo.DialogServerCache
	calls   chan *sipgo.DialogServerSession
	stray   atomic.Int32 // 2xx responses that came with no transaction
	acks    atomic.Int32 // ACKs received
	// onReinvite answers an in-dialog INVITE; nil answers 200 once.
	onReinvite func(req *sip.Request, tx sip.ServerTransaction)
}

func startRawPeer(t *testing.T) *rawPeer {
	t.Helper()
	p := &rawPeer{calls: make(chan *sipgo.DialogServerSession, 1)}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("raw-peer"), sipgo.WithUserAgentTransactionLayerOptions(
		sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
			if r.IsSuccess() {
				p.stray.Add(1)
			}
		})))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := sipgo.NewServer(ua)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	t.Cleanup(func() { pc.Close(); ua.Close() })
	p.client, _ = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientConnectionAddr(p.addr.String()))
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "peer", Host: "127.0.0.1", Port: int(p.addr.Port())}}
	p.dialogs = sipgo.NewDialogServerCache(p.client, contact)
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		if req.To().Params.Has("tag") {
			if p.onReinvite != nil {
				p.onReinvite(req, tx)
				return
			}
			tx.Respond(sip.NewSDPResponseFromRequest(req, p.answer(t, req.Body())))
			return
		}
		sess, err := p.dialogs.ReadInvite(req, tx)
		if err != nil {
			t.Error(err)
			return
		}
		if err := sess.RespondSDP(p.answer(t, req.Body())); err != nil {
			t.Error(err)
			return
		}
		p.calls <- sess
		<-sess.Context().Done()
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		p.acks.Add(1)
		p.dialogs.ReadAck(req, tx)
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { p.dialogs.ReadBye(req, tx) })
	go srv.ServeUDP(pc)
	// Sending before ServeUDP registered the socket would bind another.
	eventually.Must(t, 5*time.Second, "the peer's socket served", func() bool {
		c, err := ua.TransportLayer().GetConnection("udp", p.addr.String())
		return err == nil && c != nil
	})
	return p
}

// answer answers an SDP offer with PCMU on a port nobody reads.
func (p *rawPeer) answer(t *testing.T, offer []byte) []byte {
	t.Helper()
	d, err := sdp.Parse(offer)
	if err != nil {
		t.Fatal(err)
	}
	ans, _, err := sdp.Answer(d, sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 9,
		Formats: []sdp.Format{{PayloadType: 0, Name: "PCMU", ClockRate: 8000}}, Direction: sdp.SendRecv, SessionID: 7, SessionVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ans.Marshal()
	return b
}

// callPeer has a phone on UDP call the peer, which answers; clock is the
// phone's (nil: the real one).
func callPeer(t *testing.T, p *rawPeer, clock clockwork.Clock) (*phone.Call, *sipgo.DialogServerSession) {
	t.Helper()
	u := startUA(t, phone.Config{User: "sip:alice@" + p.addr.String(), Transport: "udp", KeepAlive: -1, Clock: clock})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := u.Dial(ctx, "sip:peer@"+p.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { call.Hangup(context.Background()) })
	select {
	case sess := <-p.calls:
		return call, sess
	case <-ctx.Done():
		t.Fatal("the peer never had the call")
	}
	return nil, nil
}

// TestReinvite2xxRepeatsUntilACK: the far end re-INVITEs (holds) over UDP
// and its ACK is lost; our 2xx comes again, at T1 then 2*T1 on the phone's
// clock, until the ACK arrives, and then stops. The phone runs on a fake
// clock: the test waits for no retransmission timer in real time.
func TestReinvite2xxRepeatsUntilACK(t *testing.T) {
	p := startRawPeer(t)
	clock := clockwork.NewFakeClock()
	call, sess := callPeer(t, p, clock)
	offer, _ := sdp.Offer(sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 9,
		Formats: []sdp.Format{{PayloadType: 0, Name: "PCMU", ClockRate: 8000}}, Direction: sdp.SendOnly, SessionID: 7, SessionVersion: 2}).Marshal()
	req := sip.NewRequest(sip.INVITE, sess.InviteRequest.Contact().Address)
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := sess.Do(ctx, req) // the peer sends no ACK
	if err != nil || !res.IsSuccess() {
		t.Fatalf("re-INVITE: %v %v", res, err)
	}
	// The phone waits on two timers: the next repeat and giving up.
	for i, wait := range []time.Duration{sip.T1, 2 * sip.T1} {
		if err := clock.BlockUntilContext(ctx, 2); err != nil {
			t.Fatalf("repeat %d: the phone is not waiting to repeat its 2xx: %v", i+1, err)
		}
		if n := p.stray.Load(); n != int32(i) {
			t.Fatalf("before %v more, the 2xx came again %d times, want %d", wait, n, i)
		}
		clock.Advance(wait)
		eventually.Must(t, 10*time.Second, fmt.Sprintf("repeat %d of the 2xx", i+1), func() bool { return p.stray.Load() == int32(i+1) })
	}
	ack := sip.NewRequest(sip.ACK, sess.InviteRequest.Contact().Address)
	ack.SetTransport("UDP")
	ack.AppendHeader(sip.HeaderClone(res.CSeq()))
	if err := sess.WriteRequest(ack); err != nil {
		t.Fatal(err)
	}
	// The ACK stops the repeats: once the phone has it, however far the
	// clock moves, no 2xx comes again.
	eventually.Must(t, 10*time.Second, "the phone takes the ACK", func() bool { return phone.AwaitingACK(call) == 0 })
	clock.Advance(time.Minute)
	if eventually.True(300*time.Millisecond, func() bool { return p.stray.Load() != 2 }) {
		t.Fatalf("after the ACK the 2xx came %d times in all, want 2", p.stray.Load())
	}
	held := false
	for !held {
		select {
		case e := <-call.Events():
			held = e.RemoteHold
		case <-time.After(5 * time.Second):
			t.Fatal("the hold was not reported")
		}
	}
}

// TestReinviteACKRepeats: we hold; the far end's 2xx comes three times
// (our ACK was lost, as far as it knows); each gets an ACK.
func TestReinviteACKRepeats(t *testing.T) {
	p := startRawPeer(t)
	p.onReinvite = func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewSDPResponseFromRequest(req, p.answer(t, req.Body()))
		for range 3 {
			tx.Respond(res)
			time.Sleep(300 * time.Millisecond)
		}
	}
	call, _ := callPeer(t, p, nil)
	before := p.acks.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := call.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	eventually.True(10*time.Second, func() bool { return p.acks.Load()-before >= 3 })
	if n := p.acks.Load() - before; n != 3 {
		t.Errorf("%d ACKs for a 2xx sent three times", n)
	}
}
