package api_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
)

// presenceOf is a switchboard's view as a fixed map, per account.
type presenceOf map[string]map[string]string

func (p presenceOf) Presence(account string) map[string]string { return p[account] }

// TestTeamPresence: with the switchboard there, every member of the team
// comes with "online", "on a call" or "offline" (anyone it does not list),
// for a rep as for the Owner; without it, the field is left out.
func TestTeamPresence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sys, err := demo.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	pw, err := demo.ReadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	view := presenceOf{demo.Account: {"admin@demo.test": "on a call", "rep@demo.test": "online"}, "other": {"owner@demo.test": "on a call"}}
	for _, with := range []bool{true, false} {
		cfg := api.Config{Users: sys.Store, Billing: sys.Engine, DataDir: dir, Realm: "tether"}
		if with {
			cfg.Presence = view
		}
		srv := httptest.NewServer(api.New(cfg))
		c, err := api.NewClient(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SignIn(ctx, "rep@demo.test", pw["rep@demo.test"]); err != nil {
			t.Fatal(err)
		}
		members, err := c.Team(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, m := range members {
			got[m.Email] = m.Presence
		}
		want := map[string]string{"admin@demo.test": "on a call", "rep@demo.test": "online", "owner@demo.test": "offline"}
		if !with {
			want = map[string]string{"admin@demo.test": "", "rep@demo.test": "", "owner@demo.test": ""}
		}
		for email, w := range want {
			if got[email] != w {
				t.Errorf("with the switchboard %v: %s is %q, want %q", with, email, got[email], w)
			}
		}
		srv.Close()
	}
}
