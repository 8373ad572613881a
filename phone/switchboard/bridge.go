// The bridge: a call answered by one of the callee's phones is joined to
// its caller through the media relay, and re-INVITEs (hold, resume) cross
// it.

package switchboard

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/records"
)

// connect bridges the caller's INVITE to the first of targets to answer.
func (s *Server) connect(c *call, req *sip.Request, tx sip.ServerTransaction, targets []binding) {
	interval, ok := s.callerTimer(req)
	if !ok {
		s.endBill(c, 0)
		s.refuseInterval(req, tx)
		return
	}
	c.timers[0].interval = interval // (started once answered)
	ip := s.localIP(req)
	if a, ok := s.Addr(strings.ToLower(req.Transport())); ok {
		ip = a.Addr()
	}
	r, err := newRelay(ip)
	if err != nil {
		s.endBill(c, 0)
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	bRTP, bRTCP := r.b.ports()
	offer, aMedia, err := rewriteSDP(req.Body(), ip, bRTP, bRTCP)
	if err != nil {
		r.close()
		s.endBill(c, 0)
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	r.a.setPeer(aMedia)
	contact := s.ourContact("switchboard", ip, req.Transport())
	serverDialogs := sipgo.NewDialogServerCache(s.client, contact)
	sess, err := serverDialogs.ReadInvite(req, tx)
	if err != nil {
		r.close()
		s.endBill(c, 0)
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	c.a, c.relay = sess, r
	s.calls.add(c, req.CallID().Value())
	s.noteLive(c) // (its call.started webhook; a billed call's meter noted it already)
	s.ring(c, req, tx, targets, offer, contact)
}

// ring sends the INVITE to every phone of the callee at once; the first
// 2xx is bridged, the rest are cancelled ("answered elsewhere").
func (s *Server) ring(c *call, req *sip.Request, tx sip.ServerTransaction, targets []binding, offer []byte, contact sip.ContactHeader) {
	cancelled := make(chan struct{})
	var cancelOnce sync.Once
	tx.OnCancel(func(*sip.Request) { cancelOnce.Do(func() { close(cancelled) }) })
	won, end := s.ringAll(c, targets, offer, contact, func() { c.a.Respond(180, "Ringing", nil) }, cancelled)
	switch {
	case end.cancelled:
		c.setEnd(records.Missed, "487 the caller hung up")
		s.finish(c)
		return // sipgo answers the INVITE with 487
	case won == nil && c.voicemailOn != nil && end.takesMessage() && s.cfg.VoicemailDir != "":
		s.voicemailAfterRing(c, req, tx)
		return
	case won == nil:
		tx.Respond(sip.NewResponseFromRequest(req, end.code, end.phrase, nil))
		if end.timedOut {
			c.setEnd(records.Missed, "480 no answer")
		} else {
			c.setEnd(end.disposition(), fmt.Sprintf("%d %s", end.code, end.phrase))
		}
		s.finish(c)
		return
	}
	c.setCallee(won.sess)
	c.mu.Lock()
	c.calleeEmail = won.b.Email
	c.mu.Unlock()
	c.setEnd(records.Answered, "")
	if err := won.sess.Ack(context.Background()); err != nil {
		s.log.Warn("switchboard: ACK to the answering phone", "err", err)
	}
	aRTP, aRTCP := c.relay.a.ports()
	answer, bMedia, err := rewriteSDP(won.res.Body(), c.relay.ip, aRTP, aRTCP)
	if err != nil {
		s.byeCallee(context.Background(), won.sess, "")
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		s.finish(c)
		return
	}
	c.relay.b.setPeer(bMedia)
	if c.recordOn != "" && s.cfg.VoicemailDir != "" {
		if c.relay.rec = newRecorder(answer, 4*time.Hour); c.relay.rec != nil {
			c.relay.prepareOverlays(answer)
			c.relay.toCaller.play(RecordingNotice)
			c.relay.toCallee.play(RecordingNotice)
		} else {
			s.log.Warn("switchboard: this call cannot be recorded (encrypted, or a codec not decoded here)", "call", c.id)
		}
	}
	c.relay.start() // after the recorder is in place: the pipes read it
	c.mu.Lock()
	c.answered = s.cfg.Now()
	c.mu.Unlock()
	s.noteLive(c)
	if c.bill != nil {
		if c.relay.rec == nil { // (else prepared above)
			c.relay.prepareOverlays(answer)
		}
		s.spawn(func() { s.meter(c) })
	}
	ok := sip.NewSDPResponseFromRequest(c.a.InviteRequest, answer)
	c.mu.Lock()
	callerInterval := c.timers[0].interval
	c.mu.Unlock()
	if callerInterval > 0 {
		for _, h := range timerHeaders(callerInterval, "uac") {
			ok.AppendHeader(h)
		}
	}
	c.answering.Store(true)
	err = c.a.WriteResponse(ok)
	c.answering.Store(false)
	if err != nil {
		if c.a.Context().Err() == nil { // (not just a BYE overtaking its ACK)
			s.log.Warn("switchboard: answering the caller", "err", err)
			c.answeredA.Store(true) // the 2xx went out: the caller is owed a BYE
		}
		s.hangup(c, nil)
		// When the callee had already hung up, that hangup found no
		// answered caller; the BYE it owes is sent here (CI saw the caller
		// left in the call when its ACK came late under load).
		if c.answeredA.Load() && c.byeA.CompareAndSwap(false, true) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			s.byeCaller(ctx, c.a, "")
			cancel()
		}
		c.a.Close() // (a hangup during the answer left these to us)
		s.calls.remove(c)
		return
	}
	c.answeredA.Store(true)
	select {
	case <-c.done:
		// The callee hung up while the caller's ACK was on its way:
		// that hangup found no answered caller to send a BYE to, and
		// left the caller's dialog to be ended here.
		if c.byeA.CompareAndSwap(false, true) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			s.byeCaller(ctx, c.a, "")
			cancel()
		}
		c.a.Close()
		s.calls.remove(c)
		return
	default:
	}
	// Session timers: the caller's as answered above; the callee's if it
	// answered with one it refreshes itself.
	if callerInterval > 0 {
		s.startTimer(c, 0, callerInterval)
	}
	calleeInterval := time.Duration(0)
	if se, refresher, has := sessionExpires(won.res); has && refresher == "uas" {
		calleeInterval = max(se, s.cfg.MinSE)
		s.startTimer(c, 1, calleeInterval)
	}
	if callerInterval > 0 || calleeInterval > 0 {
		s.spawn(func() { s.watchTimers(c) })
	}
	// Either side hanging up ends the other; so does a WebRTC leg's
	// connection failing (the phone is gone without a BYE).
	s.spawn(func() { s.watchLegs(c) })
}

// watchLegs ends the call when either leg ends; a callee replaced by a
// transfer is let go, and its successor watched.
func (s *Server) watchLegs(c *call) {
	for {
		b := c.callee()
		var bDone <-chan struct{}
		if b != nil {
			bDone = b.Context().Done()
		}
		var aDone <-chan struct{} // (a click-to-call has no caller's leg of its own: a2 only)
		if c.a != nil {
			aDone = c.a.Context().Done()
		}
		var a2Done <-chan struct{}
		if a2 := c.callerStand(); a2 != nil {
			aDone, a2Done = a2.Context().Done(), a2.Context().Done()
		}
		select {
		case <-c.swapped:
			continue
		case <-bDone:
			if c.callee() != b {
				continue // transferred away
			}
			c.setEnd("", "the callee hung up")
			s.hangup(c, b)
		case <-aDone:
			if a2 := c.callerStand(); a2 != nil {
				if a2Done != nil {
					c.setEnd("", "the caller's transferee hung up")
					s.hangup(c, a2)
					break
				}
				continue // the caller's own leg, transferred away
			}
			c.setEnd("", "the caller hung up")
			s.hangup(c, c.a)
		case <-failed(c.gwA):
			c.setEnd("", "the caller's WebRTC connection failed")
			s.hangupWith(c, nil, reasonHeader(408, "The WebRTC connection failed"))
		case <-failed(c.gwB):
			c.setEnd("", "the callee's WebRTC connection failed")
			s.hangupWith(c, nil, reasonHeader(408, "The WebRTC connection failed"))
		case <-s.life.Done(): // (a call bridged as the switchboard began closing)
			c.setEnd("", "the switchboard closed")
			s.hangupWith(c, nil, reasonHeader(503, "The switchboard is shutting down"))
		case <-c.done:
		}
		return
	}
}

// onReinvite carries a re-INVITE (hold, resume) across the bridge: the
// offer goes to the other leg pointing at the relay, its answer comes
// back the same way.
func (s *Server) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.find(req.CallID().Value())
	if c == nil || (c.a == nil && c.callerStand() == nil) || c.callee() == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	s.reoffer(c, req, tx)
}

