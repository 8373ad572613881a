// Forking: a call rings every phone of its callee at once (a ring-all);
// the first to answer is bridged and the rest are cancelled.

package switchboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/phone/sdp"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// leg is one outgoing INVITE of a ring-all.
type leg struct {
	b      binding
	gw     *webrtcgw.Gateway // a WebRTC phone's
	sess   *sipgo.DialogClientSession
	invite *sip.Request
	auth   sipgo.AnswerOptions // the carrier's account, for a trunk that challenges
	res    *sip.Response       // final response
	err    error
	// Under the fork's lock: the INVITE is out (its headers are no longer
	// being written), the leg has its final answer, and the CANCEL owed
	// by a leg the ring-all gave up on before its INVITE was out.
	sent, final bool
	cancelWith  string
}

// ringEnd says how a ring-all ended without an answer: the best final
// response of the phones rung, or the caller giving up, or time.
type ringEnd struct {
	code      int
	phrase    string
	cancelled bool // the caller hung up
	timedOut  bool
}

// ringAll sends an INVITE carrying offer to every target at once. The
// first to answer wins and is returned (the others are cancelled, "call
// completed elsewhere"); ringing is called on the first 180 or 183; a
// close of cancelled (the caller hung up) cancels them all. Nobody
// answering within RingTimeout (NoAnswer for a number that takes voicemail)
// of the start ends it (legs failing on the
// way do not put the time back).
func (s *Server) ringAll(c *call, targets []binding, offer []byte, contact sip.ContactHeader, ringing func(), cancelled <-chan struct{}) (*leg, ringEnd) {
	f := &fork{dialogs: sipgo.NewDialogClientCache(s.client, contact), results: make(chan *leg, len(targets)),
		winner: make(chan *leg, 1), ringing: ringing}
	var stopRinging context.CancelFunc
	f.ctx, stopRinging = context.WithCancel(context.Background())
	defer stopRinging()
	// Once the ring-all is decided, a late 180 from a losing leg must not
	// reach the caller (whose 200 may be going out).
	defer f.end()
	var won *leg
	defer func() { // the gateways of the legs that did not win
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, l := range f.legs {
			if l != won && l.gw != nil {
				l.gw.Close()
			}
		}
	}()
	for _, b := range targets {
		l, ok := s.newLeg(c, b, offer, contact)
		if !ok {
			continue
		}
		f.mu.Lock()
		f.legs = append(f.legs, l)
		f.mu.Unlock()
		s.calls.add(c, l.invite.CallID().Value())
		s.spawn(func() { s.runLeg(f, l) })
	}
	f.mu.Lock()
	pending := len(f.legs)
	f.mu.Unlock()
	ringFor := s.cfg.RingTimeout
	if c.voicemailOn != nil {
		ringFor = s.cfg.NoAnswer // then voicemail
	}
	deadline := s.cfg.Clock.NewTimer(ringFor)
	defer deadline.Stop()
	for pending > 0 {
		select {
		case w := <-f.winner:
			won = w
			s.cancelLegs(f.legs, &f.mu, w, 200, "Call completed elsewhere")
			if w.gw != nil {
				c.gwB = w.gw
			}
			return w, ringEnd{}
		case l := <-f.results:
			if l.err == nil && l.res != nil && l.res.IsSuccess() {
				continue // the winner arrives on its own channel
			}
			pending--
		case <-cancelled:
			s.cancelLegs(f.legs, &f.mu, nil, 487, "caller hung up")
			return nil, ringEnd{cancelled: true}
		case <-deadline.Chan():
			s.cancelLegs(f.legs, &f.mu, nil, 480, "no answer")
			return nil, ringEnd{code: 480, phrase: "Temporarily Unavailable", timedOut: true}
		case <-s.life.Done():
			s.cancelLegs(f.legs, &f.mu, nil, 503, "the switchboard is shutting down")
			return nil, ringEnd{code: 503, phrase: "Service Unavailable"}
		}
	}
	if s.life.Err() != nil {
		// The legs wait on the switchboard's life: at Close their results
		// race life.Done() above, and the last one may win the select.
		return nil, ringEnd{code: 503, phrase: "Service Unavailable"}
	}
	end := ringEnd{code: 480, phrase: "Temporarily Unavailable"}
	for _, l := range f.legs {
		if l.res != nil && l.res.StatusCode >= 400 && (end.code == 480 || l.res.StatusCode == 486 || l.res.StatusCode == 600) {
			end.code, end.phrase = l.res.StatusCode, l.res.Reason
		}
	}
	return nil, end
}

