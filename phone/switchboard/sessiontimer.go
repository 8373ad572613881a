package switchboard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Session timers (RFC 4028). A phone that asks for them (Supported: timer
// with a Session-Expires in its INVITE, as browser softphones do; or a
// Session-Expires in its answer to ours) refreshes the session with an
// UPDATE or a re-INVITE every half interval. If the refreshes stop (a
// browser tab closed, a phone gone behind a NAT that forgot it) the
// switchboard ends the call on both legs, with Reason 408, rather than
// bill and hold a call nobody is on. The caller's phone is made the
// refresher; a callee keeps the role it chose. An interval below
// Config.MinSE (90 s by default, RFC 4028's floor) is refused with 422
// and Min-SE.

// allowed are the methods the switchboard takes (Allow in a 405, and in
// answers to OPTIONS).
const allowed = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, MESSAGE, INFO, UPDATE, REFER"

// sessionTimer is one leg's: the interval the phone refreshes within,
// and when it last did. A zero interval is no timer.
type sessionTimer struct {
	interval time.Duration
	last     time.Time
}

// headered is a request or a response.
type headered interface {
	GetHeader(name string) sip.Header
	GetHeaders(name string) []sip.Header
}

// sessionExpires reads a Session-Expires header (or its compact form x):
// the interval and the refresher ("uac", "uas" or "").
func sessionExpires(m headered) (time.Duration, string, bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return 0, "", false
	}
	parts := strings.Split(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n <= 0 {
		return 0, "", false
	}
	refresher := ""
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return time.Duration(n) * time.Second, refresher, true
}

// supports reports whether a message lists option tag in Supported (or k).
func supports(m headered, tag string) bool {
	for _, name := range []string{"Supported", "k"} {
		for _, h := range m.GetHeaders(name) {
			for _, t := range strings.Split(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(t), tag) {
					return true
				}
			}
		}
	}
	return false
}

// callerTimer decides the caller's session timer from its INVITE: the
// interval (0: none), or ok false when the interval is below Min-SE (the
// caller gets 422).
func (s *Server) callerTimer(req *sip.Request) (time.Duration, bool) {
	se, _, has := sessionExpires(req)
	if !has || !supports(req, "timer") {
		return 0, true // a timer only with a phone that refreshes
	}
	if se < s.cfg.MinSE {
		return 0, false
	}
	return se, true
}

// refuseInterval answers an INVITE whose Session-Expires is too small.
func (s *Server) refuseInterval(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 422, "Session Interval Too Small", nil)
	res.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(int(s.cfg.MinSE.Seconds()))))
	tx.Respond(res)
}

// timerHeaders are the headers of a 2xx that sets or refreshes a session
// timer of interval with the phone as refresher (refresher "uac" when the
// phone sent the request, "uas" when it answered ours).
func timerHeaders(interval time.Duration, refresher string) []sip.Header {
	return []sip.Header{
		sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(interval.Seconds()), refresher)),
		sip.NewHeader("Require", "timer"),
		sip.NewHeader("Supported", "timer"),
	}
}

// startTimer sets leg's timer (0 caller, 1 callee), counting from now.
func (s *Server) startTimer(c *call, leg int, interval time.Duration) {
	c.mu.Lock()
	c.timers[leg] = sessionTimer{interval: interval, last: s.cfg.Clock.Now()}
	c.mu.Unlock()
	select {
	case c.refreshed <- struct{}{}:
	default:
	}
}

// refresh notes a refresh (UPDATE or re-INVITE) from leg, and adds the
// session timer's headers to its 2xx when the request carried one.
func (s *Server) refresh(c *call, leg int, req *sip.Request, res *sip.Response) {
	se, _, has := sessionExpires(req)
	if !has {
		c.mu.Lock()
		running := c.timers[leg].interval
		c.mu.Unlock()
		if running > 0 {
			s.startTimer(c, leg, running) // a refresh all the same
		}
		return
	}
	if se < s.cfg.MinSE {
		se = s.cfg.MinSE
	}
	for _, h := range timerHeaders(se, "uac") {
		res.AppendHeader(h)
	}
	s.startTimer(c, leg, se)
}

// expiry is how long after a refresh the session is over: RFC 4028 10,
// the interval less a third of it or 32 s, whichever is less.
func expiry(interval time.Duration) time.Duration {
	return interval - min(32*time.Second, interval/3)
}

// watchTimers ends the call when a leg's refreshes stop; it returns when
// the call ends.
func (s *Server) watchTimers(c *call) {
	for {
		c.mu.Lock()
		var due time.Time
		for _, t := range c.timers {
			if t.interval > 0 {
				if d := t.last.Add(expiry(t.interval)); due.IsZero() || d.Before(due) {
					due = d
				}
			}
		}
		c.mu.Unlock()
		var fire <-chan time.Time
		if !due.IsZero() {
			t := s.cfg.Clock.NewTimer(due.Sub(s.cfg.Clock.Now()))
			defer t.Stop()
			fire = t.Chan()
		}
		select {
		case <-c.done:
			return
		case <-c.refreshed:
		case <-fire:
			c.setEnd("", "the session timer expired: a phone stopped refreshing the call")
			s.hangupWith(c, nil, reasonHeader(408, "Session timer expired"))
			return
		}
	}
}

// onUpdate takes an UPDATE within a call (RFC 3311): a session refresh
// without a body is answered here; one with an offer crosses the bridge
// like a re-INVITE.
func (s *Server) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.find(req.CallID().Value())
	if c == nil || (c.a == nil && c.callerStand() == nil) {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	if len(req.Body()) > 0 {
		s.reoffer(c, req, tx)
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	s.refresh(c, legOf(c, req), req, res)
	tx.Respond(res)
}

// legOf is which leg of c a request came on: 0 the caller's, 1 the callee's.
func legOf(c *call, req *sip.Request) int {
	id := req.CallID().Value()
	if c.a != nil && id == c.a.InviteRequest.CallID().Value() {
		return 0
	}
	if a2 := c.callerStand(); a2 != nil && id == a2.InviteRequest.CallID().Value() {
		return 0
	}
	return 1
}

// methodNotAllowed answers a method the switchboard does not take: 405
// with Allow for a method SIP defines, 501 for one it does not know.
func methodNotAllowed(req *sip.Request, tx sip.ServerTransaction) {
	if !slices.Contains(knownMethods, string(req.Method)) {
		tx.Respond(sip.NewResponseFromRequest(req, 501, "Not Implemented", nil))
		return
	}
	res := sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	tx.Respond(res)
}
