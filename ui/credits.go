package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/team"
)

// CreditsView shows the balance, the bundle, spend over the last 30 days
// with the runway it leaves, the transactions, Add credits and auto
// top-up.
type CreditsView struct {
	s    Session
	gate *Gate
	win  fyne.Window

	available, detail, runway *widget.Label
	voice, texts              *widget.ProgressBar
	voiceText, textsText      *widget.Label
	chart                     *SpendChart
	legend                    *fyne.Container
	transactions              *widget.Label
	add                       *widget.Button
	addStatus                 *widget.Label
	autoOn                    *widget.Check
	threshold, autoAmount     *widget.Entry
	suggestion, autoStatus    *widget.Label
	saveAuto                  *widget.Button
	thresholdItem             *widget.FormItem
	autoForm                  *widget.Form
	history                   *widget.Label
	content                   fyne.CanvasObject

	mu sync.Mutex
	// pendingKey is reused when the last Add credits ended without a
	// verdict, so asking again cannot charge twice.
	pendingKey, pendingAmount string
	card                      api.CardInfo
	cardButton                *widget.Button
}

// NewCreditsView builds the view; its controls need billing.manage.
func NewCreditsView(s Session, gate *Gate, win fyne.Window) *CreditsView {
	v := &CreditsView{s: s, gate: gate, win: win}
	v.available = widget.NewLabelWithStyle("…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.available.SizeName = "headingText"
	v.detail, v.runway = widget.NewLabel(""), widget.NewLabel("")
	v.voice, v.texts = widget.NewProgressBar(), widget.NewProgressBar()
	v.voice.TextFormatter = func() string { return "" }
	v.texts.TextFormatter = func() string { return "" }
	v.voiceText, v.textsText = widget.NewLabel(""), widget.NewLabel("")
	v.chart = NewSpendChart()
	// The chart's legend flows onto as many rows as it needs (in one row
	// it was wider than a column at 800x600).
	v.legend = container.NewGridWrap(fyne.NewSize(170, 36))
	v.transactions = widget.NewLabel("")
	// Lines wrap: at 800x600 the two columns have about 340 px each (an
	// unwrapped line widened the window and squeezed the buttons).
	for _, l := range []*widget.Label{v.detail, v.runway, v.voiceText, v.textsText, v.transactions} {
		l.Wrapping = fyne.TextWrapWord
	}
	v.add = widget.NewButton("Add credits…", v.ShowAddCredits)
	v.add.Importance = widget.HighImportance
	v.cardButton = widget.NewButton("Add a card…", v.ShowCard)
	v.addStatus = widget.NewLabel("")
	v.addStatus.Wrapping = fyne.TextWrapWord
	v.autoOn = widget.NewCheck("Top up automatically", nil)
	v.threshold, v.autoAmount = widget.NewEntry(), widget.NewEntry()
	v.threshold.SetPlaceHolder("10.00")
	v.autoAmount.SetPlaceHolder("25.00")
	v.suggestion = widget.NewLabel("")
	v.suggestion.Wrapping = fyne.TextWrapWord
	v.autoStatus = widget.NewLabel("")
	v.autoStatus.Wrapping = fyne.TextWrapWord
	v.saveAuto = widget.NewButton("Save auto top-up", v.saveAutoTopUp)
	v.history = widget.NewLabel("")
	v.history.Wrapping = fyne.TextWrapWord

	heading := func(t string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	left := container.NewVBox(
		v.available, v.detail, v.runway,
		heading("Bundle this cycle"), v.voiceText, v.voice, v.textsText, v.texts,
		heading("Spend, last 30 days"), v.chart, v.legend,
		heading("Transactions"), v.transactions,
	)
	sym := s.Symbol()
	v.thresholdItem = widget.NewFormItem("When below "+sym, v.threshold)
	v.autoForm = widget.NewForm(v.thresholdItem, widget.NewFormItem("Add "+sym, v.autoAmount))
	right := container.NewVBox(heading("Add credits"), v.add, v.addStatus, v.cardButton,
		heading("Auto top-up"), v.autoOn, v.autoForm, v.suggestion, v.saveAuto, v.autoStatus, heading("Payments and notices"), v.history)
	if !s.Can(team.ManageBilling) {
		right = container.NewVBox(heading("Auto top-up"), v.autoStatus, heading("Payments and notices"), v.history,
			widget.NewLabel("Adding credits and auto top-up are for the account's owner and admins."))
	}
	v.content = container.NewVScroll(container.NewPadded(container.NewGridWithColumns(2, left, right)))
	return v
}

// Object is the view's content.
func (v *CreditsView) Object() fyne.CanvasObject { return v.content }

// creditsData is one load's worth of answers.
type creditsData struct {
	b       api.BalanceInfo
	usage   []api.UsageDay
	page    api.TransactionPage
	top     api.TopUpSettings
	hist    api.TopUpHistory
	card    api.CardInfo
	cardErr error
}

// Load reads everything from the server; call it off the UI thread.
func (v *CreditsView) Load(ctx context.Context) error {
	var d creditsData
	var err error
	if d.b, err = v.s.Account.Balance(ctx); err != nil {
		return err
	}
	if d.usage, err = v.s.Account.Usage(ctx, 30); err != nil {
		return err
	}
	if d.page, err = v.s.Account.Transactions(ctx, api.TransactionFilter{Limit: 12}); err != nil {
		return err
	}
	if d.top, err = v.s.Account.TopUp(ctx); err != nil {
		return err
	}
	if d.hist, err = v.s.Account.TopUpHistory(ctx); err != nil {
		return err
	}
	d.card, d.cardErr = v.s.Account.Card(ctx)
	doWait(func() { v.apply(d) })
	return nil
}

func (v *CreditsView) apply(d creditsData) {
	v.gate.Set(d.b.Gate == "open", d.b.Reason)
	// Balances show to the cent rounded down, as the server displays them
	// (money.Display): $19.9975 is $19.99, never $20.00.
	show := func(s string) string { return money.DisplayText(s, d.b.Currency) }
	v.available.SetText(show(d.b.Available) + " available")
	v.detail.SetText(fmt.Sprintf("Posted %s · held for calls in progress %s", show(d.b.Posted), show(d.b.Reserved)))
	if bu := d.b.Bundle; bu != nil {
		v.voice.SetValue(frac(bu.MinutesLeft, bu.MinutesAll))
		v.texts.SetValue(frac(bu.SMSLeft, bu.SMSAll))
		until := bu.CycleEnds.Local().Format("Jan 2")
		v.voiceText.SetText(fmt.Sprintf("%d of %d minutes left until %s", bu.MinutesLeft, bu.MinutesAll, until))
		v.textsText.SetText(fmt.Sprintf("%d of %d texts left", bu.SMSLeft, bu.SMSAll))
	}
	v.chart.Currency = d.b.Currency
	v.chart.SetData(d.usage)
	v.legend.RemoveAll()
	for _, t := range v.chart.Types() {
		sw := canvas.NewRectangle(usageColor(t))
		sw.SetMinSize(fyne.NewSize(12, 12))
		v.legend.Add(container.NewHBox(container.NewCenter(sw), widget.NewLabel(usageName(t))))
	}
	v.runway.SetText(Runway(d.b.Available, d.usage, d.b.Currency))
	var lines []string
	for _, t := range d.page.Items {
		lines = append(lines, fmt.Sprintf("%s   %s   %s", t.At.Local().Format("Jan 2 15:04"), v.s.Signed(t.Amount), txName(t)))
	}
	if len(lines) == 0 {
		lines = []string{"No transactions yet."}
	}
	v.transactions.SetText(strings.Join(lines, "\n"))
	v.mu.Lock()
	v.card = d.card
	v.mu.Unlock()
	switch {
	case d.cardErr != nil:
		v.addStatus.SetText("There is no card on file: add one to buy credits (it also pays the plan's seats).")
		v.add.Disable()
		v.cardButton.SetText("Add a card…")
	case v.addStatus.Text == "" || strings.HasPrefix(v.addStatus.Text, "Card on file") || strings.HasPrefix(v.addStatus.Text, "There is no card"):
		v.addStatus.SetText(fmt.Sprintf("Card on file: %s ending %s", d.card.Brand, d.card.Last4))
		v.add.Enable()
		v.cardButton.SetText("Change the card…")
	}
	if v.threshold.Text == "" {
		v.autoOn.SetChecked(d.top.Enabled)
		th, am := d.top.Threshold, d.top.Amount
		if !d.top.Enabled && th == "0.00" {
			th = d.top.Suggested.Threshold // never set: start from the suggestion
		}
		if am == "0.00" {
			am = "25.00"
		}
		v.threshold.SetText(th)
		v.autoAmount.SetText(am)
	}
	v.suggestion.SetText(fmt.Sprintf("Suggested threshold: $%s. %s", d.top.Suggested.Threshold, d.top.Suggested.Basis))
	v.thresholdItem.HintText = fmt.Sprintf("Suggested: $%s (about %d days of your usual spend)", d.top.Suggested.Threshold, 3)
	v.autoForm.Refresh()
	state := "Auto top-up is off."
	if d.top.Enabled {
		state = fmt.Sprintf("On: adds $%s when available credit falls below $%s.", d.top.Amount, d.top.Threshold)
	}
	if d.top.Disabled != "" {
		state = "Turned itself off: " + d.top.Disabled
	}
	if !v.s.Can(team.ManageBilling) || !strings.HasPrefix(v.autoStatus.Text, "Saved") && !strings.HasPrefix(v.autoStatus.Text, "Not saved") {
		v.autoStatus.SetText(state)
	}
	var hist []string
	for _, t := range d.hist.TopUps {
		line := fmt.Sprintf("%s  %s %s  %s", t.Created.Local().Format("Jan 2 15:04"), t.Kind, v.s.Money(t.Amount), t.Status)
		if t.Failure != "" {
			line += ": " + t.Failure
		}
		hist = append(hist, line)
		if len(hist) == 8 {
			break
		}
	}
	for _, n := range d.hist.Notifications {
		hist = append(hist, "⚠ "+n.Message)
	}
	if len(hist) == 0 {
		hist = []string{"None yet."}
	}
	v.history.SetText(strings.Join(hist, "\n"))
}

func frac(part, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return float64(part) / float64(total)
}

func txName(t api.Transaction) string {
	if t.Memo != "" {
		return usageName(t.Type) + " · " + t.Memo
	}
	return usageName(t.Type)
}

// Runway says how long the credit lasts at the usual spend
// (billing.RunwayOf), in words.
func Runway(available string, usage []api.UsageDay, currency string) string {
	a, err := decimal.NewFromString(available)
	if err != nil {
		return ""
	}
	daily := make([]decimal.Decimal, len(usage))
	for i, d := range usage {
		daily[i], _ = decimal.NewFromString(d.Total) // unreadable: zero
	}
	r := billing.RunwayOf(a, daily)
	switch {
	case !r.Spent:
		return "No credit spent in the last 30 days."
	case r.Days < 1:
		return "Less than a day of credit left at your usual spend."
	case r.Days == 1:
		return "About 1 day of credit at your usual spend."
	}
	return fmt.Sprintf("About %d days of credit at your usual spend (%s a day).", r.Days, money.Display(r.PerDay, currency))
}

// cents reads an amount typed in dollars and cents ("25", "$25.00") and
// gives it as the API takes it ("25.00").
func cents(s string) (string, bool) {
	d, err := money.Parse(s, 2, false)
	if err != nil {
		return "", false
	}
	return d.StringFixed(2), true
}

// Cards is what the card form asks of the account API; *api.Client
// implements it.
type Cards interface {
	SaveCard(ctx context.Context, card api.CardRequest) (api.CardInfo, error)
}

var _ Cards = (*api.Client)(nil)

// ShowCard opens the card form: number, expiry and CVC, sent to the card
// processor (never kept on the server). What the subscription owes is
// taken with it at once.
func (v *CreditsView) ShowCard() {
	cards, ok := v.s.Account.(Cards)
	if !ok {
		return
	}
	number, month, year, cvc := widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewPasswordEntry()
	number.SetPlaceHolder("the digits on the card")
	month.SetPlaceHolder("MM")
	year.SetPlaceHolder("YYYY")
	cvc.SetPlaceHolder("3 or 4 digits on the back")
	problem := widget.NewLabel("")
	problem.Wrapping = fyne.TextWrapWord
	problem.Importance = widget.DangerImportance
	var d dialog.Dialog
	save := func() {
		m, errM := strconv.Atoi(strings.TrimSpace(month.Text))
		y, errY := strconv.Atoi(strings.TrimSpace(year.Text))
		if y < 100 {
			y += 2000
		}
		digits := strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' {
				return -1
			}
			return r
		}, number.Text)
		switch {
		case len(digits) < 12 || strings.Trim(digits, "0123456789") != "":
			problem.SetText("The card number is 12 to 19 digits.")
			return
		case errM != nil || m < 1 || m > 12 || errY != nil:
			problem.SetText("The expiry is a month (1 to 12) and a year.")
			return
		}
		problem.SetText("Saving the card…")
		req := api.CardRequest{Number: digits, ExpMonth: m, ExpYear: y, CVC: strings.TrimSpace(cvc.Text)}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := cards.SaveCard(ctx, req)
			do(func() {
				if err != nil {
					problem.SetText(errText(err)) // the form stays, with what was typed
					return
				}
				d.Hide()
				v.addStatus.SetText(fmt.Sprintf("Card on file: %s ending %s", c.Brand, c.Last4))
			})
			v.Load(ctx)
		}()
	}
	saveButton := widget.NewButton("Save card", save)
	saveButton.Importance = widget.HighImportance
	form := widget.NewForm(widget.NewFormItem("Card number", number), widget.NewFormItem("Expiry", container.NewGridWithColumns(2, month, year)),
		widget.NewFormItem("CVC", cvc))
	d = dialog.NewCustomWithoutButtons("Card for credits and the subscription", container.NewVBox(form, problem,
		container.NewGridWithColumns(2, widget.NewButton("Cancel", func() { d.Hide() }), saveButton)), v.win)
	d.Resize(fyne.NewSize(480, 300))
	d.Show()
}

