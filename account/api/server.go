// Package api is the switchboard's account API over HTTP/JSON, and its Go
// client: sign-in, per-device SIP credentials, the balance. Every request
// is validated at the door; errors come back as
// {"error": {"code": "...", "message": "..."}} with a 4xx status.
package api

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/catalog"
	"github.com/tetherphone/tether/account/crm"
	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
)

// Config wires the API to the account's state.
type Config struct {
	Users   team.AdminStore
	Billing *billing.Engine
	Records records.Store // call and message records; nil: none served
	// DataDir is where voicemail recordings live (their paths are
	// relative to it).
	DataDir string
	Realm   string // the switchboard's digest realm
	// SIP lists the switchboard's SIP addresses by transport ("udp" ->
	// "127.0.0.1:5060"), for phones to register to.
	SIP map[string]string
	// PhoneMedia is how the switchboard wants phones to carry calls:
	// "rtp" (plain RTP over UDP; the default) or "webrtc" (SIP over a ws
	// or wss listener, ICE and DTLS-SRTP media). ICE lists the STUN and
	// TURN servers WebRTC phones should use, as phonectl's --ice takes
	// them.
	PhoneMedia string
	ICE        []string
	SessionTTL time.Duration // 12 h by default
	// Catalog is where numbers are bought (catalog.Sandbox when nil).
	Catalog catalog.Provider
	// FreeNumbers is how many numbers an account has without a monthly
	// price (2 when 0).
	FreeNumbers int
	// InviteTTL is how long an invitation stays good (7 days when 0).
	InviteTTL time.Duration
	// Webhooks receives payment processors' events by path
	// ("/v1/webhooks/stripe"); nil for none.
	Webhooks map[string]http.Handler
	Log      *slog.Logger
	Now      func() time.Time
	// HashSlots is how many password hashes may run at once (0: one per
	// CPU); each holds 64 MiB while it runs.
	HashSlots int
	// KeyPerMinute and KeyBurst are each API key's request budget:
	// KeyPerMinute on average, KeyBurst at once (0: 600 and 40). Past it:
	// 429 with Retry-After.
	KeyPerMinute int
	KeyBurst     int
	// Presence tells who of an account is online or on a call (the
	// switchboard's view); nil: the team is listed without it.
	Presence Presence
	// Dialer places click-to-call calls (POST /v1/calls); nil: 503.
	Dialer Dialer
	// CRM connects accounts' CRMs (Settings > Integrations); nil: none.
	CRM *crm.Sync
	// Mail sends sign-up codes and invitations; nil: none are emailed
	// (invitation tokens are still shown to whoever invites).
	Mail mail.Sender
	// SignupClosed refuses self-serve sign-up: the operator opens
	// accounts (switchboard accounts create).
	SignupClosed bool
	// PublicURL is the API's address as people outside reach it, for the
	// links emails carry ("" leaves it out).
	PublicURL string
	// WebhooksAnywhere lets webhooks post over plain http and to private
	// addresses (tests, closed networks); otherwise https to the internet
	// only.
	WebhooksAnywhere bool
}

// Presence is who of an account is "online" or "on a call", by email.
type Presence interface {
	Presence(account string) map[string]string
}

// Server serves the API.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	routes   []Route
	mu       sync.Mutex
	sessions map[string]session

	hashing *hashGate   // password hashes at once
	tries   *addrLimits // sign-ins and invitation answers per source address
	locks   *lockouts   // failed sign-ins per source address and email
	keys    *keyLimits  // each API key's request budget
}

type session struct {
	email   string
	expires time.Time
}

// Sign-in lockout: this many failures from one address within lockWindow
// lock the email out, for that address, for lockFor. Each address gets
// triesBurst sign-ins (or invitation answers) at once, then one more per
// triesEvery.
const (
	lockAfter  = 5
	lockWindow = 15 * time.Minute
	lockFor    = 15 * time.Minute
	triesBurst = 60
	triesEvery = time.Second
	maxBody    = 64 << 10
)

