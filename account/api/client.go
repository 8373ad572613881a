package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// ErrServerURL means a server address is not an http(s) URL.
var ErrServerURL = errors.New("api: bad server address")

// NewClient checks the base URL.
func NewClient(base string) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL", ErrServerURL, base)
	}
	return &Client{Base: strings.TrimRight(base, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}, nil
}

// do sends a request with a JSON body (nil for none) and decodes a JSON
// answer into out (nil to ignore it). A 4xx or 5xx comes back as *Error.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	if body == nil {
		return c.send(ctx, method, path, "", nil, out)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.send(ctx, method, path, "application/json", bytes.NewReader(b), out)
}

// send is do with a body of its own type (a recording), or none.
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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

// AcceptInvitation joins the team an invitation's token is for, with the
// password (and optionally the name) the newcomer chose; they sign in
// with it afterwards. No sign-in is needed.
func (c *Client) AcceptInvitation(ctx context.Context, token, password string, name ...string) (UserInfo, error) {
	var u UserInfo
	req := AcceptRequest{Token: token, Password: password}
	if len(name) > 0 {
		req.Name = name[0]
	}
	err := c.do(ctx, http.MethodPost, "/v1/invitations/accept", req, &u)
	return u, err
}

// SignUp opens a company account and signs its Owner in.
func (c *Client) SignUp(ctx context.Context, req SignUpRequest) (SignUpResponse, error) {
	var out SignUpResponse
	if err := c.do(ctx, http.MethodPost, "/v1/signup", req, &out); err != nil {
		return out, err
	}
	c.Token = out.Session.Token
	return out, nil
}

// Plans lists the plans on offer (no sign-in needed).
func (c *Client) Plans(ctx context.Context) ([]PlanInfo, error) {
	var out []PlanInfo
	err := c.do(ctx, http.MethodGet, "/v1/plans", nil, &out)
	return out, err
}

// Verify checks the emailed code; the account is verified when it is right.
func (c *Client) Verify(ctx context.Context, code string) error {
	return c.do(ctx, http.MethodPost, "/v1/account/verify", VerifyRequest{Code: code}, nil)
}

// ResendCode emails the Owner a new verification code.
func (c *Client) ResendCode(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/account/verify/resend", nil, nil)
}

// Account reads the company's settings.
func (c *Client) Account(ctx context.Context) (AccountInfo, error) {
	var out AccountInfo
	err := c.do(ctx, http.MethodGet, "/v1/account", nil, &out)
	return out, err
}

// SetAccount changes the company's settings (nil fields stay).
func (c *Client) SetAccount(ctx context.Context, req AccountRequest) (AccountInfo, error) {
	var out AccountInfo
	err := c.do(ctx, http.MethodPatch, "/v1/account", req, &out)
	return out, err
}

// Subscription reads what the account pays for its seats.
func (c *Client) Subscription(ctx context.Context) (SubscriptionInfo, error) {
	var out SubscriptionInfo
	err := c.do(ctx, http.MethodGet, "/v1/subscription", nil, &out)
	return out, err
}

// ChangePlan moves the account to another plan.
func (c *Client) ChangePlan(ctx context.Context, plan string) (SubscriptionInfo, error) {
	var out SubscriptionInfo
	err := c.do(ctx, http.MethodPut, "/v1/subscription/plan", PlanRequest{Plan: plan}, &out)
	return out, err
}

// Receipts lists what the account paid for, newest first.
func (c *Client) Receipts(ctx context.Context) ([]ReceiptInfo, error) {
	var out []ReceiptInfo
	err := c.do(ctx, http.MethodGet, "/v1/receipts", nil, &out)
	return out, err
}

// ReceiptHTML fetches a receipt as a printable HTML page.
func (c *Client) ReceiptHTML(ctx context.Context, id string) ([]byte, error) {
	return c.raw(ctx, "/v1/receipts/"+url.PathEscape(id)+"?format=html")
}

// Invitations lists pending invitations.
func (c *Client) Invitations(ctx context.Context) ([]InvitationInfo, error) {
	var out []InvitationInfo
	err := c.do(ctx, http.MethodGet, "/v1/team/invitations", nil, &out)
	return out, err
}

