package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
)

// TestAPIKeys (issue 16): an admin makes a key with the calls scope: it
// works as Bearer for what that scope allows, and nothing else (billing is
// 403, as are a person's own changes and making keys); it is listed with
// when it was last used and never its secret; a scope the maker does not
// hold is refused; revoked, the key gets 401 at once.
func TestAPIKeys(t *testing.T) {
	srv, pw, _ := start(t)
	ctx := context.Background()
	admin, _ := api.NewClient(srv.URL)
	if _, err := admin.SignIn(ctx, "admin@demo.test", pw["admin@demo.test"]); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateKey(ctx, "crm-sync", "calls")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Secret, "tk_") || len(k.Secret) < 40 || k.Owner != "admin@demo.test" || strings.Join(k.Scopes, ",") != "calls" {
		t.Fatalf("the new key: %+v", k)
	}
	script, _ := api.NewClient(srv.URL)
	script.Token = k.Secret
	if _, err := script.Calls(ctx, 10); err != nil {
		t.Errorf("the key reads calls: %v", err)
	}
	if me, err := script.Me(ctx); err != nil || me.Email != "admin@demo.test" || strings.Join(permNames(me.Permissions), ",") != "calls" {
		t.Errorf("the key acts as %+v (%v), with only its scope", me, err)
	}
	if _, err := script.Transactions(ctx, api.TransactionFilter{}); apiErr(err) == nil || apiErr(err).Status != 403 || !strings.Contains(apiErr(err).Message, "billing.view") {
		t.Errorf("a calls key reads billing: %v", err)
	}
	if _, err := script.NewDevice(ctx, "sneaky"); apiErr(err) == nil || apiErr(err).Status != 403 {
		t.Errorf("a key made a SIP device: %v", err)
	}
	if _, err := script.CreateKey(ctx, "another", "calls"); apiErr(err) == nil || apiErr(err).Status != 403 {
		t.Errorf("a key made a key: %v", err)
	}
	// The maker cannot give what they do not hold; nobody gives ownership.
	if _, err := admin.CreateKey(ctx, "owner-stuff", "ownership.transfer"); apiErr(err) == nil || apiErr(err).Status != 403 {
		t.Errorf("an admin gave a key ownership.transfer: %v", err)
	}
	for _, bad := range []api.KeyRequest{{Name: "", Scopes: []string{"calls"}}, {Name: "x", Scopes: nil}, {Name: "x", Scopes: []string{"root"}}} {
		if _, err := admin.CreateKey(ctx, bad.Name, bad.Scopes...); apiErr(err) == nil || apiErr(err).Status != 400 {
			t.Errorf("key %+v: %v", bad, err)
		}
	}
	rep, _ := api.NewClient(srv.URL)
	if _, err := rep.SignIn(ctx, "rep@demo.test", pw["rep@demo.test"]); err != nil {
		t.Fatal(err)
	}
	if _, err := rep.CreateKey(ctx, "mine", "calls"); apiErr(err) == nil || apiErr(err).Status != 403 {
		t.Errorf("a rep made a key: %v", err)
	}
	keys, err := admin.Keys(ctx)
	if err != nil || len(keys) != 1 || keys[0].ID != k.ID || keys[0].Secret != "" || keys[0].LastUsed == nil || keys[0].Revoked != nil {
		t.Fatalf("the keys listed: %+v %v", keys, err)
	}
	if err := admin.RevokeKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := script.Calls(ctx, 10); apiErr(err) == nil || apiErr(err).Status != 401 {
		t.Errorf("a revoked key: %v", err)
	}
	if err := admin.RevokeKey(ctx, k.ID); apiErr(err) == nil || apiErr(err).Status != 404 {
		t.Errorf("revoked twice: %v", err)
	}
	if keys, _ := admin.Keys(ctx); len(keys) != 1 || keys[0].Revoked == nil {
		t.Errorf("after revoking: %+v", keys)
	}
	audit, _ := admin.Audit(ctx, 10)
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
	}
	if !strings.Contains(strings.Join(actions, " "), "key.revoke key.create") {
		t.Errorf("the audit log: %v", actions)
	}
}

func permNames[P ~string](ps []P) []string {
	var out []string
	for _, p := range ps {
		out = append(out, string(p))
	}
	return out
}

// TestKeyRateLimit: each key has its own budget; past it, 429 with a
// Retry-After, and other keys and people go on.
func TestKeyRateLimit(t *testing.T) {
	dir := t.TempDir()
	sys, err := demo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	srv := newServer(t, api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, KeyPerMinute: 30, KeyBurst: 3})
	pw := passwords(t, dir)
	ctx := context.Background()
	admin, _ := api.NewClient(srv.URL)
	if _, err := admin.SignIn(ctx, "admin@demo.test", pw["admin@demo.test"]); err != nil {
		t.Fatal(err)
	}
	busy, _ := admin.CreateKey(ctx, "busy", "calls")
	calm, _ := admin.CreateKey(ctx, "calm", "calls")
	get := func(secret string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/calls", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for i := range 3 {
		if res := get(busy.Secret); res.StatusCode != 200 {
			t.Fatalf("request %d within the burst: %d", i+1, res.StatusCode)
		}
	}
	res := get(busy.Secret)
	wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
	if res.StatusCode != 429 || wait < 1 || wait > 3 {
		t.Fatalf("past the burst: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := get(calm.Secret); res.StatusCode != 200 {
		t.Errorf("another key was held back: %d", res.StatusCode)
	}
	if _, err := admin.Calls(ctx, 1); err != nil {
		t.Errorf("the person was held back: %v", err)
	}
}

func newServer(t *testing.T, cfg api.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(api.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

// passwords reads the demo's credentials file.
func passwords(t *testing.T, dir string) map[string]string {
	t.Helper()
	pw, err := demo.ReadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	return pw
}
