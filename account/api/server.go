// Package api is the switchboard's account API over HTTP/JSON, and its Go
// client: sign-in, per-device SIP credentials, the balance. Every request
// is validated at the door; errors come back as
// {"error": {"code": "...", "message": "..."}} with a 4xx status.
package api

import (
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
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
)

// Config wires the API to the account's state.
type Config struct {
	Users   team.Store
	Billing *billing.Engine
	Records records.Store // call and message records; nil: none served
	// DataDir is where voicemail recordings live (their paths are
	// relative to it).
	DataDir string
	Realm   string // the switchboard's digest realm
	// SIP lists the switchboard's SIP addresses by transport ("udp" ->
	// "127.0.0.1:5060"), for phones to register to.
	SIP        map[string]string
	SessionTTL time.Duration // 12 h by default
	Log        *slog.Logger
	Now        func() time.Time
}

// Server serves the API.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	mu       sync.Mutex
	sessions map[string]session
	failures map[string][]time.Time // by email
}

type session struct {
	email   string
	expires time.Time
}

// Sign-in lockout: this many failures within lockWindow lock the email
// out for lockFor.
const (
	lockAfter  = 5
	lockWindow = 15 * time.Minute
	lockFor    = 15 * time.Minute
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
	s := &Server{cfg: cfg, mux: http.NewServeMux(), sessions: map[string]session{}, failures: map[string][]time.Time{}}
	s.mux.HandleFunc("POST /v1/session", s.signIn)
	s.mux.HandleFunc("DELETE /v1/session", s.auth(s.signOut))
	s.mux.HandleFunc("GET /v1/me", s.auth(s.me))
	s.mux.HandleFunc("POST /v1/devices", s.auth(s.newDevice))
	s.mux.HandleFunc("DELETE /v1/devices/{username}", s.auth(s.deleteDevice))
	s.mux.HandleFunc("GET /v1/balance", s.auth(s.balance))
	s.mux.HandleFunc("GET /v1/voicemails", s.auth(s.voicemails))
	s.mux.HandleFunc("PATCH /v1/voicemails/{id}", s.auth(s.markVoicemail))
	s.mux.HandleFunc("GET /v1/voicemails/{id}/audio", s.auth(s.voicemailAudio))
	s.mux.HandleFunc("GET /v1/calls", s.auth(s.calls))
	return s
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
}

func info(u team.User) UserInfo {
	return UserInfo{Email: u.Email, Account: u.Account, Role: string(u.Role), Extension: u.Extension}
}

func (s *Server) locked(email string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	recent := s.failures[email][:0]
	for _, t := range s.failures[email] {
		if now.Sub(t) < lockWindow {
			recent = append(recent, t)
		}
	}
	s.failures[email] = recent
	return len(recent) >= lockAfter && now.Sub(recent[len(recent)-1]) < lockFor
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
	if s.locked(email) {
		writeErr(w, http.StatusTooManyRequests, "locked", "too many failed sign-ins; try again in %d minutes", int(lockFor.Minutes()))
		return
	}
	hash, err := s.cfg.Users.PasswordHash(r.Context(), email)
	if err != nil && !errors.Is(err, team.ErrNotFound) {
		writeErr(w, http.StatusInternalServerError, "internal", "could not check the password")
		return
	}
	if err != nil || !team.CheckPassword(hash, req.Password) {
		if err != nil {
			team.CheckPassword(dummyHash(), req.Password) // the same work for unknown emails
		}
		s.mu.Lock()
		s.failures[email] = append(s.failures[email], s.cfg.Now())
		s.mu.Unlock()
		writeErr(w, http.StatusUnauthorized, "bad_credentials", "the email or the password is wrong")
		return
	}
	u, err := s.cfg.Users.User(r.Context(), email)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not read the user")
		return
	}
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	exp := s.cfg.Now().Add(s.cfg.SessionTTL)
	if err := s.cfg.Users.SaveSession(r.Context(), hashToken(token), email, exp); err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not keep the session")
		return
	}
	s.mu.Lock()
	s.sessions[token] = session{email: email, expires: exp}
	delete(s.failures, email)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, Session{Token: token, Expires: exp, User: info(u)})
}

// dummyHash is checked against for unknown emails, so a sign-in takes as
// long whether or not the email exists.
var dummyHash = sync.OnceValue(func() string {
	h, _ := team.HashPassword("no such user, no such password")
	return h
})

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, _ team.User) {
	token, _ := r.Context().Value(userKey{}).(string)
	s.mu.Lock()
	delete(s.sessions, token)
	s.mu.Unlock()
	s.cfg.Users.DeleteSession(r.Context(), hashToken(token))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request, u team.User) {
	writeJSON(w, http.StatusOK, info(u))
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
}

func (s *Server) newDevice(w http.ResponseWriter, r *http.Request, u team.User) {
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
		writeErr(w, http.StatusInternalServerError, "internal", "could not keep the device")
		return
	}
	writeJSON(w, http.StatusCreated, DeviceCredentials{Username: d.Username, Password: pw, Realm: d.Realm, SIP: s.cfg.SIP})
}

func (s *Server) deleteDevice(w http.ResponseWriter, r *http.Request, u team.User) {
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
type BalanceInfo struct {
	Currency  string `json:"currency"`
	Posted    string `json:"posted"`
	Reserved  string `json:"reserved"`
	Available string `json:"available"`
}

func (s *Server) balance(w http.ResponseWriter, r *http.Request, u team.User) {
	b, err := s.cfg.Billing.Balance(r.Context(), u.Account)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not read the balance")
		return
	}
	writeJSON(w, http.StatusOK, BalanceInfo{Currency: b.Currency, Posted: b.Posted.StringFixed(4), Reserved: b.Reserved.StringFixed(4),
		Available: b.Available.StringFixed(4)})
}

// hashToken is what the store keeps of a session token: its SHA-256, so a
// copy of the database signs nobody in.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
