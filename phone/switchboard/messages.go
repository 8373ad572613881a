package switchboard

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/sms"
	"github.com/tetherphone/tether/account/team"
)

// maxText is the largest text relayed, in bytes (10 concatenated segments
// of UCS-2 are well under it).
const maxText = 4096

// Directory's message methods are team.Store's; MessageStore names them.
type MessageStore interface {
	QueueMessage(ctx context.Context, m team.QueuedMessage) error
	Pending(ctx context.Context, email string) ([]team.QueuedMessage, error)
	Delivered(ctx context.Context, id int64) error
}

// onMessage relays a text (RFC 3428): between teammates (stored for those
// offline and delivered when they register), to the switchboard's numbers,
// and to and from outside numbers through the trunk, rated per segment.
func (s *Server) onMessage(req *sip.Request, tx sip.ServerTransaction) {
	body := req.Body()
	if len(body) == 0 || len(body) > maxText || !utf8.Valid(body) {
		tx.Respond(sip.NewResponseFromRequest(req, 413, "Request Entity Too Large", nil))
		return
	}
	if ct := req.ContentType(); ct != nil && !strings.HasPrefix(strings.ToLower(ct.Value()), "text/plain") {
		tx.Respond(sip.NewResponseFromRequest(req, 415, "Unsupported Media Type", nil))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if t := s.trunk(); t.IsValid() && source(req) == t {
		s.inboundText(ctx, req, tx)
		return
	}
	dev, ok := s.authenticate(req, tx, true)
	if !ok {
		return
	}
	sender, err := s.cfg.Directory.User(ctx, dev.Email)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
		return
	}
	if s.cfg.Billing != nil {
		if err := s.cfg.Billing.Gate(ctx, sender.Account); err != nil {
			s.refuseForCredit(req, tx, err)
			return
		}
	}
	users, external, _, err := s.route(ctx, sender, req.Recipient.User)
	switch {
	case errors.Is(err, errNoRoute):
		tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
	case err != nil:
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
	case external != "":
		s.textOut(ctx, req, tx, sender, external, string(body))
	default:
		code := s.deliver(ctx, users, sender.Extension, string(body))
		tx.Respond(sip.NewResponseFromRequest(req, code, map[int]string{200: "OK", 202: "Accepted"}[code], nil))
		s.recordText(records.Message{Account: sender.Account, Direction: "internal", From: sender.Extension, To: req.Recipient.User,
			Status: map[int]string{200: "delivered", 202: "queued"}[code]}, string(body))
	}
}

// textOut charges a text to an outside number and hands it to the trunk.
func (s *Server) textOut(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, sender team.User, to, text string) {
	trunk := s.trunk()
	if !trunk.IsValid() || s.cfg.Billing == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return
	}
	nums, err := s.cfg.Directory.NumbersOf(ctx, sender.Email)
	if err != nil || len(nums) == 0 {
		res := sip.NewResponseFromRequest(req, 403, "Forbidden", nil)
		res.AppendHeader(sip.NewHeader("Reason", reasonHeader(403, noNumber(sender, "text"))))
		tx.Respond(res)
		return
	}
	id := "sms-" + newID()
	ch, err := s.cfg.Billing.ChargeMessage(ctx, billing.Message{Account: sender.Account, MessageID: id, Direction: rating.Outbound,
		Local: nums[0].E164, Remote: to, Text: text})
	if ce := (*billing.CreditError)(nil); errors.As(err, &ce) {
		s.refuseForCredit(req, tx, err)
		return
	}
	if errors.Is(err, rating.ErrNoDeck) {
		s.log.Warn("switchboard: a text refused: no rate deck", "to", to, "err", err)
		res := sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil)
		res.AppendHeader(sip.NewHeader("Reason", reasonHeader(503, noDeck)))
		tx.Respond(res)
		return
	}
	if err != nil {
		s.log.Warn("switchboard: charging a text", "err", err)
		tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return
	}
	res, err := s.sendText(ctx, trunk, "sip:"+to+"@"+trunk.String(), nums[0].E164, text)
	if err != nil || !res.IsSuccess() {
		s.log.Warn("switchboard: the trunk did not take a text", "err", err, "res", res)
		tx.Respond(sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil))
		return
	}
	s.log.Info("switchboard: text sent", "account", sender.Account, "to", to, "segments", ch.Segments, "cost", ch.Cost.String())
	s.recordText(records.Message{Account: sender.Account, Direction: "outbound", From: nums[0].E164, To: to, Segments: ch.Segments,
		Cost: ch.Cost, Currency: ch.Currency, Status: "sent"}, text)
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
}

