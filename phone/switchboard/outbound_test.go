package switchboard_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/switchboard"
)

// request returns the next request r receives and where it came from,
// answering nothing; it skips responses and fails after within.
func (r *rawSIP) request(within time.Duration) (*sip.Request, netip.AddrPort) {
	r.t.Helper()
	buf := make([]byte, 65536)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		r.c.SetReadDeadline(deadline)
		n, from, err := r.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			break
		}
		if m, err := sip.NewParser().ParseSIP(buf[:n]); err == nil {
			if req, ok := m.(*sip.Request); ok {
				return req, from
			}
		}
	}
	r.t.Fatal("no request came")
	return nil, netip.AddrPort{}
}

// reply answers req with code, and with an SDP answer naming media when
// media is valid.
func (r *rawSIP) reply(req *sip.Request, code int, tag string, media netip.AddrPort) {
	r.t.Helper()
	res := sip.NewResponseFromRequest(req, code, "OK", nil)
	if tag != "" {
		if to := res.To(); to != nil && !to.Params.Has("tag") {
			to.Params.Add("tag", tag)
		}
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: r.addr.Addr().String(), Port: int(r.addr.Port())}})
	}
	if media.IsValid() {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res.SetBody(sdpFor(media))
	}
	if _, err := r.c.WriteToUDPAddrPort([]byte(res.String()), r.to); err != nil {
		r.t.Fatal(err)
	}
}

func sdpFor(media netip.AddrPort) []byte {
	return fmt.Appendf(nil, "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
		media.Addr(), media.Addr(), media.Port())
}

// registered registers a device of the user's from r.
func (r *rawSIP) registered(e *env, email string) (user, password string) {
	r.t.Helper()
	d, pw := e.device(email)
	c := r.challenge(d.Username)
	r.register(d.Username, 2, token(), signed(r.t, c, d.Username, pw, "sip:"+r.to.String(), 1))
	if res := r.answer("REGISTER"); res.StatusCode != 200 {
		r.t.Fatalf("REGISTER: %d", res.StatusCode)
	}
	return d.Username, pw
}

