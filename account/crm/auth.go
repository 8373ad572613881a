package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"golang.org/x/oauth2"
)

// OAuth is a CRM's OAuth 2 application, as registered with the CRM by the
// switchboard's operator (HubSpot: a public app's client id and secret).
type OAuth struct {
	ClientID, ClientSecret string
	AuthURL, TokenURL      string // the CRM's (HubSpotAuthURL, HubSpotTokenURL when empty)
	Scopes                 []string
}

// HubSpot's OAuth 2 endpoints and the scopes logging needs.
const (
	HubSpotAuthURL  = "https://app.hubspot.com/oauth/authorize"
	HubSpotTokenURL = "https://api.hubapi.com/oauth/v1/token"
)

// HubSpotScopes are the scopes asked for: contacts (to find and create
// them) and the objects calls and texts are logged as.
var HubSpotScopes = []string{"crm.objects.contacts.read", "crm.objects.contacts.write", "oauth"}

func (o OAuth) config(redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: redirect, Scopes: o.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: o.AuthURL, TokenURL: o.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
}

// Start begins an authorization (the code flow with PKCE, RFC 7636): the
// address to send the person to, and the verifier to keep (with state)
// until the CRM sends them back to redirect.
func (o OAuth) Start(state, redirect string) (authURL, verifier string) {
	verifier = oauth2.GenerateVerifier()
	return o.config(redirect).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), verifier
}

// Finish exchanges the code the CRM sent back for tokens, proving the
// verifier.
func (o OAuth) Finish(ctx context.Context, code, verifier, redirect string) (*oauth2.Token, error) {
	t, err := o.config(redirect).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("crm: exchanging the authorization code: %w", err)
	}
	return t, nil
}

// Credentials are what a connection signs in with: an OAuth token (with
// its refresh token), or a private app's token.
type Credentials struct {
	OAuth *oauth2.Token `json:"oauth,omitempty"`
	Token string        `json:"token,omitempty"` // a private app's (HubSpot) or an API token (Pipedrive)
}

// Marshal is the credentials as sealed.
func (c Credentials) Marshal() []byte {
	b, _ := json.Marshal(c)
	return b
}

// client is an HTTP client signing requests with the credentials; an
// OAuth token is refreshed when it expires, and saved (save) when it is.
func (c Credentials) client(ctx context.Context, o OAuth, save func(Credentials)) *http.Client {
	if c.OAuth == nil {
		return oauth2.NewClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: c.Token, TokenType: "Bearer"}))
	}
	src := &savingSource{base: o.config("").TokenSource(ctx, c.OAuth), last: c.OAuth.AccessToken, save: save}
	return oauth2.NewClient(ctx, src)
}

// savingSource hands out tokens, saving each new one (a refresh).
type savingSource struct {
	base oauth2.TokenSource
	mu   sync.Mutex
	last string
	save func(Credentials)
}

func (s *savingSource) Token() (*oauth2.Token, error) {
	t, err := s.base.Token()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	fresh := t.AccessToken != s.last
	s.last = t.AccessToken
	s.mu.Unlock()
	if fresh && s.save != nil {
		s.save(Credentials{OAuth: t})
	}
	return t, nil
}

// authErr is ErrAuth when err is the CRM's token endpoint refusing a
// refresh (the connection was revoked), nil otherwise.
func authErr(err error) error {
	var re *oauth2.RetrieveError
	var ue *url.Error
	if errors.As(err, &ue) && errors.As(ue.Err, &re) || errors.As(err, &re) {
		if re.Response != nil && re.Response.StatusCode < 500 {
			return fmt.Errorf("%w (refreshing the token: %s)", ErrAuth, re.ErrorCode)
		}
	}
	return nil
}
