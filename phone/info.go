package phone

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/phone/dtmf"
)

func (u *UA) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := u.findCall(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	d, err := dtmf.ParseInfo(ct, req.Body())
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 415, "Unsupported Media Type", nil))
		return
	}
	c.media.InjectDigit(d)
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
}

// SendDTMFInfo sends key presses as SIP INFO (application/dtmf-relay), for
// servers that want DTMF in signalling rather than in RTP.
func (c *Call) SendDTMFInfo(ctx context.Context, digits string) error {
	if !dtmf.ValidDigits(digits) {
		return fmt.Errorf("phone: %q holds a character that is not a keypad digit", digits)
	}
	if !c.State().Answered() {
		return ErrNotConnected
	}
	for _, d := range digits {
		req := sip.NewRequest(sip.INFO, c.remoteTarget())
		req.SetBody([]byte(fmt.Sprintf("Signal=%c\r\nDuration=100\r\n", d)))
		req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
		res, err := c.do(ctx, req)
		if err != nil {
			return fmt.Errorf("phone: INFO: %w", err)
		}
		if !res.IsSuccess() {
			return responseError(res)
		}
	}
	return nil
}
