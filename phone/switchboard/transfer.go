package switchboard

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Transfers (RFC 3515 REFER, RFC 5589). The switchboard is in the middle
// of every call, so it carries out a transfer itself rather than pass the
// REFER on: the party who answered a call (a rep who took a customer's
// call) sends REFER in their leg, and the switchboard
//
//   - blind (Refer-To names a teammate or a number's members): rings the
//     target with the media the customer is sending, and when it answers
//     puts it in the rep's place on the relay;
//   - attended (Refer-To carries Replaces naming the rep's other call, a
//     consultation with the target): re-INVITEs the target's leg of that
//     call toward this call's relay and puts it in the rep's place; the
//     consultation call ends without its target.
//
// The call goes on as the same call: its meter, its record, its credit
// (billing stays with the leg that pays). The rep hears the outcome by
// NOTIFY (message/sipfrag) and both of the rep's legs are hung up. A rep
// who placed the call transfers it the same way: the new party takes the
// caller's place (bridge.a2) and the callee is re-offered its media.

// referTarget reads a Refer-To: the target's user part, and the Replaces
// or Join it carries ("" for none).
func referTarget(v string) (user, replaces, join string, err error) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.LastIndexByte(v, '>')
		if j < i {
			return "", "", "", errors.New("unterminated Refer-To")
		}
		v = v[i+1 : j]
	}
	uri, headers, _ := strings.Cut(v, "?")
	var u sip.Uri
	if err := sip.ParseUri(uri, &u); err != nil || u.User == "" {
		return "", "", "", fmt.Errorf("Refer-To %q names nobody", uri)
	}
	for _, h := range strings.Split(headers, "&") {
		k, val, _ := strings.Cut(h, "=")
		switch {
		case strings.EqualFold(k, "Replaces"):
			if replaces, err = url.QueryUnescape(val); err != nil {
				return "", "", "", err
			}
		case strings.EqualFold(k, "Join"):
			if join, err = url.QueryUnescape(val); err != nil {
				return "", "", "", err
			}
		}
	}
	return u.User, replaces, join, nil
}

// onRefer takes a transfer asked for in a call.
func (s *Server) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.find(req.CallID().Value())
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	b := c.callee()
	id := req.CallID().Value()
	fromCaller := c.a != nil && id == c.a.InviteRequest.CallID().Value() && c.callerStand() == nil &&
		(c.answeredA.Load() || c.answering.Load()) // (its ACK may still be on the way)
	fromCallee := b != nil && id == b.InviteRequest.CallID().Value()
	if b == nil || !fromCaller && !fromCallee {
		res := sip.NewResponseFromRequest(req, 501, "Not Implemented", nil)
		res.AppendHeader(sip.NewHeader("Warning", `399 switchboard "this leg cannot transfer the call"`))
		tx.Respond(res)
		return
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Missing Refer-To", nil))
		return
	}
	user, replaces, join, err := referTarget(h.Value())
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Refer-To", nil))
		return
	}
	if c.relay == nil || c.gwA != nil || c.gwB != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 202, "Accepted", nil))
	s.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RingTimeout+30*time.Second)
		defer cancel()
		notify := func(frag string, final bool) {
			if fromCaller {
				s.notifyCaller(ctx, c.a, frag, final)
			} else {
				s.notifyRefer(ctx, b, frag, final)
			}
		}
		for wait := time.Now().Add(5 * time.Second); fromCaller && !c.answeredA.Load() && time.Now().Before(wait); {
			select {
			case <-c.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		notify("SIP/2.0 100 Trying", false)
		if join != "" {
			code, phrase := s.joinConference(ctx, c, fromCaller, join)
			notify(fmt.Sprintf("SIP/2.0 %d %s", code, phrase), true)
			return // (the referrer stays in both calls)
		}
		var code int
		var phrase string
		var media []byte
		if replaces != "" {
			code, phrase, media = s.joinConsultation(ctx, c, b, fromCaller, replaces)
		} else {
			code, phrase, media = s.blindTransfer(ctx, c, b, fromCaller, user)
		}
		if code < 300 {
			if fromCaller {
				s.reofferCallee(ctx, c, media)
			} else {
				s.reofferCaller(ctx, c, media)
			}
		}
		notify(fmt.Sprintf("SIP/2.0 %d %s", code, phrase), true)
		if code >= 300 {
			return // the call is still the transferor's (RFC 5589 6.1)
		}
		// The transferor's leg is done: hung up here, or answered if
		// its phone hangs up first.
		if fromCaller {
			if c.byeA.CompareAndSwap(false, true) {
				s.byeCaller(ctx, c.a, reasonHeader(200, "Call transferred"))
			}
			return // (c.a stays findable: its late BYE is answered, and ends nothing)
		}
		s.byeCallee(ctx, b, reasonHeader(200, "Call transferred"))
		c.detachedLeg(b.InviteRequest.CallID().Value())
		s.calls.forget(c, b.InviteRequest.CallID().Value())
		b.Close()
	})
}