// fork is one ring-all in progress: its legs and what they report.
type fork struct {
	dialogs *sipgo.DialogClientCache
	ctx     context.Context // cancelled when the ring-all is over
	ringing func()          // on the first 180 or 183, while not over
	once    sync.Once
	// progress orders the ringing callback before the ring-all's end:
	// after end, no leg's 180 calls it.
	progress sync.Mutex
	over     bool
	mu       sync.Mutex
	legs     []*leg
	results  chan *leg // every leg's end, answered or not
	winner   chan *leg // the first to answer
}

// provisional tells the caller the callee rings (the first 180 or 183 of
// any leg), unless the ring-all is over.
func (f *fork) provisional() {
	f.progress.Lock()
	defer f.progress.Unlock()
	if !f.over && f.ringing != nil {
		f.once.Do(f.ringing)
	}
}

// end marks the ring-all decided, waiting for a ringing callback under way.
func (f *fork) end() {
	f.progress.Lock()
	f.over = true
	f.progress.Unlock()
}

// newLeg builds the INVITE for one target of a ring-all (and, for a
// WebRTC phone, the gateway that speaks to it); false when the target
// cannot take this call.
func (s *Server) newLeg(c *call, b binding, offer []byte, contact sip.ContactHeader) (*leg, bool) {
	l := &leg{b: b}
	body := offer
	if b.ICE {
		if bytes.Contains(offer, []byte("a=crypto:")) {
			// SDES keys pass the relay end to end; a WebRTC phone
			// has its own (DTLS) and could not read the caller's
			// packets.
			s.log.Warn("switchboard: an SDES-encrypted call cannot ring a WebRTC phone", "device", b.Device)
			return nil, false
		}
		ip, _ := netip.ParseAddr(contact.Address.Host)
		gw, webOffer, err := s.offerWebRTC(ip, offer)
		if err != nil {
			s.log.Warn("switchboard: offering WebRTC", "device", b.Device, "err", err)
			return nil, false
		}
		l.gw, body = gw, webOffer
	}
	inv := sip.NewRequest(sip.INVITE, b.Contact)
	inv.SetDestination(b.Source.String())
	inv.SetTransport(b.Transport)
	s.fromListener(inv)
	fromParams := sip.NewParams()
	fromParams.Add("tag", sip.GenerateTagN(16))
	fromUser, display := c.caller.Extension, c.caller.Extension
	if b.From != "" {
		fromUser, display = b.From, b.From // off the network: the caller's number
	}
	if ta := s.trunkAuth(); b.Trunk && ta != nil && ta.User != "" {
		// The carrier knows the account; the number goes as identity.
		fromUser = ta.User
		l.auth.Username, l.auth.Password = ta.User, ta.Password
		inv.AppendHeader(sip.NewHeader("P-Asserted-Identity", fmt.Sprintf("<sip:%s@%s>", display, contact.Address.Host)))
	}
	inv.AppendHeader(&sip.FromHeader{DisplayName: display, Address: sip.Uri{Scheme: "sip", User: fromUser, Host: contact.Address.Host},
		Params: fromParams})
	inv.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: b.Device, Host: b.Contact.Host, Port: b.Contact.Port}})
	callID := sip.CallIDHeader(newID())
	inv.AppendHeader(&callID)
	// The phone (or the trunk) sends its requests in this dialog (BYE,
	// re-INVITE) over its own transport: name the switchboard's listener
	// for that one, whatever the caller's was.
	ip, _ := netip.ParseAddr(contact.Address.Host)
	ct := s.ourContact(contact.Address.User, ip, b.Transport)
	inv.AppendHeader(&ct)
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if strings.HasPrefix(c.to, "+") && !b.Trunk {
		// Which of the callee's lines was dialled (RFC 3455).
		inv.AppendHeader(sip.NewHeader("P-Called-Party-ID", fmt.Sprintf("<sip:%s@%s>", c.to, contact.Address.Host)))
	}
	inv.SetBody(body)
	l.invite = inv
	return l, true
}

