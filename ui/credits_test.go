package ui_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/ui"
)

const from = "+14155550100"

// account opens a real billing engine on a fixed clock with one account
// holding credit and a sandbox card on file.
func account(t *testing.T, credit string) billing.Account {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tether.db"))
	if err != nil {
		t.Fatal(err)
	}
	bank, err := payment.OpenSandbox(ctx, filepath.Join(dir, "bank.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db.SetClock(clock)
	e := billing.New(billing.Config{Store: db, Rater: rating.SampleRater(), Processor: bank, Clock: clock})
	t.Cleanup(func() { e.Close(); bank.Close(); db.Close() })
	if err := e.OpenAccount(ctx, billing.NewAccount{ID: "acme", Plan: "team", Owner: "owner@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if c := decimal.RequireFromString(credit); c.IsPositive() {
		if err := e.Adjust(ctx, "acme", "seed", c, "test credit"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.SaveCard(ctx, "acme", payment.CardDetails{Number: payment.CardSucceeds, ExpMonth: 12, ExpYear: 2030, CVC: "123"}); err != nil {
		t.Fatal(err)
	}
	return e.For("acme")
}

func show(t *testing.T, v *ui.Credits) fyne.Window {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, v.Object())
	w.Resize(fyne.NewSize(820, 1000))
	if err := v.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// eventually waits, within a generous bound, for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func markup(w fyne.Window) string { return test.RenderToMarkup(w.Canvas()) }

func TestOwnerAtZeroSeesAddCredits(t *testing.T) {
	v := ui.NewCredits(account(t, "0"), true, from)
	w := show(t, v)
	m := markup(w)
	for _, want := range []string{"$0.00 available", "Calls and messages are paused", "Add credits to resume", "Add to Visa •••• 4242"} {
		if !strings.Contains(m, want) {
			t.Errorf("the owner's view at zero lacks %q", want)
		}
	}
	test.AssertRendersToMarkup(t, "credits_owner_zero.xml", w.Canvas())
}

func TestRepAtZeroIsToldWhoToAsk(t *testing.T) {
	v := ui.NewCredits(account(t, "0"), false, from)
	w := show(t, v)
	m := markup(w)
	if !strings.Contains(m, "Ask your account owner to add credits") {
		t.Error("a rep at zero is not told to ask the owner")
	}
	for _, absent := range []string{"Add to Visa", "Auto top-up", "Recent top-ups"} {
		if strings.Contains(m, absent) {
			t.Errorf("a rep sees %q", absent)
		}
	}
	test.AssertRendersToMarkup(t, "credits_rep_zero.xml", w.Canvas())
}

func TestAddCreditsUpdatesAtOnce(t *testing.T) {
	v := ui.NewCredits(account(t, "20"), true, from)
	w := show(t, v)
	if strings.Contains(markup(w), "Calls and messages are paused") {
		t.Fatal("banner shown with credit")
	}
	amount := findEntry(t, w, "Amount, e.g. 25")
	test.Type(amount, "25.50")
	test.Tap(findButton(t, w, "Add to Visa •••• 4242"))
	eventually(t, "the new balance", func() bool { return strings.Contains(markup(w), "$45.50 available") })
	eventually(t, "the confirmation", func() bool { return strings.Contains(markup(w), "Added $25.50. It is available now.") })

	test.Type(amount, "2.505")
	test.Tap(findButton(t, w, "Add to Visa •••• 4242"))
	if !strings.Contains(markup(w), "Enter an amount in dollars and cents") {
		t.Error("a malformed amount is not explained")
	}
}

func TestPriceCheck(t *testing.T) {
	v := ui.NewCredits(account(t, "1"), true, from)
	w := show(t, v)
	dial := findEntry(t, w, "Number to call, e.g. +44 20 7946 0958")
	test.Type(dial, "+1 876 927 1234")
	eventually(t, "the Jamaica price", func() bool {
		return strings.Contains(markup(w), "Jamaica: $0.21/min, billed 60/60, $0.05 to connect. Paid from credits; your credit covers about 4 minutes.")
	})
	v.SetDial("+1 604 555 0100")
	eventually(t, "the bundle note", func() bool { return strings.Contains(markup(w), "Included in your bundle (1000 minutes left)") })
	v.SetDial("+1 604")
	eventually(t, "the incomplete note", func() bool { return strings.Contains(markup(w), "Not a complete phone number yet.") })
}

func TestAutoTopUpForm(t *testing.T) {
	v := ui.NewCredits(account(t, "50"), true, from)
	w := show(t, v)
	if !strings.Contains(markup(w), "Suggested threshold: $10.00") {
		t.Error("no suggested threshold")
	}
	test.Tap(findCheck(t, w, "Top up automatically"))
	test.Type(findEntry(t, w, "When below, e.g. 10"), "30")
	test.Type(findEntry(t, w, "Add, e.g. 25"), "20")
	test.Tap(findButton(t, w, "Save auto top-up"))
	eventually(t, "the refusal", func() bool {
		return strings.Contains(markup(w), "would leave a drained balance below the 30.00 threshold")
	})
	amount := findEntry(t, w, "Add, e.g. 25")
	amount.SetText("")
	test.Type(amount, "40")
	test.Tap(findButton(t, w, "Save auto top-up"))
	eventually(t, "saved", func() bool { return strings.Contains(markup(w), "Saved.") })
}

func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) bool {
	if visit(o) {
		return true
	}
	switch c := o.(type) {
	case *fyne.Container:
		for _, child := range c.Objects {
			if walk(child, visit) {
				return true
			}
		}
	case fyne.Widget:
		for _, child := range test.WidgetRenderer(c).Objects() {
			if walk(child, visit) {
				return true
			}
		}
	}
	return false
}

// find returns the first widget of type T in the window that matches.
func find[T fyne.CanvasObject](t *testing.T, w fyne.Window, what string, match func(T) bool) T {
	t.Helper()
	var found T
	ok := walk(w.Content(), func(o fyne.CanvasObject) bool {
		if x, is := o.(T); is && match(x) {
			found = x
			return true
		}
		return false
	})
	if !ok {
		t.Fatalf("no %s", what)
	}
	return found
}

func findEntry(t *testing.T, w fyne.Window, placeholder string) *widget.Entry {
	t.Helper()
	return find(t, w, "entry "+placeholder, func(e *widget.Entry) bool { return e.PlaceHolder == placeholder })
}

func findButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	return find(t, w, "button "+text, func(b *widget.Button) bool { return b.Text == text })
}

func findCheck(t *testing.T, w fyne.Window, text string) *widget.Check {
	t.Helper()
	return find(t, w, "check "+text, func(c *widget.Check) bool { return c.Text == text })
}