// RevokeInvitation withdraws a pending invitation.
func (c *Client) RevokeInvitation(ctx context.Context, email string) error {
	return c.do(ctx, http.MethodDelete, "/v1/team/invitations/"+url.PathEscape(email), nil, nil)
}

// ResendInvitation sends a pending invitation again, with a new token.
func (c *Client) ResendInvitation(ctx context.Context, email string) (InvitationInfo, error) {
	var out InvitationInfo
	err := c.do(ctx, http.MethodPost, "/v1/team/invitations/"+url.PathEscape(email)+"/resend", nil, &out)
	return out, err
}

// SignOut ends the session.
func (c *Client) SignOut(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/v1/session", nil, nil)
}

// Devices lists my phones' credentials (without passwords), oldest first.
func (c *Client) Devices(ctx context.Context) ([]DeviceInfo, error) {
	var out []DeviceInfo
	err := c.do(ctx, http.MethodGet, "/v1/devices", nil, &out)
	return out, err
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
	return c.raw(ctx, "/v1/voicemails/"+url.PathEscape(id)+"/audio")
}

// raw GETs path and returns the body as it is (a recording, a page).
func (c *Client) raw(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+path, nil)
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

// Me reads who the session is and what the role allows.
func (c *Client) Me(ctx context.Context) (UserInfo, error) {
	var u UserInfo
	err := c.do(ctx, http.MethodGet, "/v1/me", nil, &u)
	return u, err
}

// Quote prices a call before it is dialled.
func (c *Client) Quote(ctx context.Context, from, to string) (QuoteInfo, error) {
	var q QuoteInfo
	err := c.do(ctx, http.MethodGet, "/v1/quote?"+url.Values{"from": {from}, "to": {to}}.Encode(), nil, &q)
	return q, err
}

// TransactionFilter selects credit movements.
type TransactionFilter struct {
	Since, Until  string // YYYY-MM-DD
	Type          string
	Offset, Limit int
}

// Transactions lists credit movements, newest first.
func (c *Client) Transactions(ctx context.Context, f TransactionFilter) (TransactionPage, error) {
	q := url.Values{}
	for k, v := range map[string]string{"since": f.Since, "until": f.Until, "type": f.Type} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Offset > 0 {
		q.Set("offset", fmt.Sprint(f.Offset))
	}
	if f.Limit > 0 {
		q.Set("limit", fmt.Sprint(f.Limit))
	}
	var p TransactionPage
	err := c.do(ctx, http.MethodGet, "/v1/credits/transactions?"+q.Encode(), nil, &p)
	return p, err
}

// Usage reads credit spend per day for the last days.
func (c *Client) Usage(ctx context.Context, days int) ([]UsageDay, error) {
	var out []UsageDay
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/credits/usage?days=%d", days), nil, &out)
	return out, err
}

// AddCredits charges the card on file; key makes a retry safe.
func (c *Client) AddCredits(ctx context.Context, amount, key string) (TopUpInfo, error) {
	var t TopUpInfo
	err := c.do(ctx, http.MethodPost, "/v1/credits", AddCreditsRequest{Amount: amount, IdempotencyKey: key}, &t)
	return t, err
}

// Card reads the card on file.
func (c *Client) Card(ctx context.Context) (CardInfo, error) {
	var ci CardInfo
	err := c.do(ctx, http.MethodGet, "/v1/card", nil, &ci)
	return ci, err
}

// SaveCard puts a card on file.
func (c *Client) SaveCard(ctx context.Context, card CardRequest) (CardInfo, error) {
	var ci CardInfo
	err := c.do(ctx, http.MethodPut, "/v1/card", card, &ci)
	return ci, err
}

// TopUp reads auto top-up and the suggested threshold.
func (c *Client) TopUp(ctx context.Context) (TopUpSettings, error) {
	var t TopUpSettings
	err := c.do(ctx, http.MethodGet, "/v1/topup", nil, &t)
	return t, err
}

// SetTopUp changes auto top-up ("" keeps a value).
func (c *Client) SetTopUp(ctx context.Context, enabled bool, threshold, amount string) (TopUpSettings, error) {
	var t TopUpSettings
	err := c.do(ctx, http.MethodPut, "/v1/topup", SetTopUpRequest{Enabled: &enabled, Threshold: threshold, Amount: amount}, &t)
	return t, err
}