// mediaSink is a UDP socket that takes a call's audio and reads none.
func mediaSink(t *testing.T) netip.AddrPort {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// TestRequestsLeaveFromListener: every request the switchboard sends a
// UDP phone leaves from the switchboard's UDP listener, the address the
// phone registered with (a phone behind NAT takes packets from nowhere
// else), also when the phone has sent nothing since the switchboard
// restarted: the INVITE that rings it, the ACK and the BYE when the
// caller hangs up; and when the phone placed the call, the BYE when the
// callee hangs up, even before the phone's ACK for the answer came.
func TestRequestsLeaveFromListener(t *testing.T) {
	e := newEnv(t)
	udp, _ := e.sb.Addr("udp")
	bob := dialRaw(t, "127.0.0.1", udp)
	bob.registered(e, "bob@acme.test")
	e.sb.Close()
	sb2, err := switchboard.New(switchboard.Config{Listen: []string{"udp://" + udp.String()}, Directory: e.db, Billing: system.SwitchboardBilling(e.engine)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb2.Close() })
	e.sb = sb2
	ann := e.phoneFor("ann@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// ann calls bob.
	dialed := make(chan *phone.Call, 1)
	go func() {
		call, err := ann.Dial(ctx, "102")
		if err != nil {
			t.Error(err)
		}
		dialed <- call
	}()
	inv, from := bob.request(10 * time.Second)
	if inv.Method != sip.INVITE || from != udp {
		t.Fatalf("bob got %s from %s; want INVITE from %s, the address he registered with", inv.Method, from, udp)
	}
	bob.reply(inv, 200, "bob1", mediaSink(t))
	for {
		ack, from := bob.request(10 * time.Second)
		if ack.Method == sip.INVITE { // our answer crossed a retransmission
			continue
		}
		if ack.Method != sip.ACK || from != udp {
			t.Fatalf("bob got %s from %s; want ACK from %s", ack.Method, from, udp)
		}
		break
	}
	call := <-dialed
	if call == nil {
		t.FailNow()
	}
	go call.Hangup(ctx)
	bye, from := bob.request(10 * time.Second)
	if bye.Method != sip.BYE || from != udp {
		t.Fatalf("bob got %s from %s; want BYE from %s", bye.Method, from, udp)
	}
	bob.reply(bye, 200, "", netip.AddrPort{})
	<-call.Done()

	// bob calls ann, who hangs up at once: before bob's ACK for her
	// answer has come, he is still owed a BYE.
	bob2 := dialRaw(t, "127.0.0.1", udp)
	user, pw := bob2.registered(e, "bob@acme.test")
	hungUp := make(chan struct{})
	go func() {
		defer close(hungUp)
		select {
		case in := <-ann.Incoming():
			if err := in.Answer(ctx); err != nil {
				t.Error(err)
				return
			}
			if err := in.Hangup(ctx); err != nil {
				t.Error(err)
			}
		case <-ctx.Done():
		}
	}()
	rc := bob2.dial(user, pw, "101", "")
	if rc.ok.StatusCode != 200 {
		t.Fatalf("INVITE with credentials: %d", rc.ok.StatusCode)
	}
	<-hungUp
	rc.inDialog("ACK", 2, "")
	bye, from = bob2.request(10 * time.Second)
	if bye.Method != sip.BYE || from != udp {
		t.Fatalf("bob's phone got %s from %s; want BYE from %s when ann hung up", bye.Method, from, udp)
	}
	bob2.reply(bye, 200, "", netip.AddrPort{})
}

// rawCall is a call a rawSIP placed: its dialog as the phone keeps it.
type rawCall struct {
	r                    *rawSIP
	user, callID, target string
	ok                   *sip.Response // the final answer to the INVITE
}

// dial places a call from r as user (password pw) to target, with extra
// header lines (each ending in CRLF), answering the switchboard's
// challenge; it returns with the final answer, not yet acknowledged when
// it is a 2xx.
func (r *rawSIP) dial(user, pw, target, extra string) *rawCall {
	r.t.Helper()
	to := r.to
	c := &rawCall{r: r, user: user, callID: "out-" + token(), target: target}
	invite := func(cseq int, auth string) string {
		msg := fmt.Sprintf("INVITE sip:%s@%s SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\n"+
			"Max-Forwards: 70\r\n"+
			"From: <sip:%s@%s>;tag=raw2\r\n"+
			"To: <sip:%s@%s>\r\n"+
			"Call-ID: %s\r\n"+
			"CSeq: %d INVITE\r\n"+
			"Contact: <sip:%s@%s>\r\n"+
			"Content-Type: application/sdp\r\n", target, to, r.addr, token(), user, to, target, to, c.callID, cseq, user, r.addr)
		if auth != "" {
			msg += "Proxy-Authorization: " + auth + "\r\n"
		}
		body := sdpFor(mediaSink(r.t))
		return msg + extra + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	r.send(invite(1, ""))
	res := r.answer("INVITE")
	if res.StatusCode != 407 {
		r.t.Fatalf("INVITE without credentials: %d", res.StatusCode)
	}
	ch, err := digest.ParseChallenge(res.GetHeader("Proxy-Authenticate").Value())
	if err != nil {
		r.t.Fatal(err)
	}
	r.send(fmt.Sprintf("ACK sip:%s@%s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=raw2\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		target, to, res.Via().Value(), user, to, res.To().Value(), c.callID))
	cred, err := digest.Digest(ch, digest.Options{Method: "INVITE", URI: fmt.Sprintf("sip:%s@%s", target, to), Username: user, Password: pw, Count: 1, Cnonce: token()})
	if err != nil {
		r.t.Fatal(err)
	}
	r.send(invite(2, cred.String()))
	c.ok = r.answer("INVITE")
	return c
}

// inDialog sends a request within the call (ACK, UPDATE, BYE ...) with
// CSeq number cseq and extra header lines.
func (c *rawCall) inDialog(method string, cseq int, extra string) {
	c.r.t.Helper()
	to := c.r.to
	c.r.send(fmt.Sprintf("%s sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\nMax-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=raw2\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n%sContent-Length: 0\r\n\r\n",
		method, c.ok.Contact().Address.Addr(), c.r.addr, token(), c.user, to, c.ok.To().Value(), c.callID, cseq, method, extra))
}

// ackFailure acknowledges a final answer that is not a 2xx (within the
// INVITE's transaction: its Via and branch).
func (c *rawCall) ackFailure() {
	to := c.r.to
	c.r.send(fmt.Sprintf("ACK sip:%s@%s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=raw2\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n",
		c.target, to, c.ok.Via().Value(), c.user, to, c.ok.To().Value(), c.callID))
}
