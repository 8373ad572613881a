package switchboard

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/sdp"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// call is one bridged call: the caller's leg (we answer it), the callee's
// leg (we placed it), and the media relay between them.
type call struct {
	id           string
	caller       team.User
	selfRecorded bool   // answered by the switchboard itself (voicemail, an announcement), which writes the record
	recordOn     string // the number whose calls are recorded; "" for none
	recording    string // where the recording was written, under VoicemailDir
	// The record's story: who, whom, when, how it ended.
	from, to    string
	direction   string
	started     time.Time
	disposition records.Disposition
	cause       string
	recorded    sync.Once

	a     *sipgo.DialogServerSession
	b     *sipgo.DialogClientSession
	relay *relay
	// gwA and gwB are the legs' WebRTC gateways, for WebRTC phones.
	gwA, gwB *webrtcgw.Gateway
	// local is the switchboard's own media on the caller's leg, when it
	// answered the call itself (a menu); onWarn plays the low-credit
	// warning to the caller where there is no relay to do it.
	local     *media.Session
	onWarn    func()
	bridgeRec *recorder // a recorded call the switchboard bridges itself
	done      chan struct{}
	once      sync.Once

	// A credit-billed call's meter (mu guards it).
	mu       sync.Mutex
	bill     *billing.Call
	grant    billing.Grant
	answered time.Time
	charge   *billing.Charge
	warned   bool
}

// calls indexes live calls by both legs' Call-IDs.
type calls struct {
	mu     sync.Mutex
	byID   map[string]*call
	active map[*call]struct{}
}

func newCalls() *calls {
	return &calls{byID: map[string]*call{}, active: map[*call]struct{}{}}
}

// warnCaller plays the low-credit warning to the caller.
func (c *call) warnCaller() {
	switch {
	case c.relay != nil:
		c.relay.warn()
	case c.onWarn != nil:
		c.onWarn()
	}
}

func (cs *calls) add(c *call, ids ...string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, id := range ids {
		cs.byID[id] = c
	}
	cs.active[c] = struct{}{}
}

func (cs *calls) find(callID string) *call {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.byID[callID]
}

func (cs *calls) remove(c *call) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for id, x := range cs.byID {
		if x == c {
			delete(cs.byID, id)
		}
	}
	delete(cs.active, c)
}

func (cs *calls) endAll(s *Server) {
	cs.mu.Lock()
	var all []*call
	for c := range cs.active {
		all = append(all, c)
	}
	cs.mu.Unlock()
	for _, c := range all {
		s.hangup(c, nil)
	}
}

// Calls returns how many calls are bridged now.
func (s *Server) Calls() int {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return len(s.calls.active)
}

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// reasonHeader is an RFC 3326 Reason header value.
func reasonHeader(code int, text string) string {
	return fmt.Sprintf("SIP;cause=%d;text=%q", code, strings.ReplaceAll(text, `"`, "'"))
}

