package ui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
)

// Money is what the credits view needs from the account side;
// billing.Account implements it.
type Money interface {
	Balance(ctx context.Context) (billing.Balance, error)
	Bundle(ctx context.Context) (billing.BundleState, error)
	Quote(ctx context.Context, from, to string) (billing.Quote, error)
	AddCredits(ctx context.Context, amount decimal.Decimal, key string) (billing.Attempt, error)
	Card(ctx context.Context) (billing.SavedCard, bool, error)
	AutoTopUp(ctx context.Context) (billing.AutoTopUp, error)
	SetAutoTopUp(ctx context.Context, s billing.AutoTopUp) error
	SuggestThreshold(ctx context.Context) (billing.Suggestion, error)
	TopUps(ctx context.Context, limit int) ([]billing.Attempt, error)
}

// Credits is the credits view: balance, bundle use, the credit gate's
// banner, Add credits, auto top-up and a price check before dialling.
type Credits struct {
	money   Money
	canBill bool   // the signed-in user may add credits and change auto top-up
	from    string // the number calls would be made from, for price checks

	available, detail     *widget.Label
	banner                *fyne.Container
	bannerText            *widget.Label
	bannerAction          *widget.Button
	voice, texts          *widget.ProgressBar
	voiceText, textsText  *widget.Label
	dial                  *widget.Entry
	quote                 *widget.Label
	amount                *widget.Entry
	add                   *widget.Button
	addStatus             *widget.Label
	autoOn                *widget.Check
	threshold, autoAmount *widget.Entry
	suggestion            *widget.Label
	saveAuto              *widget.Button
	autoStatus            *widget.Label
	history               *widget.Label
	content               fyne.CanvasObject

	// pendingKey is reused when the last Add credits ended without a
	// verdict, so pressing again cannot charge twice.
	pendingKey, pendingAmount string
}

// NewCredits builds the view. canBill is whether the user holds billing
// rights (Owner, Admin); others see the state but not the controls.
func NewCredits(m Money, canBill bool, from string) *Credits {
	v := &Credits{money: m, canBill: canBill, from: from}
	v.available = widget.NewLabelWithStyle("…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.available.SizeName = "headingText"
	v.detail = widget.NewLabel("")
	v.bannerText = widget.NewLabel("")
	v.bannerText.Wrapping = fyne.TextWrapWord
	v.bannerAction = widget.NewButton("Add credits", func() { fyne.CurrentApp().Driver().CanvasForObject(v.amount).Focus(v.amount) })
	v.bannerAction.Importance = widget.HighImportance
	v.banner = container.NewBorder(nil, nil, nil, v.bannerAction, v.bannerText)
	v.banner.Hide()
	v.voice, v.texts = widget.NewProgressBar(), widget.NewProgressBar()
	// The bars show what is left: a full bar is a full bundle.
	v.voice.TextFormatter = func() string { return fmt.Sprintf("%.0f%% left", 100*v.voice.Value) }
	v.texts.TextFormatter = func() string { return fmt.Sprintf("%.0f%% left", 100*v.texts.Value) }
	v.voiceText, v.textsText = widget.NewLabel(""), widget.NewLabel("")

	v.dial = widget.NewEntry()
	v.dial.SetPlaceHolder("Number to call, e.g. +44 20 7946 0958")
	v.quote = widget.NewLabel("Enter a number to see what a call costs.")
	v.quote.Wrapping = fyne.TextWrapWord
	v.dial.OnChanged = func(s string) { go v.priceCheck(s) }

	v.amount = widget.NewEntry()
	v.amount.SetPlaceHolder("Amount, e.g. 25")
	v.add = widget.NewButton("Add credits", v.addCredits)
	v.add.Importance = widget.HighImportance
	v.addStatus = widget.NewLabel("")
	v.addStatus.Wrapping = fyne.TextWrapWord

	v.autoOn = widget.NewCheck("Top up automatically", nil)
	v.threshold, v.autoAmount = widget.NewEntry(), widget.NewEntry()
	v.threshold.SetPlaceHolder("When below, e.g. 10")
	v.autoAmount.SetPlaceHolder("Add, e.g. 25")
	v.suggestion = widget.NewLabel("")
	v.suggestion.Wrapping = fyne.TextWrapWord
	v.saveAuto = widget.NewButton("Save auto top-up", v.saveAutoTopUp)
	v.autoStatus = widget.NewLabel("")
	v.autoStatus.Wrapping = fyne.TextWrapWord
	v.history = widget.NewLabel("")

	balance := widget.NewCard("Credit", "", container.NewVBox(v.available, v.detail))
	bundle := widget.NewCard("Bundle this cycle", "", container.NewVBox(v.voiceText, v.voice, v.textsText, v.texts))
	check := widget.NewCard("Price check", "", container.NewVBox(v.dial, v.quote))
	parts := []fyne.CanvasObject{v.banner, container.NewGridWithColumns(2, balance, bundle), check}
	if canBill {
		addForm := container.NewBorder(nil, nil, nil, v.add, v.amount)
		parts = append(parts,
			widget.NewCard("Add credits", "Charged to the card on file and applied at once.", container.NewVBox(addForm, v.addStatus)),
			widget.NewCard("Auto top-up", "", container.NewVBox(v.autoOn,
				container.NewGridWithColumns(2, labeled("Threshold", v.threshold), labeled("Amount", v.autoAmount)),
				v.suggestion, container.NewBorder(nil, nil, nil, v.saveAuto, v.autoStatus))),
			widget.NewCard("Recent top-ups", "", v.history))
	} else {
		v.bannerAction.Hide()
	}
	v.content = container.NewVScroll(container.NewVBox(parts...))
	return v
}

func labeled(text string, o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widget.NewLabel(text), nil, o)
}

