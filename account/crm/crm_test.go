package crm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/oauth2"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/crm"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/internal/peers"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openStore opens a store on now's clock with the account acme in it.
func openStore(t *testing.T, now func() time.Time) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "crm.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetClock(now)
	if _, err := db.CreateCustomer(context.Background(), billing.Customer{ID: "acme", Currency: "USD", Plan: "team", CycleAnchor: now(), Created: now()}); err != nil {
		t.Fatal(err)
	}
	return db
}

func bearer(token string) *http.Client {
	return oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}))
}

// sent are the mock's exchanges of method and path prefix.
func sent(hs *peers.HubSpot, method, prefix string) []peers.Exchange {
	var out []peers.Exchange
	for _, x := range hs.Exchanges() {
		if x.Method == method && strings.HasPrefix(x.Path, prefix) {
			out = append(out, x)
		}
	}
	return out
}

// allValid fails the test for any exchange Prism did not answer with a
// success: a request HubSpot's description refuses.
func allValid(t *testing.T, hs *peers.HubSpot) {
	t.Helper()
	for _, x := range hs.Exchanges() {
		if x.Status < 200 || x.Status > 299 {
			t.Errorf("%s %s answered %d (not valid per HubSpot's description?)\nrequest: %s\nanswer: %.600s", x.Method, x.Path, x.Status, x.Request, x.Response)
		}
	}
}

