// A number's phone menu (IVR): the switchboard answers, plays the menu's
// prompt, reads the key the caller presses (RFC 4733 events or SIP INFO)
// and routes the call: to a teammate, a group, the number's voicemail or
// an outside number. A call routed on to people is bridged through the
// switchboard's own media: the caller's stream and the answering phone's
// are decoded and re-encoded, each leg with its own codec.

package switchboard

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/dtmf"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/sdp"
)

// MenuNotes are the menu prompt's three rising notes (C5, E5, G5): the
// switchboard has no speech of its own, so a menu sounds its chime and
// callers press the key its greeting (shown in the app, printed on the
// website) names.
var MenuNotes = []float64{523.25, 659.25, 783.99}

// MenuPrompt is what a caller hears when a number's menu answers: the
// three notes, 200 ms each, then quiet in which to press a key.
func MenuPrompt(rate int) []int16 {
	var out []int16
	for _, f := range MenuNotes {
		note := make([]int16, rate/5)
		audio.Sine(note, f, rate, 9000, 0)
		out = append(out, note...)
	}
	return append(out, make([]int16, rate*3/10)...)
}

// menuCall answers a call routed to a number's menu and carries out the
// caller's choice.
func (s *Server) menuCall(req *sip.Request, tx sip.ServerTransaction, num team.Number, c *call) {
	c.selfRecorded = true // the menu writes the record
	m, sess, cleanup, ok := s.answerLocally(req, tx, "menu", c)
	if !ok {
		s.record(c, records.Failed, "the menu could not answer")
		return
	}
	defer cleanup()
	c.mu.Lock()
	c.local = m
	c.mu.Unlock()
	key := s.collect(m, sess, num.Menu)
	if sess.Context().Err() != nil {
		s.record(c, records.Missed, "the caller hung up in the menu")
		return
	}
	rt, ok := num.Menu.Options[key]
	if !ok {
		rt = num.Menu.OnTime
	}
	s.log.Info("switchboard: menu", "number", num.E164, "key", key, "route", rt.Kind, "target", rt.Target)
	switch rt.Kind {
	case team.ToVoicemail:
		s.takeMessage(m, sess, num, c)
		return
	case team.ToExternal:
		s.menuExternal(req, m, sess, num, c, rt.Target)
		return
	}
	emails := rt.Emails()
	if rt.Kind == team.ToGroup && len(emails) == 0 {
		emails = num.Members
	}
	var targets []binding
	for _, e := range emails {
		if u, err := s.cfg.Directory.User(context.Background(), e); err == nil && u.Account == num.Account {
			targets = append(targets, s.location.user(e)...)
		}
	}
	if len(targets) > 0 && s.cfg.Billing != nil && c.direction == "inbound" { // teammates' calls are free
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		bc, g, err := s.cfg.Billing.StartCall(ctx, billing.CallStart{Account: num.Account, CallID: c.id,
			Direction: rating.Inbound, Local: num.E164, Remote: s.n164(c.from)})
		cancel()
		switch {
		case err == nil:
			s.startMeter(c, bc, g)
		case errors.As(err, new(*billing.CreditError)):
			s.record(c, records.Refused, refusedCause(err))
			media.Pump(sess.Context(), m, &media.PCMSource{Samples: SITone(8000)}, nil, true, sess.Context().Done())
			s.byeLocal(sess)
			return
		default:
			s.log.Warn("switchboard: metering a menu call", "number", num.E164, "err", err)
		}
	}
	if len(targets) > 0 {
		if end, ok := s.bridge(req, m, sess, c, targets); ok || end.cancelled {
			return
		}
	}
	if num.Voicemail && s.cfg.VoicemailDir != "" {
		s.endBill(c, 0)
		c.bill = nil
		s.takeMessage(m, sess, num, c)
		return
	}
	s.record(c, records.Missed, "nobody answered the menu's choice")
	s.byeLocal(sess)
}