// Object returns the view's canvas object.
func (v *Credits) Object() fyne.CanvasObject { return v.content }

// snapshot is everything the view shows, loaded off the UI goroutine.
type snapshot struct {
	balance    billing.Balance
	bundle     billing.BundleState
	card       billing.SavedCard
	hasCard    bool
	auto       billing.AutoTopUp
	suggestion billing.Suggestion
	topups     []billing.Attempt
}

// Load reads the account and updates the widgets. It may be called from
// any goroutine; it blocks while reading.
func (v *Credits) Load(ctx context.Context) error {
	var s snapshot
	var err error
	if s.balance, err = v.money.Balance(ctx); err != nil {
		return err
	}
	if s.bundle, err = v.money.Bundle(ctx); err != nil {
		return err
	}
	if v.canBill {
		if s.card, s.hasCard, err = v.money.Card(ctx); err != nil {
			return err
		}
		if s.auto, err = v.money.AutoTopUp(ctx); err != nil {
			return err
		}
		if s.suggestion, err = v.money.SuggestThreshold(ctx); err != nil {
			return err
		}
		if s.topups, err = v.money.TopUps(ctx, 5); err != nil {
			return err
		}
	}
	fyne.DoAndWait(func() { v.apply(s) })
	return nil
}

func (v *Credits) apply(s snapshot) {
	b := s.balance
	v.available.SetText(money.Display(b.Available, b.Currency) + " available")
	v.detail.SetText(fmt.Sprintf("Balance %s · held by calls in progress %s",
		money.Display(b.Posted, b.Currency), money.Display(b.Reserved, b.Currency)))
	if b.Available.IsPositive() {
		v.banner.Hide()
	} else {
		msg := "Calls and messages are paused: your account has no credit available, even with bundle minutes left."
		if v.canBill {
			msg += " Add credits to resume at once."
		} else {
			msg += " Ask your account owner to add credits."
		}
		v.bannerText.SetText(msg)
		v.banner.Show()
	}
	pool := func(p rating.Pool, bar *widget.ProgressBar, label *widget.Label, what string, per int64) {
		st, ok := s.bundle.Pools[p]
		if !ok || st.Allowance == 0 {
			label.SetText(what + ": not in your plan")
			bar.SetValue(0)
			return
		}
		label.SetText(fmt.Sprintf("%s: %d of %d used, %d left", what, (st.Used+per-1)/per, st.Allowance/per, st.Left/per))
		bar.Max = 1
		bar.SetValue(frac(st.Left, st.Allowance))
	}
	pool(rating.PoolVoice, v.voice, v.voiceText, "Call minutes", 60)
	pool(rating.PoolSMS, v.texts, v.textsText, "Text segments", 1)
	if !v.canBill {
		return
	}
	if s.hasCard {
		v.add.Enable()
		v.add.SetText(fmt.Sprintf("Add to %s •••• %s", s.card.Brand, s.card.Last4))
	} else {
		v.add.Disable()
		v.addStatus.SetText("Add a card to buy credits.")
	}
	v.autoOn.SetChecked(s.auto.Enabled)
	if !s.auto.Threshold.IsZero() || !s.auto.Amount.IsZero() {
		v.threshold.SetText(s.auto.Threshold.StringFixed(2))
		v.autoAmount.SetText(s.auto.Amount.StringFixed(2))
	}
	v.suggestion.SetText(fmt.Sprintf("Suggested threshold: %s. %s", money.Display(s.suggestion.Threshold, b.Currency), s.suggestion.Basis))
	if s.auto.Disabled != "" {
		v.autoStatus.SetText(s.auto.Disabled)
	}
	var lines []string
	for _, a := range s.topups {
		line := fmt.Sprintf("%s  %s  %s  %s", a.Created.Local().Format("Jan 2 15:04"), a.Kind, money.Display(a.Amount, a.Currency), a.Status)
		if a.Failure != "" {
			line += " (" + a.Failure + ")"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = []string{"No top-ups yet."}
	}
	v.history.SetText(strings.Join(lines, "\n"))
}

// frac returns part/total as a progress bar value (a ratio for display,
// not money).
func frac(part, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return float64(part) / float64(total)
}

// priceCheck quotes a call to what has been typed so far.
func (v *Credits) priceCheck(text string) {
	text = strings.TrimSpace(text)
	msg := "Enter a number to see what a call costs."
	if text != "" {
		q, err := v.money.Quote(context.Background(), v.from, text)
		msg = quoteText(q, err)
	}
	fyne.Do(func() {
		if strings.TrimSpace(v.dial.Text) == text { // not stale
			v.quote.SetText(msg)
		}
	})
}

func quoteText(q billing.Quote, err error) string {
	switch {
	case errors.Is(err, billing.ErrInvalid), errors.Is(err, rating.ErrNumber):
		return "Not a complete phone number yet."
	case errors.Is(err, rating.ErrNoRate):
		return "Calls to this destination are not available."
	case err != nil:
		return "Price unavailable: " + err.Error()
	}
	price := fmt.Sprintf("%s: %s/min, billed %s", q.Destination, money.Rate(q.PerMinute, q.Currency), q.Increment)
	if q.ConnectFee.IsPositive() {
		price += fmt.Sprintf(", %s to connect", money.Display(q.ConnectFee, q.Currency))
	}
	switch {
	case !q.Allowed:
		return price + ". " + q.Reason
	case q.InBundle:
		return price + ". Included in your bundle (" + fmt.Sprint(q.BundleLeft/60) + " minutes left)."
	default:
		return price + fmt.Sprintf(". Paid from credits; your credit covers about %d minutes.", q.MaxSeconds/60)
	}
}

func newKey() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (v *Credits) addCredits() {
	text := strings.TrimSpace(v.amount.Text)
	amount, err := money.Parse(text, 2, false)
	if err != nil || !amount.IsPositive() {
		v.addStatus.SetText("Enter an amount in dollars and cents, such as 25 or 25.50.")
		return
	}
	key := newKey()
	if v.pendingKey != "" && v.pendingAmount == amount.String() {
		key = v.pendingKey // the last press had no verdict: ask again, same key
	}
	v.pendingKey, v.pendingAmount = key, amount.String()
	v.add.Disable()
	v.addStatus.SetText("Charging your card…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a, err := v.money.AddCredits(ctx, amount, key)
		var msg string
		var decline *payment.DeclineError
		done := true
		switch {
		case err == nil:
			msg = fmt.Sprintf("Added %s. It is available now.", money.Display(a.Amount, a.Currency))
		case errors.As(err, &decline):
			msg = "Your card was not charged: " + decline.Message
		case errors.Is(err, billing.ErrPaymentPending):
			msg = "The card processor has not answered yet. Press again to check; you will not be charged twice."
			done = false
		case errors.Is(err, billing.ErrInvalid):
			msg = strings.TrimPrefix(err.Error(), billing.ErrInvalid.Error()+": ")
		default:
			msg = "Could not add credits: " + err.Error()
			done = false
		}
		fyne.Do(func() {
			if done {
				v.pendingKey = ""
				v.amount.SetText("")
			}
			v.addStatus.SetText(msg)
			v.add.Enable()
		})
		v.Load(ctx)
	}()
}

func (v *Credits) saveAutoTopUp() {
	threshold, err1 := money.Parse(v.threshold.Text, 2, false)
	amount, err2 := money.Parse(v.autoAmount.Text, 2, false)
	if err1 != nil || err2 != nil {
		v.autoStatus.SetText("Enter the threshold and the amount in dollars and cents.")
		return
	}
	s := billing.AutoTopUp{Enabled: v.autoOn.Checked, Threshold: threshold, Amount: amount}
	v.saveAuto.Disable()
	go func() {
		ctx := context.Background()
		err := v.money.SetAutoTopUp(ctx, s)
		msg := "Saved."
		switch {
		case errors.Is(err, billing.ErrInvalid):
			msg = strings.TrimPrefix(err.Error(), billing.ErrInvalid.Error()+": ")
		case errors.Is(err, payment.ErrNoCard):
			msg = "Add a card before turning on auto top-up."
		case err != nil:
			msg = "Could not save: " + err.Error()
		}
		fyne.Do(func() {
			v.autoStatus.SetText(msg)
			v.saveAuto.Enable()
		})
		if err == nil {
			v.Load(ctx)
		}
	}()
}

// SetDial puts a number in the price check, as if typed.
func (v *Credits) SetDial(number string) { v.dial.SetText(number) }
