// Teardown: a call ends (BYE from either leg, a failed leg, the credit,
// the switchboard closing), and what it held is released, settled and
// recorded.

package switchboard

import (
	"context"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// hangup ends a bridged call: BYE to whichever leg did not hang up.
func (s *Server) hangup(c *call, from any) { s.hangupWith(c, from, "") }

// hangupWith ends a call, giving reason (an RFC 3326 Reason value) in the
// BYEs when not empty.
func (s *Server) hangupWith(c *call, from any, reason string) {
	c.once.Do(func() {
		close(c.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if a2 := c.callerStand(); a2 != nil {
			if from != a2 {
				s.byeCallee(ctx, a2, reason)
			}
		} else if c.a != nil && from != c.a && c.answeredA.Load() && c.byeA.CompareAndSwap(false, true) {
			s.byeCaller(ctx, c.a, reason)
		}
		if b := c.callee(); b != nil && from != b {
			s.byeCallee(ctx, b, reason)
		}
		s.finish(c)
	})
}

// finish releases a call's relay, settles its bill and forgets it.
func (s *Server) finish(c *call) {
	var talk time.Duration
	c.mu.Lock()
	if !c.answered.IsZero() {
		talk = s.cfg.Now().Sub(c.answered)
	}
	c.mu.Unlock()
	s.endBill(c, talk)
	for _, gw := range []*webrtcgw.Gateway{c.gwA, c.gwB} {
		if gw != nil {
			gw.Close()
		}
	}
	s.keepRecording(c)
	if c.selfRecorded {
		return
	}
	c.setEnd(records.Failed, "not connected") // only where nothing was said before
	c.mu.Lock()
	d, cause := c.disposition, c.cause
	c.mu.Unlock()
	s.record(c, d, cause)
	if c.relay != nil {
		c.relay.close()
	}
	if b := c.callee(); b != nil {
		b.Close()
	}
	if c.answering.Load() {
		// The caller's answer is out and its ACK on the way: the
		// dialog stays findable for it; the answer's end sends the
		// BYE and forgets the call (bridge.go).
		return
	}
	if c.a != nil {
		c.a.Close()
	}
	if a2 := c.callerStand(); a2 != nil {
		a2.Close()
	}
	s.calls.remove(c)
}

// onBye ends the call the BYE belongs to, on either leg.
func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.find(req.CallID().Value())
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	a2 := c.callerStand()
	if c.a != nil && req.CallID().Value() == c.a.InviteRequest.CallID().Value() {
		if a2 != nil {
			c.a.ReadBye(req, tx) // the caller transferred the call away: it goes on
			return
		}
		c.setEnd("", "the caller hung up")
		c.a.ReadBye(req, tx)
		s.hangup(c, c.a)
		return
	}
	if a2 != nil && req.CallID().Value() == a2.InviteRequest.CallID().Value() {
		if c.a == nil { // a click-to-call: a2 is the caller's own phone
			c.setEnd("", "the caller hung up")
		} else {
			c.setEnd("", "the caller's transferee hung up")
		}
		a2.ReadBye(req, tx)
		s.hangup(c, a2)
		return
	}
	if old := c.detachedLeg(req.CallID().Value()); old != nil {
		old.ReadBye(req, tx) // a leg transferred away: the call goes on
		return
	}
	if b := c.callee(); b != nil {
		c.setEnd("", "the callee hung up")
		b.ReadBye(req, tx)
		s.hangup(c, b)
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}

// endAll hangs up every answered call (the switchboard is closing); calls
// still ringing end through their ring-all, which the end of the
// switchboard's life stops with a 503.
func (cs *calls) endAll(s *Server) {
	cs.mu.Lock()
	var all []*call
	for c := range cs.active {
		if c.answeredA.Load() {
			all = append(all, c)
		}
	}
	cs.mu.Unlock()
	// In parallel, and for endAllWait at most: a thousand calls hung up
	// one after the other, each waiting for its BYEs' answers, took a
	// minute. A call not through by then is settled when its hangup
	// returns, or, if the process is gone by then, at the next start
	// (live.go).
	work := make(chan *call)
	var wg sync.WaitGroup
	for range min(len(all), 64) {
		wg.Go(func() {
			for c := range work {
				s.hangup(c, nil)
			}
		})
	}
	done := make(chan struct{})
	go func() {
		for _, c := range all {
			work <- c
		}
		close(work)
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(endAllWait):
		s.log.Warn("switchboard: closing with calls still hanging up", "calls", len(all))
	}
}

// endAllWait bounds how long closing waits for calls to hang up.
const endAllWait = 4 * time.Second
