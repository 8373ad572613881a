package ui_test

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/internal/embedded"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/ui"
)

// overlayEntries are the entries on the window's top overlay, in order.
func overlayEntries(w fyne.Window) []*widget.Entry {
	var out []*widget.Entry
	for _, o := range test.WidgetRenderer(w.Canvas().Overlays().Top().(fyne.Widget)).Objects() {
		walk(o, func(o fyne.CanvasObject) {
			if e, ok := o.(*widget.Entry); ok {
				out = append(out, e)
			}
		})
	}
	return out
}

// firstButton is the first button labelled label in o.
func firstButton(t *testing.T, o fyne.CanvasObject, label string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walk(o, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == label && found == nil {
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no button %q", label)
	}
	return found
}

// TestIntegrations (issue 16): the checklist's "Connect your CRM" opens
// Settings, whose Integrations section connects HubSpot (the mock of its
// published API) with a private app's token: an empty token is said in
// place, a good one connects and the section says so; the checklist
// ticks the step; a call to a number HubSpot knows shows "Open in
// HubSpot" with the contact's page; a rep sees how it stands and cannot
// connect.
func TestIntegrations(t *testing.T) {
	ctx := context.Background()
	hs := peers.StartHubSpot(t)
	sys, err := embedded.Start(ctx, t.TempDir(), nil, func(s *system.Serve) { s.CRMAPIs = map[string]string{"hubspot": hs.URL} })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	s := session(t, sys.API, sys.Users, "owner")
	ua := phoneOf(t, sys, "owner")
	sh, w := shell(t, s, ua)
	if opens := sh.Checklist.Opens(); !opens[3] {
		t.Fatalf("the CRM step opens nothing: %v", opens)
	}
	ui.Run(func() { test.Tap(sh.Checklist.OpenButton(3)) })
	var tab string
	ui.Run(func() { tab = sh.Selected() })
	if tab != "Settings" {
		t.Errorf("Connect your CRM opened %q", tab)
	}
	var rows []string
	ui.Run(func() { rows = sh.Integrations.Rows() })
	if strings.Join(rows, "|") != "HubSpot: not connected|Pipedrive: not connected" {
		t.Fatalf("the section: %q", rows)
	}
	ui.Run(func() {
		test.Tap(firstButton(t, sh.Integrations.Object(), "Connect…"))
		test.Tap(findButtonIn(t, w, "Connect"))
	})
	var text string
	ui.Run(func() { text, _ = overlayText(w) })
	if !strings.Contains(text, "Paste the token first.") {
		t.Fatalf("an empty token: the dialog says %q", text)
	}
	ui.Run(func() {
		es := overlayEntries(w)
		es[0].SetText("pat-na1-ui-test")
		es[1].SetText("4242")
		test.Tap(findButtonIn(t, w, "Connect"))
	})
	eventually(t, "HubSpot connected", func() bool {
		rows := sh.Integrations.Rows()
		return len(rows) > 0 && strings.HasPrefix(rows[0], "HubSpot: connected since") && strings.Contains(sh.Integrations.Status(), "HubSpot is connected")
	})
	if err := sh.Checklist.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if d := sh.Checklist.Done(); !d[3] {
		t.Errorf("the checklist after connecting: %v", d)
	}
	// A call to a number HubSpot knows: its contact's page on the call
	// screen.
	ui.Run(func() { sh.Select("Phone"); sh.Phone.SetNumber("+442071234567"); sh.Phone.Dial() })
	eventually(t, "Open in HubSpot on the call screen", func() bool {
		text, url := sh.Phone.CRMLink()
		return strings.HasPrefix(text, "Open in HubSpot") && strings.HasPrefix(url, "https://app.hubspot.com/contacts/4242/record/0-1/")
	})
	ui.Run(func() { sh.Phone.Hangup() })
	eventually(t, "the dialer back", func() bool { in, _ := sh.Phone.InCall(); return !in })

	// A rep: the state, no Connect. (The owner's shell first finishes
	// what it does in the background: a second shell is built off the
	// UI thread, beside it, and both measure text with Fyne's cache.)
	sh.Wait()
	rep, _ := shell(t, session(t, sys.API, sys.Users, "rep"), nil)
	ui.Run(func() { rows = rep.Integrations.Rows() })
	if len(rows) != 3 || !strings.HasPrefix(rows[0], "HubSpot: connected since") || !strings.Contains(rows[2], "Owner or an Admin connects") {
		t.Errorf("the rep's section: %q", rows)
	}
	found := false
	ui.Run(func() {
		walk(rep.Integrations.Object(), func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.Button); ok && (b.Text == "Connect…" || b.Text == "Disconnect") {
				found = true
			}
		})
	})
	if found {
		t.Error("a rep is offered to connect or disconnect")
	}
}