// onInvite places a call from a registered phone: authenticate, pass the
// gate, find the callee's phones, ring them all, bridge the first that
// answers.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		s.onReinvite(req, tx)
		return
	}
	if t := s.trunk(); t.IsValid() && source(req) == t {
		s.inboundCall(req, tx)
		return
	}
	dev, ok := s.authenticate(req, tx, true)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	caller, err := s.cfg.Directory.User(ctx, dev.Email)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
		return
	}
	if s.cfg.Billing != nil {
		if err := s.cfg.Billing.Gate(ctx, caller.Account); err != nil {
			s.record(&call{id: newID(), caller: caller, from: caller.Extension, to: req.Recipient.User, direction: "internal",
				started: s.cfg.Now()}, records.Refused, "402 no credit")
			s.refuseForCredit(req, tx, err)
			return
		}
	}
	tx, gw, ok := s.acceptWebRTC(req, tx)
	if !ok {
		return
	}
	c := &call{id: newID(), caller: caller, done: make(chan struct{}), from: caller.Extension, to: req.Recipient.User,
		direction: "internal", started: s.cfg.Now(), gwA: gw}
	var targets []binding
	users, external, num, err := s.route(ctx, caller, req.Recipient.User)
	if num != nil {
		c.to = num.E164
		if num.Record {
			c.recordOn = num.E164
		}
	}
	if num != nil {
		switch num.Route(s.cfg.Now()) {
		case team.RouteVoicemail:
			if !num.Voicemail {
				s.record(c, records.Missed, "480 the number takes no voicemail")
				tx.Respond(sip.NewResponseFromRequest(req, 480, "Temporarily Unavailable", nil))
				return
			}
			s.voicemail(req, tx, *num, caller)
			return
		case team.RouteMenu:
			s.menuCall(req, tx, *num, c)
			return
		case team.RouteForward:
			s.forward(ctx, c, req, tx, *num)
			return
		}
	}
	switch {
	case errors.Is(err, errNoRoute):
		tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return
	case err != nil:
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	case external != "":
		c.to, c.direction = external, "outbound"
		b, code, reason := s.startBilled(ctx, c, caller, external, preferredIdentity(req, s.regionOf(ctx, caller.Account)))
		if code != 0 {
			s.record(c, records.Refused, fmt.Sprintf("%d %s", code, reason))
			res := sip.NewResponseFromRequest(req, code, phrases[code], nil)
			if reason != "" {
				res.AppendHeader(sip.NewHeader("Reason", reasonHeader(code, reason)))
			}
			tx.Respond(res)
			return
		}
		targets = []binding{b}
	default:
		for _, u := range users {
			targets = append(targets, s.location.user(u.Email)...)
		}
	}
	if len(targets) == 0 {
		tx.Respond(sip.NewResponseFromRequest(req, 480, "Temporarily Unavailable", nil))
		return
	}
	s.connect(c, req, tx, targets)
}

// localIP is the switchboard's address on the transport a request came
// by: where media relays and answers listen.
func (s *Server) localIP(req *sip.Request) netip.Addr {
	ip := source(req).Addr()
	if a, ok := s.Addr(strings.ToLower(req.Transport())); ok {
		ip = a.Addr()
	}
	return ip
}

