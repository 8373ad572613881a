package phone

import (
	"errors"
	"fmt"
)

var (
	// ErrReasonSyntax means a Reason header value is malformed.
	ErrReasonSyntax = errors.New("phone: malformed Reason header")
	// ErrInsufficientCredit means the server refused for lack of credit
	// (402 Payment Required). The *CallError carries the server's reason.
	ErrInsufficientCredit = errors.New("phone: insufficient credit")
	// ErrForbidden means the server refused for lack of permission (403).
	ErrForbidden = errors.New("phone: forbidden")
	// ErrBusy means the callee is busy (486, 600).
	ErrBusy = errors.New("phone: busy")
	// ErrDeclined means the callee declined (603).
	ErrDeclined = errors.New("phone: declined")
	// ErrUnanswered means nobody answered (408, 480, 487).
	ErrUnanswered = errors.New("phone: not answered")
	// ErrNotFound means the target does not exist (404, 484, 604).
	ErrNotFound = errors.New("phone: no such number or user")
	// ErrRTPTimeout means a call ended because the far end's audio stopped.
	ErrRTPTimeout = errors.New("phone: no audio from the far end")
	// ErrMediaFailed means a WebRTC call ended because its connection
	// failed: ICE found no path to the far end (a firewall, an
	// unreachable TURN server), or the far end vanished.
	ErrMediaFailed = errors.New("phone: the call's WebRTC connection failed")
	// ErrRefused is any other final failure response.
	ErrRefused = errors.New("phone: call refused")
)

// CallError is a call or request the far end refused with a final
// response. errors.Is matches it against the sentinel for its class.
type CallError struct {
	Code   int    // the SIP status code
	Phrase string // the response's reason phrase
	Reason string // the server's explanation: the Reason header's text, else the phrase
}

func (e *CallError) Error() string {
	return fmt.Sprintf("phone: %d %s: %s", e.Code, e.Phrase, e.Reason)
}

// Unwrap returns the sentinel for the response's class.
func (e *CallError) Unwrap() error {
	switch e.Code {
	case 402:
		return ErrInsufficientCredit
	case 403:
		return ErrForbidden
	case 486, 600:
		return ErrBusy
	case 603:
		return ErrDeclined
	case 408, 480, 487:
		return ErrUnanswered
	case 404, 484, 604:
		return ErrNotFound
	}
	return ErrRefused
}

// ResponseError builds the error for a final failure response, taking the
// explanation from the first SIP Reason with text, else the phrase.
func ResponseError(code int, phrase string, reasons []Reason) *CallError {
	e := &CallError{Code: code, Phrase: phrase, Reason: phrase}
	for _, r := range reasons {
		if r.Text != "" && (r.Protocol == "SIP" || r.Protocol == "sip") {
			e.Reason = r.Text
			break
		}
	}
	return e
}
