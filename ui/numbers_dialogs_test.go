package ui_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/audio"
	wait "github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/ui"
)

// overlayScroll is the first scroll on the window's top overlay.
func overlayScroll(w fyne.Window) *container.Scroll {
	var found *container.Scroll
	for _, o := range test.WidgetRenderer(w.Canvas().Overlays().Top().(fyne.Widget)).Objects() {
		walk(o, func(o fyne.CanvasObject) {
			if s, ok := o.(*container.Scroll); ok && found == nil {
				found = s
			}
		})
	}
	return found
}

// TestMenuDialogShowsItsRows (issue 15, defect 2): the phone-menu dialog
// shows its rows in a window of 800x600, not one row 35 px high reached
// by scrolling blind.
func TestMenuDialogShowsItsRows(t *testing.T) {
	a := newAccount(t)
	sh, w := shell(t, session(t, a.url, a.pw, "admin"), nil)
	ui.Run(func() {
		w.Resize(fyne.NewSize(800, 600))
		sh.Select("Numbers")
		test.Tap(findButton(t, sh.Numbers.Object(), "Phone menu…"))
	})
	var s *container.Scroll
	var view, content fyne.Size
	ui.Run(func() {
		if s = overlayScroll(w); s != nil {
			view, content = s.Size(), s.Content.MinSize()
		}
	})
	if s == nil {
		t.Fatal("no scroll on the phone-menu dialog")
	}
	if view.Height < 300 || view.Width < 500 {
		t.Errorf("the menu's rows show in %v (all of them need %v)", view, content)
	}
	if view.Height > 600 || view.Width > 800 {
		t.Errorf("the menu's rows take %v, past the 800x600 window", view)
	}
}

// overlayWidgets finds the top overlay's checks and entries by their
// text (a check's label; an entry's placeholder or, failing that, order).
func overlayWidgets(w fyne.Window) (checks map[string]*widget.Check, entries []*widget.Entry, text string) {
	checks = map[string]*widget.Check{}
	var b strings.Builder
	for _, o := range test.WidgetRenderer(w.Canvas().Overlays().Top().(fyne.Widget)).Objects() {
		walk(o, func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.Check:
				checks[x.Text] = x
			case *widget.Entry:
				entries = append(entries, x)
			case *widget.Label:
				b.WriteString(x.Text + "\n")
			}
		})
	}
	return checks, entries, b.String()
}

// TestNumberSettingsKeepsFields (issue 15, defect 7): the number's hours
// are a weekly schedule, a row per day; a day whose times do not read,
// and the server's refusal, are said in the dialog, which stays open with
// everything as entered (any error closed the form and lost every
// field); once right, the schedule is saved as the server reads it.
func TestNumberSettingsKeepsFields(t *testing.T) {
	a := newAccount(t)
	sh, w := shell(t, session(t, a.url, a.pw, "admin"), nil)
	num := openLastSettings(t, sh)
	var checks map[string]*widget.Check
	var entries []*widget.Entry
	var text string
	ui.Run(func() { checks, entries, text = overlayWidgets(w) })
	for _, day := range []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"} {
		if checks[day] == nil {
			t.Fatalf("no row for %s on the settings form:\n%s", day, text)
		}
	}
	// Entries in order: the seven days, forwarding (the time zone is a
	// list one can type in).
	if len(entries) != 8 {
		t.Fatalf("%d entries on the settings form", len(entries))
	}
	monday, forward := entries[0], entries[7]
	ui.Run(func() {
		test.Tap(findButtonIn(t, w, "Weekdays 9–5"))
		checks["Saturday"].SetChecked(true)
		entries[5].SetText("10:00-14:00")
		monday.SetText("9-5")
		forward.SetText("+44 20 7946 0958")
		test.Tap(findButtonIn(t, w, "Save"))
	})
	ui.Run(func() { _, _, text = overlayWidgets(w) })
	if !strings.Contains(text, "Monday") || w.Canvas().Overlays().Top() == nil || monday.Text != "9-5" || forward.Text != "+44 20 7946 0958" {
		t.Fatalf("a bad Monday: the dialog says %q; Monday %q, forward %q", text, monday.Text, forward.Text)
	}
	// The server refuses a forward to a number it cannot read.
	ui.Run(func() {
		monday.SetText("09:00-17:00")
		forward.SetText("12")
		test.Tap(findButtonIn(t, w, "Save"))
	})
	eventually(t, "the server's refusal said in the dialog", func() bool {
		_, _, text = overlayWidgets(w)
		return strings.Contains(text, "Not saved")
	})
	if forward.Text != "12" || !checks["Saturday"].Checked || entries[5].Text != "10:00-14:00" {
		t.Fatalf("after the refusal: forward %q, Saturday %v %q", forward.Text, checks["Saturday"].Checked, entries[5].Text)
	}
	ui.Run(func() {
		forward.SetText("")
		test.Tap(findButtonIn(t, w, "Save"))
	})
	wait.Must(t, 20*time.Second, "the schedule saved", func() bool {
		n, err := a.sys.Store.Number(context.Background(), num.Number)
		return err == nil && n.Hours.String() == "mon-fri 09:00-17:00; sat 10:00-14:00"
	})
	eventually(t, "the dialog closed", func() bool { return w.Canvas().Overlays().Top() == nil })
}