// New returns the API's handler.
func New(cfg Config) *Server {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Catalog == nil {
		cfg.Catalog = catalog.Sandbox{}
	}
	if cfg.FreeNumbers == 0 {
		cfg.FreeNumbers = 2
	}
	if cfg.InviteTTL <= 0 {
		cfg.InviteTTL = 7 * 24 * time.Hour
	}
	if cfg.HashSlots <= 0 {
		cfg.HashSlots = runtime.NumCPU()
	}
	if cfg.KeyPerMinute <= 0 {
		cfg.KeyPerMinute = 600
	}
	if cfg.KeyBurst <= 0 {
		cfg.KeyBurst = 40
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), sessions: map[string]session{},
		hashing: newHashGate(cfg.HashSlots, 8*cfg.HashSlots, 5*time.Second),
		tries:   newAddrLimits(triesEvery, triesBurst, cfg.Now),
		locks:   newLockouts(lockAfter, lockWindow, lockFor, cfg.Now),
		keys:    newKeyLimits(cfg.KeyPerMinute, cfg.KeyBurst)}
	s.public("POST /v1/session", s.signIn)
	s.public("POST /v1/invitations/accept", s.acceptInvitation)
	s.public("POST /v1/signup", s.signUp)
	s.public("GET /v1/plans", s.plans)
	s.public("GET /v1/openapi.json", serveOpenAPI)
	s.public("GET /v1/integrations/oauth/callback", s.oauthCallback)
	s.public("GET /v1/recordings/{id}", s.signedRecording)
	for _, path := range slices.Sorted(maps.Keys(cfg.Webhooks)) {
		s.public("POST "+path, cfg.Webhooks[path].ServeHTTP)
	}
	s.handle("DELETE /v1/session", "", s.signOut)
	s.handle("GET /v1/me", "", s.me)
	s.handle("GET /v1/account", "", s.account)
	s.handle("PATCH /v1/account", team.ManageAccount, s.setAccount)
	s.handle("POST /v1/account/verify", "", s.verify)
	s.handle("POST /v1/account/verify/resend", "", s.resendCode)
	s.handle("GET /v1/devices", "", s.devices)
	s.handle("POST /v1/devices", "", s.newDevice)
	s.handle("DELETE /v1/devices/{username}", "", s.deleteDevice)
	s.handle("GET /v1/balance", "", s.balance)
	s.handle("GET /v1/quote", team.Calls, s.quote)

	s.handle("GET /v1/credits/transactions", team.ViewBilling, s.transactions)
	s.handle("GET /v1/credits/usage", team.ViewBilling, s.usage)
	s.handle("POST /v1/credits", team.ManageBilling, s.addCredits)
	s.handle("GET /v1/card", team.ViewBilling, s.card)
	s.handle("PUT /v1/card", team.ManageBilling, s.saveCard)
	s.handle("GET /v1/topup", team.ViewBilling, s.topUp)
	s.handle("PUT /v1/topup", team.ManageBilling, s.setTopUp)
	s.handle("GET /v1/topup/history", team.ViewBilling, s.topUpHistory)
	s.handle("GET /v1/subscription", team.ViewBilling, s.subscription)
	s.handle("PUT /v1/subscription/plan", team.ManageBilling, s.changePlan)
	s.handle("GET /v1/receipts", team.ViewBilling, s.receipts)
	s.handle("GET /v1/receipts/{id}", team.ViewBilling, s.receipt)

	s.handle("GET /v1/numbers", "", s.numbers)
	s.handle("GET /v1/numbers/search", team.ManageNumbers, s.searchNumbers)
	s.handle("POST /v1/numbers", team.ManageNumbers, s.buyNumber)
	s.handle("GET /v1/numbers/{number}", "", s.number)
	s.handle("PATCH /v1/numbers/{number}", team.ManageNumbers, s.numberSettings)
	s.handle("PUT /v1/numbers/{number}/members", team.ManageNumbers, s.numberMembers)
	s.handle("PUT /v1/numbers/{number}/greeting", team.ManageNumbers, s.putGreeting)
	s.handle("DELETE /v1/numbers/{number}/greeting", team.ManageNumbers, s.deleteGreeting)
	s.handle("GET /v1/numbers/{number}/greeting", team.ManageNumbers, s.getGreeting)
	s.handle("DELETE /v1/numbers/{number}", team.ManageNumbers, s.releaseNumber)

	s.handle("GET /v1/team", "", s.teamList)
	s.handle("GET /v1/team/invitations", team.ManageTeam, s.invitations)
	s.handle("POST /v1/team/invitations", team.ManageTeam, s.invite)
	s.handle("DELETE /v1/team/invitations/{email}", team.ManageTeam, s.revokeInvitation)
	s.handle("POST /v1/team/invitations/{email}/resend", team.ManageTeam, s.resendInvitation)
	s.handle("PATCH /v1/team/{email}", team.ManageTeam, s.changeRole)
	s.handle("DELETE /v1/team/{email}", team.ManageTeam, s.removeUser)
	s.handle("POST /v1/team/transfer-ownership", team.TransferOwnership, s.transferOwnership)
	s.handle("GET /v1/roles", "", s.roles)
	s.handle("PUT /v1/roles/{name}", team.ManageRoles, s.saveRole)
	s.handle("DELETE /v1/roles/{name}", team.ManageRoles, s.deleteRole)

	s.handle("GET /v1/contacts", team.Contacts, s.contacts)
	s.handle("POST /v1/contacts", team.Contacts, s.createContact)
	s.handle("PUT /v1/contacts/{id}", team.Contacts, s.updateContact)
	s.handle("DELETE /v1/contacts/{id}", team.Contacts, s.deleteContact)
	s.handle("GET /v1/dispositions", "", s.dispositions)
	s.handle("PUT /v1/dispositions", team.ManageRoles, s.setDispositions)
	s.handle("PUT /v1/calls/{id}/disposition", team.Dispositions, s.disposeCall)

	s.handle("GET /v1/voicemails", team.Calls, s.voicemails)
	s.handle("PATCH /v1/voicemails/{id}", team.Calls, s.markVoicemail)
	s.handle("GET /v1/voicemails/{id}/audio", team.Calls, s.voicemailAudio)
	s.handle("GET /v1/calls", team.Calls, s.calls)
	s.handle("POST /v1/calls", team.Calls, s.startCall)
	s.handle("GET /v1/calls/{id}/recording", team.Calls, s.callRecording)
	s.handle("GET /v1/messages", team.Messages, s.messages)
	s.handle("GET /v1/audit", team.ViewAudit, s.audit)

	s.handle("POST /v1/keys", team.ManageTeam, s.createKey)
	s.handle("GET /v1/keys", team.ManageTeam, s.listKeys)
	s.handle("DELETE /v1/keys/{id}", team.ManageTeam, s.revokeKey)

	s.handle("GET /v1/integrations", "", s.integrations)
	s.handle("PUT /v1/integrations/{kind}", team.ManageAccount, s.connectCRM)
	s.handle("POST /v1/integrations/{kind}/authorize", team.ManageAccount, s.authorizeCRM)
	s.handle("DELETE /v1/integrations/{kind}", team.ManageAccount, s.disconnectCRM)
	s.handle("GET /v1/integrations/{kind}/contact", team.Calls, s.crmContact)
	s.handle("POST /v1/webhooks", team.ManageAccount, s.createWebhook)
	s.handle("GET /v1/webhooks", team.ManageAccount, s.listWebhooks)
	s.handle("DELETE /v1/webhooks/{id}", team.ManageAccount, s.deleteWebhook)
	s.handle("GET /v1/webhooks/{id}/deliveries", team.ManageAccount, s.webhookDeliveries)
	s.handle("POST /v1/webhooks/{id}/deliveries/{delivery}/replay", team.ManageAccount, s.replayDelivery)
	return s
}

