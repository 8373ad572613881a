package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/company"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
)

// TestIsolation: a second company on the same switchboard sees nothing of
// the first. Its Owner (every right) walks every route: those naming one
// of the first company's things (a number, a teammate, a phone, an
// invitation, a role, a contact, a call, a voicemail, a receipt) get 404;
// those that list or show get only its own (no trace of the first's
// addresses, numbers or names). A route this test does not classify
// fails it.
func TestIsolation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Account A is the demo: give it one of everything.
	vm := filepath.Join("voicemail", "vm-a.wav")
	os.MkdirAll(filepath.Join(e.dir, "voicemail"), 0o700)
	os.WriteFile(filepath.Join(e.dir, vm), []byte("RIFF....WAVE"), 0o600)
	if err := e.sys.Store.AddVoicemail(ctx, team.Voicemail{ID: "vm-a", Account: demo.Account, Number: "+14155550100", From: "+442071234567",
		Seconds: 3, Path: vm, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := e.sys.Store.AddCall(ctx, records.Call{ID: "call-a", Account: demo.Account, Direction: "outbound", From: "+14155550100",
		To: "+442071234567", Started: now, Ended: now, Cost: decimal.Zero, Currency: "USD", Disposition: records.Answered}); err != nil {
		t.Fatal(err)
	}
	contact := e.contact()
	pending := e.invitation()
	d, _ := team.NewDevice("rep@demo.test", "a phone", "tether", now)
	if err := e.sys.Store.AddDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := e.sys.Store.SaveWebhook(ctx, hooks.Webhook{ID: "wh-a", Account: demo.Account, URL: "https://hooks.example.com/a",
		Secret: "s", Events: []string{hooks.CallEnded}, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.sys.Store.AddCall(ctx, records.Call{ID: "call-a2", Account: demo.Account, Direction: "outbound", From: "+14155550100",
		To: "+442071234567", Started: now, Ended: now, Cost: decimal.Zero, Currency: "USD", Disposition: records.Answered}); err != nil {
		t.Fatal(err)
	}
	aDeliveries, err := e.sys.Store.Deliveries(ctx, demo.Account, "wh-a", 1)
	if err != nil || len(aDeliveries) != 1 {
		t.Fatalf("A's delivery: %v %v", aDeliveries, err)
	}
	if err := e.sys.Store.SaveKey(ctx, team.Key{ID: "key-a", Account: demo.Account, Owner: "admin@demo.test", Name: "a's script",
		Scopes: []team.Permission{team.Calls}, Created: now}, "hash-of-key-a"); err != nil {
		t.Fatal(err)
	}
	rs, err := e.sys.Engine.Receipts(ctx, demo.Account, 1)
	if err != nil || len(rs) == 0 {
		t.Fatalf("the demo's receipts: %v %v", rs, err)
	}

	// Account B: signed up, verified, its Owner signed in.
	hash, _ := team.HashPassword("b owner password")
	st := company.Stores{Users: e.sys.Store, Billing: e.sys.Engine}
	ob, err := company.Open(ctx, st, company.New{Name: "Bee Corp", Country: "US", Plan: "team", Owner: "owner@bee.test", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sys.Engine.Verify(ctx, ob.Account); err != nil {
		t.Fatal(err)
	}
	e.pw["owner@bee.test"] = "b owner password"
	b := e.signIn("owner@bee.test")

	// A's things, as B would name them.
	a := map[string]string{
		"{number}": "+14155550101", "{username}": d.Username, "{email}": "rep@demo.test", "{name}": "lead",
	}
	ids := map[string]string{"contacts": contact, "calls": "call-a", "voicemails": "vm-a", "receipts": rs[0].ID, "keys": "key-a", "webhooks": "wh-a"}
	named := map[string]string{ // routes naming A's things: their body, when they need one
		"GET /v1/numbers/{number}":                 "",
		"PATCH /v1/numbers/{number}":               `{"record": true}`,
		"PUT /v1/numbers/{number}/members":         `{"members": ["owner@bee.test"]}`,
		"PUT /v1/numbers/{number}/greeting":        greetingWAV(),
		"DELETE /v1/numbers/{number}/greeting":     "",
		"GET /v1/numbers/{number}/greeting":        "",
		"DELETE /v1/numbers/{number}":              "",
		"DELETE /v1/devices/{username}":            "",
		"PATCH /v1/team/{email}":                   `{"role": "admin"}`,
		"DELETE /v1/team/{email}":                  "",
		"DELETE /v1/team/invitations/{email}":      "",
		"POST /v1/team/invitations/{email}/resend": "",
		"DELETE /v1/roles/{name}":                  "",
		"PUT /v1/contacts/{id}":                    `{"name": "Mallory", "numbers": ["+442071234567"]}`,
		"DELETE /v1/contacts/{id}":                 "",
		"PUT /v1/calls/{id}/disposition":           `{"disposition": "Call back", "notes": "x"}`,
		"GET /v1/calls/{id}/recording":             "",
		"PATCH /v1/voicemails/{id}":                `{"heard": true}`,
		"GET /v1/voicemails/{id}/audio":            "",
		"GET /v1/receipts/{id}":                    "",
		"DELETE /v1/keys/{id}":                     "",
		"DELETE /v1/webhooks/{id}":                 "",
		"GET /v1/webhooks/{id}/deliveries":         "",
	}
	// Routes that take A's things in their body or query, not their path.
	byBody := map[string][2]string{
		"GET /v1/voicemails":                                  {"/v1/voicemails?number=%2B14155550100", ""},
		"POST /v1/team/transfer-ownership":                    {"/v1/team/transfer-ownership", `{"email": "admin@demo.test"}`},
		"POST /v1/webhooks/{id}/deliveries/{delivery}/replay": {"/v1/webhooks/wh-a/deliveries/" + aDeliveries[0].ID + "/replay", ""},
	}
	// Routes that name nothing of A's: what they show must hold none of it.
	own := map[string]string{
		"GET /v1/me": "", "GET /v1/account": "", "GET /v1/devices": "", "GET /v1/balance": "", "GET /v1/numbers": "", "GET /v1/team": "",
		"GET /v1/team/invitations": "", "GET /v1/roles": "", "GET /v1/contacts": "", "GET /v1/dispositions": "", "GET /v1/calls": "",
		"GET /v1/messages": "", "GET /v1/audit": "", "GET /v1/credits/transactions": "", "GET /v1/credits/usage": "",
		"GET /v1/topup": "", "GET /v1/topup/history": "", "GET /v1/subscription": "", "GET /v1/receipts": "",
		"GET /v1/keys": "", "GET /v1/webhooks": "", "GET /v1/integrations": "",
	}
	// Routes that change only B's own things, or are public: not about A.
	notAboutA := map[string]bool{
		"POST /v1/session": true, "POST /v1/invitations/accept": true, "POST /v1/signup": true, "GET /v1/plans": true, "GET /v1/openapi.json": true,
		"DELETE /v1/session": true, "POST /v1/devices": true, "PATCH /v1/account": true, "POST /v1/account/verify": true,
		"POST /v1/account/verify/resend": true, "POST /v1/credits": true, "PUT /v1/card": true, "PUT /v1/topup": true,
		"PUT /v1/subscription/plan": true, "GET /v1/numbers/search": true, "POST /v1/numbers": true, "POST /v1/team/invitations": true,
		"PUT /v1/roles/{name}": true, "POST /v1/contacts": true, "PUT /v1/dispositions": true, "POST /v1/keys": true, "POST /v1/webhooks": true,
		"GET /v1/quote":  true, // a price, from any number to any number
		"POST /v1/calls": true, // rings B's own phone
		// B's own CRM connection (by kind), and the public callback.
		"PUT /v1/integrations/{kind}": true, "POST /v1/integrations/{kind}/authorize": true, "DELETE /v1/integrations/{kind}": true,
		"GET /v1/integrations/{kind}/contact": true, "GET /v1/integrations/oauth/callback": true,
		"GET /v1/card": true, // B has none: 404 no_card
	}
	traces := []string{"demo.test", "+14155550100", "+14155550101", "Demo Company", contact, "call-a", "vm-a", rs[0].ID, "key-a", "wh-a", "hooks.example.com"}
	for _, rt := range e.api.Routes() {
		key := rt.Method + " " + rt.Path
		switch body, ok := named[key]; {
		case ok:
			path := strings.ReplaceAll(rt.Path, "invitations/{email}", "invitations/"+pending)
			for k, v := range a {
				path = strings.ReplaceAll(path, k, v)
			}
			path = strings.ReplaceAll(path, "{id}", ids[strings.Split(rt.Path, "/")[2]]) // /v1/KIND/{id}
			if status, code, got := e.do(b, rt.Method, path, body); status != http.StatusNotFound {
				t.Errorf("%s as another company (%s): %d %s %.200s, want 404", key, path, status, code, got)
			}
		case byBody[key] != [2]string{}:
			if status, code, got := e.do(b, rt.Method, byBody[key][0], byBody[key][1]); status != http.StatusNotFound {
				t.Errorf("%s as another company: %d %s %.200s, want 404", key, status, code, got)
			}
		case hasKey(own, key):
			status, _, got := e.do(b, rt.Method, rt.Path, "")
			if status != http.StatusOK {
				t.Errorf("%s as another company: %d %.200s", key, status, got)
			}
			for _, tr := range traces {
				if strings.Contains(string(got), tr) {
					t.Errorf("%s shows another company %q: %.300s", key, tr, got)
				}
			}
		case notAboutA[key] || rt.Public:
		default:
			t.Errorf("%s: the isolation test does not say what it may show of another company", key)
		}
	}
	// A is as it was.
	if n, err := e.sys.Store.Number(ctx, "+14155550101"); err != nil || n.Account != demo.Account || len(n.Members) != 3 {
		t.Errorf("A's shared number after B's tries: %+v, %v", n, err)
	}
	if u, err := e.sys.Store.User(ctx, "rep@demo.test"); err != nil || u.Role != team.Member {
		t.Errorf("A's rep after B's tries: %+v, %v", u, err)
	}
	if c, err := e.sys.Store.Contact(ctx, contact); err != nil || c.Name != "Ada" {
		t.Errorf("A's contact after B's tries: %+v, %v", c, err)
	}
	if ins, _ := e.sys.Store.Invitations(ctx, demo.Account); !hasInvitation(ins, pending) {
		t.Errorf("A's invitation after B's tries: %+v", ins)
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func hasInvitation(ins []team.Invitation, email string) bool {
	for _, in := range ins {
		if in.Email == email {
			return true
		}
	}
	return false
}