// reoffer carries a new offer (a re-INVITE's or an UPDATE's) across the
// bridge as a re-INVITE to the other leg, and answers with what that leg
// answered; it counts as a session refresh of the leg it came on.
func (s *Server) reoffer(c *call, req *sip.Request, tx sip.ServerTransaction) {
	b := c.callee()
	if b == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 491, "Request Pending", nil))
		return
	}
	if c.relay == nil { // bridged through the switchboard's own media (a menu's call)
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	fromA := legOf(c, req) == 0
	in, out := &c.relay.a, &c.relay.b
	gwIn, gwOut := c.gwA, c.gwB // WebRTC legs speak through their gateways
	if !fromA {
		in, out = out, in
		gwIn, gwOut = gwOut, gwIn
	}
	outRTP, outRTCP := out.ports()
	offer, m, err := across(req.Body(), gwIn, gwOut, c.relay.ip, outRTP, outRTCP)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	in.setPeer(m)
	fwd := sip.NewRequest(sip.INVITE, sip.Uri{})
	fwd.SetBody(offer)
	fwd.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res *sip.Response
	if fromA {
		fwd.Recipient = calleeTarget(b)
		res, err = b.Do(ctx, s.toCallee(fwd, b))
		if err == nil && res.IsSuccess() {
			ack := sip.NewRequest(sip.ACK, fwd.Recipient)
			b.WriteRequest(s.toCallee(ack, b))
		}
	} else {
		if a2 := c.callerStand(); a2 != nil {
			fwd.Recipient = calleeTarget(a2)
			res, err = a2.Do(ctx, s.toCallee(fwd, a2))
			if err == nil && res.IsSuccess() {
				ack := sip.NewRequest(sip.ACK, fwd.Recipient)
				a2.WriteRequest(s.toCallee(ack, a2))
			}
		} else {
			fwd.Recipient = callerTarget(c.a)
			res, err = c.a.Do(ctx, s.toCaller(fwd, c.a))
			if err == nil && res.IsSuccess() {
				ack := sip.NewRequest(sip.ACK, fwd.Recipient)
				c.a.WriteRequest(s.toCaller(ack, c.a))
			}
		}
	}
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	if !res.IsSuccess() {
		tx.Respond(sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, nil))
		return
	}
	inRTP, inRTCP := in.ports()
	answer, am, err := across(res.Body(), gwOut, gwIn, c.relay.ip, inRTP, inRTCP)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	out.setPeer(am)
	ok := sip.NewSDPResponseFromRequest(req, answer)
	ct := s.ourContact("switchboard", c.relay.ip, req.Transport())
	ok.AppendHeader(&ct)
	s.refresh(c, legOf(c, req), req, ok)
	tx.Respond(ok)
}