// Route is one endpoint and the permission it needs ("" for any
// signed-in user; Public for no sign-in at all).
type Route struct {
	Method, Path string
	Permission   team.Permission
	Public       bool
}

// Routes lists the API's endpoints, in the order they were added.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

func (s *Server) public(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, Route{Method: method, Path: path, Public: true})
	s.mux.HandleFunc(pattern, h)
}

// handle adds an endpoint for signed-in users holding perm.
func (s *Server) handle(pattern string, perm team.Permission, h func(http.ResponseWriter, *http.Request, caller)) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, Route{Method: method, Path: path, Permission: perm})
	s.mux.HandleFunc(pattern, s.auth(func(w http.ResponseWriter, r *http.Request, u team.User) {
		rights, err := s.rights(r.Context(), u)
		if err != nil {
			writeErr(w, http.StatusInternalServerError, "internal", "could not read your role")
			return
		}
		if k, byKey := keyOf(r.Context()); byKey && perm == "" && r.Method != http.MethodGet {
			// What needs no permission is a person's own business (their
			// session, phones, email code): a key reads it, changes none.
			writeErr(w, http.StatusForbidden, "forbidden", "API key %s cannot do this: it is for the person signed in", k.ID)
			return
		}
		if perm != "" && !rights.Has(perm) {
			if k, byKey := keyOf(r.Context()); byKey {
				writeErr(w, http.StatusForbidden, "forbidden", "API key %s does not carry %s (its scopes: %s)", k.ID, perm, joinPerms(k.Scopes))
				return
			}
			writeErr(w, http.StatusForbidden, "forbidden", "your role (%s) does not allow this (it needs %s)", u.Role, perm)
			return
		}
		c, err := s.cfg.Billing.Customer(r.Context(), u.Account)
		if err != nil {
			writeErr(w, http.StatusInternalServerError, "internal", "could not read your account's settings")
			return
		}
		h(w, r, caller{User: u, Rights: rights, source: source(r), region: cmp.Or(c.Region, rating.DefaultRegion), currency: c.Currency, cust: c})
	}))
}

