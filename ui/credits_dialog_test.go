package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/shopspring/decimal"
	wait "github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/ui"
)

// walk visits o and everything inside it.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, f)
		}
	case *container.Scroll:
		walk(x.Content, f)
	case *widget.Form:
		for _, it := range x.Items {
			walk(it.Widget, f)
		}
	}
}

// overlayText is every label's text on the window's top overlay (a
// dialog), and its first entry.
func overlayText(w fyne.Window) (string, *widget.Entry) {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return "", nil
	}
	var b strings.Builder
	var entry *widget.Entry
	visit := func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *widget.Entry:
			if entry == nil {
				entry = x
			}
		}
	}
	// Dialogs draw their content through a renderer: walk its objects.
	for _, o := range test.WidgetRenderer(top.(fyne.Widget)).Objects() {
		walk(o, visit)
	}
	return b.String(), entry
}

// TestAddCreditsDialog (issue 15, defect 5): the amount is filled in, not
// a look-alike placeholder; a bad or negative amount is said in place and
// the dialog stays open with what was typed; a good one goes on to the
// confirmation with the amount.
func TestAddCreditsDialog(t *testing.T) {
	a := newAccount(t)
	sh, w := shell(t, session(t, a.url, a.pw, "owner"), nil)
	ui.Run(func() { sh.Credits.ShowAddCredits() })
	var text string
	var amount *widget.Entry
	ui.Run(func() { text, amount = overlayText(w) })
	if amount == nil {
		t.Fatalf("no amount field on the dialog:\n%s", text)
	}
	if amount.Text != "25.00" {
		t.Fatalf("the amount field holds %q (placeholder %q), want 25.00", amount.Text, amount.PlaceHolder)
	}
	for _, bad := range []struct{ typed, says string }{{"-5", "more than zero"}, {"abc", "dollars and cents"}, {"", "Enter an amount"}, {"0", "more than zero"}} {
		ui.Run(func() {
			amount.SetText(bad.typed)
			test.Tap(findButtonIn(t, w, "Continue"))
		})
		var now *widget.Entry
		ui.Run(func() { text, now = overlayText(w) })
		if now != amount || !strings.Contains(text, bad.says) || amount.Text != bad.typed {
			t.Errorf("%q: the dialog says %q (still open: %v)", bad.typed, text, now == amount)
		}
	}
	ui.Run(func() {
		amount.SetText("30")
		test.Tap(findButtonIn(t, w, "Continue"))
	})
	ui.Run(func() { text, _ = overlayText(w) })
	if !strings.Contains(text, "Charge $30.00 to Visa ending 4242 now?") {
		t.Errorf("the confirmation: %q", text)
	}
}

// findButtonIn finds a button on the window's top overlay.
func findButtonIn(t *testing.T, w fyne.Window, label string) *widget.Button {
	t.Helper()
	var found *widget.Button
	for _, o := range test.WidgetRenderer(w.Canvas().Overlays().Top().(fyne.Widget)).Objects() {
		walk(o, func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.Button); ok && b.Text == label {
				found = b
			}
		})
	}
	if found == nil {
		t.Fatalf("no button %q on the dialog", label)
	}
	return found
}

// TestBuyNumberConfirms (issue 15, defect 6): a paid number is bought
// only once its price is confirmed; the confirmation names the price.
func TestBuyNumberConfirms(t *testing.T) {
	a := newAccount(t)
	sh, w := shell(t, session(t, a.url, a.pw, "admin"), nil)
	before, _ := a.sys.Store.AccountNumbers(context.Background(), "demo")
	ui.Run(func() {
		sh.Select("Numbers")
		test.Tap(findButton(t, sh.Numbers.Object(), "Get a number…"))
		test.Tap(findButtonIn(t, w, "Search"))
	})
	var buy *widget.Button
	eventually(t, "the offers", func() bool {
		top := w.Canvas().Overlays().Top()
		for _, o := range test.WidgetRenderer(top.(fyne.Widget)).Objects() {
			walk(o, func(o fyne.CanvasObject) {
				if b, ok := o.(*widget.Button); ok && b.Text == "Buy…" && buy == nil {
					buy = b
				}
			})
		}
		return buy != nil
	})
	ui.Run(func() { test.Tap(buy) })
	var text string
	ui.Run(func() { text, _ = overlayText(w) })
	if !strings.Contains(text, "a month? The first month") || !strings.Contains(text, "taken from your credits now") {
		t.Fatalf("the confirmation: %q", text)
	}
	if now, _ := a.sys.Store.AccountNumbers(context.Background(), "demo"); len(now) != len(before) {
		t.Fatalf("bought before the price was confirmed: %d -> %d numbers", len(before), len(now))
	}
	ui.Run(func() { test.Tap(findButtonIn(t, w, "Yes")) })
	wait.Must(t, 20*time.Second, "the number bought once confirmed", func() bool {
		now, _ := a.sys.Store.AccountNumbers(context.Background(), "demo")
		return len(now) == len(before)+1
	})
}

