// Calls in progress, noted durably: a crash (kill -9, a power cut) loses
// no call's charge or record.

package switchboard

import (
	"context"
	"errors"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/records"
)

// Each call is noted in the records store when its meter starts and when
// it is answered (records.Store.BeginCall), and every CheckpointEvery
// while it lasts its meter's state and the time are noted again
// (Checkpoint, all calls in one write). Its record, when it ends, replaces
// the note (FinishCall). At start-up the switchboard ends every call a
// previous run noted and never finished: charged for the time it was last
// known to be up (a few seconds short at most: in the customer's favour),
// the rest of its reservations freed at once, and recorded as ended by
// the restart.

// restartCause is the cause on the record of a call a crash cut off.
const restartCause = "ended: server restart"

// startMeter gives a credit-billed call its meter, and notes the call.
func (s *Server) startMeter(c *call, bc Metered, g billing.Grant) {
	c.mu.Lock()
	c.bill, c.grant = bc, g
	c.mu.Unlock()
	s.noteLive(c)
}

// noteLive notes the call as in progress, as it stands now. The note is
// written beside the call, not in its way (a busy store would otherwise
// delay the answer); the call's record waits for it (record), so a note
// never outlives its call.
func (s *Server) noteLive(c *call) {
	if s.cfg.Records == nil || c.caller.Account == "" {
		return
	}
	c.mu.Lock()
	l := records.Live{Call: records.Call{ID: c.id, Account: c.caller.Account, Direction: c.direction, From: c.from, To: c.to,
		Started: c.started, Answered: c.answered}, At: s.cfg.Now()}
	bill := c.bill
	c.noteSeq++
	seq := c.noteSeq
	c.mu.Unlock()
	if bill != nil {
		l.Meter = bill.Snapshot()
	}
	c.noting.Add(1)
	go func() {
		defer c.noting.Done()
		c.noteMu.Lock()
		defer c.noteMu.Unlock()
		if seq < c.noteDone {
			return // a newer note of the call is written already
		}
		c.noteDone = seq
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.cfg.Records.BeginCall(ctx, l); err != nil {
			s.log.Error("switchboard: noting a call in progress", "call", c.id, "err", err)
			return
		}
		c.noted.Store(true)
	}()
}

// checkpoints notes every noted call still up, every CheckpointEvery,
// until the switchboard closes. It ticks on the wall clock: a crash
// happens in real time, whatever clock the calls' timers run on.
func (s *Server) checkpoints() {
	t := time.NewTicker(s.cfg.CheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.life.Done():
			return
		case <-t.C:
		}
		s.checkpoint()
	}
}

func (s *Server) checkpoint() {
	now := s.cfg.Now()
	var ls []records.Live
	s.calls.mu.Lock()
	cs := make([]*call, 0, len(s.calls.active))
	for c := range s.calls.active {
		cs = append(cs, c)
	}
	s.calls.mu.Unlock()
	for _, c := range cs {
		if !c.noted.Load() {
			continue
		}
		select {
		case <-c.done:
			continue
		default:
		}
		c.mu.Lock()
		bill, ended := c.bill, c.charge != nil
		c.mu.Unlock()
		if ended {
			continue
		}
		l := records.Live{Call: records.Call{ID: c.id}, At: now}
		if bill != nil {
			l.Meter = bill.Snapshot()
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.cfg.Records.Checkpoint(ctx, ls); err != nil {
		s.log.Error("switchboard: checkpointing calls in progress", "calls", len(ls), "err", err)
	}
}

// recoverCalls ends the calls a previous run noted and never finished.
func (s *Server) recoverCalls() error {
	if s.cfg.Records == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ls, err := s.cfg.Records.LiveCalls(ctx)
	if err != nil {
		return err
	}
	var failed error
	for _, l := range ls {
		r := l.Call
		r.Ended, r.Cause, r.Currency = l.At, restartCause, "USD"
		r.Disposition = records.Failed
		var secs int64
		if !r.Answered.IsZero() {
			r.Disposition = records.Answered
			secs = max(int64(l.At.Sub(r.Answered)/time.Second), 0)
			r.Seconds = secs
		}
		if l.Meter != nil && s.cfg.Billing != nil {
			m, err := s.cfg.Billing.Resume(ctx, l.Meter)
			if err == nil {
				var ch billing.Charge
				if ch, err = m.End(ctx, secs); err == nil {
					r.Seconds, r.Cost, r.Destination, r.Currency = ch.Seconds, ch.Cost, ch.Destination, ch.Currency
				}
			}
			if err != nil { // left noted: the next start tries again
				s.log.Error("switchboard: settling a call a restart cut off", "call", r.ID, "err", err)
				failed = errors.Join(failed, err)
				continue
			}
		}
		if err := s.cfg.Records.FinishCall(ctx, r); err != nil {
			failed = errors.Join(failed, err)
			continue
		}
		s.log.Warn("switchboard: a call was cut off by a restart; settled and recorded", "call", r.ID, "account", r.Account,
			"seconds", r.Seconds, "cost", r.Cost.String())
	}
	return failed
}