// connect bridges the caller's INVITE to the first of targets to answer.
func (s *Server) connect(c *call, req *sip.Request, tx sip.ServerTransaction, targets []binding) {
	ip := s.localIP(req)
	if a, ok := s.Addr(strings.ToLower(req.Transport())); ok {
		ip = a.Addr()
	}
	r, err := newRelay(ip)
	if err != nil {
		s.endBill(c, 0)
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	bRTP, bRTCP := r.b.ports()
	offer, aMedia, err := rewriteSDP(req.Body(), ip, bRTP, bRTCP)
	if err != nil {
		r.close()
		s.endBill(c, 0)
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	r.a.setPeer(aMedia)
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "switchboard", Host: ip.String(), Port: s.port(req.Transport())}}
	serverDialogs := sipgo.NewDialogServerCache(s.client, contact)
	sess, err := serverDialogs.ReadInvite(req, tx)
	if err != nil {
		r.close()
		s.endBill(c, 0)
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	c.a, c.relay = sess, r
	s.calls.add(c, req.CallID().Value())
	s.ring(c, req, tx, targets, offer, contact)
}

// refuseForCredit answers 402 with the gate's reason in a Reason header.
func (s *Server) refuseForCredit(req *sip.Request, tx sip.ServerTransaction, err error) {
	text := err.Error()
	if ce := (*billing.CreditError)(nil); errors.As(err, &ce) {
		text = ce.Reason // what the user reads, without the error chain
	}
	res := sip.NewResponseFromRequest(req, 402, "Payment Required", nil)
	res.AppendHeader(sip.NewHeader("Reason", reasonHeader(402, text)))
	tx.Respond(res)
}

var errNoRoute = errors.New("switchboard: no route")

// phrases are the reason phrases of the refusals startBilled gives.
var phrases = map[int]string{402: "Payment Required", 403: "Forbidden", 404: "Not Found", 500: "Server Internal Error"}

// route finds what a dialled user part means: a teammate (extension
// "102", or name "rep"), one of the switchboard's numbers (its members),
// or a number outside (returned as E.164 for the trunk).
//
// For one of the switchboard's numbers it also returns the number (its
// business hours decide between its members and its voicemail).
func (s *Server) route(ctx context.Context, caller team.User, dialled string) ([]team.User, string, *team.Number, error) {
	if u, err := s.cfg.Directory.UserByExtension(ctx, caller.Account, dialled); err == nil {
		return []team.User{u}, "", nil, nil
	}
	users, err := s.cfg.Directory.Users(ctx, caller.Account)
	if err != nil {
		return nil, "", nil, err
	}
	for _, u := range users {
		if name, _, _ := strings.Cut(u.Email, "@"); strings.EqualFold(name, dialled) || strings.EqualFold(u.Email, dialled) {
			return []team.User{u}, "", nil, nil
		}
	}
	if !looksLikeNumber(dialled) {
		return nil, "", nil, errNoRoute
	}
	n, err := rating.ParseNumber(dialled, s.regionOf(ctx, caller.Account))
	if err != nil {
		return nil, "", nil, errNoRoute
	}
	if num, err := s.cfg.Directory.Number(ctx, n.E164); err == nil {
		var out []team.User
		for _, m := range num.Members {
			if u, err := s.cfg.Directory.User(ctx, m); err == nil {
				out = append(out, u)
			}
		}
		return out, "", &num, nil
	}
	return nil, n.E164, nil, nil
}

// preferredIdentity is the number a caller asks to be shown as (RFC 3325
// P-Preferred-Identity's user part, read in region), or "".
func preferredIdentity(req *sip.Request, region string) string {
	h := req.GetHeader("P-Preferred-Identity")
	if h == nil {
		return ""
	}
	v := strings.Trim(strings.TrimSpace(h.Value()), "<>")
	var u sip.Uri
	if err := sip.ParseUri(v, &u); err != nil {
		return ""
	}
	if n, err := rating.ParseNumber(u.User, region); err == nil {
		return n.E164
	}
	return ""
}

// looksLikeNumber: a + and digits, or seven digits or more.
func looksLikeNumber(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == '-' || r == ' ' || r == '(' || r == ')' || r == '.':
		default:
			return false
		}
	}
	return digits >= 7 || strings.HasPrefix(s, "+") && digits >= 3
}

func (s *Server) port(transport string) int {
	a, _ := s.Addr(strings.ToLower(transport))
	return int(a.Port())
}

// leg is one outgoing INVITE of a ring-all.
type leg struct {
	b      binding
	gw     *webrtcgw.Gateway // a WebRTC phone's
	sess   *sipgo.DialogClientSession
	invite *sip.Request
	res    *sip.Response // final response
	err    error
}

// ringEnd says how a ring-all ended without an answer: the best final
// response of the phones rung, or the caller giving up, or time.
type ringEnd struct {
	code      int
	phrase    string
	cancelled bool // the caller hung up
	timedOut  bool
}

