// Calls that involve the switchboard's numbers and the network: calls
// in from the trunk, the announcement at zero credit, forwarding, and
// where a number's calls go now.

package switchboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/media"
)

// inboundCall takes a call from the trunk to one of the switchboard's
// numbers: at zero credit the caller hears the announcement and the call
// ends; outside hours, or with nobody online, voicemail; else every member
// rings. The call is metered on the number's account (inbound minutes draw
// on the bundle; toll-free ones cost per minute).
func (s *Server) inboundCall(req *sip.Request, tx sip.ServerTransaction) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	num, from, ok := s.fromTrunk(ctx, req, tx)
	if !ok {
		return
	}
	// The outside caller, as the rest of the switchboard sees a caller.
	caller := team.User{Account: num.Account, Extension: from}
	c := s.newCall(caller, from, num.E164, "inbound")
	if num.Record {
		c.recordOn = num.E164
	}
	if s.cfg.Billing != nil {
		if err := s.cfg.Billing.Gate(ctx, num.Account); err != nil {
			s.record(c, records.Refused, refusedCause(err))
			s.announce(req, tx, c, SITone(8000), err)
			return
		}
	}
	var targets []binding
	for _, m := range num.Members {
		targets = append(targets, s.location.user(m)...)
	}
	route := num.Route(s.cfg.Now())
	if route == team.RouteForward {
		s.forward(ctx, c, req, tx, num)
		return
	}
	if route == team.RouteMenu {
		s.menuCall(req, tx, num, c)
		return
	}
	if route == team.RouteVoicemail && num.Voicemail || len(targets) == 0 && num.Voicemail && s.cfg.VoicemailDir != "" {
		s.voicemail(req, tx, num, caller)
		return
	}
	if len(targets) == 0 || route == team.RouteVoicemail {
		s.record(c, records.Missed, "480 nobody to answer, and the number takes no voicemail")
		tx.Respond(sip.NewResponseFromRequest(req, 480, "Temporarily Unavailable", nil))
		return
	}
	if s.cfg.Billing != nil {
		bc, g, err := s.cfg.Billing.StartCall(ctx, billing.CallStart{Account: num.Account, CallID: c.id,
			Direction: rating.Inbound, Local: num.E164, Remote: s.n164(from)})
		switch {
		case err == nil:
			s.startMeter(c, bc, g)
		case errors.As(err, new(*billing.CreditError)):
			s.record(c, records.Refused, refusedCause(err))
			s.announce(req, tx, c, SITone(8000), err)
			return
		default:
			s.log.Warn("switchboard: metering an inbound call", "number", num.E164, "err", err)
		}
	}
	if num.Voicemail {
		c.voicemailOn = &num
	}
	s.connect(c, req, tx, targets)
}

// n164 returns an outside caller's number (from the trunk) in E.164 for
// rating, or a placeholder the rater treats as domestic when the caller
// hid it.
func (s *Server) n164(from string) string {
	if n, err := rating.ParseNumber(from, s.cfg.TrunkRegion); err == nil {
		return n.E164
	}
	return "+12025550100"
}

// SITone is the special information tone (ITU-T E.180: 950, 1400 and
// 1800 Hz rising, 330 ms each) played three times: the call cannot be
// connected.
func SITone(rate int) []int16 {
	var out []int16
	for range 3 {
		for _, f := range []float64{950, 1400, 1800} {
			seg := make([]int16, rate*330/1000)
			audio.Sine(seg, f, rate, 10000, 0)
			out = append(out, seg...)
		}
		out = append(out, make([]int16, rate/2)...)
	}
	return out
}

// announce answers a call, plays pcm (8 kHz) and hangs up saying why (the
// gate's refusal why); the call's record was written already.
func (s *Server) announce(req *sip.Request, tx sip.ServerTransaction, c *call, pcm []int16, why error) {
	c.selfRecorded = true // its record is written already
	m, sess, cleanup, ok := s.answerLocally(req, tx, "announcement", c)
	if !ok {
		return
	}
	defer cleanup()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	media.Pump(ctx, m, &media.PCMSource{Samples: pcm}, nil, true, sess.Context().Done())
	if sess.Context().Err() == nil {
		bctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if errors.Is(why, billing.ErrSuspended) {
			s.byeCaller(bctx, sess, reasonHeader(403, "The account called is suspended"))
		} else {
			s.byeCaller(bctx, sess, reasonHeader(402, "The account called has no credit"))
		}
		cancel()
	}
}

// forward sends a call to a number on to its forwarding number through
// the trunk, billed per minute from the number's account; the caller's
// number is shown when it is one.
func (s *Server) forward(ctx context.Context, c *call, req *sip.Request, tx sip.ServerTransaction, num team.Number) {
	c.direction, c.to = "forwarded", num.Forward
	trunk := s.trunk()
	refuse := func(code int, reason string) {
		s.record(c, records.Refused, fmt.Sprintf("%d %s", code, reason))
		res := sip.NewResponseFromRequest(req, code, phrases[code], nil)
		if reason != "" {
			res.AppendHeader(sip.NewHeader("Reason", reasonHeader(code, reason)))
		}
		tx.Respond(res)
	}
	if !trunk.IsValid() || s.cfg.Billing == nil {
		refuse(404, "This switchboard has no route to outside numbers.")
		return
	}
	bc, g, err := s.cfg.Billing.StartCall(ctx, billing.CallStart{Account: num.Account, CallID: c.id, Direction: rating.Forward,
		Local: num.E164, Remote: num.Forward})
	if ce := (*billing.CreditError)(nil); errors.As(err, &ce) {
		refuse(402, ce.Reason)
		return
	}
	if err != nil {
		s.log.Warn("switchboard: forwarding", "number", num.E164, "to", num.Forward, "err", err)
		refuse(404, "The forwarding number cannot be called.")
		return
	}
	s.startMeter(c, bc, g)
	shown := num.E164
	if _, err := rating.ParseNumber(c.from, s.cfg.TrunkRegion); err == nil && strings.HasPrefix(c.from, "+") {
		shown = c.from
	}
	s.connect(c, req, tx, []binding{{Device: num.Forward, Contact: sip.Uri{Scheme: "sip", User: num.Forward, Host: trunk.Addr().String(),
		Port: int(trunk.Port())}, Source: trunk, Transport: "UDP", Expires: s.cfg.Now().Add(time.Hour), From: shown, Trunk: true}})
}

// dialledNumber is the number a request from the trunk is for: the
// request URI's user, or (a trunk we register with sends to our Contact,
// the account's name) the To header's.
func dialledNumber(req *sip.Request, region string) (rating.Number, error) {
	n, err := rating.ParseNumber(req.Recipient.User, region)
	if err != nil && req.To() != nil {
		n, err = rating.ParseNumber(req.To().Address.User, region)
	}
	return n, err
}

// fromTrunk reads a request from the trunk: the number it is for (404
// when not the switchboard's) and the caller's number ("anonymous" when
// hidden).
func (s *Server) fromTrunk(ctx context.Context, req *sip.Request, tx sip.ServerTransaction) (team.Number, string, bool) {
	n, err := dialledNumber(req, s.cfg.TrunkRegion)
	var num team.Number
	if err == nil {
		num, err = s.cfg.Directory.Number(ctx, n.E164)
	}
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return num, "", false
	}
	from := "anonymous"
	if f := req.From(); f != nil && f.Address.User != "" {
		from = f.Address.User
	}
	return num, from, true
}