// caller is who is asking: the user and their rights.
type caller struct {
	team.User
	Rights team.Rights
	source string
	// The account's settings: its region (numbers written without a
	// country code are read as in it) and currency.
	region, currency string
	cust             billing.Customer
}

// can reports whether the caller holds p.
func (c caller) can(p team.Permission) bool { return c.Rights.Has(p) }

// audit returns a context whose next write is logged as action on target.
func (c caller) audit(ctx context.Context, action, target, format string, args ...any) context.Context {
	return team.WithAudit(ctx, c.entry(action, target, format, args...))
}

func (c caller) entry(action, target, format string, args ...any) team.AuditEntry {
	return team.AuditEntry{Account: c.Account, At: time.Now(), Actor: c.Email, Action: action, Target: target,
		Detail: fmt.Sprintf(format, args...), Source: c.source}
}

// source is where a request came from, for the audit log.
func source(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rights reads what u may do: what u's role allows, narrowed to the scopes
// of the API key the request came with, if any.
func (s *Server) rights(ctx context.Context, u team.User) (team.Rights, error) {
	r, err := s.roleRightsOf(ctx, u)
	if k, byKey := keyOf(ctx); byKey && err == nil {
		r = k.Rights(r)
	}
	return r, err
}

func (s *Server) roleRightsOf(ctx context.Context, u team.User) (team.Rights, error) {
	if u.Role.Builtin() {
		return team.Rights{Role: u.Role, Permissions: team.BuiltinPermissions(u.Role)}, nil
	}
	cr, err := s.cfg.Users.Role(ctx, u.Account, string(u.Role))
	if errors.Is(err, team.ErrNotFound) {
		return team.Rights{Role: u.Role}, nil
	}
	return team.Rights{Role: u.Role, Permissions: cr.Permissions}, err
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Error is the API's error body.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("api: %s: %s", e.Code, e.Message) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSON(w, status, map[string]*Error{"error": {Code: code, Message: fmt.Sprintf(format, args...)}})
}

// readJSON decodes a bounded body into v, refusing unknown fields.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeErr(w, http.StatusUnsupportedMediaType, "bad_content_type", "send application/json, not %q", ct)
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeErr(w, http.StatusRequestEntityTooLarge, "too_large", "the body is over %d bytes", maxBody)
		} else {
			writeErr(w, http.StatusBadRequest, "bad_json", "the body is not the expected JSON: %v", err)
		}
		return false
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		writeErr(w, http.StatusBadRequest, "bad_json", "the body holds more than one JSON value")
		return false
	}
	return true
}

