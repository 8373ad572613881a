// Admission: shedding load, never collapsing.

package switchboard

import (
	"sync"

	"github.com/emiago/sipgo/sip"
)

// Beyond what the machine can take, every answer slowing down fails
// everyone: retransmissions pile on, phones time out and retry, memory
// grows. So the switchboard counts the new requests it is working on (a
// REGISTER, a MESSAGE, a call until it starts ringing) and, past
// Config.MaxPending, answers a new one 503 Service Unavailable with
// Retry-After straight away, statelessly, for the cost of a parse. What
// it accepts stays fast; what it refuses is told when to come back.
// Requests within a dialog (ACK, BYE, CANCEL, re-INVITE, INFO) are never
// refused: they end or keep calls already up.

// retryAfter is what a shed request is told, in seconds.
const retryAfter = "1"

// admit takes a place for a new request, or answers 503 and reports
// false. The release it returns may be called more than once.
func (s *Server) admit(req *sip.Request, tx sip.ServerTransaction) (release func(), ok bool) {
	if s.pending.Add(1) > int64(s.cfg.MaxPending) {
		s.pending.Add(-1)
		s.shed.Add(1)
		res := sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", retryAfter))
		tx.Respond(res)
		terminate(tx)
		return nil, false
	}
	var once sync.Once
	return func() { once.Do(func() { s.pending.Add(-1) }) }, true
}

// admitted wraps a handler whose whole run is the request's work.
func (s *Server) admitted(h func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		release, ok := s.admit(req, tx)
		if !ok {
			return
		}
		defer release()
		h(req, tx)
	}
}

// Shed is how many requests were answered 503 for want of room.
func (s *Server) Shed() int64 { return s.shed.Load() }