// ringAll sends an INVITE carrying offer to every target at once. The
// first to answer wins and is returned (the others are cancelled, "call
// completed elsewhere"); ringing is called on the first 180 or 183; a
// close of cancelled (the caller hung up) cancels them all.
func (s *Server) ringAll(c *call, targets []binding, offer []byte, contact sip.ContactHeader, ringing func(), cancelled <-chan struct{}) (*leg, ringEnd) {
	clientDialogs := sipgo.NewDialogClientCache(s.client, contact)
	ringCtx, stopRinging := context.WithCancel(context.Background())
	defer stopRinging()
	results := make(chan *leg, len(targets))
	var mu sync.Mutex
	var legs []*leg
	winner := make(chan *leg, 1)
	var provisional sync.Once
	var won *leg
	defer func() { // the gateways of the legs that did not win
		mu.Lock()
		defer mu.Unlock()
		for _, l := range legs {
			if l != won && l.gw != nil {
				l.gw.Close()
			}
		}
	}()
	for _, b := range targets {
		l := &leg{b: b}
		body := offer
		if b.ICE {
			if bytes.Contains(offer, []byte("a=crypto:")) {
				// SDES keys pass the relay end to end; a WebRTC phone
				// has its own (DTLS) and could not read the caller's
				// packets.
				s.log.Warn("switchboard: an SDES-encrypted call cannot ring a WebRTC phone", "device", b.Device)
				continue
			}
			ip, _ := netip.ParseAddr(contact.Address.Host)
			gw, webOffer, err := s.offerWebRTC(ip, offer)
			if err != nil {
				s.log.Warn("switchboard: offering WebRTC", "device", b.Device, "err", err)
				continue
			}
			l.gw, body = gw, webOffer
		}
		inv := sip.NewRequest(sip.INVITE, b.Contact)
		inv.SetDestination(b.Source.String())
		inv.SetTransport(b.Transport)
		fromParams := sip.NewParams()
		fromParams.Add("tag", sip.GenerateTagN(16))
		fromUser, display := c.caller.Extension, c.caller.Extension
		if b.From != "" {
			fromUser, display = b.From, b.From // off the network: the caller's number
		}
		var auth sipgo.AnswerOptions
		if ta := s.trunkAuth(); b.Trunk && ta != nil && ta.User != "" {
			// The carrier knows the account; the number goes as identity.
			fromUser = ta.User
			auth.Username, auth.Password = ta.User, ta.Password
			inv.AppendHeader(sip.NewHeader("P-Asserted-Identity", fmt.Sprintf("<sip:%s@%s>", display, contact.Address.Host)))
		}
		inv.AppendHeader(&sip.FromHeader{DisplayName: display, Address: sip.Uri{Scheme: "sip", User: fromUser, Host: contact.Address.Host},
			Params: fromParams})
		inv.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: b.Device, Host: b.Contact.Host, Port: b.Contact.Port}})
		callID := sip.CallIDHeader(newID())
		inv.AppendHeader(&callID)
		if !strings.EqualFold(b.Transport, contact.Address.UriParams.GetOr("transport", "udp")) && !b.Trunk {
			// The phone answers (BYE, re-INVITE) over its own transport:
			// name the switchboard's address on that one.
			ct := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: contact.Address.User, Host: contact.Address.Host,
				Port: s.port(b.Transport), UriParams: sip.NewParams()}}
			ct.Address.UriParams.Add("transport", strings.ToLower(b.Transport))
			inv.AppendHeader(ct)
		}
		inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		if strings.HasPrefix(c.to, "+") && !b.Trunk {
			// Which of the callee's lines was dialled (RFC 3455).
			inv.AppendHeader(sip.NewHeader("P-Called-Party-ID", fmt.Sprintf("<sip:%s@%s>", c.to, contact.Address.Host)))
		}
		inv.SetBody(body)
		l.invite = inv
		mu.Lock()
		legs = append(legs, l)
		mu.Unlock()
		s.calls.add(c, string(callID))
		go func() {
			sess, err := clientDialogs.WriteInvite(ringCtx, inv)
			if err != nil {
				l.err = err
				results <- l
				return
			}
			l.sess = sess
			err = sess.WaitAnswer(context.Background(), sipgo.AnswerOptions{Username: auth.Username, Password: auth.Password, OnResponse: func(res *sip.Response) error {
				if (res.StatusCode == 180 || res.StatusCode == 183) && ringing != nil {
					provisional.Do(ringing)
				}
				return nil
			}})
			l.res, l.err = sess.InviteResponse, err
			if err == nil && l.res != nil && l.res.IsSuccess() && (b.Transport == "WS" || b.Transport == "WSS") {
				// A WebSocket phone's Contact names an .invalid host
				// (RFC 7118): requests in the dialog go back over its
				// connection.
				if ct := l.res.Contact(); ct != nil {
					ct.Address.Host, ct.Address.Port = b.Source.Addr().String(), int(b.Source.Port())
				}
			}
			if err == nil && l.res != nil && l.res.IsSuccess() && l.gw != nil {
				// The rest of the call sees the WebRTC phone's answer as
				// the gateway's plain one.
				var plain *sdp.Description
				var body []byte
				if plain, err = l.gw.Accept(l.res.Body()); err == nil {
					body, err = plain.Marshal()
				}
				if err != nil {
					s.log.Warn("switchboard: a WebRTC phone's answer", "device", b.Device, "err", err)
					l.err = err
					sess.Ack(context.Background())
					sess.Bye(context.Background())
					sess.Close()
				} else {
					l.res.SetBody(body)
				}
			}
			if err == nil && l.res != nil && l.res.IsSuccess() {
				select {
				case winner <- l:
				default: // answered too late: another phone has the call
					sess.Ack(context.Background())
					sess.Bye(context.Background())
					sess.Close()
					l.err = errors.New("answered elsewhere")
				}
			}
			results <- l
		}()
	}
	mu.Lock()
	pending := len(legs)
	mu.Unlock()
	for pending > 0 {
		select {
		case w := <-winner:
			won = w
			s.cancelLegs(legs, &mu, w, 200, "Call completed elsewhere")
			if w.gw != nil {
				c.gwB = w.gw
			}
			return w, ringEnd{}
		case l := <-results:
			if l.err == nil && l.res != nil && l.res.IsSuccess() {
				continue // the winner arrives on its own channel
			}
			pending--
		case <-cancelled:
			s.cancelLegs(legs, &mu, nil, 487, "caller hung up")
			return nil, ringEnd{cancelled: true}
		case <-time.After(2 * time.Minute):
			s.cancelLegs(legs, &mu, nil, 480, "no answer")
			return nil, ringEnd{code: 480, phrase: "Temporarily Unavailable", timedOut: true}
		}
	}
	end := ringEnd{code: 480, phrase: "Temporarily Unavailable"}
	for _, l := range legs {
		if l.res != nil && l.res.StatusCode >= 400 && (end.code == 480 || l.res.StatusCode == 486 || l.res.StatusCode == 600) {
			end.code, end.phrase = l.res.StatusCode, l.res.Reason
		}
	}
	return nil, end
}

