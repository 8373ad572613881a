package phone

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Transfer blind-transfers the call to target (RFC 3515 REFER): the far
// end is asked to call target itself; this phone hangs up once the far end
// reports the new call answered, or refused, or after waitFor.
func (c *Call) Transfer(ctx context.Context, target string, waitFor time.Duration) error {
	if !c.State().Answered() {
		return ErrNotConnected
	}
	to, err := c.ua.targetURI(target)
	if err != nil {
		return err
	}
	return c.refer(ctx, "<"+to.String()+">", waitFor, false)
}

// TransferTo transfers the call to the party of another of this phone's
// calls (attended, or consultative, transfer: RFC 5589 section 7): the
// far end is asked to call that party with Replaces (RFC 3891) naming the
// other call, which takes the new call in its place. Through Tether's
// switchboard, the switchboard joins the two parties itself. Both of this
// phone's calls end once the new call is answered; if it is not, both
// stay as they were.
func (c *Call) TransferTo(ctx context.Context, other *Call, waitFor time.Duration) error {
	referTo, err := c.referToCall(other, "Replaces")
	if err != nil {
		return err
	}
	if err := c.refer(ctx, referTo, waitFor, false); err != nil {
		return err
	}
	select {
	case <-other.Done(): // the far end ended the consultation for us
	case <-c.ua.clock.After(2 * time.Second):
		other.Hangup(ctx)
	case <-ctx.Done():
	}
	return nil
}

// Conference joins the call and another of this phone's calls into one
// three-way call: the far end is asked, by REFER, to join the other call
// (Join, RFC 3911); through Tether's switchboard, which mixes the audio,
// everyone then hears everyone. Both calls go on (the one held may stay
// held: this phone hears the others on either); it returns once the far
// end reports the join done, or an error when it was refused.
func (c *Call) Conference(ctx context.Context, other *Call, waitFor time.Duration) error {
	referTo, err := c.referToCall(other, "Join")
	if err != nil {
		return err
	}
	return c.refer(ctx, referTo, waitFor, true)
}

// referToCall is a Refer-To naming the far end of other, with header
// (Replaces, RFC 3891, or Join, RFC 3911) naming other's dialog; both
// calls must be answered.
func (c *Call) referToCall(other *Call, header string) (string, error) {
	if !c.State().Answered() || !other.State().Answered() {
		return "", ErrNotConnected
	}
	callID, local, remote := other.dialogIDs()
	to, err := c.ua.targetURI(other.remote)
	if err != nil {
		return "", err
	}
	dialog := url.QueryEscape(fmt.Sprintf("%s;to-tag=%s;from-tag=%s", callID, remote, local))
	return "<" + to.String() + "?" + header + "=" + dialog + ">", nil
}

// dialogIDs returns the call's dialog identifiers: its Call-ID, this
// phone's tag and the far end's.
func (c *Call) dialogIDs() (callID, local, remote string) {
	if c.client != nil {
		callID = c.client.InviteRequest.CallID().Value()
		local, _ = c.client.InviteRequest.From().Params.Get("tag")
		if c.client.InviteResponse != nil {
			remote, _ = c.client.InviteResponse.To().Params.Get("tag")
		}
		return
	}
	callID = c.server.InviteRequest.CallID().Value()
	remote, _ = c.server.InviteRequest.From().Params.Get("tag")
	if c.server.InviteResponse != nil {
		local, _ = c.server.InviteResponse.To().Params.Get("tag")
	}
	return
}