// ShowAddCredits opens the Add credits dialog: an amount, the card on
// file, a confirmation, and the balance updated at once.
func (v *CreditsView) ShowAddCredits() {
	if v.win == nil || !v.s.Can(team.ManageBilling) {
		return
	}
	// The amount is filled in (a value, not a placeholder that looks like
	// one) and checked in place: the dialog stays open until it is right.
	amount := widget.NewEntry()
	amount.SetText("25.00")
	v.mu.Lock()
	card := v.card
	if v.pendingAmount != "" {
		amount.SetText(v.pendingAmount)
	}
	v.mu.Unlock()
	cardText := "the card on file"
	if card.Last4 != "" {
		cardText = fmt.Sprintf("%s ending %s", card.Brand, card.Last4)
	}
	problem := widget.NewLabel("")
	problem.Wrapping = fyne.TextWrapWord
	problem.Importance = widget.DangerImportance
	var d dialog.Dialog
	next := func() {
		a, valid := cents(amount.Text)
		switch {
		case strings.TrimSpace(amount.Text) == "":
			problem.SetText("Enter an amount, such as 25 or 25.00.")
			return
		case strings.HasPrefix(strings.TrimSpace(amount.Text), "-"):
			problem.SetText("The amount must be more than zero.")
			return
		case !valid:
			problem.SetText("The amount is dollars and cents, such as 25 or 25.00.")
			return
		case a == "0.00":
			problem.SetText("The amount must be more than zero.")
			return
		}
		d.Hide()
		dialog.ShowConfirm("Add credits", fmt.Sprintf("Charge %s to %s now?", v.s.Money(a), cardText), func(yes bool) {
			if yes {
				v.AddCredits(a)
			}
		}, v.win)
	}
	amount.OnSubmitted = func(string) { next() }
	cont := widget.NewButton("Continue", next)
	cont.Importance = widget.HighImportance
	d = dialog.NewCustomWithoutButtons("Add credits", container.NewVBox(
		widget.NewForm(widget.NewFormItem("Amount "+v.s.Symbol(), amount), widget.NewFormItem("Card", widget.NewLabel(cardText))), problem,
		container.NewGridWithColumns(2, widget.NewButton("Cancel", func() { d.Hide() }), cont)), v.win)
	d.Resize(fyne.NewSize(420, 220))
	d.Show()
}

