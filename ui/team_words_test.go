package ui_test

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/ui"
)

// TestTeamWords (issue 15, also): roles read the same everywhere (Admin,
// Team Member: the selectors said "admin", "member"); a role picked in the
// dropdown is confirmed first, saying what it allows, and a cancel puts
// the dropdown back (it applied at once); the roles list says rights in
// words ("see everyone's calls", not "calls.all").
func TestTeamWords(t *testing.T) {
	a := newAccount(t)
	admin := session(t, a.url, a.pw, "admin")
	if _, err := admin.Account.SaveRole(context.Background(), "auditor", "", "calls.all"); err != nil {
		t.Fatal(err)
	}
	sh, w := shell(t, admin, nil)
	ui.Run(func() { sh.Select("Team") })
	var sel *widget.Select
	var text strings.Builder
	ui.Run(func() {
		walk(sh.Team.Object(), func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.Select:
				if x.Selected == "Team Member" {
					sel = x // the rep's
				}
			case *widget.Label:
				text.WriteString(x.Text + "\n")
			}
		})
	})
	if sel == nil {
		t.Fatalf("no role selector showing Team Member:\n%s", text.String())
	}
	for _, o := range sel.Options {
		if o == "admin" || o == "member" {
			t.Errorf("the role selector offers %q", o)
		}
	}
	if s := text.String(); strings.Contains(s, "calls.all") || !strings.Contains(s, "Team Member: Calls, messages") || !strings.Contains(s, "auditor: may see everyone's calls.") {
		t.Errorf("the roles list:\n%s", s)
	}
	role := func() string {
		u, err := a.sys.Store.User(context.Background(), "rep@demo.test")
		if err != nil {
			t.Fatal(err)
		}
		return string(u.Role)
	}
	ui.Run(func() { sel.SetSelected("Admin") })
	var says string
	ui.Run(func() { says, _ = overlayText(w) })
	if !strings.Contains(says, "Make rep@demo.test an Admin? They will be able to:") || role() != "member" {
		t.Fatalf("picking Admin: the dialog says %q; the rep is %s", says, role())
	}
	ui.Run(func() { test.Tap(findButtonIn(t, w, "No")) })
	if sel.Selected != "Team Member" || role() != "member" {
		t.Errorf("after No: the dropdown shows %q, the rep is %s", sel.Selected, role())
	}
	ui.Run(func() {
		sel.SetSelected("Admin")
		test.Tap(findButtonIn(t, w, "Yes"))
	})
	eventually(t, "the rep made an Admin", func() bool { return role() == "admin" })
}
