package switchboard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// call is one call through the switchboard, in three concerns: the story
// its record tells, the bridge (the legs and the media between them), and
// a credit-billed call's meter.
type call struct {
	id     string
	caller team.User
	done   chan struct{} // closed when the call ends
	once   sync.Once
	mu     sync.Mutex // guards the story's ending, the meter and the session timers
	// timers are the legs' session timers (0 the caller's, 1 the
	// callee's; sessiontimer.go), and refreshed wakes their watcher.
	timers    [2]sessionTimer
	refreshed chan struct{}
	// calleeEmail is whose phone answered (presence.go).
	calleeEmail string
	story
	bridge
	meterState
}

// newCall starts a call's story: who calls whom, which way, from now.
func (s *Server) newCall(caller team.User, from, to, direction string) *call {
	return &call{id: newID(), caller: caller, done: make(chan struct{}), refreshed: make(chan struct{}, 1), bridge: bridge{swapped: make(chan struct{}, 1)},
		story: story{from: from, to: to, direction: direction, started: s.cfg.Now()}}
}

// story is what the call's record will say: who, whom, when, how it
// ended, and whether and where it was recorded.
type story struct {
	from, to     string
	direction    string
	started      time.Time
	disposition  records.Disposition
	cause        string
	recorded     sync.Once
	selfRecorded bool   // answered by the switchboard itself (voicemail, an announcement), which writes the record
	recordOn     string // the number whose calls are recorded; "" for none
	// voicemailOn is the number whose voicemail takes the call when its
	// members do not answer within Config.NoAnswer (or are busy); nil for
	// none.
	voicemailOn *team.Number
	recording   string // where the recording was written, under VoicemailDir
}

// bridge is the call's two legs and its media: the caller's leg (we
// answer it), the callee's (we placed it), and the relay between them.
type bridge struct {
	a *sipgo.DialogServerSession
	// answeredA: the caller's leg has its 2xx (before, it is ended by an
	// error response, not a BYE).
	answeredA atomic.Bool
	// byeA: the caller was sent its BYE (by whichever of the hangup and
	// the answer's end saw the call over first).
	byeA atomic.Bool
	// answering: the caller's 2xx is out and its ACK awaited.
	answering atomic.Bool
	// b is the answering leg (callee(), setCallee(): a transfer replaces
	// it, under call.mu); swapped wakes the legs' watcher when it does;
	// detached are legs transferred away, whose BYE ends nothing.
	b *sipgo.DialogClientSession
	// a2 takes the caller's place when the caller transferred the call
	// (a leg the switchboard placed); a is then only kept for its BYE.
	a2       *sipgo.DialogClientSession
	swapped  chan struct{}
	detached map[string]*sipgo.DialogClientSession
	relay    *relay
	// mix is the conference the call's media are mixed in, when the
	// call was joined with another (conference.go; under call.mu).
	mix *mixer
	// gwA and gwB are the legs' WebRTC gateways, for WebRTC phones.
	gwA, gwB *webrtcgw.Gateway
	// local is the switchboard's own media on the caller's leg, when it
	// answered the call itself (a menu); onWarn plays the low-credit
	// warning to the caller where there is no relay to do it.
	local     *media.Session
	onWarn    func()
	bridgeRec *recorder // a recorded call the switchboard bridges itself
}

// meterState is a credit-billed call's meter (call.mu guards it).
type meterState struct {
	noted    atomic.Bool    // noted as in progress (live.go)
	noting   sync.WaitGroup // notes being written
	noteMu   sync.Mutex     // one note written at a time, the newest last
	noteSeq  int64          // under mu: notes taken
	noteDone int64          // under noteMu: the newest written
	bill     Metered
	grant    billing.Grant
	answered time.Time
	charge   *billing.Charge
	warned   bool
}

// calls indexes live calls by both legs' Call-IDs.
type calls struct {
	mu     sync.Mutex
	byID   map[string]*call
	active map[*call][]string // each live call's Call-IDs
}

func newCalls() *calls {
	return &calls{byID: map[string]*call{}, active: map[*call][]string{}}
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
	cs.active[c] = append(cs.active[c], ids...)
}

func (cs *calls) find(callID string) *call {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.byID[callID]
}