// TopUpHistory lists top-ups and the owner's notifications.
func (c *Client) TopUpHistory(ctx context.Context) (TopUpHistory, error) {
	var h TopUpHistory
	err := c.do(ctx, http.MethodGet, "/v1/topup/history", nil, &h)
	return h, err
}

// Numbers lists my numbers (all the account's for those who manage them).
func (c *Client) Numbers(ctx context.Context) ([]NumberInfo, error) {
	var out []NumberInfo
	err := c.do(ctx, http.MethodGet, "/v1/numbers", nil, &out)
	return out, err
}

// Number reads one number.
func (c *Client) Number(ctx context.Context, number string) (NumberInfo, error) {
	var n NumberInfo
	err := c.do(ctx, http.MethodGet, "/v1/numbers/"+url.PathEscape(number), nil, &n)
	return n, err
}

// SearchNumbers lists numbers on offer in a country ("" type: local).
func (c *Client) SearchNumbers(ctx context.Context, country, kind string, limit int) ([]OfferInfo, error) {
	q := url.Values{"country": {country}}
	if kind != "" {
		q.Set("type", kind)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	var out []OfferInfo
	err := c.do(ctx, http.MethodGet, "/v1/numbers/search?"+q.Encode(), nil, &out)
	return out, err
}

// BuyNumber buys a number, answered by assign (the buyer when empty).
func (c *Client) BuyNumber(ctx context.Context, number string, assign ...string) (NumberInfo, error) {
	var n NumberInfo
	err := c.do(ctx, http.MethodPost, "/v1/numbers", BuyRequest{Number: number, Assign: assign, IdempotencyKey: NewIdempotencyKey("buy")}, &n)
	return n, err
}

// ReleaseNumber gives a number back.
func (c *Client) ReleaseNumber(ctx context.Context, number string) error {
	return c.do(ctx, http.MethodDelete, "/v1/numbers/"+url.PathEscape(number), nil, nil)
}

// SetMembers assigns a number to one teammate or shares it with several.
func (c *Client) SetMembers(ctx context.Context, number string, emails ...string) (NumberInfo, error) {
	var n NumberInfo
	err := c.do(ctx, http.MethodPut, "/v1/numbers/"+url.PathEscape(number)+"/members", MembersRequest{Members: emails}, &n)
	return n, err
}

// NumberSettings changes a number's settings.
func (c *Client) NumberSettings(ctx context.Context, number string, s SettingsRequest) (NumberInfo, error) {
	var n NumberInfo
	err := c.do(ctx, http.MethodPatch, "/v1/numbers/"+url.PathEscape(number), s, &n)
	return n, err
}

// SetGreeting makes wav (a WAV recording, at most a minute) the
// voicemail greeting of one of the account's numbers.
func (c *Client) SetGreeting(ctx context.Context, number string, wav []byte) (NumberInfo, error) {
	var n NumberInfo
	err := c.send(ctx, http.MethodPut, "/v1/numbers/"+url.PathEscape(number)+"/greeting", "audio/wav", bytes.NewReader(wav), &n)
	return n, err
}

// RemoveGreeting puts the standard greeting back on a number.
func (c *Client) RemoveGreeting(ctx context.Context, number string) (NumberInfo, error) {
	var n NumberInfo
	err := c.do(ctx, http.MethodDelete, "/v1/numbers/"+url.PathEscape(number)+"/greeting", nil, &n)
	return n, err
}

// Greeting is a number's own greeting, as a WAV file (8 kHz mono).
func (c *Client) Greeting(ctx context.Context, number string) ([]byte, error) {
	return c.raw(ctx, "/v1/numbers/"+url.PathEscape(number)+"/greeting")
}

// Team lists the team.
func (c *Client) Team(ctx context.Context) ([]Member, error) {
	var out []Member
	err := c.do(ctx, http.MethodGet, "/v1/team", nil, &out)
	return out, err
}

// Invite invites someone with a role; the answer carries the token.
func (c *Client) Invite(ctx context.Context, email, role string) (InvitationInfo, error) {
	var in InvitationInfo
	err := c.do(ctx, http.MethodPost, "/v1/team/invitations", InviteRequest{Email: email, Role: role}, &in)
	return in, err
}

// SetRole changes a teammate's role.
func (c *Client) SetRole(ctx context.Context, email, role string) (Member, error) {
	var m Member
	err := c.do(ctx, http.MethodPatch, "/v1/team/"+url.PathEscape(email), RoleChange{Role: role}, &m)
	return m, err
}

// Remove removes a teammate.
func (c *Client) Remove(ctx context.Context, email string) error {
	return c.do(ctx, http.MethodDelete, "/v1/team/"+url.PathEscape(email), nil, nil)
}

// TransferOwnership makes a teammate the Owner.
func (c *Client) TransferOwnership(ctx context.Context, email string) (Member, error) {
	var m Member
	err := c.do(ctx, http.MethodPost, "/v1/team/transfer-ownership", TransferRequest{Email: email}, &m)
	return m, err
}

// Roles lists the roles.
func (c *Client) Roles(ctx context.Context) ([]RoleInfo, error) {
	var out []RoleInfo
	err := c.do(ctx, http.MethodGet, "/v1/roles", nil, &out)
	return out, err
}

// SaveRole creates or changes a custom role.
func (c *Client) SaveRole(ctx context.Context, name, description string, permissions ...string) (RoleInfo, error) {
	var r RoleInfo
	err := c.do(ctx, http.MethodPut, "/v1/roles/"+url.PathEscape(name), RoleRequest{Description: description, Permissions: permissions}, &r)
	return r, err
}

// Contacts searches contacts ("" lists them all).
func (c *Client) Contacts(ctx context.Context, query string) ([]ContactInfo, error) {
	var out []ContactInfo
	err := c.do(ctx, http.MethodGet, "/v1/contacts?"+url.Values{"q": {query}}.Encode(), nil, &out)
	return out, err
}

// SaveContact creates a contact (no ID) or changes one.
func (c *Client) SaveContact(ctx context.Context, ci ContactInfo) (ContactInfo, error) {
	var out ContactInfo
	var err error
	if ci.ID == "" {
		err = c.do(ctx, http.MethodPost, "/v1/contacts", ci, &out)
	} else {
		id := ci.ID
		ci.ID = ""
		err = c.do(ctx, http.MethodPut, "/v1/contacts/"+url.PathEscape(id), ci, &out)
	}
	return out, err
}

// Dispositions reads the account's list of call dispositions.
func (c *Client) Dispositions(ctx context.Context) ([]string, error) {
	var out []string
	err := c.do(ctx, http.MethodGet, "/v1/dispositions", nil, &out)
	return out, err
}

// StartCall is click-to-call: the signed-in user's phones ring and, when
// one answers, to is dialled from from ("" for their usual caller ID).
func (c *Client) StartCall(ctx context.Context, to, from string) (CallStarted, error) {
	var out CallStarted
	err := c.do(ctx, http.MethodPost, "/v1/calls", CallRequest{To: to, FromNumber: from}, &out)
	return out, err
}

// Dispose logs a disposition and notes on a call.
func (c *Client) Dispose(ctx context.Context, callID, disposition, notes string) (CallInfo, error) {
	var ci CallInfo
	err := c.do(ctx, http.MethodPut, "/v1/calls/"+url.PathEscape(callID)+"/disposition", DispositionRequest{Disposition: disposition, Notes: notes}, &ci)
	return ci, err
}

// Audit reads the audit log, newest first.
func (c *Client) Audit(ctx context.Context, limit int) ([]AuditInfo, error) {
	var out []AuditInfo
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/audit?limit=%d", limit), nil, &out)
	return out, err
}

// Messages lists texts' records, newest first.
func (c *Client) Messages(ctx context.Context, limit int) ([]MessageInfo, error) {
	var out []MessageInfo
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/messages?limit=%d", limit), nil, &out)
	return out, err
}

// QuoteMessage prices a text as typed.
func (c *Client) QuoteMessage(ctx context.Context, from, to, text string) (MessageQuoteInfo, error) {
	var q MessageQuoteInfo
	err := c.do(ctx, http.MethodGet, "/v1/quote?"+url.Values{"type": {"sms"}, "from": {from}, "to": {to}, "text": {text}}.Encode(), nil, &q)
	return q, err
}

// NewIdempotencyKey returns a fresh key for one purchase (96 random bits
// after prefix): made once per action and sent again on its retries.
func NewIdempotencyKey(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// CreateKey makes an API key acting as the signed-in person, with the
// given scopes; the answer's Secret is shown this once.
func (c *Client) CreateKey(ctx context.Context, name string, scopes ...string) (KeyInfo, error) {
	var k KeyInfo
	err := c.do(ctx, http.MethodPost, "/v1/keys", KeyRequest{Name: name, Scopes: scopes}, &k)
	return k, err
}

// Keys lists the account's API keys, revoked ones too, newest first.
func (c *Client) Keys(ctx context.Context) ([]KeyInfo, error) {
	var out []KeyInfo
	err := c.do(ctx, http.MethodGet, "/v1/keys", nil, &out)
	return out, err
}

// RevokeKey ends an API key at once.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/keys/"+url.PathEscape(id), nil, nil)
}

// CreateWebhook subscribes url to events; the answer's Secret (the key of
// the deliveries' signatures) is shown this once.
func (c *Client) CreateWebhook(ctx context.Context, url string, events ...string) (WebhookInfo, error) {
	return c.Subscribe(ctx, WebhookRequest{URL: url, Events: events})
}

// Subscribe subscribes an address as req says (a Slack one, one number's).
func (c *Client) Subscribe(ctx context.Context, req WebhookRequest) (WebhookInfo, error) {
	var w WebhookInfo
	err := c.do(ctx, http.MethodPost, "/v1/webhooks", req, &w)
	return w, err
}

// Webhooks lists the account's subscriptions.
func (c *Client) Webhooks(ctx context.Context) ([]WebhookInfo, error) {
	var out []WebhookInfo
	err := c.do(ctx, http.MethodGet, "/v1/webhooks", nil, &out)
	return out, err
}

// DeleteWebhook ends a subscription.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/webhooks/"+url.PathEscape(id), nil, nil)
}