// disposition names how a ring-all that nobody answered ended.
func (e ringEnd) disposition() records.Disposition {
	switch e.code {
	case 486, 600, 603:
		return records.Busy
	case 480, 408:
		return records.Missed
	}
	return records.Failed
}

// ring sends the INVITE to every phone of the callee at once; the first
// 2xx is bridged, the rest are cancelled ("answered elsewhere").
func (s *Server) ring(c *call, req *sip.Request, tx sip.ServerTransaction, targets []binding, offer []byte, contact sip.ContactHeader) {
	cancelled := make(chan struct{})
	var cancelOnce sync.Once
	tx.OnCancel(func(*sip.Request) { cancelOnce.Do(func() { close(cancelled) }) })
	won, end := s.ringAll(c, targets, offer, contact, func() { c.a.Respond(180, "Ringing", nil) }, cancelled)
	switch {
	case end.cancelled:
		c.setEnd(records.Missed, "487 the caller hung up")
		s.finish(c)
		return // sipgo answers the INVITE with 487
	case won == nil:
		tx.Respond(sip.NewResponseFromRequest(req, end.code, end.phrase, nil))
		if end.timedOut {
			c.setEnd(records.Missed, "480 no answer")
		} else {
			c.setEnd(end.disposition(), fmt.Sprintf("%d %s", end.code, end.phrase))
		}
		s.finish(c)
		return
	}
	c.b = won.sess
	c.setEnd(records.Answered, "")
	if err := won.sess.Ack(context.Background()); err != nil {
		s.log.Warn("switchboard: ACK to the answering phone", "err", err)
	}
	aRTP, aRTCP := c.relay.a.ports()
	answer, bMedia, err := rewriteSDP(won.res.Body(), c.relay.ip, aRTP, aRTCP)
	if err != nil {
		won.sess.Bye(context.Background())
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		s.finish(c)
		return
	}
	c.relay.b.setPeer(bMedia)
	if c.recordOn != "" && s.cfg.VoicemailDir != "" {
		if c.relay.rec = newRecorder(answer, 4*time.Hour); c.relay.rec != nil {
			c.relay.prepareOverlays(answer)
			c.relay.toCaller.play(RecordingNotice)
			c.relay.toCallee.play(RecordingNotice)
		} else {
			s.log.Warn("switchboard: this call cannot be recorded (encrypted, or a codec not decoded here)", "call", c.id)
		}
	}
	c.relay.start() // after the recorder is in place: the pipes read it
	c.mu.Lock()
	c.answered = s.cfg.Now()
	c.mu.Unlock()
	if c.bill != nil {
		if c.relay.rec == nil { // (else prepared above)
			c.relay.prepareOverlays(answer)
		}
		go s.meter(c)
	}
	if err := c.a.RespondSDP(answer); err != nil {
		if c.a.Context().Err() == nil { // (not just a BYE overtaking its ACK)
			s.log.Warn("switchboard: answering the caller", "err", err)
		}
		s.hangup(c, nil)
		return
	}
	// Either side hanging up ends the other; so does a WebRTC leg's
	// connection failing (the phone is gone without a BYE).
	go func() {
		select {
		case <-c.a.Context().Done():
			c.setEnd("", "the caller hung up")
			s.hangup(c, c.a)
		case <-c.b.Context().Done():
			c.setEnd("", "the callee hung up")
			s.hangup(c, c.b)
		case <-failed(c.gwA):
			c.setEnd("", "the caller's WebRTC connection failed")
			s.hangupWith(c, nil, reasonHeader(408, "The WebRTC connection failed"))
		case <-failed(c.gwB):
			c.setEnd("", "the callee's WebRTC connection failed")
			s.hangupWith(c, nil, reasonHeader(408, "The WebRTC connection failed"))
		case <-c.done:
		}
	}()
}