// referNotify is a NOTIFY of a transfer's progress (RFC 3515 2.4.4): the
// status line of the new call as message/sipfrag.
func referNotify(to sip.Uri, frag string, final bool) *sip.Request {
	req := sip.NewRequest(sip.NOTIFY, to)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(frag + "\r\n"))
	return req
}

// notifyCaller tells a transferring caller how the transfer goes.
func (s *Server) notifyCaller(ctx context.Context, a *sipgo.DialogServerSession, frag string, final bool) {
	req := referNotify(callerTarget(a), frag, final)
	if _, err := a.Do(ctx, s.toCaller(req, a)); err != nil {
		s.log.Info("switchboard: NOTIFY of a transfer", "err", err)
	}
}

// replaceCaller puts next in the place of the caller, who transferred
// the call; the caller's own leg is kept only for its BYE.
func (s *Server) replaceCaller(c *call, next *sipgo.DialogClientSession, media mediaAddr) {
	c.relay.a.setPeer(media)
	c.mu.Lock()
	c.a2 = next
	c.timers[0] = sessionTimer{}
	c.mu.Unlock()
	s.calls.add(c, next.InviteRequest.CallID().Value())
	select {
	case c.swapped <- struct{}{}:
	default:
	}
}

// notifyRefer tells the transferor how the transfer goes (RFC 3515 2.4.4).
func (s *Server) notifyRefer(ctx context.Context, to *sipgo.DialogClientSession, frag string, final bool) {
	req := referNotify(calleeTarget(to), frag, final)
	if _, err := to.Do(ctx, s.toCallee(req, to)); err != nil {
		s.log.Info("switchboard: NOTIFY of a transfer", "err", err)
	}
}

// replaceCallee puts next in the place of the call's answering leg old,
// whose media now come from media: old is kept only for its BYE.
func (s *Server) replaceCallee(c *call, old, next *sipgo.DialogClientSession, media mediaAddr) {
	c.relay.b.setPeer(media)
	c.mu.Lock()
	if c.detached == nil {
		c.detached = map[string]*sipgo.DialogClientSession{}
	}
	c.detached[old.InviteRequest.CallID().Value()] = old
	c.timers[1] = sessionTimer{}
	c.mu.Unlock()
	s.calls.add(c, next.InviteRequest.CallID().Value())
	c.setCallee(next)
}

// takeOverOffer is the offer for a leg taking the transferor's place:
// the codecs the callee answered with (what both parties send), at the
// relay's side facing the transferor.
func (s *Server) takeOverOffer(c *call, b *sipgo.DialogClientSession, fromCaller bool) ([]byte, error) {
	rtp, rtcp := c.relay.b.ports()
	if fromCaller {
		rtp, rtcp = c.relay.a.ports()
	}
	offer, _, err := rewriteSDP(b.InviteResponse.Body(), c.relay.ip, rtp, rtcp)
	return offer, err
}