// TestAutoTopUpRefusalStays (issue 15, defect 3): the server's refusal of
// an auto top-up stays on screen (a reload wrote over it), with the
// fields as typed; the suggested threshold is shown with its basis.
func TestAutoTopUpRefusalStays(t *testing.T) {
	a := newAccount(t)
	sh, _ := shell(t, session(t, a.url, a.pw, "owner"), nil)
	var suggestion string
	ui.Run(func() { suggestion = sh.Credits.SuggestionText() })
	if !strings.Contains(suggestion, "Suggested threshold") || !strings.Contains(suggestion, "a day on average") {
		t.Errorf("the suggestion: %q", suggestion)
	}
	var shown bool
	ui.Run(func() {
		walk(sh.Credits.Object(), func(o fyne.CanvasObject) {
			if l, ok := o.(*widget.Label); ok && l.Text == suggestion && l.Visible() {
				shown = true
			}
		})
	})
	if !shown {
		t.Error("the suggestion is not in the view")
	}
	ui.Run(func() { sh.Credits.SetAutoTopUpForm(true, "30.00", "10.00") }) // the amount is less than the threshold
	eventually(t, "the refusal", func() bool { return strings.HasPrefix(sh.Credits.AutoStatus(), "Not saved") })
	if err := sh.Credits.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	var status string
	ui.Run(func() { status = sh.Credits.AutoStatus() })
	if !strings.Contains(status, "Not saved") || !strings.Contains(status, "threshold") {
		t.Errorf("after a reload the status says %q", status)
	}
}

// busyThenRinging fails its first call (busy), then rings until cancelled.
type busyThenRinging struct{ n int }