// WebhookDeliveries lists a subscription's deliveries, newest first.
func (c *Client) WebhookDeliveries(ctx context.Context, id string) ([]DeliveryInfo, error) {
	var out []DeliveryInfo
	err := c.do(ctx, http.MethodGet, "/v1/webhooks/"+url.PathEscape(id)+"/deliveries", nil, &out)
	return out, err
}

// ReplayDelivery sends a delivery again.
func (c *Client) ReplayDelivery(ctx context.Context, id, delivery string) error {
	return c.do(ctx, http.MethodPost, "/v1/webhooks/"+url.PathEscape(id)+"/deliveries/"+url.PathEscape(delivery)+"/replay", nil, nil)
}

// Integrations lists the CRMs the account can connect and how each stands.
func (c *Client) Integrations(ctx context.Context) ([]IntegrationInfo, error) {
	var out []IntegrationInfo
	err := c.do(ctx, http.MethodGet, "/v1/integrations", nil, &out)
	return out, err
}

// ConnectCRM connects a CRM with a token.
func (c *Client) ConnectCRM(ctx context.Context, kind string, req ConnectRequest) (IntegrationInfo, error) {
	var out IntegrationInfo
	err := c.do(ctx, http.MethodPut, "/v1/integrations/"+url.PathEscape(kind), req, &out)
	return out, err
}

// AuthorizeCRM starts connecting a CRM by signing in: the address to open.
func (c *Client) AuthorizeCRM(ctx context.Context, kind string, createContacts bool) (string, error) {
	var out AuthorizeInfo
	err := c.do(ctx, http.MethodPost, "/v1/integrations/"+url.PathEscape(kind)+"/authorize", AuthorizeRequest{CreateContacts: createContacts}, &out)
	return out.URL, err
}

// DisconnectCRM disconnects a CRM.
func (c *Client) DisconnectCRM(ctx context.Context, kind string) error {
	return c.do(ctx, http.MethodDelete, "/v1/integrations/"+url.PathEscape(kind), nil, nil)
}

// CRMContact is a number's contact in a connected CRM.
func (c *Client) CRMContact(ctx context.Context, kind, number string) (ContactLink, error) {
	var out ContactLink
	err := c.do(ctx, http.MethodGet, "/v1/integrations/"+url.PathEscape(kind)+"/contact?number="+url.QueryEscape(number), nil, &out)
	return out, err
}