// AddCredits charges the card on file for amount ("25.00") and updates
// the view; a retry after an unanswered attempt reuses its key.
func (v *CreditsView) AddCredits(amount string) {
	v.mu.Lock()
	key := v.pendingKey
	if key == "" || v.pendingAmount != amount {
		key = api.NewIdempotencyKey("app")
	}
	v.pendingKey, v.pendingAmount = key, amount
	v.mu.Unlock()
	v.add.Disable()
	v.addStatus.SetText("Charging " + v.s.Money(amount) + "…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		t, err := v.s.Account.AddCredits(ctx, amount, key)
		var e *api.Error
		do(func() {
			v.add.Enable()
			switch {
			case err == nil && t.Status == "pending":
				v.addStatus.SetText("The card processor has not answered yet; the credit will appear once it does, and only once.")
				return
			case err == nil:
				v.addStatus.SetText(fmt.Sprintf("Added %s. Card on file charged.", v.s.Money(t.Amount)))
			case errors.As(err, &e) && e.Status < 500:
				v.addStatus.SetText(e.Message)
			default:
				v.addStatus.SetText("No answer from the server; try again (you will not be charged twice).")
				return // keep the key for the retry
			}
			v.mu.Lock()
			v.pendingKey, v.pendingAmount = "", ""
			v.mu.Unlock()
		})
		v.Load(ctx)
	}()
}

