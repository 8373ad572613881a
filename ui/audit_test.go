package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/ui"
)

// TestAuditView (issue 15, also): the audit log has a view (it had only
// an API): the owner reads who changed what, in words, newest first, and
// searches it; a rep has no such view.
func TestAuditView(t *testing.T) {
	a := newAccount(t)
	admin := session(t, a.url, a.pw, "admin")
	rec := true
	if _, err := admin.Account.NumberSettings(context.Background(), "+14155550101", api.SettingsRequest{Record: &rec}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Account.SaveRole(context.Background(), "auditor", "", "calls.all"); err != nil {
		t.Fatal(err)
	}
	sh, _ := shell(t, session(t, a.url, a.pw, "owner"), nil)
	if sh.Audit == nil {
		t.Fatal("the owner has no Activity view")
	}
	text := sh.Audit.Text()
	settings, role := strings.Index(text, "admin@demo.test   Number settings   record true"), strings.Index(text, "admin@demo.test   Role saved")
	if settings < 0 || role < 0 || role > settings {
		t.Fatalf("the activity, newest first:\n%s", text)
	}
	ui.Run(func() { sh.Audit.Search("+14155550101") })
	if got := sh.Audit.Text(); !strings.Contains(got, "Number settings") || strings.Contains(got, "Role saved") {
		t.Errorf("searching a number:\n%s", got)
	}
	ui.Run(func() { sh.Audit.Search("nobody did this") })
	if got := sh.Audit.Text(); got != "Nothing matches." {
		t.Errorf("a search matching nothing: %q", got)
	}
	rep, _ := shell(t, session(t, a.url, a.pw, "rep"), nil)
	if rep.Audit != nil {
		t.Error("a rep sees the audit log")
	}
}
