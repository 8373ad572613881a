package phone

import (
	"strconv"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// On UDP a 2xx to an INVITE and its ACK travel end to end, outside any
// transaction (RFC 3261 13.3.1.4 and 13.2.2.4, RFC 6026): the answering
// side repeats its 2xx until the ACK comes, the calling side repeats its
// ACK for every 2xx repeated. sipgo does both for a dialog's first INVITE;
// these do them for re-INVITEs (hold, resume).

// ackWaits holds the re-INVITE 2xx responses waiting for their ACK.
type ackWaits struct {
	mu   sync.Mutex
	wait map[string]chan struct{}
}

func ackKey(callID string, cseq uint32) string {
	return callID + " " + strconv.FormatUint(uint64(cseq), 10)
}

// expect registers a 2xx for req, returning the channel its ACK closes.
func (a *ackWaits) expect(req *sip.Request) (string, chan struct{}) {
	key := ackKey(req.CallID().Value(), req.CSeq().SeqNo)
	ch := make(chan struct{})
	a.mu.Lock()
	if a.wait == nil {
		a.wait = map[string]chan struct{}{}
	}
	a.wait[key] = ch
	a.mu.Unlock()
	return key, ch
}

func (a *ackWaits) forget(key string) {
	a.mu.Lock()
	delete(a.wait, key)
	a.mu.Unlock()
}

// acked reports whether ack answers a 2xx waiting here, and releases it.
func (a *ackWaits) acked(ack *sip.Request) bool {
	if ack.CallID() == nil || ack.CSeq() == nil {
		return false
	}
	key := ackKey(ack.CallID().Value(), ack.CSeq().SeqNo)
	a.mu.Lock()
	defer a.mu.Unlock()
	ch, ok := a.wait[key]
	if ok {
		close(ch)
		delete(a.wait, key)
	}
	return ok
}

// respond2xx sends a re-INVITE's 2xx and, over UDP, repeats it at T1,
// doubling up to T2, until the ACK arrives or 64*T1 passes. It returns
// whether the ACK came (always true over a reliable transport).
func (u *UA) respond2xx(req *sip.Request, tx sip.ServerTransaction, res *sip.Response) bool {
	if !sip.IsReliable(req.Transport()) {
		key, acked := u.acks.expect(req)
		defer u.acks.forget(key)
		if err := tx.Respond(res); err != nil {
			return false
		}
		interval := sip.T1
		giveUp := u.clock.NewTimer(64 * sip.T1)
		defer giveUp.Stop()
		for {
			repeat := u.clock.NewTimer(interval)
			select {
			case <-acked:
				repeat.Stop()
				return true
			case <-giveUp.Chan():
				repeat.Stop()
				u.log.Warn("phone: no ACK for a re-INVITE's 2xx", "call-id", req.CallID().Value())
				return false
			case <-repeat.Chan():
				if err := tx.Respond(res); err != nil {
					return false
				}
				interval = min(2*interval, sip.T2)
			}
		}
	}
	return tx.Respond(res) == nil
}

// reAck remembers the ACK sent for a re-INVITE's 2xx, to send again if
// that 2xx comes again (our ACK was lost).
type reAck struct {
	mu   sync.Mutex
	last map[string]*sip.Request // by Call-ID and CSeq
}

func (r *reAck) keep(ack *sip.Request) {
	if ack.CallID() == nil || ack.CSeq() == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]*sip.Request{}
	}
	// One per call is enough: only the latest re-INVITE can be repeated.
	for k, old := range r.last {
		if old.CallID().Value() == ack.CallID().Value() {
			delete(r.last, k)
		}
	}
	r.last[ackKey(ack.CallID().Value(), ack.CSeq().SeqNo)] = ack.Clone()
}

func (r *reAck) drop(callID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, old := range r.last {
		if old.CallID().Value() == callID {
			delete(r.last, k)
		}
	}
}

func (r *reAck) find(res *sip.Response) *sip.Request {
	if res.CallID() == nil || res.CSeq() == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ack := r.last[ackKey(res.CallID().Value(), res.CSeq().SeqNo)]; ack != nil {
		return ack.Clone()
	}
	return nil
}

// onStrayResponse sees responses no transaction claims: a repeated 2xx to
// one of our re-INVITEs gets its ACK again.
func (u *UA) onStrayResponse(res *sip.Response) {
	if !res.IsSuccess() || res.CSeq() == nil || res.CSeq().MethodName != sip.INVITE {
		return
	}
	if ack := u.reAcks.find(res); ack != nil {
		if err := u.client.WriteRequest(ack); err != nil {
			u.log.Debug("phone: repeating an ACK", "err", err)
		}
	}
}