func (v *CreditsView) saveAutoTopUp() {
	th, ok1 := cents(v.threshold.Text)
	am, ok2 := cents(v.autoAmount.Text)
	if !ok1 || !ok2 {
		v.autoStatus.SetText("The threshold and the amount are dollars and cents, such as 10 or 25.00.")
		return
	}
	on := v.autoOn.Checked
	v.saveAuto.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		t, err := v.s.Account.SetTopUp(ctx, on, th, am)
		failed := false
		doWait(func() {
			v.saveAuto.Enable()
			if err != nil {
				// The server's reason stays: no reload replaces it, and
				// the fields keep what was typed.
				v.autoStatus.SetText("Not saved: " + errText(err))
				failed = true
				return
			}
			if t.Enabled {
				v.autoStatus.SetText(fmt.Sprintf("Saved: adds $%s when available credit falls below $%s.", t.Amount, t.Threshold))
			} else {
				v.autoStatus.SetText("Saved: auto top-up is off.")
			}
		})
		if !failed {
			v.Load(ctx)
		}
	}()
}

// AutoStatus is the auto top-up line, and SuggestionText the suggested
// threshold with its basis (for tests).
func (v *CreditsView) AutoStatus() string { return v.autoStatus.Text }

// RunwayText is the runway line.
func (v *CreditsView) RunwayText() string { return v.runway.Text }

