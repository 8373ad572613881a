package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/crm"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
)

// env is a running API on the demo account with one signed-in session
// per role: owner, admin, member (the rep) and a custom role.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	api    *api.Server
	sys    *system.System
	dir    string
	pw     map[string]string
	tokens map[string]string // role -> token
	emails map[string]string // role -> email
	seq    atomic.Int64
	oauth  *peers.OAuthServer
	crm    *crm.Sync
}

// The custom role the matrix uses: a team lead who sees everyone's calls
// and the balance, and manages nothing.
var leadPermissions = []team.Permission{team.Calls, team.Messages, team.Contacts, team.Dispositions, team.ViewAllCalls, team.ViewBilling}

const leadPassword = "lead password 123"

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	sys, err := demo.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	// A CRM to connect: a stand-in for HubSpot that finds one contact
	// for any search (HubSpot itself, through Prism: account/crm's tests),
	// and the loopback OAuth server.
	fakeCRM := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"total": 1, "results": [{"id": "901", "properties": {"firstname": "Ada", "lastname": "Lovelace"}}]}`)
	}))
	t.Cleanup(fakeCRM.Close)
	oauth := peers.StartOAuth(t)
	sealer, _ := crm.NewSealer(make([]byte, 32))
	crmSync := &crm.Sync{Store: sys.Store, Sealer: sealer, APIs: map[string]string{crm.KindHubSpot: fakeCRM.URL},
		Recordings: &crm.Recordings{Base: "http://tether.test", Key: []byte("matrix recordings key")},
		OAuth: map[string]crm.OAuth{crm.KindHubSpot: {ClientID: oauth.ClientID, ClientSecret: oauth.ClientSecret,
			AuthURL: oauth.URL + "/authorize", TokenURL: oauth.URL + "/token", Scopes: crm.HubSpotScopes}}}
	a := api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether",
		SIP: map[string]string{"udp": "127.0.0.1:5060"}, Dialer: placed{}, CRM: crmSync, PublicURL: "http://tether.test"})
	e := &env{oauth: oauth, crm: crmSync, t: t, api: a, sys: sys, dir: dir, srv: httptest.NewServer(a), tokens: map[string]string{},
		emails: map[string]string{"owner": "owner@demo.test", "admin": "admin@demo.test", "member": "rep@demo.test", "lead": "lead@demo.test"}}
	t.Cleanup(e.srv.Close)
	if e.pw, err = demo.ReadCredentials(dir); err != nil {
		t.Fatal(err)
	}
	e.pw["lead@demo.test"] = leadPassword
	if err := sys.Store.SaveRole(ctx, team.CustomRole{Account: demo.Account, Name: "lead", Permissions: leadPermissions}); err != nil {
		t.Fatal(err)
	}
	hash, _ := team.HashPassword(leadPassword)
	if err := sys.Store.CreateUser(ctx, team.User{Account: demo.Account, Email: "lead@demo.test", Role: "lead", Extension: "150", Created: time.Now()}, hash); err != nil {
		t.Fatal(err)
	}
	for role, email := range e.emails {
		e.tokens[role] = e.signIn(email)
	}
	return e
}

func (e *env) signIn(email string) string {
	e.t.Helper()
	c, _ := api.NewClient(e.srv.URL)
	if _, err := c.SignIn(context.Background(), email, e.pw[email]); err != nil {
		e.t.Fatalf("sign in %s: %v", email, err)
	}
	return c.Token
}

// do sends a request and returns the status and the error code, if any,
// and the body.
func (e *env) do(token, method, path, body string) (int, string, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var er struct{ Error struct{ Code string } }
	json.Unmarshal(data, &er)
	return res.StatusCode, er.Error.Code, data
}

func (e *env) n() int64 { return e.seq.Add(1) }

// victim adds a teammate with the member role for a destructive request.
func (e *env) victim() string {
	email := fmt.Sprintf("victim%d@demo.test", e.n())
	err := e.sys.Store.CreateUser(context.Background(), team.User{Account: demo.Account, Email: email, Role: team.Member,
		Extension: fmt.Sprint(500 + e.n()), Created: time.Now()}, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return email
}

// invitation adds a pending invitation and returns its email.
func (e *env) invitation() string {
	email := fmt.Sprintf("pending%d@demo.test", e.n())
	in := team.Invitation{TokenHash: api.HashToken(email), Account: demo.Account, Email: email, Role: team.Member, InvitedBy: "owner@demo.test",
		Expires: time.Now().Add(time.Hour), Created: time.Now()}
	if err := e.sys.Store.SaveInvitation(context.Background(), in); err != nil {
		e.t.Fatal(err)
	}
	return email
}

func (e *env) contact() string {
	id := fmt.Sprintf("ctest%d", e.n())
	err := e.sys.Store.SaveContact(context.Background(), team.Contact{ID: id, Account: demo.Account, Name: "Ada", Numbers: []string{"+442071234567"},
		Created: time.Now(), Updated: time.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// number adds a number to the account for a destructive request.
func (e *env) number() string {
	num := fmt.Sprintf("+1415555%04d", 2000+e.n())
	if err := e.sys.Store.SetNumber(context.Background(), team.Number{E164: num, Account: demo.Account, Members: []string{"admin@demo.test"}}); err != nil {
		e.t.Fatal(err)
	}
	return num
}

// permRow is one endpoint's line of the matrix: the roles that may use it
// ("OAML": owner, admin, member, lead; "*" public), and the request.
type permRow struct {
	roles string
	req   func(e *env, role string) (method, path, body string)
}

// greetingWAV is a second of 8 kHz tone as a WAV file.
func greetingWAV() string {
	pcm := make([]int16, 8000)
	audio.Sine(pcm, 500, 8000, 8000, 0)
	var b bytes.Buffer
	audio.WriteWAV(&b, &audio.PCM{Rate: 8000, Channels: 1, Samples: pcm})
	return b.String()
}

func fixed(method, path, body string) func(*env, string) (string, string, string) {
	return func(*env, string) (string, string, string) { return method, path, body }
}

var matrix = map[string]permRow{
	"POST /v1/session": {"*", func(e *env, _ string) (string, string, string) {
		return "POST", "/v1/session", fmt.Sprintf(`{"email": "rep@demo.test", "password": %q}`, e.pw["rep@demo.test"])
	}},
	"POST /v1/invitations/accept": {"*", func(e *env, _ string) (string, string, string) {
		token := fmt.Sprintf("invitation-token-%d", e.n())
		email := fmt.Sprintf("invited%d@demo.test", e.n())
		in := team.Invitation{TokenHash: api.HashToken(token), Account: demo.Account, Email: email, Role: team.Member, InvitedBy: "owner@demo.test",
			Expires: time.Now().Add(time.Hour), Created: time.Now()}
		if err := e.sys.Store.SaveInvitation(context.Background(), in); err != nil {
			e.t.Fatal(err)
		}
		return "POST", "/v1/invitations/accept", fmt.Sprintf(`{"token": %q, "password": "a new password"}`, token)
	}},
	"GET /v1/openapi.json": {"*", fixed("GET", "/v1/openapi.json", "")},
	"GET /v1/plans":        {"*", fixed("GET", "/v1/plans", "")},
	"POST /v1/signup": {"*", func(e *env, _ string) (string, string, string) {
		return "POST", "/v1/signup", fmt.Sprintf(`{"company": "Matrix Co", "name": "Max", "email": "signup%d@matrix.test", "password": "a long password", "country": "GB", "plan": "team"}`, e.n())
	}},
	"GET /v1/account":                {"OAML", fixed("GET", "/v1/account", "")},
	"PATCH /v1/account":              {"OA", fixed("PATCH", "/v1/account", `{"name": "Demo Company"}`)},
	"POST /v1/account/verify":        {"OAML", fixed("POST", "/v1/account/verify", `{"code": "123456"}`)},
	"POST /v1/account/verify/resend": {"OAML", fixed("POST", "/v1/account/verify/resend", "")},
	"DELETE /v1/team/invitations/{email}": {"OA", func(e *env, _ string) (string, string, string) {
		return "DELETE", "/v1/team/invitations/" + e.invitation(), ""
	}},
	"POST /v1/team/invitations/{email}/resend": {"OA", func(e *env, _ string) (string, string, string) {
		return "POST", "/v1/team/invitations/" + e.invitation() + "/resend", ""
	}},
	"DELETE /v1/session": {"OAML", func(e *env, role string) (string, string, string) {
		e.tokens["spare"] = e.signIn(e.emails[role])
		return "DELETE", "/v1/session", ""
	}},
	"GET /v1/me":           {"OAML", fixed("GET", "/v1/me", "")},
	"GET /v1/devices":      {"OAML", fixed("GET", "/v1/devices", "")},
	"POST /v1/devices":     {"OAML", fixed("POST", "/v1/devices", `{"name": "desk"}`)},
	"GET /v1/balance":      {"OAML", fixed("GET", "/v1/balance", "")},
	"GET /v1/quote":        {"OAML", fixed("GET", "/v1/quote?to=%2B442071234567&from=%2B14155550101", "")},
	"GET /v1/numbers":      {"OAML", fixed("GET", "/v1/numbers", "")},
	"GET /v1/team":         {"OAML", fixed("GET", "/v1/team", "")},
	"GET /v1/roles":        {"OAML", fixed("GET", "/v1/roles", "")},
	"GET /v1/dispositions": {"OAML", fixed("GET", "/v1/dispositions", "")},
	"DELETE /v1/devices/{username}": {"OAML", func(e *env, role string) (string, string, string) {
		d, _ := team.NewDevice(e.emails[role], "spare", "tether", time.Now())
		if err := e.sys.Store.AddDevice(context.Background(), d); err != nil {
			e.t.Fatal(err)
		}
		return "DELETE", "/v1/devices/" + d.Username, ""
	}},
	"GET /v1/credits/transactions": {"OAL", fixed("GET", "/v1/credits/transactions?limit=5", "")},
	"GET /v1/credits/usage":        {"OAL", fixed("GET", "/v1/credits/usage?days=7", "")},
	"GET /v1/card":                 {"OAL", fixed("GET", "/v1/card", "")},
	"GET /v1/topup":                {"OAL", fixed("GET", "/v1/topup", "")},
	"GET /v1/topup/history":        {"OAL", fixed("GET", "/v1/topup/history", "")},
	"GET /v1/subscription":         {"OAL", fixed("GET", "/v1/subscription", "")},
	"PUT /v1/subscription/plan":    {"OA", fixed("PUT", "/v1/subscription/plan", `{"plan": "team"}`)},
	"GET /v1/receipts":             {"OAL", fixed("GET", "/v1/receipts", "")},
	"GET /v1/receipts/{id}": {"OAL", func(e *env, _ string) (string, string, string) {
		rs, err := e.sys.Engine.Receipts(context.Background(), demo.Account, 1)
		if err != nil || len(rs) == 0 {
			e.t.Fatalf("the demo has no receipt: %v", err)
		}
		return "GET", "/v1/receipts/" + rs[0].ID, ""
	}},
	"POST /v1/credits": {"OA", func(e *env, _ string) (string, string, string) {
		return "POST", "/v1/credits", fmt.Sprintf(`{"amount": "10.00", "idempotency_key": "matrix-%d"}`, e.n())
	}},
	"PUT /v1/card":           {"OA", fixed("PUT", "/v1/card", `{"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}`)},
	"PUT /v1/topup":          {"OA", fixed("PUT", "/v1/topup", `{"enabled": false, "threshold": "10.00", "amount": "25.00"}`)},
	"GET /v1/numbers/search": {"OA", fixed("GET", "/v1/numbers/search?country=GB&type=local&limit=3", "")},
	"POST /v1/numbers": {"OA", func(e *env, _ string) (string, string, string) {
		return "POST", "/v1/numbers", fmt.Sprintf(`{"number": "+1415555%04d"}`, 3000+e.n())
	}},
	"GET /v1/numbers/{number}":             {"OAML", fixed("GET", "/v1/numbers/+14155550101", "")},
	"PATCH /v1/numbers/{number}":           {"OA", fixed("PATCH", "/v1/numbers/+14155550101", `{"record": false}`)},
	"PUT /v1/numbers/{number}/members":     {"OA", fixed("PUT", "/v1/numbers/+14155550101/members", `{"members": ["admin@demo.test", "rep@demo.test"]}`)},
	"PUT /v1/numbers/{number}/greeting":    {"OA", fixed("PUT", "/v1/numbers/+14155550101/greeting", greetingWAV())},
	"DELETE /v1/numbers/{number}/greeting": {"OA", fixed("DELETE", "/v1/numbers/+14155550101/greeting", "")},
	"GET /v1/numbers/{number}/greeting": {"OA", func(e *env, _ string) (string, string, string) {
		// A greeting to fetch, whatever ran before.
		n, err := e.sys.Store.Number(context.Background(), "+14155550100")
		if err != nil {
			e.t.Fatal(err)
		}
		n.Greeting = filepath.Join(team.GreetingDir, "matrix.wav")
		os.MkdirAll(filepath.Join(e.dir, team.GreetingDir), 0o700)
		os.WriteFile(filepath.Join(e.dir, n.Greeting), []byte(greetingWAV()), 0o600)
		if err := e.sys.Store.UpdateNumber(context.Background(), n); err != nil {
			e.t.Fatal(err)
		}
		return "GET", "/v1/numbers/+14155550100/greeting", ""
	}},
	"DELETE /v1/numbers/{number}": {"OA", func(e *env, _ string) (string, string, string) {
		return "DELETE", "/v1/numbers/" + e.number(), ""
	}},
	"GET /v1/team/invitations": {"OA", fixed("GET", "/v1/team/invitations", "")},
	"POST /v1/team/invitations": {"OA", func(e *env, _ string) (string, string, string) {
		return "POST", "/v1/team/invitations", fmt.Sprintf(`{"email": "new%d@demo.test", "role": "member"}`, e.n())
	}},
	"PATCH /v1/team/{email}": {"OA", func(e *env, _ string) (string, string, string) {
		return "PATCH", "/v1/team/" + e.victim(), `{"role": "lead"}`
	}},
	"DELETE /v1/team/{email}": {"OA", func(e *env, _ string) (string, string, string) {
		return "DELETE", "/v1/team/" + e.victim(), ""
	}},
	"PUT /v1/roles/{name}": {"OA", fixed("PUT", "/v1/roles/support", `{"description": "Support desk", "permissions": ["calls", "messages", "contacts"]}`)},
	"DELETE /v1/roles/{name}": {"OA", func(e *env, _ string) (string, string, string) {
		name := fmt.Sprintf("temp%d", e.n())
		if err := e.sys.Store.SaveRole(context.Background(), team.CustomRole{Account: demo.Account, Name: name, Permissions: []team.Permission{team.Calls}}); err != nil {
			e.t.Fatal(err)
		}
		return "DELETE", "/v1/roles/" + name, ""
	}},
	"GET /v1/contacts":  {"OAML", fixed("GET", "/v1/contacts?q=ada", "")},
	"POST /v1/contacts": {"OAML", fixed("POST", "/v1/contacts", `{"name": "Grace Hopper", "company": "Navy", "numbers": ["+1 415 555 0199"]}`)},
	"PUT /v1/contacts/{id}": {"OAML", func(e *env, _ string) (string, string, string) {
		return "PUT", "/v1/contacts/" + e.contact(), `{"name": "Ada Lovelace", "numbers": ["+442071234567"]}`
	}},
	"DELETE /v1/contacts/{id}": {"OAML", func(e *env, _ string) (string, string, string) {
		return "DELETE", "/v1/contacts/" + e.contact(), ""
	}},
	"PUT /v1/dispositions": {"OA", fixed("PUT", "/v1/dispositions", `{"dispositions": ["Interested", "Call back", "Resolved"]}`)},
	"PUT /v1/calls/{id}/disposition": {"OAML", func(e *env, role string) (string, string, string) {
		id := fmt.Sprintf("call-matrix-%d", e.n())
		now := time.Now()
		err := e.sys.Store.AddCall(context.Background(), records.Call{ID: id, Account: demo.Account, Direction: "outbound", From: "+14155550100",
			To: "+442071234567", Started: now, Ended: now, Cost: decimal.Zero, Currency: "USD", Disposition: records.Answered})
		if err != nil {
			e.t.Fatal(err)
		}
		return "PUT", "/v1/calls/" + id + "/disposition", `{"disposition": "Call back", "notes": "wants a quote"}`
	}},
	"GET /v1/voicemails":            {"OAML", fixed("GET", "/v1/voicemails?number=%2B14155550100", "")},
	"PATCH /v1/voicemails/{id}":     {"OAML", fixed("PATCH", "/v1/voicemails/vm-matrix", `{"heard": true}`)},
	"GET /v1/voicemails/{id}/audio": {"OAML", fixed("GET", "/v1/voicemails/vm-matrix/audio", "")},
	"GET /v1/calls":                 {"OAML", fixed("GET", "/v1/calls", "")},
	"POST /v1/calls":                {"OAML", fixed("POST", "/v1/calls", `{"to": "+442071234567"}`)},
	"GET /v1/messages":              {"OAML", fixed("GET", "/v1/messages", "")},
	"GET /v1/calls/{id}/recording": {"OAML", func(e *env, _ string) (string, string, string) {
		return "GET", "/v1/calls/" + e.recordedCall() + "/recording", ""
	}},
	"GET /v1/recordings/{id}": {"*", func(e *env, _ string) (string, string, string) {
		u, _ := url.Parse(e.crm.Recordings.Link(demo.Account, e.recordedCall()))
		return "GET", u.Path + "?" + u.RawQuery, ""
	}},
	"GET /v1/audit":                          {"OA", fixed("GET", "/v1/audit", "")},
	"POST /v1/keys":                          {"OA", fixed("POST", "/v1/keys", `{"name": "matrix", "scopes": ["calls"]}`)},
	"GET /v1/keys":                           {"OA", fixed("GET", "/v1/keys", "")},
	"GET /v1/integrations":                   {"OAML", fixed("GET", "/v1/integrations", "")},
	"PUT /v1/integrations/{kind}":            {"OA", fixed("PUT", "/v1/integrations/hubspot", `{"token": "pat-na1-matrix", "portal": "4242"}`)},
	"POST /v1/integrations/{kind}/authorize": {"OA", fixed("POST", "/v1/integrations/hubspot/authorize", "")},
	"DELETE /v1/integrations/{kind}": {"OA", func(e *env, _ string) (string, string, string) {
		e.connectCRM()
		return "DELETE", "/v1/integrations/hubspot", ""
	}},
	"GET /v1/integrations/{kind}/contact": {"OAML", func(e *env, _ string) (string, string, string) {
		e.connectCRM()
		return "GET", "/v1/integrations/hubspot/contact?number=%2B442071234567", ""
	}},
	"GET /v1/integrations/oauth/callback": {"*", func(e *env, _ string) (string, string, string) {
		state := fmt.Sprintf("state-%d", e.n())
		return "GET", e.signedInToCRM(state), ""
	}},
	"POST /v1/webhooks": {"OA", fixed("POST", "/v1/webhooks", `{"url": "https://hooks.example.com/tether", "events": ["call.ended"]}`)},
	"GET /v1/webhooks":  {"OA", fixed("GET", "/v1/webhooks", "")},
	"DELETE /v1/webhooks/{id}": {"OA", func(e *env, _ string) (string, string, string) {
		return "DELETE", "/v1/webhooks/" + e.webhook(), ""
	}},
	"GET /v1/webhooks/{id}/deliveries": {"OA", fixed("GET", "/v1/webhooks/wh_matrix/deliveries", "")},
	"POST /v1/webhooks/{id}/deliveries/{delivery}/replay": {"OA", func(e *env, _ string) (string, string, string) {
		ds, err := e.sys.Store.Deliveries(context.Background(), demo.Account, "wh_matrix", 1)
		if err != nil || len(ds) == 0 {
			e.t.Fatalf("the matrix's delivery: %v %v", ds, err)
		}
		return "POST", "/v1/webhooks/wh_matrix/deliveries/" + ds[0].ID + "/replay", ""
	}},
	"DELETE /v1/keys/{id}": {"OA", func(e *env, _ string) (string, string, string) {
		id := fmt.Sprintf("key-matrix-%d", e.n())
		k := team.Key{ID: id, Account: demo.Account, Owner: "owner@demo.test", Name: "matrix", Scopes: []team.Permission{team.Calls}, Created: time.Now()}
		if err := e.sys.Store.SaveKey(context.Background(), k, "hash-"+id); err != nil {
			e.t.Fatal(err)
		}
		return "DELETE", "/v1/keys/" + id, ""
	}},
	"POST /v1/team/transfer-ownership": {"O", fixed("POST", "/v1/team/transfer-ownership", `{"email": "admin@demo.test"}`)},
}