// inboundText takes a text from the trunk to one of the switchboard's
// numbers: charged to the number's account, delivered to its members.
func (s *Server) inboundText(ctx context.Context, req *sip.Request, tx sip.ServerTransaction) {
	num, from, ok := s.fromTrunk(ctx, req, tx)
	if !ok {
		return
	}
	if s.cfg.Billing != nil {
		_, err := s.cfg.Billing.ChargeMessage(ctx, billing.Message{Account: num.Account, MessageID: "sms-in-" + newID(),
			Direction: rating.Inbound, Local: num.E164, Remote: from, Text: string(req.Body())})
		if ce := (*billing.CreditError)(nil); errors.As(err, &ce) {
			s.refuseForCredit(req, tx, err)
			return
		}
		if err != nil {
			s.log.Warn("switchboard: charging an inbound text", "err", err)
		}
	}
	var users []team.User
	for _, m := range num.Members {
		if u, err := s.cfg.Directory.User(ctx, m); err == nil {
			users = append(users, u)
		}
	}
	code := s.deliver(ctx, users, from, string(req.Body()))
	tx.Respond(sip.NewResponseFromRequest(req, code, map[int]string{200: "OK", 202: "Accepted"}[code], nil))
	s.recordText(records.Message{Account: num.Account, Direction: "inbound", From: from, To: num.E164,
		Status: map[int]string{200: "delivered", 202: "queued"}[code]}, string(req.Body()))
}

// recordText writes a message record (segments counted when not given).
func (s *Server) recordText(m records.Message, text string) {
	if s.cfg.Records == nil {
		return
	}
	m.ID, m.At, m.Body = "msg-"+newID(), s.cfg.Now(), text
	if m.Segments == 0 {
		_, m.Segments, _ = sms.Count(text)
	}
	if m.Currency == "" {
		m.Currency = "USD"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.cfg.Records.AddMessage(ctx, m); err != nil {
		s.log.Error("switchboard: writing a message record", "err", err)
	}
}

// deliver gives a text to every online phone of each user, and keeps it
// for those with none online. 200 when every user had it at once, 202
// when some wait.
func (s *Server) deliver(ctx context.Context, users []team.User, from, text string) int {
	code := 200
	for _, u := range users {
		if s.deliverNow(ctx, u.Email, from, text) {
			continue
		}
		code = 202
		if err := s.cfg.Directory.QueueMessage(ctx, team.QueuedMessage{Email: u.Email, From: from, Text: text, Created: s.cfg.Now()}); err != nil {
			s.log.Error("switchboard: keeping a text", "to", u.Email, "err", err)
		}
	}
	return code
}

// deliverNow sends a text to a user's online phones; true if any took it.
func (s *Server) deliverNow(ctx context.Context, email, from, text string) bool {
	took := false
	for _, b := range s.location.user(email) {
		res, err := s.sendText(ctx, b.Source, b.Contact.String(), from, text, b)
		if err == nil && res.IsSuccess() {
			took = true
		}
	}
	return took
}

// sendText sends a MESSAGE to uri through dest, from the given user part.
func (s *Server) sendText(ctx context.Context, dest interface{ String() string }, uri, fromUser, text string, via ...binding) (*sip.Response, error) {
	var to sip.Uri
	if err := sip.ParseUri(uri, &to); err != nil {
		return nil, err
	}
	req := sip.NewRequest(sip.MESSAGE, to)
	host := "switchboard"
	if a, ok := s.Addr("udp"); ok {
		host = a.Addr().String()
	}
	fromHdr := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: host}, Params: sip.NewParams()}
	fromHdr.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(fromHdr)
	req.AppendHeader(&sip.ToHeader{Address: to})
	req.AppendHeader(sip.NewHeader("Content-Type", "text/plain;charset=UTF-8"))
	req.SetBody([]byte(text))
	req.SetDestination(dest.String())
	req.SetTransport("UDP")
	if len(via) > 0 {
		req.SetTransport(via[0].Transport)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.client.Do(ctx, s.fromListener(req), sipgo.ClientRequestBuild)
}

// flush delivers a user's waiting texts once one of their phones is
// registered.
func (s *Server) flush(email string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pending, err := s.cfg.Directory.Pending(ctx, email)
	if err != nil {
		s.log.Error("switchboard: reading waiting texts", "to", email, "err", err)
		return
	}
	for _, m := range pending {
		if !s.deliverNow(ctx, email, m.From, m.Text) {
			return // offline again: keep the rest in order
		}
		if err := s.cfg.Directory.Delivered(ctx, m.ID); err != nil {
			s.log.Error("switchboard: forgetting a delivered text", "err", err)
		}
	}
}