// takeOver puts next in the transferor's place.
func (s *Server) takeOver(c *call, old *sipgo.DialogClientSession, next *sipgo.DialogClientSession, media mediaAddr, fromCaller bool) {
	if fromCaller {
		s.replaceCaller(c, next, media)
		return
	}
	s.replaceCallee(c, old, next, media)
}

// blindTransfer rings user's phones with the call and puts the one that
// answers in the transferor's place; it returns the outcome for the
// transferor's NOTIFY.
func (s *Server) blindTransfer(ctx context.Context, c *call, old *sipgo.DialogClientSession, fromCaller bool, user string) (int, string, []byte) {
	// (route gives a number's members as its users.)
	users, external, _, err := s.route(ctx, c.caller, user)
	if err != nil || external != "" {
		return 404, "Not Found", nil // (transfers go to teammates and numbers for now)
	}
	var targets []binding
	for _, u := range users {
		targets = append(targets, s.location.user(u.Email)...)
	}
	if len(targets) == 0 {
		return 480, "Temporarily Unavailable", nil
	}
	offer, err := s.takeOverOffer(c, old, fromCaller)
	if err != nil {
		return 488, "Not Acceptable Here", nil
	}
	contact := s.ourContact("switchboard", c.relay.ip, "udp")
	won, end := s.ringAll(c, targets, offer, contact, nil, c.done)
	if won == nil {
		if end.code == 0 {
			return 487, "Request Terminated", nil
		}
		return end.code, end.phrase, nil
	}
	if err := won.sess.Ack(ctx); err != nil {
		s.log.Warn("switchboard: ACK to a transfer's target", "err", err)
	}
	_, m, err := rewriteSDP(won.res.Body(), c.relay.ip, 0, 0)
	if err != nil {
		s.byeCallee(ctx, won.sess, "")
		return 488, "Not Acceptable Here", nil
	}
	if !fromCaller {
		c.mu.Lock()
		c.calleeEmail = won.b.Email
		c.mu.Unlock()
	}
	s.takeOver(c, old, won.sess, m, fromCaller)
	return 200, "OK", won.res.Body()
}

// joinConsultation carries out an attended transfer: the call whose
// transferor leg replaces names (Call-ID;to-tag=;from-tag=, RFC 3891) has
// its callee joined to this call in the transferor's place.
func (s *Server) joinConsultation(ctx context.Context, c *call, old *sipgo.DialogClientSession, fromCaller bool, replaces string) (int, string, []byte) {
	callID, _, _ := strings.Cut(replaces, ";")
	c2 := s.calls.find(strings.TrimSpace(callID))
	if c2 == nil || c2 == c || c2.a == nil || c2.a.InviteRequest.CallID().Value() != strings.TrimSpace(callID) {
		return 481, "Call/Transaction Does Not Exist", nil
	}
	// A consultation just answered may still await its ACK (a quick
	// transferor): give it a moment.
	for wait := time.Now().Add(5 * time.Second); !c2.answeredA.Load() && time.Now().Before(wait); {
		select {
		case <-c2.done:
			return 481, "Call/Transaction Does Not Exist", nil
		case <-ctx.Done():
			return 487, "Request Terminated", nil
		case <-time.After(20 * time.Millisecond):
		}
	}
	target := c2.callee()
	if target == nil || !c2.answeredA.Load() || c2.relay == nil || c2.gwA != nil || c2.gwB != nil {
		return 488, "Not Acceptable Here", nil
	}
	offer, err := s.takeOverOffer(c, old, fromCaller)
	if err != nil {
		return 488, "Not Acceptable Here", nil
	}
	// The consultation's target now sends to this call's relay.
	reinv := sip.NewRequest(sip.INVITE, calleeTarget(target))
	reinv.SetBody(offer)
	reinv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := target.Do(ctx, s.toCallee(reinv, target))
	if err != nil || !res.IsSuccess() {
		return 488, "Not Acceptable Here", nil
	}
	ack := sip.NewRequest(sip.ACK, reinv.Recipient)
	target.WriteRequest(s.toCallee(ack, target))
	_, m, err := rewriteSDP(res.Body(), c.relay.ip, 0, 0)
	if err != nil {
		return 488, "Not Acceptable Here", nil
	}
	// The consultation ends without its target, which is this call's now.
	c2.mu.Lock()
	who := c2.calleeEmail
	c2.calleeEmail = ""
	c2.mu.Unlock()
	if !fromCaller {
		c.mu.Lock()
		c.calleeEmail = who
		c.mu.Unlock()
	}
	c2.setCallee(nil)
	c2.setEnd("", "transferred: the consulted party joined the transferred call")
	s.takeOver(c, old, target, m, fromCaller)
	s.hangupWith(c2, nil, reasonHeader(200, "Call transferred"))
	return 200, "OK", res.Body()
}

