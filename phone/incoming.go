package phone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/phone/sdp"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// Incoming is a call ringing on this phone: Answer or Decline it.
type Incoming struct {
	*Call
	offer   *sdp.Description
	settled chan struct{} // closed once answered (and ACKed) or declined
	settle  sync.Once
	line    string
}

// Line is the number the caller dialled, when the server says (RFC 3455
// P-Called-Party-ID): which of my lines, dedicated or shared, is ringing.
func (in *Incoming) Line() string { return in.line }

// calledParty reads the user part of a request's P-Called-Party-ID.
func calledParty(req *sip.Request) string {
	h := req.GetHeader("P-Called-Party-ID")
	if h == nil {
		return ""
	}
	v := strings.TrimSpace(h.Value())
	if i := strings.IndexByte(v, '<'); i >= 0 {
		v = strings.TrimSuffix(v[i+1:], ">")
		if j := strings.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	}
	var u sip.Uri
	if err := sip.ParseUri(v, &u); err != nil {
		return ""
	}
	return u.User
}

// ringTimeout is how long an unanswered call rings before 480.
const ringTimeout = 2 * time.Minute

// Incoming delivers calls arriving for this account.
func (u *UA) Incoming() <-chan *Incoming { return u.incoming }

// calls keeps the calls in progress, to route in-dialog requests.
type calls struct {
	mu   sync.Mutex
	list map[*Call]struct{}
}

func (u *UA) track(c *Call) {
	u.calls.mu.Lock()
	if u.calls.list == nil {
		u.calls.list = map[*Call]struct{}{}
	}
	u.calls.list[c] = struct{}{}
	u.calls.mu.Unlock()
	go func() {
		<-c.done
		u.calls.mu.Lock()
		delete(u.calls.list, c)
		u.calls.mu.Unlock()
		if id := c.callID(); id != "" {
			u.reAcks.drop(id)
		}
	}()
}

func (u *UA) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.To() != nil && req.To().Params.Has("tag") {
		// A re-INVITE in a call of ours.
		if c := u.findCall(req); c != nil {
			u.onReinvite(c, req, tx)
			return
		}
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	from := ""
	if f := req.From(); f != nil {
		from = f.Address.String()
	}
	c, err := u.newCall(true, from, webrtcgw.IsWebRTC(req.Body())) // answered as it was offered
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	var offer *sdp.Description
	if c.gw != nil {
		offer, err = c.gw.Receive(req.Body())
	} else {
		offer, err = sdp.Parse(req.Body())
	}
	if err != nil {
		c.fire(inEnd, nil)
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	sess, err := u.serverDialogs.ReadInvite(req, tx)
	if err != nil {
		c.fire(inEnd, nil)
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	c.server = sess
	in := &Incoming{Call: c, offer: offer, settled: make(chan struct{}), line: calledParty(req)}
	sess.Respond(180, "Ringing", nil)
	select {
	case u.incoming <- in:
	default:
		// Nobody can take it (call waiting is full): busy.
		sess.Respond(486, "Busy Here", nil)
		sess.Close()
		c.fire(inEnd, ErrBusy)
		return
	}
	// The INVITE transaction lives as long as this handler: stay until the
	// call is answered (and ACKed) or declined, the caller cancels, or
	// nobody answers in time.
	select {
	case <-in.settled:
	case <-tx.Done():
		if c.State() == Ringing {
			sess.Close()
			c.fire(inEnd, &CallError{Code: 487, Phrase: "Request Terminated", Reason: "the caller hung up"})
		}
	case <-u.clock.After(ringTimeout):
		in.Decline(480)
	}
}

// Answer accepts the call with the codecs both sides have.
func (in *Incoming) Answer(ctx context.Context) error {
	if in.State() != Ringing {
		return fmt.Errorf("phone: the call is %s", in.State())
	}
	ans, n, err := sdp.Answer(in.offer, in.local)
	if err != nil {
		in.Decline(488)
		return err
	}
	body, err := in.answerBody(ctx, ans)
	if err != nil {
		in.Decline(500)
		return err
	}
	if err := in.startMedia(n); err != nil {
		in.Decline(500)
		return err
	}
	in.fire(inAnswered, nil)
	in.ua.track(in.Call)             // before the 200: a BYE may follow the ACK at once
	err = in.server.RespondSDP(body) // returns once the caller's ACK came
	in.settle.Do(func() { close(in.settled) })
	if err != nil {
		in.fire(inEnd, err)
		return fmt.Errorf("phone: answering: %w", err)
	}
	in.watch()
	return nil
}

// Progress starts early media (183 Session Progress with SDP) without
// answering: the caller hears what this phone sends (ringback, an
// announcement) while the call still rings. Answer or Decline later.
func (in *Incoming) Progress(ctx context.Context) error {
	if in.State() != Ringing {
		return fmt.Errorf("phone: the call is %s", in.State())
	}
	ans, n, err := sdp.Answer(in.offer, in.local)
	if err != nil {
		return err
	}
	body, err := in.answerBody(ctx, ans)
	if err != nil {
		return err
	}
	if err := in.startMedia(n); err != nil {
		return err
	}
	return in.server.Respond(183, "Session Progress", body, sip.NewHeader("Content-Type", "application/sdp"))
}

// answerBody writes an answer: plain, or WebRTC with every candidate
// gathered (the same one for early media and the answer).
func (c *Call) answerBody(ctx context.Context, ans *sdp.Description) ([]byte, error) {
	if c.gw != nil {
		return c.gw.Answer(ctx, ans)
	}
	return ans.Marshal()
}

// Decline refuses the call: 486 busy, 603 decline, 480 unavailable.
func (in *Incoming) Decline(code int) error {
	if in.State() != Ringing {
		return nil
	}
	reason := map[int]string{486: "Busy Here", 603: "Decline", 480: "Temporarily Unavailable", 488: "Not Acceptable Here", 500: "Server Internal Error"}[code]
	if reason == "" {
		return fmt.Errorf("phone: decline with %d", code)
	}
	err := in.server.Respond(code, reason, nil)
	in.server.Close()
	in.fire(inEnd, nil)
	in.settle.Do(func() { close(in.settled) })
	return err
}

func (u *UA) onAck(req *sip.Request, tx sip.ServerTransaction) {
	// The ACK of a re-INVITE's 2xx stops its repeats; the ACK of a first
	// INVITE confirms a dialog we answered.
	if u.acks.acked(req) {
		return
	}
	u.serverDialogs.ReadAck(req, tx)
}

func (u *UA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := u.findCall(req)
	var err error
	switch {
	case c == nil:
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	case c.client != nil:
		err = u.dialogs.ReadBye(req, tx)
	default:
		err = u.serverDialogs.ReadBye(req, tx)
	}
	if err != nil && !errors.Is(err, sipgo.ErrDialogDoesNotExists) {
		u.log.Warn("phone: BYE", "err", err)
	}
	c.fire(inEnd, nil)
}

func matches(c *Call, req *sip.Request) bool {
	id := req.CallID()
	return id != nil && id.Value() != "" && c.callID() == id.Value()
}

// callID is the call's SIP Call-ID; "" before its INVITE went out.
func (c *Call) callID() string {
	switch {
	case c.client != nil:
		return c.client.InviteRequest.CallID().Value()
	case c.server != nil:
		return c.server.InviteRequest.CallID().Value()
	}
	return ""
}