// cancelLegs cancels every ringing leg but the winner, with a Reason.
func (s *Server) cancelLegs(legs []*leg, mu *sync.Mutex, winner *leg, cause int, text string) {
	mu.Lock()
	defer mu.Unlock()
	for _, l := range legs {
		if l == winner || l.res != nil && !l.res.IsProvisional() {
			continue
		}
		cancel := cancelFor(l.invite, reasonHeader(cause, text))
		ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := s.client.Do(ctx, cancel, func(*sipgo.Client, *sip.Request) error { return nil })
		stop()
		if err != nil || res.StatusCode != 200 {
			s.log.Debug("switchboard: CANCEL", "err", err, "res", res)
		}
	}
}

// cancelFor builds the CANCEL of an INVITE (RFC 3261 9.1), with a Reason.
func cancelFor(inv *sip.Request, reason string) *sip.Request {
	c := sip.NewRequest(sip.CANCEL, inv.Recipient)
	if v := inv.Via(); v != nil {
		c.AppendHeader(sip.HeaderClone(v))
	}
	for _, h := range []sip.Header{inv.From(), inv.To(), inv.CallID()} {
		if h != nil {
			c.AppendHeader(sip.HeaderClone(h))
		}
	}
	for _, h := range inv.GetHeaders("Route") {
		c.AppendHeader(sip.HeaderClone(h))
	}
	c.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	c.AppendHeader(sip.NewHeader("Max-Forwards", "70"))
	c.AppendHeader(sip.NewHeader("Reason", reason))
	c.SetDestination(inv.Destination())
	c.SetTransport(inv.Transport())
	c.SetBody(nil)
	return c
}

// hangup ends a bridged call: BYE to whichever leg did not hang up.
func (s *Server) hangup(c *call, from any) { s.hangupWith(c, from, "") }