// reofferCaller offers the caller its new callee's media, both ways: a
// transferor usually holds the caller before transferring, and the
// caller's phone would stay held (sending nothing) after it.
func (s *Server) reofferCaller(ctx context.Context, c *call, calleeSDP []byte) {
	rtp, rtcp := c.relay.a.ports()
	offer, err := bothWays(calleeSDP, c.relay.ip, rtp, rtcp)
	if err != nil {
		return
	}
	var res *sip.Response
	var ack *sip.Request
	if a2 := c.callerStand(); a2 != nil { // (the caller's place was taken before)
		reinv := sip.NewRequest(sip.INVITE, calleeTarget(a2))
		reinv.SetBody(offer)
		reinv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		if res, err = a2.Do(ctx, s.toCallee(reinv, a2)); err == nil && res.IsSuccess() {
			ack = sip.NewRequest(sip.ACK, reinv.Recipient)
			a2.WriteRequest(s.toCallee(ack, a2))
		}
	} else {
		reinv := sip.NewRequest(sip.INVITE, callerTarget(c.a))
		reinv.SetBody(offer)
		reinv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		if res, err = c.a.Do(ctx, s.toCaller(reinv, c.a)); err == nil && res.IsSuccess() {
			ack = sip.NewRequest(sip.ACK, reinv.Recipient)
			c.a.WriteRequest(s.toCaller(ack, c.a))
		}
	}
	if err != nil || !res.IsSuccess() {
		s.log.Info("switchboard: re-offering a transferred caller its media", "err", err)
		return
	}
	if _, m, err := rewriteSDP(res.Body(), c.relay.ip, 0, 0); err == nil {
		c.relay.a.setPeer(m)
	}
}

// reofferCallee offers the callee its new caller's media, both ways (the
// caller transferred the call, usually holding the callee first).
func (s *Server) reofferCallee(ctx context.Context, c *call, callerSDP []byte) {
	b := c.callee()
	if b == nil {
		return
	}
	rtp, rtcp := c.relay.b.ports()
	offer, err := bothWays(callerSDP, c.relay.ip, rtp, rtcp)
	if err != nil {
		return
	}
	reinv := sip.NewRequest(sip.INVITE, calleeTarget(b))
	reinv.SetBody(offer)
	reinv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := b.Do(ctx, s.toCallee(reinv, b))
	if err != nil || !res.IsSuccess() {
		s.log.Info("switchboard: re-offering a transferred callee its media", "err", err)
		return
	}
	ack := sip.NewRequest(sip.ACK, reinv.Recipient)
	b.WriteRequest(s.toCallee(ack, b))
	if _, m, err := rewriteSDP(res.Body(), c.relay.ip, 0, 0); err == nil {
		c.relay.b.setPeer(m)
	}
}

// bothWays is a party's SDP pointed at a side of the relay, with media
// both ways (whatever hold it described).
func bothWays(body []byte, ip netip.Addr, rtp, rtcp int) ([]byte, error) {
	offer, _, err := rewriteSDP(body, ip, rtp, rtcp)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"a=sendonly", "a=recvonly", "a=inactive"} {
		offer = []byte(strings.ReplaceAll(string(offer), d, "a=sendrecv"))
	}
	return offer, nil
}