// TestHubSpotConnector: each of the connector's requests is one HubSpot's
// published description takes (Prism validates them, the token
// included), and says what it should: a search by phone, a contact made
// with the number, a call engagement with its direction, length, outcome
// and notes associated with the contact (type 194), a text as an SMS
// communication associated with it (type 81).
func TestHubSpotConnector(t *testing.T) {
	hs := peers.StartHubSpot(t)
	h := &crm.HubSpot{Client: bearer("pat-na1-test"), API: hs.URL, Portal: "4242"}
	ctx := context.Background()
	if _, _, err := h.FindContact(ctx, "+442071234567"); err != nil {
		t.Fatal(err)
	}
	ct, err := h.CreateContact(ctx, "+442071234567")
	if err != nil || ct.ID == "" || !strings.HasPrefix(ct.URL, "https://app.hubspot.com/contacts/4242/record/0-1/") {
		t.Fatalf("created %+v %v", ct, err)
	}
	call := crm.Call{ID: "c1", Direction: "outbound", From: "+14155550100", To: "+442071234567", Customer: "+442071234567",
		Started: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Seconds: 95, Outcome: "answered", Tag: "Call back", Notes: "wants a quote"}
	id, err := h.LogCall(ctx, ct, call)
	if err != nil || id == "" {
		t.Fatalf("logged %q %v", id, err)
	}
	if err := h.UpdateCall(ctx, id, call); err != nil {
		t.Fatal(err)
	}
	if _, err := h.LogText(ctx, ct, crm.Text{ID: "m1", Direction: "inbound", From: "+442071234567", To: "+14155550100", Customer: "+442071234567",
		At: call.Started, Body: "Running late, call me at 3"}); err != nil {
		t.Fatal(err)
	}
	allValid(t, hs)
	for _, x := range hs.Exchanges() {
		if x.Auth != "Bearer pat-na1-test" {
			t.Errorf("%s %s went with Authorization %q", x.Method, x.Path, x.Auth)
		}
	}
	var search struct {
		FilterGroups []struct {
			Filters []struct{ PropertyName, Operator, Value string }
		}
	}
	if s := sent(hs, "POST", "/crm/v3/objects/contacts/search"); len(s) != 1 {
		t.Fatalf("%d searches", len(s))
	} else if json.Unmarshal(s[0].Request, &search); len(search.FilterGroups) != 2 || search.FilterGroups[0].Filters[0].Value != "+442071234567" {
		t.Errorf("the search: %s", s[0].Request)
	}
	type created struct {
		Properties   map[string]string
		Associations []struct {
			To    struct{ ID string }
			Types []struct {
				AssociationCategory string
				AssociationTypeID   int `json:"associationTypeId"`
			}
		}
	}
	var c created
	calls := sent(hs, "POST", "/crm/v3/objects/calls")
	if len(calls) != 1 {
		t.Fatalf("%d calls logged", len(calls))
	}
	json.Unmarshal(calls[0].Request, &c)
	p := c.Properties
	if p["hs_call_direction"] != "OUTBOUND" || p["hs_call_duration"] != "95000" || p["hs_call_to_number"] != "+442071234567" ||
		p["hs_call_status"] != "COMPLETED" || p["hs_call_disposition"] != "f240bbac-87c9-4f6e-bf70-924b57d47db7" ||
		!strings.Contains(p["hs_call_body"], "wants a quote") || p["hs_timestamp"] != "2026-12-07T09:00:00Z" {
		t.Errorf("the call's properties: %v", p)
	}
	if len(c.Associations) != 1 || c.Associations[0].To.ID != ct.ID || c.Associations[0].Types[0].AssociationTypeID != 194 {
		t.Errorf("the call's associations: %s", calls[0].Request)
	}
	if len(sent(hs, "PATCH", "/crm/v3/objects/calls/"+id)) != 1 {
		t.Error("the call was not updated")
	}
	texts := sent(hs, "POST", "/crm/v3/objects/communications")
	if len(texts) != 1 {
		t.Fatalf("%d texts logged", len(texts))
	}
	c = created{}
	json.Unmarshal(texts[0].Request, &c)
	if c.Properties["hs_communication_channel_type"] != "SMS" || c.Properties["hs_communication_body"] != "Running late, call me at 3" ||
		len(c.Associations) != 1 || c.Associations[0].To.ID != ct.ID || c.Associations[0].Types[0].AssociationTypeID != 81 {
		t.Errorf("the text: %s", texts[0].Request)
	}
	// The description is what refuses: a search without the fields it
	// requires is an error (so a connector that sent one would fail).
	req, _ := http.NewRequest("POST", hs.URL+"/crm/v3/objects/contacts/search", strings.NewReader(`{"filterGroups": []}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer x")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode < 400 {
		t.Errorf("an incomplete search passed the mock: %v %v", res, err)
	}
}

// TestSyncThroughOutbox: a connected HubSpot gets an account's calls and
// texts through the outbox: an outbound call to a London number logged
// on its contact (found by number, or made), its disposition and notes
// added when logged, an inbound text with its words. With HubSpot down
// the delivery waits (its error noted on the connection), and arrives
// once HubSpot is back, once.
func TestSyncThroughOutbox(t *testing.T) {
	hs := peers.StartHubSpot(t)
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	db := openStore(t, clk.Now)
	key := make([]byte, 32)
	sealer, _ := crm.NewSealer(key)
	links := &crm.Recordings{Base: "https://phone.acme.test", Key: []byte("k"), Now: clk.Now}
	sync := &crm.Sync{Store: db, Sealer: sealer, APIs: map[string]string{crm.KindHubSpot: hs.URL}, Now: clk.Now, Recordings: links}
	creds := crm.Credentials{Token: "pat-na1-acme"}.Marshal()
	if err := db.SaveConnection(ctx, crm.Connection{Account: "acme", Kind: crm.KindHubSpot, Sealed: sealer.Seal(creds, crm.Label("acme", crm.KindHubSpot)),
		Portal: "4242", CreateContacts: true, Connected: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	d := &hooks.Deliverer{Store: db, Now: clk.Now, Targets: map[string]hooks.Target{"crm": sync}}
	call := records.Call{ID: "call-1", Account: "acme", Direction: "outbound", From: "101", To: "+442071234567", Started: clk.Now().Add(-65 * time.Second),
		Answered: clk.Now().Add(-60 * time.Second), Ended: clk.Now(), Seconds: 60, Cost: decimal.RequireFromString("0.015"),
		Currency: "USD", Disposition: records.Answered, Recording: "recordings/call-1.wav"}
	if err := db.AddCall(ctx, call); err != nil {
		t.Fatal(err)
	}
	if err := db.AddCall(ctx, records.Call{ID: "call-int", Account: "acme", Direction: "internal", From: "101", To: "102", Started: clk.Now(),
		Ended: clk.Now(), Cost: decimal.Zero, Currency: "USD", Disposition: records.Answered}); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Once(ctx); err != nil || n != 2 {
		t.Fatalf("delivered %d, %v (the call, and the internal call: nothing to log)", n, err)
	}
	if err := db.Tag(ctx, "call-1", "Call back", "wants a quote for 20 seats"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMessage(ctx, records.Message{ID: "msg-1", Account: "acme", Direction: "inbound", From: "+442071234567", To: "+14155550100",
		At: clk.Now(), Segments: 1, Cost: decimal.Zero, Currency: "USD", Status: "delivered", Body: "Running late, call me at 3"}); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Once(ctx); err != nil || n != 2 {
		t.Fatalf("delivered %d, %v (the disposition and the text)", n, err)
	}
	allValid(t, hs)
	// The call went to the contact the search found, or the one made for
	// the number when it found none.
	var contact string
	var found struct{ Results []struct{ ID string } }
	json.Unmarshal(sent(hs, "POST", "/crm/v3/objects/contacts/search")[0].Response, &found)
	if len(found.Results) > 0 {
		contact = found.Results[0].ID
	} else {
		var made struct{ ID string }
		json.Unmarshal(sent(hs, "POST", "/crm/v3/objects/contacts")[0].Response, &made)
		contact = made.ID
	}
	calls := sent(hs, "POST", "/crm/v3/objects/calls")
	if len(calls) != 1 || !strings.Contains(string(calls[0].Request), `"to":{"id":"`+contact+`"}`) {
		t.Fatalf("calls logged: %d, want one on contact %q: %+v", len(calls), contact, calls)
	}
	// The recorded call carries a link to its recording that verifies.
	var sentCall struct{ Properties map[string]string }
	json.Unmarshal(calls[0].Request, &sentCall)
	rec, err := url.Parse(sentCall.Properties["hs_call_recording_url"])
	if err != nil || !strings.HasPrefix(rec.String(), "https://phone.acme.test/v1/recordings/call-1?") ||
		!links.Verify(rec.Query().Get("account"), "call-1", rec.Query().Get("expires"), rec.Query().Get("sig")) {
		t.Errorf("the recording link: %q", sentCall.Properties["hs_call_recording_url"])
	}
	var logged struct{ ID string }
	json.Unmarshal(calls[0].Response, &logged)
	if p := sent(hs, "PATCH", "/crm/v3/objects/calls/"); len(p) != 1 || p[0].Path != "/crm/v3/objects/calls/"+logged.ID ||
		!strings.Contains(string(p[0].Request), "wants a quote for 20 seats") {
		t.Errorf("the disposition's update: %+v", p)
	}
	if m := sent(hs, "POST", "/crm/v3/objects/communications"); len(m) != 1 || !strings.Contains(string(m[0].Request), "Running late, call me at 3") {
		t.Errorf("the text: %+v", m)
	}

	// HubSpot down: the next call waits, its error noted; back up, it
	// arrives at the next try, once.
	hs.Down(true)
	call2 := call
	call2.ID = "call-2"
	if err := db.AddCall(ctx, call2); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Once(ctx); n != 0 {
		t.Fatalf("delivered %d with HubSpot down", n)
	}
	c, err := db.Connection(ctx, "acme", crm.KindHubSpot)
	if err != nil || !strings.Contains(c.LastError, "not answering") || c.LastErrorAt.IsZero() {
		t.Errorf("the connection after a failure: %+v %v", c, err)
	}
	hs.Down(false)
	if n, _ := d.Once(ctx); n != 0 {
		t.Fatal("retried before its time")
	}
	clk.Advance(31 * time.Second)
	if n, err := d.Once(ctx); err != nil || n != 1 {
		t.Fatalf("after HubSpot came back: delivered %d, %v", n, err)
	}
	if n := len(sent(hs, "POST", "/crm/v3/objects/calls")); n != 2 {
		t.Errorf("%d calls logged in all, want 2", n)
	}
	if c, _ := db.Connection(ctx, "acme", crm.KindHubSpot); c.LastError != "" || !c.LastSync.Equal(clk.Now()) {
		t.Errorf("the connection once synced again: %+v", c)
	}
	allValidAfter := 0
	for _, x := range hs.Exchanges() {
		if x.Status == http.StatusServiceUnavailable {
			allValidAfter++
		}
	}
	if allValidAfter == 0 {
		t.Error("the mock was never down")
	}
	// Three days of failures stop the feed; connecting again starts it.
	feed := crm.Feed("acme", crm.KindHubSpot)
	if err := db.DisableWebhook(ctx, feed, clk.Now()); err != nil {
		t.Fatal(err)
	}
	disabled := func() bool {
		ws, _ := db.Webhooks(ctx, "acme")
		for _, w := range ws {
			if w.ID == feed {
				return !w.Disabled.IsZero()
			}
		}
		t.Fatal("no feed")
		return false
	}
	if !disabled() {
		t.Fatal("the feed was not stopped")
	}
	if err := db.SaveConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if disabled() {
		t.Error("connecting again left the feed stopped")
	}
	// Sealed credentials open only for their own account and CRM.
	if _, err := sealer.Open(c.Sealed, crm.Label("other", crm.KindHubSpot)); !errors.Is(err, crm.ErrSealed) {
		t.Errorf("a token opened for another account: %v", err)
	}
	if strings.Contains(string(c.Sealed), "pat-na1-acme") {
		t.Error("the token is stored in the clear")
	}
}

// TestOAuthConnection: connecting by signing in. The code comes back
// only for the verifier the authorization started with (PKCE); an
// expired access token is refreshed before a request, the new one kept
// (sealed) for next time; once the person revokes the app, the refresh is
// refused and the connector says to connect again (ErrAuth).
func TestOAuthConnection(t *testing.T) {
	o := peers.StartOAuth(t)
	hs := peers.StartHubSpot(t)
	ctx := context.Background()
	app := crm.OAuth{ClientID: o.ClientID, ClientSecret: o.ClientSecret, AuthURL: o.URL + "/authorize", TokenURL: o.URL + "/token", Scopes: crm.HubSpotScopes}
	const redirect = "http://127.0.0.1:1/v1/integrations/oauth/callback"
	signIn := func() (code, verifier string) {
		t.Helper()
		authURL, verifier := app.Start("s1", redirect)
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := noFollow.Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		back, _ := url.Parse(res.Header.Get("Location"))
		if back == nil || back.Query().Get("state") != "s1" || back.Query().Get("code") == "" {
			t.Fatalf("sent back to %q", res.Header.Get("Location"))
		}
		return back.Query().Get("code"), verifier
	}
	code, _ := signIn()
	if _, err := app.Finish(ctx, code, oauth2.GenerateVerifier(), redirect); err == nil {
		t.Fatal("a code was exchanged with another verifier")
	}
	code, verifier := signIn()
	tok, err := app.Finish(ctx, code, verifier, redirect)
	if err != nil || !o.Issued(tok.AccessToken) || tok.RefreshToken == "" {
		t.Fatalf("exchanged: %+v %v (refused: %v)", tok, err, o.Refused)
	}
	db := openStore(t, time.Now)
	sealer, _ := crm.NewSealer(make([]byte, 32))
	sync := &crm.Sync{Store: db, Sealer: sealer, APIs: map[string]string{crm.KindHubSpot: hs.URL}, OAuth: map[string]crm.OAuth{crm.KindHubSpot: app}}
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	connect := func(tok oauth2.Token) crm.Connection {
		t.Helper()
		c := crm.Connection{Account: "acme", Kind: crm.KindHubSpot, Connected: time.Now(),
			Sealed: sealer.Seal(crm.Credentials{OAuth: &tok}.Marshal(), crm.Label("acme", crm.KindHubSpot))}
		if err := db.SaveConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	conn, err := sync.Connector(ctx, connect(expired))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.FindContact(ctx, "+442071234567"); err != nil {
		t.Fatal(err)
	}
	xs := hs.Exchanges()
	used := strings.TrimPrefix(xs[len(xs)-1].Auth, "Bearer ")
	if o.Refreshs != 1 || used == tok.AccessToken || !o.Issued(used) {
		t.Fatalf("after expiry: %d refreshes, the request went with %q", o.Refreshs, xs[len(xs)-1].Auth)
	}
	kept, _ := db.Connection(ctx, "acme", crm.KindHubSpot)
	plain, err := sealer.Open(kept.Sealed, crm.Label("acme", crm.KindHubSpot))
	if err != nil || !strings.Contains(string(plain), used) {
		t.Errorf("the refreshed token was not kept: %v", err)
	}
	// Revoked in the CRM: the kept refresh token is refused when the
	// access token next expires, which says connect again.
	var now crm.Credentials
	json.Unmarshal(plain, &now)
	now.OAuth.Expiry = time.Now().Add(-time.Minute)
	o.Revoke()
	conn, _ = sync.Connector(ctx, connect(*now.OAuth))
	if _, _, err := conn.FindContact(ctx, "+442071234567"); !errors.Is(err, crm.ErrAuth) {
		t.Errorf("with the app revoked: %v, want ErrAuth", err)
	}
}

// TestPipedriveThroughOutbox: the same interface on a CRM shaped
// otherwise (Pipedrive: persons, call logs that cannot change, notes),
// against a stand-in strict as Pipedrive's reference: a call to an
// unknown number makes the person and logs the call on it; the
// disposition logged later is a note on the person; a text is a note; a
// second call finds the person. A wrong token is ErrAuth.
func TestPipedriveThroughOutbox(t *testing.T) {
	pd := peers.StartPipedrive(t)
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	db := openStore(t, clk.Now)
	sealer, _ := crm.NewSealer(make([]byte, 32))
	sync := &crm.Sync{Store: db, Sealer: sealer, APIs: map[string]string{crm.KindPipedrive: pd.URL}, Now: clk.Now}
	connect := func(token string) crm.Connection {
		t.Helper()
		c := crm.Connection{Account: "acme", Kind: crm.KindPipedrive, Portal: "acme", CreateContacts: true, Connected: clk.Now(),
			Sealed: sealer.Seal(crm.Credentials{Token: token}.Marshal(), crm.Label("acme", crm.KindPipedrive))}
		if err := db.SaveConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	bad, _ := sync.Connector(ctx, connect("not-the-token"))
	if _, _, err := bad.FindContact(ctx, "+442071234567"); !errors.Is(err, crm.ErrAuth) {
		t.Fatalf("a wrong token: %v", err)
	}
	connect(pd.Token)
	d := &hooks.Deliverer{Store: db, Now: clk.Now, Targets: map[string]hooks.Target{"crm": sync}}
	call := records.Call{ID: "call-1", Account: "acme", Direction: "outbound", From: "+14155550100", To: "+442071234567",
		Started: clk.Now().Add(-95 * time.Second), Answered: clk.Now().Add(-90 * time.Second), Ended: clk.Now(), Seconds: 90,
		Cost: decimal.Zero, Currency: "USD", Disposition: records.Answered}
	if err := db.AddCall(ctx, call); err != nil {
		t.Fatal(err)
	}
	if err := db.Tag(ctx, "call-1", "Call back", "wants a quote"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMessage(ctx, records.Message{ID: "msg-1", Account: "acme", Direction: "inbound", From: "+442071234567", To: "+14155550100",
		At: clk.Now(), Segments: 1, Cost: decimal.Zero, Currency: "USD", Status: "delivered", Body: "See you at 3"}); err != nil {
		t.Fatal(err)
	}
	call2 := call
	call2.ID, call2.Disposition, call2.Seconds, call2.Answered = "call-2", records.Busy, 0, time.Time{}
	if err := db.AddCall(ctx, call2); err != nil {
		t.Fatal(err)
	}
	for range 3 { // (in order: what a later event needs was delivered by an earlier round at the latest)
		d.Once(ctx)
		clk.Advance(time.Minute)
	}
	logs, notes, refused := pd.Made()
	if len(refused) > 0 {
		t.Fatalf("requests Pipedrive's reference refuses: %v", refused)
	}
	ps := pd.Persons()
	if len(ps) != 1 || ps[0].Phones[0] != "+442071234567" {
		t.Fatalf("persons %+v (one, made once)", ps)
	}
	if len(logs) != 2 || logs[0]["outcome"] != "connected" || logs[0]["duration"] != "90" || fmt.Sprint(logs[0]["person_id"]) != "1" ||
		logs[0]["start_time"] != "2026-12-07 08:58:25" || logs[1]["outcome"] != "busy" {
		t.Errorf("call logs %v", logs)
	}
	var contents []string
	for _, n := range notes {
		if fmt.Sprint(n["person_id"]) != "1" {
			t.Errorf("a note on another person: %v", n)
		}
		contents = append(contents, n["content"].(string))
	}
	if len(contents) != 2 || !strings.Contains(contents[0], "Call back") || !strings.Contains(contents[0], "wants a quote") ||
		!strings.Contains(contents[1], "See you at 3") {
		t.Errorf("notes %q", contents)
	}
}