// runLeg sends a leg's INVITE and follows it to its final answer, which
// it reports on f.results (and, the first 2xx, on f.winner).
func (s *Server) runLeg(f *fork, l *leg) {
	sent := time.Now()
	sess, err := f.dialogs.WriteInvite(f.ctx, l.invite)
	if err != nil {
		f.mu.Lock()
		l.err, l.final = err, true
		f.mu.Unlock()
		f.results <- l
		return
	}
	f.mu.Lock()
	l.sess, l.sent = sess, true
	owed := l.cancelWith
	f.mu.Unlock()
	if owed != "" { // the ring-all ended while this INVITE was going out
		s.cancelLeg(l, owed)
	}
	err = sess.WaitAnswer(s.life, sipgo.AnswerOptions{Username: l.auth.Username, Password: l.auth.Password, OnResponse: func(res *sip.Response) error {
		if res.StatusCode == 180 || res.StatusCode == 183 {
			f.provisional()
		}
		return nil
	}})
	f.mu.Lock()
	l.res, l.err, l.final = sess.InviteResponse, err, true
	f.mu.Unlock()
	if err != nil && s.life.Err() == nil {
		s.log.Debug("switchboard: a leg ended without an answer", "device", l.b.Device, "after", time.Since(sent), "err", err)
	}
	if err == nil && l.res != nil && l.res.IsSuccess() && (l.b.Transport == "WS" || l.b.Transport == "WSS") {
		// A WebSocket phone's Contact names an .invalid host
		// (RFC 7118): requests in the dialog go back over its
		// connection.
		if ct := l.res.Contact(); ct != nil {
			ct.Address.Host, ct.Address.Port = l.b.Source.Addr().String(), int(l.b.Source.Port())
		}
	}
	if err == nil && l.res != nil && l.res.IsSuccess() && l.gw != nil {
		// The rest of the call sees the WebRTC phone's answer as
		// the gateway's plain one.
		var plain *sdp.Description
		var body []byte
		if plain, err = l.gw.Accept(l.res.Body()); err == nil {
			body, err = plain.Marshal()
		}
		if err != nil {
			s.log.Warn("switchboard: a WebRTC phone's answer", "device", l.b.Device, "err", err)
			l.err = err
			sess.Ack(context.Background())
			s.byeCallee(context.Background(), sess, "")
			sess.Close()
		} else {
			l.res.SetBody(body)
		}
	}
	if err == nil && l.res != nil && l.res.IsSuccess() {
		select {
		case f.winner <- l:
		default: // answered too late: another phone has the call
			sess.Ack(context.Background())
			s.byeCallee(context.Background(), sess, "")
			sess.Close()
			l.err = errors.New("answered elsewhere")
		}
	}
	f.results <- l
}

// cancelLegs cancels every ringing leg but the winner, with a Reason; a
// leg whose INVITE is still going out cancels itself once it is out.
func (s *Server) cancelLegs(legs []*leg, mu *sync.Mutex, winner *leg, cause int, text string) {
	reason := reasonHeader(cause, text)
	var ringing []*leg
	mu.Lock()
	for _, l := range legs {
		switch {
		case l == winner || l.final:
		case !l.sent:
			l.cancelWith = reason
		default:
			ringing = append(ringing, l)
		}
	}
	mu.Unlock()
	for _, l := range ringing {
		s.cancelLeg(l, reason)
	}
}

// cancelLeg sends the CANCEL of a leg's INVITE, with a Reason.
func (s *Server) cancelLeg(l *leg, reason string) {
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	res, err := s.client.Do(ctx, cancelFor(l.invite, reason), func(*sipgo.Client, *sip.Request) error { return nil })
	if err != nil || res.StatusCode != 200 {
		s.log.Debug("switchboard: CANCEL", "err", err, "res", res)
	}
}

// cancelFor builds the CANCEL of an INVITE (RFC 3261 9.1), with a Reason.
func cancelFor(inv *sip.Request, reason string) *sip.Request {
	c := sip.NewRequest(sip.CANCEL, inv.Recipient)
	if v := inv.Via(); v != nil {
		c.AppendHeader(sip.HeaderClone(v))
	}
	for _, h := range []sip.Header{inv.From(), inv.To(), inv.CallID()} {
		if h != nil {
			c.AppendHeader(sip.HeaderClone(h))
		}
	}
	for _, h := range inv.GetHeaders("Route") {
		c.AppendHeader(sip.HeaderClone(h))
	}
	c.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	c.AppendHeader(sip.NewHeader("Max-Forwards", "70"))
	c.AppendHeader(sip.NewHeader("Reason", reason))
	c.SetDestination(inv.Destination())
	c.SetTransport(inv.Transport())
	c.Laddr = inv.Laddr
	c.SetBody(nil)
	return c
}

// disposition names how a ring-all that nobody answered ended.
// takesMessage reports whether a ring-all that ended so goes on to
// voicemail: nobody answered in time, or every phone was busy, declined
// or unavailable (not the caller hanging up, nor the switchboard closing).
func (e ringEnd) takesMessage() bool {
	if e.cancelled {
		return false
	}
	return e.timedOut || e.disposition() != records.Failed
}

func (e ringEnd) disposition() records.Disposition {
	switch e.code {
	case 486, 600, 603:
		return records.Busy
	case 480, 408:
		return records.Missed
	}
	return records.Failed
}