// menuExternal forwards a menu call to an outside number, billed as
// forwarding to the number's account.
func (s *Server) menuExternal(req *sip.Request, m *media.Session, sess *sipgo.DialogServerSession, num team.Number, c *call, to string) {
	trunk := s.trunk()
	c.direction, c.to = "forwarded", to
	if !trunk.IsValid() || s.cfg.Billing == nil {
		s.record(c, records.Refused, "404 no route to outside numbers")
		s.byeLocal(sess)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	bc, g, err := s.cfg.Billing.StartCall(ctx, billing.CallStart{Account: num.Account, CallID: c.id, Direction: rating.Forward,
		Local: num.E164, Remote: to})
	cancel()
	if err != nil {
		cause := "404 the number cannot be called"
		if errors.As(err, new(*billing.CreditError)) {
			cause = refusedCause(err)
			media.Pump(sess.Context(), m, &media.PCMSource{Samples: SITone(8000)}, nil, true, sess.Context().Done())
		}
		s.record(c, records.Refused, cause)
		s.byeLocal(sess)
		return
	}
	s.startMeter(c, bc, g)
	shown := num.E164
	if n, err := rating.ParseNumber(c.from, s.cfg.TrunkRegion); err == nil && n.E164 == c.from {
		shown = c.from
	}
	target := binding{Device: to, Contact: sip.Uri{Scheme: "sip", User: to, Host: trunk.Addr().String(), Port: int(trunk.Port())},
		Source: trunk, Transport: "UDP", Expires: s.cfg.Now().Add(time.Hour), From: shown, Trunk: true}
	if _, ok := s.bridge(req, m, sess, c, []binding{target}); !ok {
		s.byeLocal(sess)
	}
}

// byeLocal hangs up a call the switchboard answered itself.
func (s *Server) byeLocal(sess *sipgo.DialogServerSession) {
	if sess.Context().Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.byeCaller(ctx, sess, "")
}

// collect plays the menu's prompt and waits for a key: pressed during the
// prompt or within the menu's timeout after it. "" when none came.
func (s *Server) collect(m *media.Session, sess *sipgo.DialogServerSession, menu *team.Menu) string {
	ctx, cancel := context.WithCancel(sess.Context())
	defer cancel()
	got := make(chan rune, 1)
	s.spawn(func() {
		select {
		case d := <-m.Digits():
			got <- d
			cancel()
		case <-ctx.Done():
		}
	})
	media.Pump(ctx, m, &media.PCMSource{Samples: MenuPrompt(8000)}, nil, true, sess.Context().Done())
	if ctx.Err() == nil {
		wait := time.Duration(menu.Timeout) * time.Second
		tctx, tcancel := context.WithTimeout(ctx, wait)
		media.Pump(tctx, m, &media.PCMSource{Samples: make([]int16, 8000*menu.Timeout+8000)}, nil, true, sess.Context().Done())
		tcancel()
	}
	cancel()
	select {
	case d := <-got:
		return string(d)
	default:
		return ""
	}
}

// bridge rings targets from the switchboard's own media and, when one
// answers, joins the caller (m, already answered) to it until either
// hangs up; the caller hears ringback meanwhile. It reports whether the
// call was answered (its record then written), or how the ringing ended.
func (s *Server) bridge(req *sip.Request, m *media.Session, sess *sipgo.DialogServerSession, c *call, targets []binding) (ringEnd, bool) {
	ip := s.localIP(req)
	if a, ok := s.Addr(strings.ToLower(req.Transport())); ok {
		ip = a.Addr()
	}
	m2, err := media.Listen(ip)
	if err != nil {
		return ringEnd{code: 500}, false
	}
	defer m2.Close()
	local := sdp.Local{Addr: ip, Port: int(m2.LocalAddr().Port()), Formats: media.Codecs(), Direction: sdp.SendRecv, PTime: 20,
		SessionID: uint64(time.Now().UnixNano() >> 2), SessionVersion: 1, RTCPPort: int(m2.LocalRTCPAddr().Port()), RTCPMux: true}
	offer, err := sdp.Offer(local).Marshal()
	if err != nil {
		return ringEnd{code: 500}, false
	}
	contact := s.ourContact("switchboard", ip, req.Transport())
	rctx, stopRingback := context.WithCancel(context.Background())
	var ringing sync.WaitGroup
	ringing.Go(func() { media.Pump(rctx, m, audio.Ringback.New(8000, 8000), nil, false, sess.Context().Done()) })
	won, end := s.ringAll(c, targets, offer, contact, nil, sess.Context().Done())
	stopRingback()
	ringing.Wait()
	if won == nil {
		if end.cancelled {
			s.endBill(c, 0)
			s.record(c, records.Missed, "the caller hung up while the menu's choice rang")
		}
		return end, false
	}
	if err := won.sess.Ack(context.Background()); err != nil {
		s.log.Warn("switchboard: ACK to the answering phone", "err", err)
	}
	defer won.sess.Close()
	ans, err := sdp.Parse(won.res.Body())
	var n sdp.Negotiated
	if err == nil {
		n, err = sdp.Accept(local, ans)
	}
	var codec audio.Codec
	if err == nil {
		codec, err = media.CodecFor(n.Codec)
	}
	if err == nil {
		cfg := media.Config{Codec: codec, PayloadType: n.Codec.PayloadType, PTime: 20 * time.Millisecond,
			Remote: netip.AddrPortFrom(n.Remote.Addr, uint16(n.Remote.Port)), Symmetric: true, PCMRate: 8000,
			RemoteRTCP: n.Remote.RTCP(n.RTCPMux), RTCPMux: n.RTCPMux}
		if n.TelephoneEvent != nil {
			cfg.TelephoneEvent = n.TelephoneEvent.PayloadType
		}
		err = m2.Start(cfg)
	}
	if err != nil {
		s.log.Warn("switchboard: the menu's choice answered with media we cannot use", "err", err)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.byeCallee(ctx, won.sess, "")
		cancel()
		s.endBill(c, 0)
		s.record(c, records.Failed, "488 no common codec")
		return ringEnd{code: 488}, true
	}
	c.setCallee(won.sess)
	c.mu.Lock()
	c.answered = s.cfg.Now()
	c.mu.Unlock()
	s.noteLive(c)
	warn := make(chan struct{}, 1)
	c.onWarn = func() {
		select {
		case warn <- struct{}{}:
		default:
		}
	}
	if c.bill != nil {
		s.spawn(func() { s.meter(c) })
	}
	if c.recordOn != "" && s.cfg.VoicemailDir != "" {
		c.bridgeRec = newPCMRecorder(4 * time.Hour)
	}
	who := pcmBridge(m, m2, warn, c.bridgeRec, sess.Context().Done(), won.sess.Context().Done(), c.done)
	cause := "the caller hung up"
	if who == 1 {
		cause = "the callee hung up"
	}
	c.setEnd(records.Answered, cause)
	switch who {
	case 0:
		s.hangup(c, c.a)
	case 1:
		s.hangup(c, c.callee())
	default:
		s.hangup(c, nil) // the meter ended it (BYEs with its reason were sent)
	}
	c.mu.Lock()
	d, why := c.disposition, c.cause
	c.mu.Unlock()
	s.record(c, d, why)
	return ringEnd{}, true
}

// pcmBridge carries audio between two sessions, a 20 ms frame each way
// per tick, until one of the done channels closes; it returns which (0:
// a's, 1: b's, 2: the call's). A signal on warn plays the low-credit
// warning over what a hears. With rec, both sides hear the recording
// notice first and both are recorded (a left, b right).
func pcmBridge(a, b *media.Session, warn <-chan struct{}, rec *recorder, aDone, bDone, callDone <-chan struct{}) int {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	fa := make([]int16, a.FrameSize())
	fb := make([]int16, b.FrameSize())
	var overlay, overlayB []int16
	if rec != nil {
		overlay, overlayB = RecordingNotice(8000), RecordingNotice(8000)
	}
	for {
		select {
		case <-aDone:
			return 0
		case <-bDone:
			return 1
		case <-callDone:
			return 2
		case <-warn:
			overlay = WarningTone(8000)
		case <-t.C:
			a.ReadFrame(fa)
			if rec != nil {
				rec.add(0, fa)
			}
			overlayB = overlayB[copy(fa, overlayB):]
			b.WriteFrame(fa[:min(len(fa), len(fb))])
			b.ReadFrame(fb)
			if rec != nil {
				rec.add(1, fb)
			}
			overlay = overlay[copy(fb, overlay):]
			a.WriteFrame(fb[:min(len(fa), len(fb))])
		}
	}
}

// onInfo takes keypad presses sent as SIP INFO (application/dtmf-relay or
// application/dtmf) on a call the switchboard answered itself, such as a
// menu.
func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.find(req.CallID().Value())
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	c.mu.Lock()
	m := c.local
	c.mu.Unlock()
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	d, err := dtmf.ParseInfo(ct, req.Body())
	if m == nil || err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 415, "Unsupported Media Type", nil))
		return
	}
	m.InjectDigit(d)
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
}
