package phone

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Register registers the account and keeps it registered until ctx ends:
// it refreshes ahead of expiry, backs off with jitter after failures, and
// unregisters before returning. State changes arrive on Events.
func (u *UA) Register(ctx context.Context) error {
	r := rand.New(rand.NewPCG(uint64(u.clock.Now().UnixNano()), uint64(u.local.Port())))
	reg := &registerDialog{callID: sip.GenerateTagN(24), tag: sip.GenerateTagN(16), cseq: uint32(1 + r.IntN(1000))}
	timer := u.clock.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()

	state, input := Unregistered, inStart
	var granted time.Duration
	var failure error
	attempt := 0
	// Keepalive pings while registered; a ping that succeeds after one
	// failed means the network came back: register again at once.
	var pings <-chan time.Time
	if u.cfg.KeepAlive > 0 {
		t := u.clock.NewTicker(u.cfg.KeepAlive)
		defer t.Stop()
		pings = t.Chan()
	}
	lost := false
	moved := false // the network changed: calls are refreshed once registered again
	changes := u.cfg.NetworkChanges
	if changes == nil {
		if w, err := watchNetwork(); err == nil {
			defer w.Close()
			changes = w.C
		} else {
			u.log.Info("phone: not watching the network for changes", "err", err)
		}
	}
	for {
		next, act := regStep(state, input)
		state = next
		switch act {
		case actRegister:
			u.emit(RegEvent{State: Registering})
			granted, failure = u.sendRegister(ctx, reg, u.cfg.Expires)
			if input = inOK; failure != nil {
				input = inFail
			}
			continue
		case actUnregister:
			u.emit(RegEvent{State: Unregistering})
			// ctx is over: the unregistration gets a few seconds of its own.
			uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, failure = u.sendRegister(uctx, reg, 0)
			cancel()
			if failure != nil {
				u.log.Info("phone: unregister", "err", failure)
			}
			input = inDone
			continue
		case actRefresh:
			attempt = 0
			u.emit(RegEvent{State: Registered, Expires: granted})
			if moved {
				moved = false
				go u.refreshCalls()
			}
			timer.Reset(refreshIn(granted))
		case actBackoff:
			wait := backoff(attempt, r)
			attempt++
			u.emit(RegEvent{State: Retrying, Retry: wait, Err: failure})
			timer.Reset(wait)
		case actEnd:
			u.emit(RegEvent{State: Unregistered})
			return nil
		}
		input = ""
		for input == "" {
			select {
			case <-ctx.Done():
				input = inStop
			case <-timer.Chan():
				input = inTimer
			case <-changes:
				moved = true
				if state == Registered || state == Retrying {
					u.log.Info("phone: the network changed: registering again")
					input = inNetwork
				}
			case <-pings:
				if state != Registered && state != Retrying {
					continue
				}
				if err := u.ping(ctx); err != nil {
					if !lost {
						u.log.Info("phone: keepalive failed", "err", err)
					}
					lost = true
				} else if lost {
					lost, moved = false, true
					input = inNetwork
				}
			}
		}
	}
}

// refreshCalls offers each answered call's media again (Call.Refresh),
// after the network changed and the phone registered again: a call in
// progress recovers where the far end can still reach it.
func (u *UA) refreshCalls() {
	u.calls.mu.Lock()
	var list []*Call
	for c := range u.calls.list {
		list = append(list, c)
	}
	u.calls.mu.Unlock()
	for _, c := range list {
		if !c.State().Answered() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.Refresh(ctx); err != nil {
			u.log.Info("phone: refreshing a call after the network changed", "err", err)
		}
		cancel()
	}
}

// ping sends OPTIONS to the server and waits a few seconds for any answer.
func (u *UA) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, min(u.cfg.KeepAlive, 5*time.Second))
	defer cancel()
	req := sip.NewRequest(sip.OPTIONS, u.registrar)
	from := &sip.FromHeader{Address: u.aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: u.registrar})
	_, err := u.do(ctx, req)
	return err
}

// registerDialog keeps what stays the same across one registration's
// REGISTERs (RFC 3261 section 10.2.4): the Call-ID, the From tag, and a
// CSeq that only grows.
type registerDialog struct {
	callID string
	tag    string
	cseq   uint32
}

// sendRegister sends one REGISTER (expires 0 removes the binding) and
// returns the lifetime the registrar granted.
func (u *UA) sendRegister(ctx context.Context, d *registerDialog, expires time.Duration) (time.Duration, error) {
	req := sip.NewRequest(sip.REGISTER, u.registrar)
	from := &sip.FromHeader{Address: u.aor, Params: sip.NewParams()}
	from.Params.Add("tag", d.tag)
	to := &sip.ToHeader{Address: u.aor}
	callID := sip.CallIDHeader(d.callID)
	cseq := &sip.CSeqHeader{SeqNo: d.cseq, MethodName: sip.REGISTER}
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(cseq)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(u.contact())
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, REFER, NOTIFY, INFO"))
	res, err := u.do(ctx, req)
	if c := req.CSeq(); c != nil {
		d.cseq = c.SeqNo + 1 // the digest retry used one more
	}
	if err != nil {
		return 0, fmt.Errorf("phone: REGISTER: %w", err)
	}
	if !res.IsSuccess() {
		return 0, responseError(res)
	}
	return grantedExpires(res, u.contact(), expires), nil
}

// responseError turns a final failure response into a *CallError.
func responseError(res *sip.Response) *CallError {
	var reasons []Reason
	for _, h := range res.GetHeaders("Reason") {
		if rs, err := ParseReason(h.Value()); err == nil {
			reasons = append(reasons, rs...)
		}
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		// Challenged again after answering: the password is wrong.
		e := ResponseError(int(res.StatusCode), res.Reason, reasons)
		e.Reason = "authentication failed: check the user name and password"
		return e
	}
	return ResponseError(int(res.StatusCode), res.Reason, reasons)
}

// grantedExpires reads the lifetime a registrar granted our contact: the
// contact's expires parameter, else the Expires header, else what was
// asked.
func grantedExpires(res *sip.Response, ours *sip.ContactHeader, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || c.Address.Host != ours.Address.Host || c.Address.Port != ours.Address.Port {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}
