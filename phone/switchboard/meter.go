// Credit-billed calls: the gate on a destination's price, chunks paid
// ahead, the warning, the settlement, and every call's record.

package switchboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
)

// noNumber says why someone with no number of their own cannot call out
// or text outside, and what to do: the Owner and Admins can assign
// themselves one; the others ask them.
func noNumber(u team.User, what string) string {
	if u.Role == team.Owner || u.Role == team.Admin {
		return fmt.Sprintf("You have no number to %s from: assign yourself one of the account's numbers, or buy one (Numbers).", what)
	}
	return fmt.Sprintf("You have no number to %s from; ask an admin to assign you one.", what)
}

// startBilled prepares a call off the network: the caller's number to
// call from, the gate on the destination's price, the first chunk paid;
// it returns the trunk as the one phone to ring, or the refusal.
func (s *Server) startBilled(ctx context.Context, c *call, caller team.User, e164, preferred string) (binding, int, string) {
	trunk := s.trunk()
	if !trunk.IsValid() || s.cfg.Billing == nil {
		return binding{}, 404, "This switchboard has no route to outside numbers."
	}
	nums, err := s.cfg.Directory.NumbersOf(ctx, caller.Email)
	if err != nil {
		return binding{}, 500, ""
	}
	// The caller's choice of number to show, when it is one of theirs;
	// else the company's caller ID, when it has one; else their first.
	if preferred == "" {
		if cust, err := s.cfg.Billing.Customer(ctx, caller.Account); err == nil && cust.CallerID != "" {
			if n, err := s.cfg.Directory.Number(ctx, cust.CallerID); err == nil && n.Account == caller.Account {
				preferred = n.E164
				if !slices.ContainsFunc(nums, func(m team.Number) bool { return m.E164 == n.E164 }) {
					nums = append(nums, n)
				}
			}
		}
	}
	if len(nums) == 0 {
		return binding{}, 403, noNumber(caller, "call out")
	}
	for i, n := range nums {
		if n.E164 == preferred {
			nums[0], nums[i] = nums[i], nums[0]
		}
	}
	bc, g, err := s.cfg.Billing.StartCall(ctx, billing.CallStart{Account: caller.Account, CallID: c.id,
		Direction: rating.Outbound, Local: nums[0].E164, Remote: e164})
	if ce := (*billing.CreditError)(nil); errors.As(err, &ce) {
		return binding{}, ce.Status(), ce.Reason
	}
	if errors.Is(err, rating.ErrNoDeck) {
		s.log.Warn("switchboard: a call refused: no rate deck", "to", e164, "err", err)
		return binding{}, 503, noDeck
	}
	if errors.Is(err, billing.ErrInvalid) || errors.Is(err, rating.ErrNoRate) {
		return binding{}, 404, "That number cannot be called."
	}
	if err != nil {
		s.log.Error("switchboard: starting a billed call", "err", err)
		return binding{}, 500, ""
	}
	s.startMeter(c, bc, g)
	if nums[0].Record {
		c.recordOn = nums[0].E164
	}
	return binding{Device: e164, Contact: sip.Uri{Scheme: "sip", User: e164, Host: trunk.Addr().String(), Port: int(trunk.Port())},
		Source: trunk, Transport: "UDP", Expires: s.cfg.Now().Add(time.Hour), From: nums[0].E164, Trunk: true}, 0, ""
}

// noDeck is what a caller or texter is told when the operator has
// imported no prices for what they tried.
const noDeck = "This switchboard has no prices for that destination yet: its operator must import a rate deck."

// meter keeps a credit-billed call paid ahead, chunk by chunk; when no
// more can be paid, it warns the caller WarnBefore the paid time runs
// out, and ends the call there.
func (s *Server) meter(c *call) {
	ctx := context.Background()
	for {
		c.mu.Lock()
		elapsed := s.cfg.Now().Sub(c.answered)
		g := c.grant
		c.mu.Unlock()
		wait := s.cfg.MeterEvery
		if g.Final {
			left := time.Duration(g.PaidThrough)*time.Second - elapsed
			if left <= 0 {
				s.log.Info("switchboard: credit exhausted, ending the call", "call", c.id, "paid", g.PaidThrough)
				c.setEnd("", "402 the credit ran out")
				s.hangupWith(c, nil, reasonHeader(402, "Your credit ran out"))
				return
			}
			if !c.warned && left <= s.cfg.WarnBefore {
				c.warned = true
				c.warnCaller()
			}
			wait = left
			if !c.warned {
				wait = left - s.cfg.WarnBefore
			}
		}
		select {
		case <-c.done:
			return
		case <-s.cfg.Clock.After(wait):
		}
		if !g.Final {
			ng, err := c.bill.Extend(ctx, int64(s.cfg.Now().Sub(c.answered)/time.Second))
			if err != nil {
				s.log.Error("switchboard: paying for a call's next chunk", "call", c.id, "err", err)
				continue
			}
			c.mu.Lock()
			c.grant = ng
			c.mu.Unlock()
		}
	}
}

// endBill settles a credit-billed call for its talk time (whole seconds,
// rounded up, never past what was paid).
func (s *Server) endBill(c *call, talk time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bill == nil || c.charge != nil {
		return
	}
	secs := int64((talk + time.Second - 1) / time.Second)
	if c.grant.Final && secs > c.grant.PaidThrough {
		secs = c.grant.PaidThrough
	}
	ch, err := c.bill.End(context.Background(), secs)
	if err != nil {
		s.log.Error("switchboard: settling a call", "call", c.id, "err", err)
		return
	}
	c.charge = &ch
	s.log.Info("switchboard: call settled", "call", c.id, "account", c.caller.Account, "seconds", secs, "cost", ch.Cost.String())
}

// setEnd says how the call went, first word wins for each part (an empty
// part says nothing).
func (c *call) setEnd(d records.Disposition, cause string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.disposition == "" {
		c.disposition = d
	}
	if c.cause == "" {
		c.cause = cause
	}
}

// record writes a call's detail record, once.
func (s *Server) record(c *call, d records.Disposition, cause string) {
	if s.cfg.Records == nil {
		return
	}
	c.recorded.Do(func() {
		c.noting.Wait() // the call's notes first: the record replaces them
		c.mu.Lock()
		r := records.Call{ID: c.id, Account: c.caller.Account, Direction: c.direction, From: c.from, To: c.to, Started: c.started,
			Answered: c.answered, Ended: s.cfg.Now(), Disposition: d, Cause: cause, Currency: "USD", Recording: c.recording}
		if c.charge != nil {
			r.Seconds, r.Cost, r.Destination, r.Currency = c.charge.Seconds, c.charge.Cost, c.charge.Destination, c.charge.Currency
		} else if !c.answered.IsZero() {
			r.Seconds = int64(r.Ended.Sub(c.answered) / time.Second)
		}
		c.mu.Unlock()
		if r.Account == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.cfg.Records.FinishCall(ctx, r); err != nil {
			s.log.Error("switchboard: writing a call record", "call", c.id, "err", err)
		}
	})
}