func (cs *calls) remove(c *call) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, id := range cs.active[c] {
		if cs.byID[id] == c {
			delete(cs.byID, id)
		}
	}
	delete(cs.active, c)
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
	// The call's setup counts as work until it rings (or is answered by
	// the switchboard itself): then it waits on people, not on us.
	release, ok := s.admit(req, tx)
	if !ok {
		return
	}
	defer release()
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
			s.record(s.newCall(caller, caller.Extension, req.Recipient.User, "internal"), records.Refused, refusedCause(err))
			s.refuseForCredit(req, tx, err)
			return
		}
	}
	tx, gw, ok := s.acceptWebRTC(req, tx)
	if !ok {
		return
	}
	c := s.newCall(caller, caller.Extension, req.Recipient.User, "internal")
	c.gwA = gw
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
			release()
			s.voicemail(req, tx, *num, caller)
			return
		case team.RouteMenu:
			release()
			s.menuCall(req, tx, *num, c)
			return
		case team.RouteForward:
			release()
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
		if num == nil && len(users) == 1 {
			// A teammate, however dialled ("rep", an email): the record
			// names their extension, as their history looks for it.
			c.to = users[0].Extension
		}
	}
	if num != nil && num.Voicemail && s.cfg.VoicemailDir != "" {
		if len(targets) == 0 { // nobody online to ring: straight to voicemail
			release()
			s.voicemail(req, tx, *num, caller)
			return
		}
		c.voicemailOn = num
	}
	if len(targets) == 0 {
		tx.Respond(sip.NewResponseFromRequest(req, 480, "Temporarily Unavailable", nil))
		return
	}
	release()
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

// refuseForCredit answers the gate's refusal: 402 for credit, 403 for a
// suspended account, with its reason in a Reason header.
func (s *Server) refuseForCredit(req *sip.Request, tx sip.ServerTransaction, err error) {
	text, status := err.Error(), 402
	if ce := (*billing.CreditError)(nil); errors.As(err, &ce) {
		text, status = ce.Reason, ce.Status() // what the user reads, without the error chain
	}
	res := sip.NewResponseFromRequest(req, status, phrases[status], nil)
	res.AppendHeader(sip.NewHeader("Reason", reasonHeader(status, text)))
	tx.Respond(res)
}

// refusedCause is a call record's cause for the gate's refusal.
func refusedCause(err error) string {
	if errors.Is(err, billing.ErrSuspended) {
		return "403 the account is suspended"
	}
	return "402 the account has no credit"
}

var errNoRoute = errors.New("switchboard: no route")

// phrases are the reason phrases of the refusals startBilled gives.
var phrases = map[int]string{402: "Payment Required", 403: "Forbidden", 404: "Not Found", 488: "Not Acceptable Here", 500: "Server Internal Error", 503: "Service Unavailable"}

// route finds what a dialled user part means: a teammate (extension
// "102", or name "rep"), one of the caller's account's numbers (its
// members), or a number outside (returned as E.164 for the trunk), which
// another company's numbers on this switchboard are too.
//
// For one of the account's numbers it also returns the number (its
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
		if team.AnswersTo(u.Email, dialled) {
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
	if num, err := s.cfg.Directory.Number(ctx, n.E164); err == nil && num.Account == caller.Account {
		var out []team.User
		for _, m := range num.Members {
			if u, err := s.cfg.Directory.User(ctx, m); err == nil {
				out = append(out, u)
			}
		}
		return out, "", &num, nil
	}
	// Anything else, another company's numbers on this switchboard too,
	// is an outside number: reached through the trunk, as anyone outside
	// would reach it (a carrier brings it back in as an inbound call).
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

// onAck passes the caller's ACK to its dialog.
func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := s.calls.find(req.CallID().Value())
	if c == nil || c.a == nil {
		return
	}
	c.a.ReadAck(req, tx)
}

// callee is the call's answering leg now.
func (c *call) callee() *sipgo.DialogClientSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b
}

// setCallee makes b the answering leg.
func (c *call) setCallee(b *sipgo.DialogClientSession) {
	c.mu.Lock()
	c.b = b
	c.mu.Unlock()
	select {
	case c.swapped <- struct{}{}:
	default:
	}
}

// detachedLeg returns (and forgets) the leg transferred away whose
// Call-ID is callID, if any.
func (c *call) detachedLeg(callID string) *sipgo.DialogClientSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.detached[callID]
	delete(c.detached, callID)
	return old
}

// forget drops one of a call's Call-IDs (a leg transferred away and hung
// up), if it still names the call.
func (cs *calls) forget(c *call, id string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.byID[id] == c {
		delete(cs.byID, id)
	}
	ids := cs.active[c]
	for i, x := range ids {
		if x == id {
			cs.active[c] = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
}

// callerStand is the leg in the caller's place when the caller
// transferred the call away, else nil (the caller's own leg, a).
func (c *call) callerStand() *sipgo.DialogClientSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.a2
}