type userKey struct{}

// auth lets a request through with a live session token.
func (s *Server) auth(next func(http.ResponseWriter, *http.Request, team.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok && strings.HasPrefix(token, keyPrefix) {
			if u, r, ok := s.keyAuth(w, r, token); ok {
				next(w, r, u)
			}
			return
		}
		s.mu.Lock()
		sess, found := s.sessions[token]
		s.mu.Unlock()
		if !found && ok && token != "" {
			// Signed in before a restart: the store has it.
			if email, exp, err := s.cfg.Users.Session(r.Context(), hashToken(token)); err == nil {
				sess, found = session{email: email, expires: exp}, true
				s.mu.Lock()
				s.sessions[token] = sess
				s.mu.Unlock()
			}
		}
		if found && s.cfg.Now().After(sess.expires) {
			s.mu.Lock()
			delete(s.sessions, token)
			s.mu.Unlock()
			found = false
		}
		if !ok || !found {
			writeErr(w, http.StatusUnauthorized, "not_signed_in", "sign in first (POST /v1/session)")
			return
		}
		u, err := s.cfg.Users.User(r.Context(), sess.email)
		if err != nil {
			writeErr(w, http.StatusUnauthorized, "not_signed_in", "this user no longer exists")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), userKey{}, token)), u)
	}
}

// SignInRequest is POST /v1/session's body.
type SignInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Session is POST /v1/session's answer.
type Session struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
	User    UserInfo  `json:"user"`
}

// UserInfo describes the signed-in user.
type UserInfo struct {
	Email     string `json:"email"`
	Account   string `json:"account"`
	Role      string `json:"role"`
	Extension string `json:"extension"`
	// The account's settings: its region ("US": numbers written without a
	// country code are read as in it) and the currency of its credit.
	Region   string `json:"region,omitempty"`
	Currency string `json:"currency,omitempty"`
	// Permissions are what the user's role allows: the app shows only
	// what they may use (the server checks every request regardless).
	Permissions []team.Permission `json:"permissions,omitempty"`
	Name        string            `json:"name,omitempty"`
	// The account as its people see it: the company's name and time
	// zone, whether the owner has verified the email address (no money
	// moves before), and why it is suspended, when it is.
	AccountName string `json:"account_name,omitempty"`
	Zone        string `json:"zone,omitempty"`
	Verified    bool   `json:"verified"`
	Suspended   string `json:"suspended,omitempty"`
}

func info(u team.User) UserInfo {
	return UserInfo{Email: u.Email, Account: u.Account, Role: string(u.Role), Extension: u.Extension, Name: u.Name}
}