// refer sends a REFER with referTo and follows the far end's NOTIFYs:
// nil once the new call is answered (this call hung up, unless stay), an
// error when it is refused (this call carries on).
func (c *Call) refer(ctx context.Context, referTo string, waitFor time.Duration, stay bool) error {
	c.mu.Lock()
	c.referStatus = make(chan int, 8)
	status := c.referStatus
	c.mu.Unlock()
	req := sip.NewRequest(sip.REFER, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Refer-To", referTo))
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+c.ua.aor.String()+">"))
	res, err := c.do(ctx, req)
	if err != nil {
		return fmt.Errorf("phone: REFER: %w", err)
	}
	if !res.IsSuccess() {
		return responseError(res)
	}
	c.fire(inTransfer, nil)
	// Follow the far end's NOTIFYs until the new call has a final answer.
	deadline := c.ua.clock.After(waitFor)
	for {
		select {
		case code := <-status:
			if code < 200 {
				continue
			}
			if code >= 300 {
				// The target did not take the call: it is still ours (RFC
				// 5589 section 6.1), to carry on or end.
				c.fire(inTransferFailed, nil)
				return &CallError{Code: code, Phrase: "Transfer failed", Reason: fmt.Sprintf("the transfer target answered %d; the call is still yours", code)}
			}
			if stay {
				c.fire(inJoined, nil)
				return nil
			}
			c.Hangup(ctx)
			return nil
		case <-deadline:
			if stay {
				c.fire(inTransferFailed, nil)
				return &CallError{Code: 408, Phrase: "Request Timeout", Reason: "the far end never said whether the calls were joined"}
			}
			c.Hangup(ctx)
			return nil // blind: the far end carries on without us
		case <-c.done:
			return nil // the far end hung up on us after taking the transfer
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Transferred delivers the calls this phone placed because the far end of
// one of its calls transferred it (a REFER it accepted).
func (u *UA) Transferred() <-chan *Call { return u.transferred }

func (u *UA) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	c := u.findCall(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Missing Refer-To", nil))
		return
	}
	target := strings.TrimSpace(h.Value())
	target = strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
	if i := strings.Index(target, ">"); i >= 0 { // header parameters after the URI
		target = target[:i]
	}
	if _, err := u.targetURI(target); err != nil || !strings.HasPrefix(target, "sip:") {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Refer-To", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 202, "Accepted", nil))
	go u.followRefer(c, target)
}

// followRefer places the call a REFER asked for, reporting progress to the
// transferor by NOTIFY (RFC 3515 section 2.4.4).
func (u *UA) followRefer(c *Call, target string) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c.notifyRefer(ctx, "SIP/2.0 100 Trying", false)
	nc, err := u.Dial(ctx, target)
	final := "SIP/2.0 200 OK"
	if err != nil {
		final = "SIP/2.0 503 Service Unavailable"
		if ce, ok := err.(*CallError); ok {
			final = fmt.Sprintf("SIP/2.0 %d %s", ce.Code, ce.Phrase)
		}
	}
	c.notifyRefer(ctx, final, true)
	if err != nil {
		return
	}
	select {
	case u.transferred <- nc:
	default:
		u.log.Warn("phone: nobody took the transferred call; hanging up", "to", target)
		nc.Hangup(ctx)
	}
	// The transfer is done: the old call ends (the transferor usually
	// hangs up first).
	c.Hangup(ctx)
}

func (c *Call) notifyRefer(ctx context.Context, frag string, final bool) {
	if c.State() == Ended {
		return
	}
	req := sip.NewRequest(sip.NOTIFY, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(frag + "\r\n"))
	if _, err := c.do(ctx, req); err != nil {
		c.ua.log.Info("phone: NOTIFY of a transfer", "err", err)
	}
}

func (u *UA) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c := u.findCall(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	code, ok := parseSipfrag(req.Body())
	c.mu.Lock()
	status := c.referStatus
	c.mu.Unlock()
	if ok && status != nil {
		select {
		case status <- code:
		default:
		}
	}
}

// parseSipfrag reads the status code of a message/sipfrag status line
// ("SIP/2.0 200 OK").
func parseSipfrag(body []byte) (int, bool) {
	line, _, _ := strings.Cut(string(body), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0, false
	}
	var code int
	if _, err := fmt.Sscanf(f[1], "%d", &code); err != nil || code < 100 || code > 699 {
		return 0, false
	}
	return code, true
}