// recordedCall adds a recorded call of the demo's, its recording in the
// data directory, and returns its id.
func (e *env) recordedCall() string {
	e.t.Helper()
	id := fmt.Sprintf("call-rec-%d", e.n())
	rel := filepath.Join("recordings", id+".wav")
	os.MkdirAll(filepath.Join(e.dir, "recordings"), 0o700)
	if err := os.WriteFile(filepath.Join(e.dir, rel), []byte("RIFF....WAVE"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	now := time.Now()
	if err := e.sys.Store.AddCall(context.Background(), records.Call{ID: id, Account: demo.Account, Direction: "outbound", From: "+14155550100",
		To: "+442071234567", Started: now, Ended: now, Cost: decimal.Zero, Currency: "USD", Disposition: records.Answered, Recording: rel}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// connectCRM connects the demo account's HubSpot (with a token).
func (e *env) connectCRM() {
	e.t.Helper()
	c := crm.Connection{Account: demo.Account, Kind: crm.KindHubSpot, Portal: "4242", Connected: time.Now()}
	c.Sealed = e.crm.Sealer.Seal(crm.Credentials{Token: "pat-na1-matrix"}.Marshal(), crm.Label(c.Account, c.Kind))
	if err := e.crm.Store.SaveConnection(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
}

// signedInToCRM starts an authorization as the owner would, has the
// OAuth server sign them in, and returns where it sends them back: the
// callback's path with its state and code.
func (e *env) signedInToCRM(state string) string {
	e.t.Helper()
	o := e.crm.OAuth[crm.KindHubSpot]
	authURL, verifier := o.Start(state, "http://tether.test/v1/integrations/oauth/callback")
	if err := e.crm.Store.SaveAuthorization(context.Background(), crm.Authorization{State: state, Account: demo.Account, Kind: crm.KindHubSpot,
		Email: "owner@demo.test", Verifier: verifier, Created: time.Now()}); err != nil {
		e.t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		e.t.Fatalf("the OAuth server sent the owner back to %q (%d)", res.Header.Get("Location"), res.StatusCode)
	}
	return back.Path + "?" + back.RawQuery
}

// placed stands in for the switchboard where only the API's permissions
// are under test (the calls themselves: phone/switchboard's
// TestClickToCall, account/system's TestClickToCallAPI).
type placed struct{}

func (placed) ClickToCall(_ context.Context, email, to, from string) (string, error) {
	return "call-" + email, nil
}

// webhook subscribes a fresh address of the demo account's, for a route
// to delete.
func (e *env) webhook() string {
	id := fmt.Sprintf("wh_m%d", e.n())
	if err := e.sys.Store.SaveWebhook(context.Background(), hooks.Webhook{ID: id, Account: demo.Account, URL: "https://hooks.example.com/" + id,
		Secret: "s", Events: []string{hooks.CallEnded}, Created: time.Now()}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// TestPermissionMatrix runs every endpoint as every role against the
// running server: the roles in its row get through (the Owner with a
// success), the others get 403. An endpoint without a row fails the test,
// and so does a row without an endpoint.
func TestPermissionMatrix(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	vm := filepath.Join("voicemail", "vm-matrix.wav")
	os.MkdirAll(filepath.Join(e.dir, "voicemail"), 0o700)
	os.WriteFile(filepath.Join(e.dir, vm), []byte("RIFF....WAVE"), 0o600)
	if err := e.sys.Store.AddVoicemail(ctx, team.Voicemail{ID: "vm-matrix", Account: demo.Account, Number: "+14155550100", From: "+442071234567",
		Seconds: 3, Path: vm, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.sys.Store.SaveWebhook(ctx, hooks.Webhook{ID: "wh_matrix", Account: demo.Account, URL: "https://hooks.example.com/matrix",
		Secret: "s", Events: []string{hooks.VoicemailCreated}, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.sys.Store.AddVoicemail(ctx, team.Voicemail{ID: "vm-matrix-2", Account: demo.Account, Number: "+14155550100", From: "+442071234567",
		Seconds: 3, Path: vm, Created: time.Now()}); err != nil { // (an event for wh_matrix)
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var last []api.Route // transfer-ownership runs last: it changes who the Owner is
	for _, rt := range e.api.Routes() {
		key := rt.Method + " " + rt.Path
		if key == "POST /v1/team/transfer-ownership" {
			last = append(last, rt)
			continue
		}
		seen[key] = true
		e.check(key, rt)
	}
	for _, rt := range last {
		seen[rt.Method+" "+rt.Path] = true
		e.check(rt.Method+" "+rt.Path, rt)
	}
	for key := range matrix {
		if !seen[key] {
			t.Errorf("the matrix has a row for %s, which the server does not serve", key)
		}
	}
}

var roleLetter = map[string]string{"owner": "O", "admin": "A", "member": "M", "lead": "L"}

func (e *env) check(key string, rt api.Route) {
	t := e.t
	row, ok := matrix[key]
	if !ok {
		t.Errorf("%s has no row in the permission matrix", key)
		return
	}
	if row.roles == "*" {
		if !rt.Public {
			t.Errorf("%s: the matrix says public, the server wants a sign-in", key)
		}
		m, p, b := row.req(e, "")
		if status, code, body := e.do("", m, p, b); status >= 300 {
			t.Errorf("%s without a session: %d %s %.200s", key, status, code, body)
		}
		return
	}
	m0, p0, b0 := row.req(e, "owner")
	if status, _, _ := e.do("", m0, p0, b0); status != http.StatusUnauthorized {
		t.Errorf("%s without a session: %d, want 401", key, status)
	}
	for _, role := range []string{"lead", "member", "admin", "owner"} {
		m, p, b := row.req(e, role)
		token := e.tokens[role]
		if key == "DELETE /v1/session" {
			token = e.tokens["spare"]
		}
		status, code, body := e.do(token, m, p, b)
		allowed := strings.Contains(row.roles, roleLetter[role])
		switch {
		case allowed && (status == 401 || status == 403):
			t.Errorf("%s as %s: %d %s, want it allowed", key, role, status, code)
		case allowed && role == "owner" && status >= 300:
			t.Errorf("%s as owner: %d %s %.300s, want a success", key, status, code, body)
		case !allowed && (status != 403 || code != "forbidden"):
			t.Errorf("%s as %s: %d %s, want 403 forbidden", key, role, status, code)
		}
	}
}