// withAccount fills in what the user sees of their account.
func (ui *UserInfo) withAccount(c billing.Customer) {
	ui.Region, ui.Currency = cmp.Or(c.Region, rating.DefaultRegion), c.Currency
	ui.AccountName, ui.Zone, ui.Verified, ui.Suspended = c.Name, c.Zone, !c.Verified.IsZero(), c.Suspended
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	var req SignInRequest
	if !readJSON(w, r, &req) {
		return
	}
	email, err := team.NormalizeEmail(req.Email)
	if err != nil || req.Password == "" || len(req.Password) > 256 {
		writeErr(w, http.StatusBadRequest, "bad_input", "an email address and a password are needed")
		return
	}
	from := source(r)
	if locked, left := s.locks.locked(from, email); locked {
		retryAfter(w, http.StatusTooManyRequests, left, "locked", "too many failed sign-ins from your address; try again in %d minutes", max(1, int(left.Minutes()+0.5)))
		return
	}
	if !s.mayTry(w, r) {
		return
	}
	hash, err := s.cfg.Users.PasswordHash(r.Context(), email)
	if err != nil && !errors.Is(err, team.ErrNotFound) {
		writeErr(w, http.StatusInternalServerError, "internal", "could not check the password")
		return
	}
	if err != nil {
		hash = dummyHash() // the same work for unknown emails
	}
	var right bool
	if !s.hash(w, r, func() { right = team.CheckPassword(hash, req.Password) }) {
		return
	}
	if err != nil || !right {
		s.locks.fail(from, email)
		writeErr(w, http.StatusUnauthorized, "bad_credentials", "the email or the password is wrong")
		return
	}
	u, err := s.cfg.Users.User(r.Context(), email)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not read the user")
		return
	}
	sess, err := s.startSession(r.Context(), u)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not keep the session")
		return
	}
	s.locks.succeed(from, email)
	writeJSON(w, http.StatusCreated, sess)
}

// startSession signs u in: a new session token, kept (hashed) in the
// store; past team.MaxSessions the oldest sign-ins end.
func (s *Server) startSession(ctx context.Context, u team.User) (Session, error) {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	exp := s.cfg.Now().Add(s.cfg.SessionTTL)
	ended, err := s.cfg.Users.SaveSession(ctx, hashToken(token), u.Email, exp)
	if err != nil {
		return Session{}, err
	}
	s.mu.Lock()
	s.sessions[token] = session{email: u.Email, expires: exp}
	if len(ended) > 0 {
		for tok, sess := range s.sessions {
			if sess.email == u.Email && slices.Contains(ended, hashToken(tok)) {
				delete(s.sessions, tok)
			}
		}
	}
	s.mu.Unlock()
	ui := info(u)
	if rights, err := s.rights(ctx, u); err == nil {
		ui.Permissions = rights.Permissions
	}
	if c, err := s.cfg.Billing.Customer(ctx, u.Account); err == nil {
		ui.withAccount(c)
	}
	return Session{Token: token, Expires: exp, User: ui}, nil
}

// dummyHash is checked against for unknown emails, so a sign-in takes as
// long whether or not the email exists.
var dummyHash = sync.OnceValue(func() string {
	h, _ := team.HashPassword("no such user, no such password")
	return h
})

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, _ caller) {
	token, _ := r.Context().Value(userKey{}).(string)
	s.mu.Lock()
	delete(s.sessions, token)
	s.mu.Unlock()
	s.cfg.Users.DeleteSession(r.Context(), hashToken(token))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request, u caller) {
	ui := info(u.User)
	ui.Permissions = u.Rights.Permissions
	ui.withAccount(u.cust)
	writeJSON(w, http.StatusOK, ui)
}

// DeviceRequest is POST /v1/devices's body.
type DeviceRequest struct {
	Name string `json:"name"`
}

// DeviceCredentials are a phone's SIP credentials, shown once.
type DeviceCredentials struct {
	Username string            `json:"username"`
	Password string            `json:"password"`
	Realm    string            `json:"realm"`
	SIP      map[string]string `json:"sip"` // transport -> HOST:PORT
	// Media is how the switchboard wants this phone to carry calls: "rtp"
	// (register over udp) or "webrtc" (register over ws or wss, with
	// ICE and DTLS-SRTP media, using the ICE servers listed).
	Media string   `json:"media"`
	ICE   []string `json:"ice,omitempty"`
}

