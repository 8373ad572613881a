package peers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// OAuthServer is a small OAuth 2 authorization server on loopback, for
// the tests of connecting a CRM by signing in (the CRM's own cannot run
// here): the authorization code flow with PKCE (RFC 7636, S256 only) and
// refresh tokens, strict as a real one is. Its authorize endpoint signs
// the person in at once (as if they had clicked Allow) and sends them
// back to the redirect URI with a code.
type OAuthServer struct {
	URL          string // AuthURL is URL+"/authorize", TokenURL URL+"/token"
	ClientID     string
	ClientSecret string
	HubID        int // sent back with tokens as HubSpot does (hub_id)

	mu       sync.Mutex
	codes    map[string]grant // code -> what it was issued for
	refresh  map[string]bool  // refresh tokens that are good
	access   map[string]bool  // access tokens issued
	Refused  []string         // why requests were refused, in order
	Refreshs int              // refresh grants served
}

type grant struct {
	redirect, challenge string
}

func token() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// StartOAuth starts the server.
func StartOAuth(t testing.TB) *OAuthServer {
	t.Helper()
	o := &OAuthServer{ClientID: "tether-test-app", ClientSecret: token(), HubID: 4242,
		codes: map[string]grant{}, refresh: map[string]bool{}, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", o.authorize)
	mux.HandleFunc("POST /token", o.token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	return o
}

func (o *OAuthServer) refuse(w http.ResponseWriter, status int, code, why string) {
	o.mu.Lock()
	o.Refused = append(o.Refused, code+": "+why)
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": why})
}

func (o *OAuthServer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != o.ClientID:
		o.refuse(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	case err != nil || redirect.Scheme == "":
		o.refuse(w, http.StatusBadRequest, "invalid_request", "redirect_uri")
		return
	case q.Get("response_type") != "code":
		o.refuse(w, http.StatusBadRequest, "unsupported_response_type", q.Get("response_type"))
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43:
		o.refuse(w, http.StatusBadRequest, "invalid_request", "PKCE with S256 is required")
		return
	}
	code := token()
	o.mu.Lock()
	o.codes[code] = grant{redirect: redirect.String(), challenge: q.Get("code_challenge")}
	o.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (o *OAuthServer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		o.refuse(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	f := r.PostForm
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	if id != o.ClientID || secret != o.ClientSecret {
		o.refuse(w, http.StatusUnauthorized, "invalid_client", "client credentials")
		return
	}
	code, why := o.grant(f)
	if code != "" {
		o.refuse(w, http.StatusBadRequest, code, why)
		return
	}
	access, refresh := token(), token()
	o.mu.Lock()
	o.access[access], o.refresh[refresh] = true, true
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": access, "refresh_token": refresh, "token_type": "bearer",
		"expires_in": 1800, "hub_id": o.HubID})
}

// grant checks a token request's grant: "" when good, else the OAuth
// error code and why.
func (o *OAuthServer) grant(f url.Values) (string, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch f.Get("grant_type") {
	case "authorization_code":
		g, ok := o.codes[f.Get("code")]
		delete(o.codes, f.Get("code")) // a code is good once
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		switch {
		case !ok:
			return "invalid_grant", "unknown or used code"
		case g.redirect != f.Get("redirect_uri"):
			return "invalid_grant", "redirect_uri differs from the authorization's"
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			return "invalid_grant", "code_verifier does not match the challenge"
		}
	case "refresh_token":
		if !o.refresh[f.Get("refresh_token")] {
			return "invalid_grant", "unknown refresh token"
		}
		delete(o.refresh, f.Get("refresh_token")) // rotated
		o.Refreshs++
	default:
		return "unsupported_grant_type", f.Get("grant_type")
	}
	return "", ""
}

// Issued reports whether token is an access token this server issued.
func (o *OAuthServer) Issued(token string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.access[token]
}

// Revoke makes every refresh token bad (the person disconnected the app
// in the CRM).
func (o *OAuthServer) Revoke() {
	o.mu.Lock()
	o.refresh = map[string]bool{}
	o.mu.Unlock()
}
