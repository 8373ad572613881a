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

type fixedLog []api.AuditInfo

func (l fixedLog) Audit(context.Context, int) ([]api.AuditInfo, error) { return l, nil }

// Every action is said in words, those the operator and sign-up write
// included (the view showed "credits.adjust"), and one not known yet too.
func TestAuditWords(t *testing.T) {
	v := ui.NewAuditView(fixedLog{
		{Actor: "operator", Action: "credits.adjust", Detail: "-19.999: correction"},
		{Actor: "rep@demo.test", Action: "team.join"},
		{Actor: "owner@demo.test", Action: "account.open"},
		{Actor: "admin@demo.test", Action: "number.port-in"},
	})
	if err := v.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	var text string
	ui.Run(func() { text = v.Text() })
	for _, want := range []string{"operator   Credits adjusted   -19.999", "Joined the team", "Account opened", "Number port in"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if strings.Contains(text, ".") && strings.Contains(text, "credits.adjust") {
		t.Errorf("an action shown raw:\n%s", text)
	}
}
