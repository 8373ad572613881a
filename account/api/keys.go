package api

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherphone/tether/account/team"
)

// KeyRequest is POST /v1/keys's body: what the key is for, and the
// permissions it carries (each one the maker holds).
type KeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// KeyInfo describes an API key. Secret is there once, in the answer that
// made it: it goes in Authorization: Bearer, and is never shown again.
type KeyInfo struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Owner    string     `json:"owner"`
	Scopes   []string   `json:"scopes"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"last_used,omitempty"`
	Revoked  *time.Time `json:"revoked,omitempty"`
	Secret   string     `json:"secret,omitempty"`
}

// keyPrefix starts every key's secret: a session token never does.
const keyPrefix = "tk_"

func keyInfo(k team.Key) KeyInfo {
	info := KeyInfo{ID: k.ID, Name: k.Name, Owner: k.Owner, Created: k.Created}
	for _, p := range k.Scopes {
		info.Scopes = append(info.Scopes, string(p))
	}
	if !k.LastUsed.IsZero() {
		t := k.LastUsed
		info.LastUsed = &t
	}
	if !k.Revoked.IsZero() {
		t := k.Revoked
		info.Revoked = &t
	}
	return info
}

type keyCtx struct{}

// keyOf is the API key a request came with, if it came with one.
func keyOf(ctx context.Context) (team.Key, bool) {
	k, ok := ctx.Value(keyCtx{}).(team.Key)
	return k, ok
}

// keyLimits holds each key's request budget: a token bucket per key, so
// one busy script cannot starve the account's people or other keys.
type keyLimits struct {
	mu     sync.Mutex
	every  rate.Limit
	burst  int
	limits map[string]*rate.Limiter
	// touched is when each key's use was last written down: at most
	// once a minute, not on every request.
	touched map[string]time.Time
}

func newKeyLimits(perMinute, burst int) *keyLimits {
	return &keyLimits{every: rate.Every(time.Minute / time.Duration(perMinute)), burst: burst, limits: map[string]*rate.Limiter{}, touched: map[string]time.Time{}}
}

// allow takes one request from the key's budget, or says how long until
// there is one.
func (l *keyLimits) allow(id string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	lim := l.limits[id]
	if lim == nil {
		lim = rate.NewLimiter(l.every, l.burst)
		l.limits[id] = lim
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// touch reports whether the key's use should be written down now.
func (l *keyLimits) touch(id string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.touched[id]) < time.Minute {
		return false
	}
	l.touched[id] = now
	return true
}

// keyAuth authenticates a request made with an API key: the key live, its
// person still on its account, its budget not spent.
func (s *Server) keyAuth(w http.ResponseWriter, r *http.Request, secret string) (team.User, *http.Request, bool) {
	k, err := s.cfg.Users.KeyBySecret(r.Context(), hashToken(secret))
	if err != nil || !k.Revoked.IsZero() {
		writeErr(w, http.StatusUnauthorized, "bad_key", "this API key is unknown or was revoked")
		return team.User{}, nil, false
	}
	now := s.cfg.Now()
	if ok, wait := s.keys.allow(k.ID, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeErr(w, http.StatusTooManyRequests, "rate_limited", "this API key made too many requests; try again in %s", wait.Round(time.Second).String())
		return team.User{}, nil, false
	}
	u, err := s.cfg.Users.User(r.Context(), k.Owner)
	if err != nil || u.Account != k.Account {
		writeErr(w, http.StatusUnauthorized, "bad_key", "the person this API key acts as is no longer on the account")
		return team.User{}, nil, false
	}
	if s.keys.touch(k.ID, now) {
		if err := s.cfg.Users.TouchKey(r.Context(), k.ID, now); err != nil {
			s.cfg.Log.Warn("api: noting a key's use", "key", k.ID, "err", err)
		}
	}
	return u, r.WithContext(context.WithValue(r.Context(), keyCtx{}, k)), true
}

func newKeySecret() (id, secret string) {
	b := make([]byte, 32)
	rand.Read(b)
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	secret = keyPrefix + strings.ToLower(enc.EncodeToString(b))
	idb := make([]byte, 10)
	rand.Read(idb)
	return "key_" + strings.ToLower(enc.EncodeToString(idb)), secret
}

// createKey makes an API key acting as the caller, with scopes the caller
// holds. A key cannot make keys.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, u caller) {
	if _, byKey := keyOf(r.Context()); byKey {
		writeErr(w, http.StatusForbidden, "forbidden", "an API key cannot make API keys: sign in as a person")
		return
	}
	var req KeyRequest
	if !readJSON(w, r, &req) {
		return
	}
	scopes, err := team.ParsePermissions(req.Scopes)
	if err != nil {
		s.fail(w, err, "make the key")
		return
	}
	if missing := u.Rights.Missing(scopes); len(missing) > 0 {
		writeErr(w, http.StatusForbidden, "forbidden", "a key can carry only rights you hold; you do not hold %s", joinPerms(missing))
		return
	}
	id, secret := newKeySecret()
	k := team.Key{ID: id, Account: u.Account, Owner: u.Email, Name: req.Name, Scopes: scopes, Created: s.cfg.Now().UTC()}
	if err := k.Validate(); err != nil {
		s.fail(w, err, "make the key")
		return
	}
	ctx := u.audit(r.Context(), "key.create", id, "made API key %q (%s) acting as %s", k.Name, joinPerms(scopes), u.Email)
	if err := s.cfg.Users.SaveKey(ctx, k, hashToken(secret)); err != nil {
		s.fail(w, err, "make the key")
		return
	}
	info := keyInfo(k)
	info.Secret = secret
	writeJSON(w, http.StatusCreated, info)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, u caller) {
	keys, err := s.cfg.Users.Keys(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "list the keys")
		return
	}
	out := []KeyInfo{}
	for _, k := range keys {
		out = append(out, keyInfo(k))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, u caller) {
	id := r.PathValue("id")
	ctx := u.audit(r.Context(), "key.revoke", id, "revoked API key %s", id)
	if err := s.cfg.Users.RevokeKey(ctx, u.Account, id, s.cfg.Now().UTC()); err != nil {
		s.fail(w, err, fmt.Sprintf("revoke key %s", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