func (s *Server) newDevice(w http.ResponseWriter, r *http.Request, u caller) {
	var req DeviceRequest
	if !readJSON(w, r, &req) {
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 64 || strings.ContainsAny(req.Name, "\x00\r\n") {
		writeErr(w, http.StatusBadRequest, "bad_input", "a device needs a name of 1 to 64 characters on one line")
		return
	}
	d, pw := team.NewDevice(u.Email, req.Name, s.cfg.Realm, s.cfg.Now())
	if err := s.cfg.Users.AddDevice(r.Context(), d); err != nil {
		s.fail(w, err, "keep the device")
		return
	}
	media := s.cfg.PhoneMedia
	if media == "" {
		media = "rtp"
	}
	writeJSON(w, http.StatusCreated, DeviceCredentials{Username: d.Username, Password: pw, Realm: d.Realm, SIP: s.cfg.SIP,
		Media: media, ICE: s.cfg.ICE})
}

// DeviceInfo is one of my phones' credentials, without the password.
type DeviceInfo struct {
	Username string    `json:"username"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
}

func (s *Server) devices(w http.ResponseWriter, r *http.Request, u caller) {
	ds, err := s.cfg.Users.Devices(r.Context(), u.Email)
	if err != nil {
		s.fail(w, err, "list the devices")
		return
	}
	out := []DeviceInfo{}
	for _, d := range ds {
		out = append(out, DeviceInfo{Username: d.Username, Name: d.Name, Created: d.Created})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteDevice(w http.ResponseWriter, r *http.Request, u caller) {
	d, err := s.cfg.Users.Device(r.Context(), r.PathValue("username"))
	if err != nil || d.Email != u.Email {
		writeErr(w, http.StatusNotFound, "not_found", "no such device of yours")
		return
	}
	if err := s.cfg.Users.DeleteDevice(r.Context(), d.Username); err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not delete the device")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// BalanceInfo is GET /v1/balance's answer; amounts are decimal strings.
// Everyone sees whether the credit gate is open; the amounts and the
// bundle need billing.view.
type BalanceInfo struct {
	Currency  string      `json:"currency"`
	Gate      string      `json:"gate"` // "open" or "closed"
	Reason    string      `json:"reason,omitempty"`
	Posted    string      `json:"posted,omitempty"`
	Reserved  string      `json:"reserved,omitempty"`
	Available string      `json:"available,omitempty"`
	Display   string      `json:"display,omitempty"` // available, to the cent, for people
	Bundle    *BundleInfo `json:"bundle,omitempty"`
}

// hashToken is what the store keeps of a session token: its SHA-256, so a
// copy of the database signs nobody in.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// PhoneRoute is how a phone with these credentials reaches the
// switchboard: over which transport to which address, with which media.
type PhoneRoute struct {
	Transport string // "udp", "ws", "wss"
	Addr      string // HOST:PORT
	Media     string // "rtp" or "webrtc"
	ICE       []string
}

// Route picks how to register: want is the user's choice ("rtp",
// "webrtc"), or "" to do as the switchboard says. WebRTC goes over ws
// (wss when there is no ws listener), plain RTP over udp.
func (d DeviceCredentials) Route(want string) (PhoneRoute, error) {
	media := want
	if media == "" {
		media = d.Media
	}
	switch media {
	case "", "rtp":
		if d.SIP["udp"] == "" {
			return PhoneRoute{}, fmt.Errorf("the switchboard has no UDP listener for plain RTP phones")
		}
		return PhoneRoute{Transport: "udp", Addr: d.SIP["udp"], Media: "rtp"}, nil
	case "webrtc":
		for _, t := range []string{"ws", "wss"} {
			if a := d.SIP[t]; a != "" {
				return PhoneRoute{Transport: t, Addr: a, Media: "webrtc", ICE: d.ICE}, nil
			}
		}
		return PhoneRoute{}, fmt.Errorf("the switchboard has no WebSocket listener for WebRTC phones")
	}
	return PhoneRoute{}, fmt.Errorf("call media %q: rtp or webrtc", want)
}