// SuggestionText: see AutoStatus.
func (v *CreditsView) SuggestionText() string { return v.suggestion.Text }

// SetAutoTopUpForm fills the auto top-up form and saves it, as a person
// would (for tests and scripts).
func (v *CreditsView) SetAutoTopUpForm(on bool, threshold, amount string) {
	v.autoOn.SetChecked(on)
	v.threshold.SetText(threshold)
	v.autoAmount.SetText(amount)
	v.saveAutoTopUp()
}

// AddStatus is the Add credits line (for tests and the status bar).
func (v *CreditsView) AddStatus() string { return v.addStatus.Text }

// AvailableText is the balance heading.
func (v *CreditsView) AvailableText() string { return v.available.Text }

// usageNames are the usage types as people call them.
var usageNames = map[string]string{
	"domestic-call": "Domestic calls", "international-call": "International calls", "premium-call": "Premium numbers",
	"forwarded-call": "Forwarding", "toll-free-inbound": "Toll-free calls in", "domestic-sms": "Domestic texts",
	"international-sms": "International texts", "bulk-sms": "Bulk texts", "voicemail-transcription": "Transcription",
	"ai-agent": "AI agent", "number-rental": "Numbers", "payment": "Credits added", "adjustment": "Adjustment",
}

func usageName(t string) string {
	if n, ok := usageNames[t]; ok {
		return n
	}
	return t
}