// hangupWith ends a call, giving reason (an RFC 3326 Reason value) in the
// BYEs when not empty.
func (s *Server) hangupWith(c *call, from any, reason string) {
	c.once.Do(func() {
		close(c.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if c.a != nil && from != c.a {
			bye := sip.NewRequest(sip.BYE, c.a.InviteRequest.Contact().Address)
			if reason != "" {
				bye.AppendHeader(sip.NewHeader("Reason", reason))
			}
			c.a.WriteBye(ctx, bye)
		}
		if c.b != nil && from != c.b {
			bye := sip.NewRequest(sip.BYE, c.b.InviteResponse.Contact().Address)
			if reason != "" {
				bye.AppendHeader(sip.NewHeader("Reason", reason))
			}
			c.b.WriteBye(ctx, bye)
		}
		s.finish(c)
	})
}

// finish releases a call's relay, settles its bill and forgets it.
func (s *Server) finish(c *call) {
	var talk time.Duration
	c.mu.Lock()
	if !c.answered.IsZero() {
		talk = s.cfg.Now().Sub(c.answered)
	}
	c.mu.Unlock()
	s.endBill(c, talk)
	for _, gw := range []*webrtcgw.Gateway{c.gwA, c.gwB} {
		if gw != nil {
			gw.Close()
		}
	}
	s.keepRecording(c)
	if c.selfRecorded {
		return
	}
	c.setEnd(records.Failed, "not connected") // only where nothing was said before
	c.mu.Lock()
	d, cause := c.disposition, c.cause
	c.mu.Unlock()
	s.record(c, d, cause)
	if c.relay != nil {
		c.relay.close()
	}
	if c.a != nil {
		c.a.Close()
	}
	if c.b != nil {
		c.b.Close()
	}
	s.calls.remove(c)
}

// onAck passes the caller's ACK to its dialog.
func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.find(req.CallID().Value())
	if c == nil || c.a == nil {
		return
	}
	c.a.ReadAck(req, tx)
}

// onBye ends the call the BYE belongs to, on either leg.
func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.find(req.CallID().Value())
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	if c.a != nil && req.CallID().Value() == c.a.InviteRequest.CallID().Value() {
		c.setEnd("", "the caller hung up")
		c.a.ReadBye(req, tx)
		s.hangup(c, c.a)
		return
	}
	if c.b != nil {
		c.setEnd("", "the callee hung up")
		c.b.ReadBye(req, tx)
		s.hangup(c, c.b)
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}

// onReinvite carries a re-INVITE (hold, resume) across the bridge: the
// offer goes to the other leg pointing at the relay, its answer comes
// back the same way.
func (s *Server) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.find(req.CallID().Value())
	if c == nil || c.a == nil || c.b == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	if c.relay == nil { // bridged through the switchboard's own media (a menu's call)
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	fromA := req.CallID().Value() == c.a.InviteRequest.CallID().Value()
	in, out := &c.relay.a, &c.relay.b
	gwIn, gwOut := c.gwA, c.gwB // WebRTC legs speak through their gateways
	if !fromA {
		in, out = out, in
		gwIn, gwOut = gwOut, gwIn
	}
	outRTP, outRTCP := out.ports()
	offer, m, err := across(req.Body(), gwIn, gwOut, c.relay.ip, outRTP, outRTCP)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	in.setPeer(m)
	fwd := sip.NewRequest(sip.INVITE, sip.Uri{})
	fwd.SetBody(offer)
	fwd.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res *sip.Response
	if fromA {
		fwd.Recipient = c.b.InviteResponse.Contact().Address
		res, err = c.b.Do(ctx, fwd)
		if err == nil && res.IsSuccess() {
			ack := sip.NewRequest(sip.ACK, fwd.Recipient)
			c.b.WriteRequest(ack)
		}
	} else {
		fwd.Recipient = c.a.InviteRequest.Contact().Address
		res, err = c.a.Do(ctx, fwd)
		if err == nil && res.IsSuccess() {
			ack := sip.NewRequest(sip.ACK, fwd.Recipient)
			c.a.WriteRequest(ack)
		}
	}
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	if !res.IsSuccess() {
		tx.Respond(sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, nil))
		return
	}
	inRTP, inRTCP := in.ports()
	answer, am, err := across(res.Body(), gwOut, gwIn, c.relay.ip, inRTP, inRTCP)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	out.setPeer(am)
	ok := sip.NewSDPResponseFromRequest(req, answer)
	ok.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "switchboard", Host: c.relay.ip.String(), Port: s.port(req.Transport())}})
	tx.Respond(ok)
}
