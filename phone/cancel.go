package phone

import (
	"context"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// cancelWait bounds each wait of a CANCEL: for a provisional response
// before it may go (RFC 3261 9.1), and for the INVITE's final response
// after it went (64*T1).
const cancelWait = 32 * time.Second

// canceller sends the CANCEL of an outgoing INVITE when the caller gives
// up: once a provisional response of the INVITE's current transaction
// (after any authentication) has come, to where the INVITE went. The
// INVITE then ends with the callee's 487. Should nothing come within
// cancelWait, the wait is forced to end.
type canceller struct {
	u *UA
	// The INVITE's Request-URI, destination and transport (what the
	// challenges do not change).
	uri      sip.Uri
	dest, tr string

	mu    sync.Mutex
	prov  *sip.Response // the newest provisional response of the current transaction
	fresh chan struct{} // a provisional response came
	done  chan struct{}
	once  sync.Once
}

func (u *UA) newCanceller(invite *sip.Request) *canceller {
	return &canceller{u: u, uri: invite.Recipient, dest: invite.Destination(), tr: invite.Transport(),
		fresh: make(chan struct{}, 1), done: make(chan struct{})}
}

// saw notes a response of the INVITE (from WaitAnswer's OnResponse).
func (c *canceller) saw(res *sip.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if res.IsProvisional() {
		c.prov = res
		select {
		case c.fresh <- struct{}{}:
		default:
		}
		return
	}
	c.prov = nil // a challenge: the INVITE goes again, in a new transaction
}

// stop ends the watch (the INVITE has its final answer).
func (c *canceller) stop() { c.once.Do(func() { close(c.done) }) }

// watch returns the context to wait for the answer with: it ends only
// when a cancelled call's CANCEL got nowhere (forced, without sipgo's own
// CANCEL).
func (c *canceller) watch(ctx context.Context) context.Context {
	wait, force := context.WithCancelCause(context.Background())
	go func() {
		defer force(nil)
		select {
		case <-ctx.Done():
		case <-c.done:
			return
		}
		deadline := time.NewTimer(cancelWait)
		defer deadline.Stop()
		for {
			c.mu.Lock()
			res := c.prov
			c.mu.Unlock()
			if res != nil {
				c.send(res)
				break
			}
			select {
			case <-c.fresh:
			case <-c.done:
				return
			case <-deadline.C:
				force(sipgo.WaitAnswerForceCancelErr)
				return
			}
		}
		deadline.Reset(cancelWait)
		select {
		case <-c.done:
		case <-deadline.C: // no final answer to the INVITE after the CANCEL
			force(sipgo.WaitAnswerForceCancelErr)
		}
	}()
	return wait
}

// send sends the CANCEL: the INVITE's top Via, From, To (no tag),
// Call-ID and CSeq number, as its provisional response carries them.
func (c *canceller) send(prov *sip.Response) {
	req := sip.NewRequest(sip.CANCEL, c.uri)
	if v := prov.Via(); v != nil {
		req.AppendHeader(sip.HeaderClone(v))
	}
	if f := prov.From(); f != nil {
		req.AppendHeader(sip.HeaderClone(f))
	}
	if t := prov.To(); t != nil {
		to := &sip.ToHeader{DisplayName: t.DisplayName, Address: t.Address, Params: sip.NewParams()}
		for k, v := range t.Params.Items() {
			if k != "tag" {
				to.Params.Add(k, v)
			}
		}
		req.AppendHeader(to)
	}
	if id := prov.CallID(); id != nil {
		req.AppendHeader(sip.HeaderClone(id))
	}
	if cs := prov.CSeq(); cs != nil {
		req.AppendHeader(&sip.CSeqHeader{SeqNo: cs.SeqNo, MethodName: sip.CANCEL})
	}
	req.SetDestination(c.dest)
	req.SetTransport(c.tr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.u.client.Do(ctx, req); err != nil {
		c.u.log.Warn("phone: CANCEL", "err", err)
	}
}