var palette = []color.NRGBA{{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}}

// usageColor gives each usage type a steady colour.
func usageColor(t string) color.Color {
	keys := make([]string, 0, len(usageNames))
	for k := range usageNames {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	i := slices.Index(keys, t)
	if i < 0 {
		i = len(t)
	}
	return palette[i%len(palette)]
}

// SpendChart draws credit spent per day, stacked by usage type.
type SpendChart struct {
	widget.BaseWidget
	Currency string // of the amounts shown
	days     []api.UsageDay
	types    []string
}

// NewSpendChart returns an empty chart.
func NewSpendChart() *SpendChart {
	c := &SpendChart{}
	c.ExtendBaseWidget(c)
	return c
}

// SetData shows days of usage.
func (c *SpendChart) SetData(days []api.UsageDay) {
	c.days = days
	seen := map[string]bool{}
	c.types = nil
	for _, d := range days {
		for t := range d.ByType {
			if !seen[t] {
				seen[t] = true
				c.types = append(c.types, t)
			}
		}
	}
	slices.Sort(c.types)
	c.Refresh()
}

// Types lists the usage types the chart shows.
func (c *SpendChart) Types() []string { return c.types }

// CreateRenderer implements fyne.Widget.
func (c *SpendChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c, axis: canvas.NewLine(color.NRGBA{0x88, 0x88, 0x88, 0xff}), label: canvas.NewText("", color.NRGBA{0x88, 0x88, 0x88, 0xff})}
	r.label.TextSize = 11
	r.Refresh()
	return r
}

type chartRenderer struct {
	c     *SpendChart
	bars  []*canvas.Rectangle
	axis  *canvas.Line
	label *canvas.Text
	size  fyne.Size
}

func (r *chartRenderer) Layout(s fyne.Size) { r.size = s; r.Refresh() }

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(300, 120) }

func (r *chartRenderer) Refresh() {
	s := r.size
	if s.IsZero() {
		s = r.MinSize()
	}
	peak := decimal.Zero
	for _, d := range r.c.days {
		if t, err := decimal.NewFromString(d.Total); err == nil && t.GreaterThan(peak) {
			peak = t
		}
	}
	r.bars = r.bars[:0]
	top := float32(16)
	h := s.Height - top - 2
	if n := len(r.c.days); n > 0 && peak.IsPositive() {
		w := s.Width / float32(n)
		for i, d := range r.c.days {
			y := s.Height - 2
			for _, t := range r.c.types {
				v, err := decimal.NewFromString(d.ByType[t])
				if err != nil || !v.IsPositive() {
					continue
				}
				bh := float32(v.Div(peak).InexactFloat64()) * h // drawing only; no money math
				rect := canvas.NewRectangle(usageColor(t))
				rect.Move(fyne.NewPos(float32(i)*w+1, y-bh))
				rect.Resize(fyne.NewSize(max(w-2, 1), bh))
				r.bars = append(r.bars, rect)
				y -= bh
			}
		}
		r.label.Text = "peak " + money.Display(peak, r.c.Currency) + " a day"
	} else {
		r.label.Text = "no credit spent"
	}
	r.axis.Position1, r.axis.Position2 = fyne.NewPos(0, s.Height-1), fyne.NewPos(s.Width, s.Height-1)
	r.label.Move(fyne.NewPos(0, 0))
	r.label.Refresh()
	for _, b := range r.bars {
		b.Refresh()
	}
	r.axis.Refresh()
}

func (r *chartRenderer) Objects() []fyne.CanvasObject {
	out := []fyne.CanvasObject{r.axis, r.label}
	for _, b := range r.bars {
		out = append(out, b)
	}
	return out
}

func (r *chartRenderer) Destroy() {}
