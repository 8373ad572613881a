package phone

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"
)

// maxMessageLen bounds a MESSAGE body: RFC 3428 keeps pager-mode messages
// under the path MTU when UDP may carry them.
const maxMessageLen = 1300

// SendMessage sends text to target (a SIP URI, or a user or number at the
// account's domain) as a SIP MESSAGE (RFC 3428), through the server.
func (u *UA) SendMessage(ctx context.Context, target, text string) error {
	return u.SendMessageAs(ctx, "", target, text)
}

// SendMessageAs is SendMessage with another user part in From (a trunk
// sending on behalf of an outside number); "" keeps the account's.
func (u *UA) SendMessageAs(ctx context.Context, fromUser, target, text string) error {
	if !utf8.ValidString(text) || text == "" {
		return fmt.Errorf("phone: a message must be non-empty UTF-8 text")
	}
	if len(text) > maxMessageLen {
		return fmt.Errorf("phone: a message may be at most %d bytes", maxMessageLen)
	}
	to, err := u.targetURI(target)
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.MESSAGE, to)
	fromURI := u.aor
	if fromUser != "" {
		fromURI.User = fromUser
	}
	from := &sip.FromHeader{Address: fromURI, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: to})
	req.AppendHeader(sip.NewHeader("Content-Type", "text/plain;charset=UTF-8"))
	req.SetBody([]byte(text))
	// Through the server: it authenticates and routes.
	req.SetDestination(fmt.Sprintf("%s:%d", u.registrar.Host, u.registrar.Port))
	res, err := u.do(ctx, req)
	if err != nil {
		return fmt.Errorf("phone: MESSAGE: %w", err)
	}
	if !res.IsSuccess() {
		return responseError(res)
	}
	return nil
}

// targetURI reads a call or message target: a sip: URI, or a user name or
// number at the account's domain.
func (u *UA) targetURI(target string) (sip.Uri, error) {
	target = strings.TrimSpace(target)
	var uri sip.Uri
	if strings.HasPrefix(target, "sip:") {
		if err := sip.ParseUri(target, &uri); err != nil || uri.Host == "" {
			return uri, fmt.Errorf("phone: %q is not a SIP URI", target)
		}
		return uri, nil
	}
	// A phone number as people write it: "+44 20 7123-4567", "(415) 555.0100".
	if n := strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -().\u00a0", r) {
			return -1
		}
		return r
	}, target); n != target && n != "" && strings.Trim(strings.TrimPrefix(n, "+"), "0123456789") == "" {
		target = n
	}
	if target == "" || strings.ContainsAny(target, "@<>;: \t\"") {
		return uri, fmt.Errorf("phone: %q is neither a SIP URI nor a user or number", target)
	}
	return sip.Uri{Scheme: "sip", User: target, Host: u.aor.Host}, nil
}

func (u *UA) onMessage(req *sip.Request, tx sip.ServerTransaction) {
	body := req.Body()
	if len(body) > 64<<10 || !utf8.Valid(body) {
		tx.Respond(sip.NewResponseFromRequest(req, 415, "Unsupported Media Type", nil))
		return
	}
	if ct := req.ContentType(); ct != nil && !strings.HasPrefix(strings.ToLower(ct.Value()), "text/plain") {
		tx.Respond(sip.NewResponseFromRequest(req, 415, "Unsupported Media Type", nil))
		return
	}
	m := Message{Text: string(body), At: u.clock.Now()}
	if f := req.From(); f != nil {
		m.From = f.Address.String()
	}
	if t := req.To(); t != nil {
		m.To = t.Address.String()
	}
	select {
	case u.messages <- m:
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	default:
		// Nobody is reading: let the sender's server store and retry.
		tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
	}
}