// TestGreetingFromSettings (issue 15, defect 7): the settings dialog says
// which greeting callers hear; a WAV file chosen there becomes the
// number's own greeting at once, a file that is not one is refused in
// the dialog, and the standard greeting can be put back.
func TestGreetingFromSettings(t *testing.T) {
	a := newAccount(t)
	sh, w := shell(t, session(t, a.url, a.pw, "admin"), nil)
	num := openLastSettings(t, sh)
	says := func(what string) func() bool {
		return func() bool { _, _, text := overlayWidgets(w); return strings.Contains(text, what) }
	}
	eventually(t, "the standard greeting said", says("Callers hear the standard greeting"))
	tone := make([]int16, 8000)
	audio.Sine(tone, 600, 8000, 9000, 0)
	var b bytes.Buffer
	if err := audio.WriteWAV(&b, &audio.PCM{Rate: 8000, Channels: 1, Samples: tone}); err != nil {
		t.Fatal(err)
	}
	var open bool
	ui.Run(func() { open = sh.Numbers.GreetingFile([]byte("not a recording")) })
	if !open {
		t.Fatal("no greeting row on the settings dialog")
	}
	eventually(t, "a file that is not a WAV refused in the dialog", says("Not changed: a greeting is a WAV file"))
	ui.Run(func() { sh.Numbers.GreetingFile(b.Bytes()) })
	eventually(t, "the own greeting said", says("Callers hear your own recording"))
	if n, err := a.sys.Store.Number(context.Background(), num.Number); err != nil || n.OwnGreeting() == "" {
		t.Fatalf("the number's greeting on the server: %q %v", n.Greeting, err)
	}
	ui.Run(func() { test.Tap(findButtonIn(t, w, "Use the standard greeting")) })
	eventually(t, "the standard greeting back", says("Callers hear the standard greeting"))
	if n, _ := a.sys.Store.Number(context.Background(), num.Number); n.OwnGreeting() != "" {
		t.Errorf("the greeting stayed %q", n.Greeting)
	}
}

// openLastSettings opens the settings dialog of the last number listed
// (findButton finds the last Settings…) and returns the number.
func openLastSettings(t *testing.T, sh *ui.Shell) api.NumberInfo {
	t.Helper()
	rows := sh.Numbers.Rows()
	ui.Run(func() {
		sh.Select("Numbers")
		test.Tap(findButton(t, sh.Numbers.Object(), "Settings…"))
	})
	return rows[len(rows)-1]
}
