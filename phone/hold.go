package phone

import (
	"context"
	"errors"
	"fmt"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/phone/sdp"
)

// ErrNotConnected means a call is not in a state for the request.
var ErrNotConnected = errors.New("phone: the call is not connected")

// Hold puts the call on hold: a re-INVITE offering sendonly (RFC 3264
// section 8.4). This phone then sends nothing and hears nothing.
func (c *Call) Hold(ctx context.Context) error { return c.reinvite(ctx, sdp.SendOnly) }

// Resume takes the call off hold.
func (c *Call) Resume(ctx context.Context) error { return c.reinvite(ctx, sdp.SendRecv) }

// Mute stops sending what the microphone hears (silence goes instead, so
// the call stays alive and key presses still go), or starts again.
func (c *Call) Mute(m bool) { c.media.SetMuted(m) }

// Muted reports whether the call is muted.
func (c *Call) Muted() bool { return c.media.Muted() }

// OnHold reports whether this phone has put the call on hold.
func (c *Call) OnHold() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status.Held
}

// Refresh offers the call's media again, as it is (a re-INVITE with the
// same direction, held stays held): after the network changed, the far end
// learns where this phone is now and the path through NATs opens again.
func (c *Call) Refresh(ctx context.Context) error {
	c.mu.Lock()
	dir := c.local.Direction
	c.mu.Unlock()
	if dir == "" {
		dir = sdp.SendRecv
	}
	return c.reinviteAs(ctx, dir, false)
}

// MediaUpdates counts the offers and answers exchanged in the call after
// the first: holds, resumes and refreshes, either way.
func (c *Call) MediaUpdates() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updates
}

func (c *Call) reinvite(ctx context.Context, dir sdp.Direction) error {
	return c.reinviteAs(ctx, dir, true)
}

// reinviteAs sends the re-INVITE; announce fires the hold or resume.
func (c *Call) reinviteAs(ctx context.Context, dir sdp.Direction, announce bool) error {
	if !c.State().Answered() {
		return ErrNotConnected
	}
	c.mu.Lock()
	c.local.SessionVersion++
	c.local.Direction = dir
	local := c.local
	c.mu.Unlock()
	body, err := c.redescribe(sdp.Offer(local))
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.INVITE, c.remoteTarget())
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := c.do(ctx, req)
	if err != nil {
		return fmt.Errorf("phone: re-INVITE: %w", err)
	}
	if !res.IsSuccess() {
		return responseError(res)
	}
	// The 2xx to a re-INVITE is acknowledged end to end, like the first,
	// and again each time the 2xx comes again.
	ack := sip.NewRequest(sip.ACK, c.remoteTarget())
	ackErr := c.write(ack)
	if ackErr == nil {
		c.ua.reAcks.keep(ack)
	}
	answer, err := c.reread(res.Body())
	if err != nil {
		return err
	}
	n, err := sdp.Accept(local, answer)
	if err != nil {
		return err
	}
	if err := c.startMedia(n); err != nil {
		return err
	}
	c.mu.Lock()
	c.updates++
	c.mu.Unlock()
	switch {
	case !announce:
	case dir == sdp.SendRecv:
		c.fire(inResume, nil)
	default:
		c.fire(inHold, nil)
	}
	// On hold this phone sends nothing (no music on hold yet).
	c.media.SetPaused(c.OnHold() || !n.Direction.Sends())
	c.media.SetExpectReceive(n.Direction.Receives())
	return ackErr
}

// do sends a request within the call's dialog and waits for the final
// response.
func (c *Call) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if c.client != nil {
		return c.client.Do(ctx, req)
	}
	return c.server.Do(ctx, req)
}

// write sends a request within the dialog without a transaction (ACK).
func (c *Call) write(req *sip.Request) error {
	if c.client != nil {
		return c.client.WriteRequest(req)
	}
	return c.server.WriteRequest(req)
}

// remoteTarget is where in-dialog requests go: the far end's Contact.
func (c *Call) remoteTarget() sip.Uri {
	var h *sip.ContactHeader
	if c.client != nil {
		h = c.client.InviteResponse.Contact()
	} else {
		h = c.server.InviteRequest.Contact()
	}
	if h == nil {
		to, _ := c.ua.targetURI(c.remote)
		return to
	}
	return h.Address
}

// onReinvite answers a re-INVITE in one of our calls: the far end holds
// or resumes (or moves its media).
func (u *UA) onReinvite(c *Call, req *sip.Request, tx sip.ServerTransaction) {
	offer, err := c.reread(req.Body())
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	c.mu.Lock()
	c.local.SessionVersion++
	local := c.local
	c.mu.Unlock()
	ans, n, err := sdp.Answer(offer, local)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	body, err := c.redescribe(ans)
	if err != nil || c.startMedia(n) != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	// A far end that holds us may send music or nothing: do not take its
	// silence for a dead call.
	c.media.SetExpectReceive(n.Direction.Receives() && !offer.OnHold())
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(u.contact())
	c.mu.Lock()
	c.updates++
	c.mu.Unlock()
	if offer.OnHold() {
		c.fire(inRemoteHold, nil)
	} else {
		c.fire(inRemoteResume, nil)
	}
	u.respond2xx(req, tx, res)
}

// redescribe writes a later offer or answer in the call (hold, resume):
// d itself, or for WebRTC media the connection's own description with
// d's direction.
func (c *Call) redescribe(d *sdp.Description) ([]byte, error) {
	if c.gw != nil {
		return c.gw.Redescribe(d.Audio.Direction)
	}
	return d.Marshal()
}

// reread reads the far end's description in a re-INVITE or the answer to
// ours.
func (c *Call) reread(body []byte) (*sdp.Description, error) {
	if c.gw != nil {
		return c.gw.Reread(body)
	}
	return sdp.Parse(body)
}

// findCall returns the call an in-dialog request belongs to.
func (u *UA) findCall(req *sip.Request) *Call {
	u.calls.mu.Lock()
	defer u.calls.mu.Unlock()
	for c := range u.calls.list {
		if matches(c, req) {
			return c
		}
	}
	return nil
}
