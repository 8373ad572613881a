package switchboard

import (
	"context"
	"strings"
	"time"
)

// Three-way calls. A rep on a call (with a customer, say) puts it on hold
// and calls a third party; to bring all three together the rep sends, in
// the first call, a REFER whose Refer-To carries Join (RFC 3911) naming
// the second call: "let the far end join my other call". The switchboard
// is in the middle of both, so it carries this out itself: both calls'
// relays hand their sides to one mixer (mixer.go), the party the rep held
// is re-offered its media both ways, and everyone hears everyone else.
// The rep's two legs are one group in the mix: whichever the rep's phone
// keeps active, it never hears itself.
//
// The calls stay two calls, each with its own meter, record and credit,
// billed as it was rated; each ends on its own: when the third party
// hangs up, the rep and the customer carry on; when the rep hangs up
// both, both others are hung up. A fourth party joins the same way (the
// second call's Join names a call already in the conference).
//
// A call running out of credit in a conference warns its caller in the
// mix (the one who pays hears it, the others do not), and ends as it
// would have. What a conference does not do yet: a recorded call's
// recording stops at the join (logged), and SRTP or WebRTC legs cannot be
// mixed (the join is refused with 488).

// joinConference joins call c and the call the referrer placed that join
// names (Call-ID;to-tag=;from-tag=) in one conference; fromCaller: the
// referrer is c's caller. It returns the outcome for the referrer's
// NOTIFY.
func (s *Server) joinConference(ctx context.Context, c *call, fromCaller bool, join string) (int, string) {
	callID, _, _ := strings.Cut(join, ";")
	callID = strings.TrimSpace(callID)
	c2 := s.calls.find(callID)
	if c2 == nil || c2 == c || c2.a == nil || c2.a.InviteRequest.CallID().Value() != callID {
		return 481, "Call/Transaction Does Not Exist"
	}
	for wait := time.Now().Add(5 * time.Second); !c2.answeredA.Load() && time.Now().Before(wait); {
		select {
		case <-c2.done:
			return 481, "Call/Transaction Does Not Exist"
		case <-ctx.Done():
			return 487, "Request Terminated"
		case <-time.After(20 * time.Millisecond):
		}
	}
	b, third := c.callee(), c2.callee()
	if b == nil || third == nil || !c2.answeredA.Load() || c.relay == nil || c2.relay == nil ||
		c.gwA != nil || c.gwB != nil || c2.gwA != nil || c2.gwB != nil {
		return 488, "Not Acceptable Here"
	}
	c.mu.Lock()
	m, recorded := c.mix, c.relay.rec != nil
	c.mu.Unlock()
	c2.mu.Lock()
	m2, recorded2 := c2.mix, c2.relay.rec != nil
	c2.mu.Unlock()
	switch {
	case m != nil && m2 != nil && m != m2:
		return 488, "Not Acceptable Here" // (two conferences are not merged)
	case m == nil && m2 != nil:
		m = m2
	case m == nil:
		m = newMixer()
	}
	if recorded || recorded2 {
		s.log.Info("switchboard: a recorded call joined a conference: its recording stops here", "call", c.id)
	}
	// The referrer's side of each call: one group.
	rep := &c.relay.b
	if fromCaller {
		rep = &c.relay.a
	}
	g := m.groupOf(rep)
	if g == 0 {
		g = m.groupOf(&c2.relay.a)
	}
	if g == 0 {
		g = m.group()
	}
	desc := b.InviteResponse.Body() // (the codec both of c's sides use)
	if c.mix == nil {
		ga, gb := 0, g
		if fromCaller {
			ga, gb = g, 0
		}
		if err := c.relay.toMixer(m, desc, desc, ga, gb); err != nil {
			return 488, "Not Acceptable Here"
		}
		c.mu.Lock()
		c.mix = m
		c.mu.Unlock()
	}
	if m2 == nil {
		d2 := third.InviteResponse.Body()
		if err := c2.relay.toMixer(m, d2, d2, g, 0); err != nil {
			return 488, "Not Acceptable Here"
		}
		c2.mu.Lock()
		c2.mix = m
		c2.mu.Unlock()
	}
	m.start()
	// The party the referrer held speaks and hears again.
	if fromCaller {
		s.reofferCallee(ctx, c, desc)
	} else {
		s.reofferCaller(ctx, c, desc)
	}
	return 200, "OK"
}
