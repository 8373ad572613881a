// Click to call: the switchboard rings a user's own phones and, once one
// answers, dials the customer from the user's number and bridges the two
// (RFC 3725's third-party call control, flow I with the switchboard's
// relay in the middle). This is how a CRM or a script starts a call:
// POST /v1/calls.

package switchboard

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
)

// CallRefused is a click-to-call the switchboard would not place: the SIP
// status it stands for (402 no credit, 403 not allowed, 404 no such
// number, 409 no phone online, 503 no route) and why, in words for the
// user.
type CallRefused struct {
	Code   int
	Reason string
}

func (e *CallRefused) Error() string { return e.Reason }

// Status is the SIP status the refusal stands for.
func (e *CallRefused) Status() int { return e.Code }

// ClickToCall rings email's own phones (every one registered) with a call
// to the outside number to; when one answers, it dials to from the user's
// number from (one of theirs; "" for their usual caller ID) and joins the
// two. It returns the call's id as the phones start ringing; what follows
// (answered, missed, its cost) goes to the call's record as for any call
// the user places. The call is the user's outbound call: gated, metered,
// recorded and shown as theirs.
func (s *Server) ClickToCall(ctx context.Context, email, to, from string) (string, error) {
	if s.life.Err() != nil {
		return "", &CallRefused{503, "The switchboard is shutting down."}
	}
	caller, err := s.cfg.Directory.User(ctx, email)
	if err != nil {
		return "", &CallRefused{403, "No such user."}
	}
	if s.cfg.Billing != nil {
		if err := s.cfg.Billing.Gate(ctx, caller.Account); err != nil {
			return "", &CallRefused{402, refusedCause(err)}
		}
	}
	users, external, _, err := s.route(ctx, caller, to)
	switch {
	case errors.Is(err, errNoRoute):
		return "", &CallRefused{404, fmt.Sprintf("%q is not a phone number.", to)}
	case err != nil:
		return "", err
	case external == "" || len(users) > 0:
		return "", &CallRefused{404, "Click to call dials numbers outside the company; call a teammate or one of the company's numbers from the app."}
	}
	region := s.regionOf(ctx, caller.Account)
	preferred := ""
	if strings.TrimSpace(from) != "" {
		n, err := rating.ParseNumber(from, region)
		if err != nil {
			return "", &CallRefused{403, fmt.Sprintf("%q is not a phone number to call from.", from)}
		}
		nums, err := s.cfg.Directory.NumbersOf(ctx, caller.Email)
		if err != nil {
			return "", err
		}
		if !slices.ContainsFunc(nums, func(m team.Number) bool { return m.E164 == n.E164 }) {
			return "", &CallRefused{403, fmt.Sprintf("%s is not one of your numbers.", n.E164)}
		}
		preferred = n.E164
	}
	var phones []binding
	for _, b := range s.location.user(caller.Email) {
		if b.Trunk {
			continue
		}
		b.From = external // the phone shows whom it is about to call
		phones = append(phones, b)
	}
	if len(phones) == 0 {
		return "", &CallRefused{409, "None of your phones is online: open the app (or register a phone), then try again."}
	}
	ip := s.relayIP()
	r, err := newRelay(ip)
	if err != nil {
		return "", err
	}
	c := s.newCall(caller, caller.Extension, external, "outbound")
	c.relay = r
	trunk, code, reason := s.startBilled(ctx, c, caller, external, preferred)
	if code != 0 {
		r.close()
		s.record(c, records.Refused, fmt.Sprintf("%d %s", code, reason))
		if reason == "" {
			reason = phrases[code]
		}
		return "", &CallRefused{code, reason}
	}
	s.spawn(func() { s.clickToCall(c, phones, trunk) })
	return c.id, nil
}

// relayIP is the address the switchboard's media relay listens on: its
// UDP listener's.
func (s *Server) relayIP() netip.Addr {
	if a, ok := s.Addr("udp"); ok {
		return a.Addr()
	}
	return netip.IPv6Loopback()
}

