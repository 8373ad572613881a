package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls the account API.
type Client struct {
	Base  string // "http://127.0.0.1:8080"
	Token string // set by SignIn
	HTTP  *http.Client
}

// NewClient checks the base URL.
func NewClient(base string) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: server %q is not an http(s) URL", base)
	}
	return &Client{Base: strings.TrimRight(base, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}, nil
}

// do sends a request with a JSON body (nil for none) and decodes a JSON
// answer into out (nil to ignore it). A 4xx or 5xx comes back as *Error.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	if res.StatusCode >= 400 {
		var e struct{ Error *Error }
		if json.Unmarshal(data, &e) != nil || e.Error == nil {
			return &Error{Status: res.StatusCode, Code: "http", Message: res.Status}
		}
		e.Error.Status = res.StatusCode
		return e.Error
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("api: the answer to %s %s: %w", method, path, err)
		}
	}
	return nil
}

// SignIn opens a session; later calls carry its token.
func (c *Client) SignIn(ctx context.Context, email, password string) (Session, error) {
	var s Session
	if err := c.do(ctx, http.MethodPost, "/v1/session", SignInRequest{Email: email, Password: password}, &s); err != nil {
		return s, err
	}
	c.Token = s.Token
	return s, nil
}

// SignOut ends the session.
func (c *Client) SignOut(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/v1/session", nil, nil)
}

// NewDevice issues SIP credentials for a phone named name.
func (c *Client) NewDevice(ctx context.Context, name string) (DeviceCredentials, error) {
	var d DeviceCredentials
	err := c.do(ctx, http.MethodPost, "/v1/devices", DeviceRequest{Name: name}, &d)
	return d, err
}

// DeleteDevice forgets a device's credentials.
func (c *Client) DeleteDevice(ctx context.Context, username string) error {
	return c.do(ctx, http.MethodDelete, "/v1/devices/"+url.PathEscape(username), nil, nil)
}

// Balance reads the account's credit.
func (c *Client) Balance(ctx context.Context) (BalanceInfo, error) {
	var b BalanceInfo
	err := c.do(ctx, http.MethodGet, "/v1/balance", nil, &b)
	return b, err
}

// Voicemails lists a number's voicemails, newest first.
func (c *Client) Voicemails(ctx context.Context, number string) ([]VoicemailInfo, error) {
	var out []VoicemailInfo
	err := c.do(ctx, http.MethodGet, "/v1/voicemails?number="+url.QueryEscape(number), nil, &out)
	return out, err
}

// MarkVoicemail marks a voicemail heard (or new again).
func (c *Client) MarkVoicemail(ctx context.Context, id string, heard bool) error {
	return c.do(ctx, http.MethodPatch, "/v1/voicemails/"+url.PathEscape(id), MarkRequest{Heard: &heard}, nil)
}

// VoicemailAudio downloads a voicemail's recording (WAV).
func (c *Client) VoicemailAudio(ctx context.Context, id string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/v1/voicemails/"+url.PathEscape(id)+"/audio", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, &Error{Status: res.StatusCode, Code: "http", Message: res.Status}
	}
	return io.ReadAll(io.LimitReader(res.Body, 64<<20))
}

// Calls lists call records, newest first.
func (c *Client) Calls(ctx context.Context, limit int) ([]CallInfo, error) {
	var out []CallInfo
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/calls?limit=%d", limit), nil, &out)
	return out, err
}
