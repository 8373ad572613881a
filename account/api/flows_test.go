package api_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/records"
	_ "modernc.org/sqlite"
)

// snapshot hashes every row of every table in the store: equal snapshots
// mean nothing was written.
func (e *env) snapshot() string {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.sys.Store.Path()+"?mode=ro")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		e.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	h := sha256.New()
	for _, tb := range tables {
		rs, err := db.Query(`SELECT * FROM "` + tb + `" ORDER BY rowid`)
		if err != nil {
			rs, err = db.Query(`SELECT * FROM "` + tb + `"`)
			if err != nil {
				e.t.Fatal(err)
			}
		}
		cols, _ := rs.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rs.Next() {
			rs.Scan(ptrs...)
			fmt.Fprintf(h, "%s%v\n", tb, vals)
		}
		rs.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestBadInputTable sends each endpoint malformed JSON, wrong types,
// oversized bodies, negative and absurd amounts, unicode and injection
// strings: each gets a 4xx with a machine-readable code, and the store is
// byte for byte unchanged.
func TestBadInputTable(t *testing.T) {
	e := newEnv(t)
	big := `"` + strings.Repeat("x", 70<<10) + `"`
	inject := `"'; DROP TABLE users; --"`
	cases := []struct{ method, path, body string }{
		{"POST", "/v1/credits", `{"amount": "10.00"`},
		{"POST", "/v1/credits", `{"amount": 10, "idempotency_key": "abcdefgh1"}`},
		{"POST", "/v1/credits", `{"amount": "-10.00", "idempotency_key": "abcdefgh2"}`},
		{"POST", "/v1/credits", `{"amount": "0.001", "idempotency_key": "abcdefgh3"}`},
		{"POST", "/v1/credits", `{"amount": "99999999", "idempotency_key": "abcdefgh4"}`},
		{"POST", "/v1/credits", `{"amount": "1e9", "idempotency_key": "abcdefgh5"}`},
		{"POST", "/v1/credits", `{"amount": "1.00", "idempotency_key": "abcdefgh6"}`},
		{"POST", "/v1/credits", `{"amount": "NaN", "idempotency_key": "abcdefgh7"}`},
		{"POST", "/v1/credits", `{"amount": "10.00", "idempotency_key": ` + inject + `}`},
		{"POST", "/v1/credits", `{"amount": "10.00", "idempotency_key": "abcdefgh8", "to": "someone else"}`},
		{"POST", "/v1/credits", `{"amount": ` + big + `, "idempotency_key": "abcdefgh9"}`},
		{"PUT", "/v1/card", `{"number": "4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}`},
		{"PUT", "/v1/card", `{"number": "4242424242424242", "exp_month": 13, "exp_year": 2030, "cvc": "123"}`},
		{"PUT", "/v1/card", `{"number": "4242424242424242", "exp_month": "12", "exp_year": 2030, "cvc": "123"}`},
		{"PUT", "/v1/card", `{"number": "4242424242424242", "exp_month": 12, "exp_year": 2001, "cvc": "123"}`},
		{"PUT", "/v1/topup", `{"enabled": true, "threshold": "-5", "amount": "25.00"}`},
		{"PUT", "/v1/topup", `{"enabled": true, "threshold": "50.00", "amount": "25.00"}`},
		{"PUT", "/v1/topup", `{"enabled": "yes", "threshold": "5.00", "amount": "25.00"}`},
		{"PUT", "/v1/topup", `{"threshold": "5.00"}`},
		{"PUT", "/v1/topup", `{"enabled": true, "threshold": "0", "amount": "25.00"}`},
		{"PUT", "/v1/topup", `{"enabled": true, "threshold": "0.00", "amount": "25.00"}`},
		{"PUT", "/v1/topup", `{"enabled": true, "threshold": "5.00", "amount": "1000000.00"}`},
		{"GET", "/v1/credits/transactions?limit=0", ""},
		{"GET", "/v1/credits/transactions?since=yesterday", ""},
		{"GET", "/v1/credits/transactions?type=" + "%27%3B+DROP", ""},
		{"GET", "/v1/credits/usage?days=-1", ""},
		{"GET", "/v1/numbers/search?country=ZZ", ""},
		{"GET", "/v1/numbers/search?country=GB&type=premium", ""},
		{"GET", "/v1/numbers/search", ""},
		{"POST", "/v1/numbers", `{"number": "+1 415 555 0100"}`},
		{"POST", "/v1/numbers", `{"number": "+14155550100"}`},
		{"POST", "/v1/numbers", `{"number": ` + inject + `}`},
		{"POST", "/v1/numbers", `{"number": "+14155559876", "assign": ["nobody@demo.test"]}`},
		{"POST", "/v1/numbers", `{"number": "+14155559876", "assign": "admin@demo.test"}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"hours": "mon-fri 25:00-26:00"}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"zone": "Mars/Olympus"}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"routing": "ivr"}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"routing": "forward"}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"routing": "teleport"}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"forward": "not a number"}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"forward": "+14155550100"}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"menu": {"options": {"1": {"kind": "user", "target": "nobody@demo.test"}}, "timeout": 5, "timeout_route": {"kind": "voicemail"}}}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"menu": {"options": {"12": {"kind": "voicemail"}}, "timeout": 5, "timeout_route": {"kind": "voicemail"}}}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"menu": {"options": {"1": {"kind": "voicemail"}}, "timeout": 500, "timeout_route": {"kind": "voicemail"}}}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"greeting": ` + big + `}`},
		{"PATCH", "/v1/numbers/+14155550101", `{}`},
		{"PATCH", "/v1/numbers/+14155550101", `{"record": 1}`},
		{"PATCH", "/v1/numbers/not-a-number", `{"record": true}`},
		{"PUT", "/v1/numbers/+14155550101/members", `{"members": []}`},
		{"PUT", "/v1/numbers/+14155550101/members", `{"members": ["stranger@elsewhere.test"]}`},
		{"PUT", "/v1/numbers/+14155550101/members", `{"members": [` + inject + `]}`},
		{"DELETE", "/v1/numbers/+19995550100", ""},
		{"POST", "/v1/team/invitations", `{"email": "not an email", "role": "member"}`},
		{"POST", "/v1/team/invitations", `{"email": "x@demo.test", "role": "owner"}`},
		{"POST", "/v1/team/invitations", `{"email": "x@demo.test", "role": "emperor"}`},
		{"POST", "/v1/team/invitations", `{"email": "rep@demo.test", "role": "member"}`},
		{"POST", "/v1/team/invitations", `{"email": "two words@demo.test", "role": "member"}`},
		{"PATCH", "/v1/team/rep@demo.test", `{"role": "owner"}`},
		{"PATCH", "/v1/team/rep@demo.test", `{"role": ""}`},
		{"PATCH", "/v1/team/rep@demo.test", `{"role": ` + inject + `}`},
		{"PATCH", "/v1/team/nobody@demo.test", `{"role": "admin"}`},
		{"DELETE", "/v1/team/owner@demo.test", ""},
		{"DELETE", "/v1/team/admin@demo.test", ""}, // oneself
		{"POST", "/v1/team/transfer-ownership", `{"email": "stranger@elsewhere.test"}`},
		{"PUT", "/v1/roles/Bad Name", `{"permissions": ["calls"]}`},
		{"PUT", "/v1/roles/admin", `{"permissions": ["calls"]}`},
		{"PUT", "/v1/roles/boss", `{"permissions": ["ownership.transfer"]}`},
		{"PUT", "/v1/roles/boss", `{"permissions": ["world.domination"]}`},
		{"PUT", "/v1/roles/boss", `{"permissions": "calls"}`},
		{"PUT", "/v1/roles/lead", `null`},
		{"PUT", "/v1/roles/lead", `{}`},
		{"PUT", "/v1/roles/lead", `{"permissions": []}`},
		{"DELETE", "/v1/roles/lead", ""}, // held by someone
		{"DELETE", "/v1/roles/member", ""},
		{"POST", "/v1/contacts", `{"name": ""}`},
		{"POST", "/v1/contacts", `{"name": "A", "numbers": ["call me maybe"]}`},
		{"POST", "/v1/contacts", `{"name": ` + big + `}`},
		{"POST", "/v1/contacts", `{"name": "A\u0000B"}`},
		{"POST", "/v1/contacts", `{"name": ["A"]}`},
		{"PUT", "/v1/contacts/no-such", `{"name": "A"}`},
		{"PUT", "/v1/dispositions", `{"dispositions": []}`},
		{"PUT", "/v1/dispositions", `{"dispositions": ["A", "A"]}`},
		{"PUT", "/v1/dispositions", `{"dispositions": ["line\nbreak"]}`},
		{"PUT", "/v1/calls/no-such/disposition", `{"disposition": "Call back"}`},
		{"PUT", "/v1/calls/no-such/disposition", `{"disposition": "Made up"}`},
		{"GET", "/v1/quote", ""},
		{"GET", "/v1/quote?to=banana", ""},
		{"GET", "/v1/audit?limit=100000", ""},
		{"POST", "/v1/invitations/accept", `{"token": "forged", "password": "a long password"}`},
		{"POST", "/v1/invitations/accept", `{"token": "forged", "password": "short"}`},
	}
	before := e.snapshot()
	for _, k := range cases {
		token := e.tokens["admin"]
		status, code, body := e.do(token, k.method, k.path, k.body)
		if status < 400 || status >= 500 || code == "" {
			t.Errorf("%s %s %.80s: %d %q %.200s, want a 4xx with a code", k.method, k.path, k.body, status, code, body)
		}
		if after := e.snapshot(); after != before {
			t.Fatalf("%s %s %.80s changed the store", k.method, k.path, k.body)
		}
	}
}

// TestCreditsAndTopUp: the owner adds credits (once per key), sees the
// transaction and the usage, sets auto top-up with the suggestion in view,
// and the audit log has each change.
func TestCreditsAndTopUp(t *testing.T) {
	e := newEnv(t)
	owner := e.tokens["owner"]
	add := `{"amount": "15.50", "idempotency_key": "owner-topup-0001"}`
	for range 2 {
		status, code, body := e.do(owner, "POST", "/v1/credits", add)
		if status != 201 {
			t.Fatalf("add credits: %d %s %s", status, code, body)
		}
	}
	var bal api.BalanceInfo
	_, _, body := e.do(owner, "GET", "/v1/balance", "")
	json.Unmarshal(body, &bal)
	if bal.Available != "35.5000" || bal.Gate != "open" || bal.Bundle == nil || bal.Bundle.MinutesAll == 0 {
		t.Fatalf("after adding $15.50 twice with one key: %s", body)
	}
	if status, code, _ := e.do(owner, "POST", "/v1/credits", `{"amount": "20.00", "idempotency_key": "owner-topup-0001"}`); status != 409 {
		t.Errorf("the same key for another amount: %d %s", status, code)
	}
	var page api.TransactionPage
	_, _, body = e.do(owner, "GET", "/v1/credits/transactions?type=payment", "")
	json.Unmarshal(body, &page)
	if len(page.Items) != 1 || page.Items[0].Amount != "15.5000" {
		t.Fatalf("payments: %s", body)
	}
	_, _, body = e.do(owner, "GET", "/v1/credits/transactions?limit=1", "")
	json.Unmarshal(body, &page)
	if len(page.Items) != 1 || page.NextOffset != 1 {
		t.Errorf("paging: %s", body)
	}
	// Spend something, then see it in the usage by day.
	if err := e.sys.Engine.Purchase(context.Background(), demo.Account, "test-spend", "international-call", decimal.RequireFromString("1.2345"), "test"); err != nil {
		t.Fatal(err)
	}
	var days []api.UsageDay
	_, _, body = e.do(owner, "GET", "/v1/credits/usage?days=7", "")
	json.Unmarshal(body, &days)
	if len(days) != 7 || days[6].ByType["international-call"] != "1.2345" || days[6].Total != "1.2345" {
		t.Errorf("usage: %s", body)
	}
	status, code, body := e.do(owner, "PUT", "/v1/topup", `{"enabled": true, "threshold": "10.00", "amount": "30.00"}`)
	var tu api.TopUpSettings
	json.Unmarshal(body, &tu)
	if status != 200 || !tu.Enabled || tu.Threshold != "10.00" || tu.Amount != "30.00" || tu.Suggested.Basis == "" {
		t.Fatalf("set auto top-up: %d %s %s", status, code, body)
	}
	var hist api.TopUpHistory
	_, _, body = e.do(owner, "GET", "/v1/topup/history", "")
	json.Unmarshal(body, &hist)
	if len(hist.TopUps) != 1 || hist.TopUps[0].Status != "succeeded" || hist.TopUps[0].Kind != "manual" {
		t.Errorf("history: %s", body)
	}
	var log []api.AuditInfo
	_, _, body = e.do(owner, "GET", "/v1/audit", "")
	json.Unmarshal(body, &log)
	actions := map[string]int{}
	for _, l := range log {
		actions[l.Action]++
		if l.Actor != "owner@demo.test" || l.Source != "127.0.0.1" {
			t.Errorf("audit line %+v", l)
		}
	}
	if actions["credits.add"] != 2 || actions["topup.set"] != 1 {
		t.Errorf("audit: %s", body)
	}
	// The purchase is audited with its attempt and again with its outcome,
	// each in the transaction that wrote it; the retry with the same key
	// wrote nothing, so it audits nothing.
	var details []string
	for _, l := range log {
		if l.Action == "credits.add" {
			details = append(details, l.Detail)
		}
	}
	slices.Sort(details)
	if !slices.Equal(details, []string{"add 15.50: requested", "add 15.50: succeeded"}) {
		t.Errorf("credits.add audited as %q", details)
	}
}

// TestNumbersLifecycle: search, buy (the demo account has used its two
// free numbers, so the third costs its monthly price), settings with an
// IVR menu, share, release.
func TestNumbersLifecycle(t *testing.T) {
	e := newEnv(t)
	admin := e.tokens["admin"]
	var offers []api.OfferInfo
	status, code, body := e.do(admin, "GET", "/v1/numbers/search?country=GB&type=mobile&limit=3", "")
	json.Unmarshal(body, &offers)
	if status != 200 || len(offers) != 3 || offers[0].Price != "5.00" || offers[0].Kind != "mobile" || !strings.HasPrefix(offers[0].E164, "+447") {
		t.Fatalf("search: %d %s %s", status, code, body)
	}
	status, code, body = e.do(admin, "POST", "/v1/numbers", fmt.Sprintf(`{"number": %q}`, offers[0].E164))
	var n api.NumberInfo
	json.Unmarshal(body, &n)
	// Its hours start in the company's time zone (the demo's: New York).
	if status != 201 || n.Monthly != "5.00" || n.Country != "GB" || len(n.Members) != 1 || n.Members[0] != "admin@demo.test" || n.Zone != "America/New_York" {
		t.Fatalf("buy: %d %s %s", status, code, body)
	}
	b, _ := e.sys.Engine.Balance(context.Background(), demo.Account)
	if !b.Available.Equal(decimal.NewFromInt(15)) {
		t.Errorf("balance after buying a $5.00 number: %s", b.Available)
	}
	if status, code, _ := e.do(admin, "POST", "/v1/numbers", fmt.Sprintf(`{"number": %q}`, offers[0].E164)); status != 409 {
		t.Errorf("buying it again: %d %s", status, code)
	}
	menu := `{"routing": "ivr", "hours": "mon-fri 09:00-17:00", "zone": "Europe/London", "menu": {"greeting": "Press 1 for sales, 2 for support",
		"options": {"1": {"kind": "user", "target": "rep@demo.test"}, "2": {"kind": "group"}, "9": {"kind": "external", "target": "+442071234567"}},
		"timeout": 6, "timeout_route": {"kind": "voicemail"}}, "record": true}`
	status, code, body = e.do(admin, "PATCH", "/v1/numbers/"+n.Number, menu)
	json.Unmarshal(body, &n)
	if status != 200 || n.Routing != "ivr" || n.Menu == nil || len(n.Menu.Options) != 3 || n.Zone != "Europe/London" || !n.Record {
		t.Fatalf("settings: %d %s %s", status, code, body)
	}
	status, _, body = e.do(admin, "PUT", "/v1/numbers/"+n.Number+"/members", `{"members": ["admin@demo.test", "rep@demo.test"]}`)
	json.Unmarshal(body, &n)
	if status != 200 || !n.Shared {
		t.Fatalf("share: %d %s", status, body)
	}
	// The rep now sees it among her numbers, and cannot change it.
	var mine []api.NumberInfo
	_, _, body = e.do(e.tokens["member"], "GET", "/v1/numbers", "")
	json.Unmarshal(body, &mine)
	if len(mine) != 3 {
		t.Errorf("the rep's numbers: %s", body)
	}
	if status, _, _ := e.do(e.tokens["member"], "PATCH", "/v1/numbers/"+n.Number, `{"record": false}`); status != 403 {
		t.Errorf("the rep changing settings: %d", status)
	}
	if status, _, _ := e.do(admin, "DELETE", "/v1/numbers/"+n.Number, ""); status != 204 {
		t.Fatalf("release: %d", status)
	}
	if status, _, _ := e.do(admin, "GET", "/v1/numbers/"+n.Number, ""); status != 404 {
		t.Errorf("after release: %d", status)
	}
}

// TestContactsAndDispositions: contacts keep any script, a number finds its
// contact however it is typed, and a rep logs a disposition on her call
// from the account's list but cannot touch another's.
func TestContactsAndDispositions(t *testing.T) {
	e := newEnv(t)
	rep := e.tokens["member"]
	status, code, body := e.do(rep, "POST", "/v1/contacts", `{"name": "Zoë Ångström 李雷", "company": "Ünïcode GmbH", "numbers": ["+44 20 7123 4567", "(415) 555-0199"]}`)
	var c api.ContactInfo
	json.Unmarshal(body, &c)
	if status != 201 || c.Name != "Zoë Ångström 李雷" || len(c.Numbers) != 2 || c.Numbers[0] != "+442071234567" || c.Numbers[1] != "+14155550199" {
		t.Fatalf("create: %d %s %s", status, code, body)
	}
	var found []api.ContactInfo
	_, _, body = e.do(rep, "GET", "/v1/contacts?q=%2B44+20+7123+4567", "")
	json.Unmarshal(body, &found)
	if len(found) != 1 || found[0].ID != c.ID {
		t.Errorf("search by number: %s", body)
	}
	_, _, body = e.do(rep, "GET", "/v1/contacts?q=%C3%A5ngstr", "") // "ångstr", lower case
	json.Unmarshal(body, &found)
	if len(found) != 1 {
		t.Errorf("a search in lower case finds \"Ångström\": %s", body)
	}
	now := time.Now()
	for id, from := range map[string]string{"rep-call": "+14155550100", "other-call": "+14155550199"} {
		if err := e.sys.Store.AddCall(context.Background(), records.Call{ID: id, Account: demo.Account, Direction: "outbound", From: from,
			To: "+442071234567", Started: now, Ended: now, Cost: decimal.Zero, Currency: "USD", Disposition: records.Answered}); err != nil {
			t.Fatal(err)
		}
	}
	status, code, body = e.do(rep, "PUT", "/v1/calls/rep-call/disposition", `{"disposition": "Call back", "notes": "Wants pricing for 12 seats.\nCall Tuesday."}`)
	var ci api.CallInfo
	json.Unmarshal(body, &ci)
	if status != 200 || ci.Tag != "Call back" || !strings.Contains(ci.Notes, "Tuesday") {
		t.Fatalf("dispose: %d %s %s", status, code, body)
	}
	if status, _, _ := e.do(rep, "PUT", "/v1/calls/other-call/disposition", `{"disposition": "Resolved"}`); status != 404 {
		t.Errorf("someone else's call: %d, want 404", status)
	}
	var calls []api.CallInfo
	_, _, body = e.do(rep, "GET", "/v1/calls", "")
	json.Unmarshal(body, &calls)
	if len(calls) != 1 || calls[0].Tag != "Call back" {
		t.Errorf("the rep's calls: %s", body)
	}
	// The admin changes the list; the old label is no longer accepted.
	if status, _, _ := e.do(e.tokens["admin"], "PUT", "/v1/dispositions", `{"dispositions": ["Won", "Lost"]}`); status != 200 {
		t.Fatal(status)
	}
	if status, _, _ := e.do(rep, "PUT", "/v1/calls/rep-call/disposition", `{"disposition": "Call back"}`); status != 400 {
		t.Errorf("a label no longer on the list: %d", status)
	}
}

// TestTeamRules: invitations, the Owner's protections, custom roles that
// cannot exceed their maker, ownership transfer, removal.
func TestTeamRules(t *testing.T) {
	e := newEnv(t)
	owner, admin := e.tokens["owner"], e.tokens["admin"]
	// An admin may not demote or remove the Owner, nor make anyone Owner.
	for _, k := range []struct{ method, path, body string }{
		{"PATCH", "/v1/team/owner@demo.test", `{"role": "member"}`},
		{"DELETE", "/v1/team/owner@demo.test", ""},
		{"POST", "/v1/team/transfer-ownership", `{"email": "admin@demo.test"}`},
	} {
		if status, _, _ := e.do(admin, k.method, k.path, k.body); status != 403 {
			t.Errorf("admin %s %s: %d, want 403", k.method, k.path, status)
		}
	}
	if status, _, _ := e.do(admin, "PATCH", "/v1/team/rep@demo.test", `{"role": "owner"}`); status != 400 {
		t.Errorf("making someone Owner by role change: %d", status)
	}
	// A team manager with a custom role can neither build nor hand out a
	// role beyond their own rights.
	if status, _, body := e.do(owner, "PUT", "/v1/roles/hr", `{"permissions": ["calls", "team.manage", "roles.manage"]}`); status != 200 {
		t.Fatalf("owner creates hr: %d %s", status, body)
	}
	if status, _, _ := e.do(owner, "PATCH", "/v1/team/lead@demo.test", `{"role": "hr"}`); status != 200 {
		t.Fatal("owner makes lead hr")
	}
	hr := e.signIn("lead@demo.test")
	if status, _, body := e.do(hr, "PUT", "/v1/roles/billing-clerk", `{"permissions": ["billing.manage"]}`); status != 403 {
		t.Errorf("hr builds a role with billing.manage: %d %s", status, body)
	}
	if status, _, _ := e.do(hr, "PUT", "/v1/roles/caller", `{"permissions": ["calls"]}`); status != 200 {
		t.Errorf("hr builds a role within its rights: %d", status)
	}
	// Nor strip a role others hold of rights it does not hold itself.
	if status, _, body := e.do(owner, "PUT", "/v1/roles/clerk", `{"permissions": ["calls", "billing.manage"]}`); status != 200 {
		t.Fatalf("owner creates clerk: %d %s", status, body)
	}
	if status, _, body := e.do(hr, "PUT", "/v1/roles/clerk", `{"permissions": ["calls"]}`); status != 403 {
		t.Errorf("hr strips billing.manage from clerk: %d %s", status, body)
	}
	if status, _, body := e.do(hr, "PUT", "/v1/roles/clerk", `{"description": "front desk", "permissions": ["calls", "billing.manage"]}`); status != 403 {
		t.Errorf("hr rewrites clerk keeping rights it lacks: %d %s", status, body)
	}
	if status, _, body := e.do(owner, "GET", "/v1/roles", ""); status != 200 || !strings.Contains(string(body), `"name":"clerk","description":"","builtin":false,"permissions":["calls","billing.manage"]`) {
		t.Errorf("clerk after hr's attempts: %s", body)
	}
	if status, _, _ := e.do(hr, "PATCH", "/v1/team/rep@demo.test", `{"role": "admin"}`); status != 403 {
		t.Errorf("hr promotes the rep to admin: %d", status)
	}
	if status, _, _ := e.do(hr, "PATCH", "/v1/team/admin@demo.test", `{"role": "member"}`); status != 403 {
		t.Errorf("hr demotes an admin: %d", status)
	}
	if status, _, _ := e.do(hr, "POST", "/v1/team/invitations", `{"email": "boss@demo.test", "role": "admin"}`); status != 403 {
		t.Errorf("hr invites an admin: %d", status)
	}
	// Invitation: the invitee sets a password and signs in with the role.
	status, _, body := e.do(hr, "POST", "/v1/team/invitations", `{"email": "New.Hire@Demo.test", "role": "caller"}`)
	var inv api.InvitationInfo
	json.Unmarshal(body, &inv)
	if status != 201 || inv.Token == "" || inv.Email != "new.hire@demo.test" {
		t.Fatalf("invite: %d %s", status, body)
	}
	status, _, body = e.do("", "POST", "/v1/invitations/accept", fmt.Sprintf(`{"token": %q, "password": "correct horse battery"}`, inv.Token))
	var joined api.UserInfo
	json.Unmarshal(body, &joined)
	if status != 201 || joined.Role != "caller" || joined.Extension == "" {
		t.Fatalf("accept: %d %s", status, body)
	}
	if status, _, _ := e.do("", "POST", "/v1/invitations/accept", fmt.Sprintf(`{"token": %q, "password": "another password"}`, inv.Token)); status != 404 {
		t.Errorf("an invitation used twice: %d", status)
	}
	e.pw["new.hire@demo.test"] = "correct horse battery"
	hire := e.signIn("new.hire@demo.test")
	var me api.UserInfo
	_, _, body = e.do(hire, "GET", "/v1/me", "")
	json.Unmarshal(body, &me)
	if len(me.Permissions) != 1 || me.Permissions[0] != "calls" {
		t.Errorf("the hire's rights: %s", body)
	}
	if me.Region != "US" || me.Currency != "USD" {
		t.Errorf("the account's region and currency: %s", body)
	}
	if status, _, _ := e.do(hire, "GET", "/v1/contacts", ""); status != 403 {
		t.Errorf("a caller reading contacts: %d", status)
	}
	// A role someone holds cannot be deleted.
	if status, _, _ := e.do(owner, "DELETE", "/v1/roles/caller", ""); status != 409 {
		t.Errorf("deleting a held role: %d", status)
	}
	// Removal ends the teammate's sessions at once.
	if status, _, _ := e.do(admin, "DELETE", "/v1/team/new.hire@demo.test", ""); status != 204 {
		t.Fatal("remove the hire")
	}
	if status, _, _ := e.do(hire, "GET", "/v1/me", ""); status != 401 {
		t.Errorf("a removed teammate's session: %d, want 401", status)
	}
	// Ownership transfer: exactly one Owner, the old one an Admin.
	if status, _, body := e.do(owner, "POST", "/v1/team/transfer-ownership", `{"email": "admin@demo.test"}`); status != 200 {
		t.Fatalf("transfer: %d %s", status, body)
	}
	var members []api.Member
	_, _, body = e.do(admin, "GET", "/v1/team", "")
	json.Unmarshal(body, &members)
	owners := 0
	for _, m := range members {
		if m.Role == "owner" {
			owners++
			if m.Email != "admin@demo.test" {
				t.Errorf("owner is %s", m.Email)
			}
		}
		if m.Email == "owner@demo.test" && m.Role != "admin" {
			t.Errorf("the old owner is %s", m.Role)
		}
	}
	if owners != 1 {
		t.Errorf("%d owners", owners)
	}
	if status, _, _ := e.do(owner, "POST", "/v1/team/transfer-ownership", `{"email": "rep@demo.test"}`); status != 403 {
		t.Errorf("the old owner transferring again: %d", status)
	}
	var log []api.AuditInfo
	_, _, body = e.do(admin, "GET", "/v1/audit", "")
	json.Unmarshal(body, &log)
	want := map[string]bool{"role.save": true, "team.role": true, "team.invite": true, "team.join": true, "team.remove": true, "team.transfer-ownership": true}
	for _, l := range log {
		delete(want, l.Action)
	}
	if len(want) > 0 {
		t.Errorf("audit lacks %v: %s", want, body)
	}
}