// clickToCall runs a click-to-call from the ring of the user's phones to
// the bridge (or to its end, when nobody answers).
func (s *Server) clickToCall(c *call, phones []binding, trunk binding) {
	ip := c.relay.ip
	contact := s.ourContact("switchboard", ip, "udp")
	aRTP, aRTCP := c.relay.a.ports()
	// The user's phone gets the switchboard's own offer: the codecs
	// carriers take, at the relay's side facing the phone.
	won, end := s.ringAll(c, phones, ownOffer(ip, aRTP, aRTCP), contact, nil, c.done)
	if won == nil {
		why := "your phone did not answer"
		if end.code != 0 {
			why = fmt.Sprintf("%d your phone did not answer (%s)", end.code, end.phrase)
		}
		c.setEnd(records.Missed, why)
		s.finish(c)
		return
	}
	if c.gwB != nil { // (ringAll keeps a winner's WebRTC gateway as the callee's)
		c.gwA, c.gwB = c.gwB, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := won.sess.Ack(ctx); err != nil {
		s.log.Warn("switchboard: ACK to the phone of a click-to-call", "err", err)
	}
	cancel()
	c.mu.Lock()
	c.a2 = won.sess
	c.mu.Unlock()
	bRTP, bRTCP := c.relay.b.ports()
	offer, aMedia, err := rewriteSDP(won.res.Body(), ip, bRTP, bRTCP)
	if err != nil {
		c.setEnd(records.Failed, "488 the phone answered with media the switchboard cannot carry")
		s.hangupWith(c, nil, reasonHeader(488, "Not Acceptable Here"))
		return
	}
	c.relay.a.setPeer(aMedia)
	// Now the customer: the phone's answer is the offer (the codec it
	// chose); the user hears the carrier's ringing as silence until the
	// answer (no early media through the relay yet).
	repGone := make(chan struct{})
	go func() {
		select {
		case <-won.sess.Context().Done():
			close(repGone)
		case <-c.done:
		}
	}()
	out, end := s.ringAll(c, []binding{trunk}, offer, contact, nil, repGone)
	if out == nil {
		switch {
		case end.cancelled:
			c.setEnd(records.Missed, "487 you hung up before the call was answered")
			s.hangup(c, won.sess)
		default:
			c.setEnd(end.disposition(), fmt.Sprintf("%d %s", end.code, end.phrase))
			s.hangupWith(c, nil, reasonHeader(end.code, end.phrase))
		}
		return
	}
	c.setCallee(out.sess)
	c.setEnd(records.Answered, "")
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	if err := out.sess.Ack(ctx); err != nil {
		s.log.Warn("switchboard: ACK to the customer of a click-to-call", "err", err)
	}
	cancel()
	_, bMedia, err := rewriteSDP(out.res.Body(), ip, aRTP, aRTCP)
	if err != nil {
		c.setEnd(records.Failed, "488 the network answered with media the switchboard cannot carry")
		s.hangupWith(c, nil, reasonHeader(488, "Not Acceptable Here"))
		return
	}
	c.relay.b.setPeer(bMedia)
	answer := out.res.Body()
	if c.recordOn != "" && s.cfg.VoicemailDir != "" {
		if c.relay.rec = newRecorder(answer, 4*time.Hour); c.relay.rec != nil {
			c.relay.prepareOverlays(answer)
			c.relay.toCaller.play(RecordingNotice)
			c.relay.toCallee.play(RecordingNotice)
		}
	}
	c.relay.start()
	c.mu.Lock()
	c.answered = s.cfg.Now()
	c.mu.Unlock()
	s.noteLive(c)
	if c.bill != nil {
		if c.relay.rec == nil {
			c.relay.prepareOverlays(answer)
		}
		s.spawn(func() { s.meter(c) })
	}
	s.spawn(func() { s.watchLegs(c) })
}

// ownOffer is an SDP offer of the switchboard's own, for a call it
// starts: G.711 both ways and DTMF events, at ip and the ports given.
func ownOffer(ip netip.Addr, rtp, rtcp int) []byte {
	id := time.Now().UnixNano() / 1000
	family := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		family = "IP6"
	}
	lines := []string{"v=0", fmt.Sprintf("o=tether %d %d IN %s %s", id, id, family, ip), "s=tether", fmt.Sprintf("c=IN %s %s", family, ip), "t=0 0",
		fmt.Sprintf("m=audio %d RTP/AVP 0 8 101", rtp), "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
		"a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv"}
	if rtcp != rtp+1 {
		lines = append(lines, fmt.Sprintf("a=rtcp:%d", rtcp))
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}
