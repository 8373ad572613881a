package phone

import (
	"context"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/phone/dtmf"
)

// ParseDTMFInfo reads a key press carried in a SIP INFO body, as many PBXs
// and phones send it: application/dtmf-relay ("Signal=5\r\nDuration=160")
// or application/dtmf ("5").
func ParseDTMFInfo(contentType string, body []byte) (rune, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	if len(body) > 1024 {
		return 0, fmt.Errorf("phone: INFO body of %d bytes", len(body))
	}
	var signal string
	switch ct {
	case "application/dtmf-relay":
		for _, line := range strings.Split(string(body), "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				signal = strings.TrimSpace(v)
				break
			}
		}
	case "application/dtmf":
		signal = strings.TrimSpace(string(body))
	default:
		return 0, fmt.Errorf("phone: INFO of type %q carries no key press", contentType)
	}
	// Some senders write events by number: 10 for *, 11 for #.
	switch signal {
	case "10":
		signal = "*"
	case "11":
		signal = "#"
	}
	if len([]rune(signal)) != 1 {
		return 0, fmt.Errorf("phone: INFO signal %q is not one key", signal)
	}
	r := []rune(signal)[0]
	if _, ok := dtmf.Code(r); !ok {
		return 0, fmt.Errorf("phone: INFO signal %q is not a keypad digit", signal)
	}
	if r >= 'a' && r <= 'd' {
		r -= 'a' - 'A'
	}
	return r, nil
}

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
	d, err := ParseDTMFInfo(ct, req.Body())
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
	if c.State() != Connected {
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