func (d *busyThenRinging) Dial(ctx context.Context, _ string, _ ...phone.DialOption) (*phone.Call, error) {
	d.n++
	if d.n == 1 {
		return nil, &phone.CallError{Code: 486, Phrase: "Busy Here", Reason: "Busy Here"}
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestStaleLines (issue 15, defect 9): how the last call ended is not
// shown above the next one; once credit is added the dialer prices the
// number in it again rather than saying there is no credit.
func TestStaleLines(t *testing.T) {
	a := newAccount(t)
	sh, _ := shell(t, session(t, a.url, a.pw, "owner"), &busyThenRinging{})
	ui.Run(func() {
		sh.Phone.SetNumber("+442071234567")
		sh.Phone.Dial()
	})
	eventually(t, "the busy call's end", func() bool { return strings.Contains(sh.Phone.QuoteText(), "Busy") })
	ui.Run(func() { sh.Phone.Dial() })
	eventually(t, "the next call's own line", func() bool {
		_, state := sh.Phone.InCall()
		return state == "Calling…" && !strings.Contains(sh.Phone.QuoteText(), "Busy")
	})
	ui.Run(func() { sh.Phone.Hangup() })
	eventually(t, "the dialer back", func() bool { return strings.Contains(sh.Phone.QuoteText(), "Cancelled") })

	a.drain()
	if err := sh.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	ui.Run(func() { sh.Phone.SetNumber("+44 20 7946 0958") })
	eventually(t, "the gate closed", func() bool { return !sh.Gate.Open() })
	if err := a.sys.Engine.Adjust(context.Background(), "demo", "refill", decimal.NewFromInt(10), "test"); err != nil {
		t.Fatal(err)
	}
	if err := sh.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the price once credit is back", func() bool { return strings.HasPrefix(sh.Phone.QuoteText(), "United Kingdom") })
}

// texterStub sends nothing.
type texterStub struct{ phoneStub }

func (texterStub) SendMessage(context.Context, string, string) error { return nil }

// TestTextRefusedNumber (issue 15, defect 10): a number the rater refuses
// says so under the box and Send stays off; a good one is priced and Send
// comes on. Texts are shown in time order whatever order they were read.
func TestTextRefusedNumber(t *testing.T) {
	a := newAccount(t)
	sh, _ := shell(t, session(t, a.url, a.pw, "rep"), texterStub{})
	ui.Run(func() { sh.Messages.SetDraft("+500 31234", "hello Falklands") })
	eventually(t, "the refusal", func() bool { return strings.Contains(sh.Messages.Counter(), "cannot be sent") })
	var on bool
	ui.Run(func() { on = sh.Messages.SendEnabled() })
	if on {
		t.Error("Send is on for a number that cannot be texted")
	}
	ui.Run(func() { sh.Messages.SetDraft("+44 20 7123 4567", "hello London") })
	eventually(t, "the price", func() bool { return strings.Contains(sh.Messages.Counter(), "United Kingdom") })
	ui.Run(func() { on = sh.Messages.SendEnabled() })
	if !on {
		t.Errorf("Send is off for a good number: %q", sh.Messages.Counter())
	}
}

// TestThreadInTimeOrder: a text read later but sent earlier goes above
// the one that answers it; texts at the same moment keep their order.
func TestThreadInTimeOrder(t *testing.T) {
	a := newAccount(t)
	sh, _ := shell(t, session(t, a.url, a.pw, "rep"), texterStub{})
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	ui.Run(func() {
		sh.Messages.Received(phone.Message{From: "sip:+442071234567@x", Text: "the reply", At: at.Add(2 * time.Second)})
		sh.Messages.Received(phone.Message{From: "sip:+442071234567@x", Text: "the question", At: at})
		sh.Messages.Received(phone.Message{From: "sip:+442071234567@x", Text: "and more", At: at.Add(2 * time.Second)})
	})
	var th []string
	ui.Run(func() { th = sh.Messages.Thread("+442071234567") })
	if len(th) != 3 || !strings.Contains(th[0], "the question") || !strings.Contains(th[1], "the reply") || !strings.Contains(th[2], "and more") {
		t.Errorf("the thread: %q", th)
	}
}

// TestNumberSettingsWords (issue 15, also): the routing choices are words,
// not the API's values ("ivr"); the one chosen is saved as its value; there
// is no transcription box while nothing transcribes.
func TestNumberSettingsWords(t *testing.T) {
	a := newAccount(t)
	sh, w := shell(t, session(t, a.url, a.pw, "admin"), nil)
	ui.Run(func() {
		sh.Select("Numbers")
		test.Tap(findButton(t, sh.Numbers.Object(), "Settings…"))
	})
	var sel *widget.Select
	var boxes []string
	ui.Run(func() {
		for _, o := range test.WidgetRenderer(w.Canvas().Overlays().Top().(fyne.Widget)).Objects() {
			walk(o, func(o fyne.CanvasObject) {
				switch x := o.(type) {
				case *widget.Select:
					sel = x
				case *widget.Check:
					boxes = append(boxes, x.Text)
				}
			})
		}
	})
	if sel == nil {
		t.Fatal("no routing choice on the settings form")
	}
	for _, o := range sel.Options {
		if o == "ivr" || o == "members" || o == "voicemail" || o == "forward" {
			t.Errorf("a routing choice reads %q", o)
		}
	}
	for _, b := range boxes {
		if strings.Contains(b, "Transcribe") {
			t.Errorf("a transcription box while nothing transcribes: %q", b)
		}
	}
	ui.Run(func() {
		sel.SetSelected("straight to voicemail")
		test.Tap(findButtonIn(t, w, "Save"))
	})
	wait.Must(t, 20*time.Second, "the routing saved as its value", func() bool {
		ns, _ := a.sys.Store.AccountNumbers(context.Background(), "demo")
		for _, n := range ns {
			if n.Routing == "voicemail" {
				return true
			}
		}
		return false
	})
}
