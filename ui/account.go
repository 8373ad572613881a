package ui

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/country"
	"github.com/tetherphone/tether/account/team"
)

// Company is what the Account view and the verification banner ask of the
// account API; *api.Client implements it.
type Company interface {
	Account(ctx context.Context) (api.AccountInfo, error)
	SetAccount(ctx context.Context, req api.AccountRequest) (api.AccountInfo, error)
	Plans(ctx context.Context) ([]api.PlanInfo, error)
	Subscription(ctx context.Context) (api.SubscriptionInfo, error)
	ChangePlan(ctx context.Context, plan string) (api.SubscriptionInfo, error)
	Receipts(ctx context.Context) ([]api.ReceiptInfo, error)
	ReceiptHTML(ctx context.Context, id string) ([]byte, error)
	Verify(ctx context.Context, code string) error
	ResendCode(ctx context.Context) error
}

var _ Company = (*api.Client)(nil)

// countryLabel is how a country shows in a picker: "GB · Britain (UK)".
func countryLabel(c country.Country) string { return c.Code + " · " + c.Name }

// countryCode reads a picker's text back: its code, or "" when it names
// no country.
func countryCode(text string) string {
	code, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	if c, ok := country.Lookup(code); ok {
		return c.Code
	}
	if cs := country.Search(text); len(cs) == 1 {
		return cs[0].Code
	}
	return ""
}

// CountryPicker is a country field that searches as one types (name,
// other names, or code).
type CountryPicker struct {
	*widget.SelectEntry
	options []string
}

// Options are the countries it offers now (what was typed matches them).
func (p *CountryPicker) Options() []string { return p.options }

// NewCountryPicker builds the field; onChosen hears the code of a country
// picked.
func NewCountryPicker(code string, onChosen func(code string)) *CountryPicker {
	var labels []string
	for _, c := range country.All() {
		labels = append(labels, countryLabel(c))
	}
	e := widget.NewSelectEntry(labels)
	p := &CountryPicker{SelectEntry: e, options: labels}
	e.SetPlaceHolder("Type to search: United Kingdom, US, Deutschland…")
	if c, ok := country.Lookup(code); ok {
		e.SetText(countryLabel(c))
	}
	e.OnChanged = func(text string) {
		var found []string
		for _, c := range country.Search(text) {
			found = append(found, countryLabel(c))
		}
		if len(found) > 0 && len(found) <= 40 {
			e.SetOptions(found)
			p.options = found
		}
		if c := countryCode(text); c != "" && onChosen != nil && strings.Contains(text, "·") {
			onChosen(c)
		}
	}
	return p
}

// AccountView is the company as its Owner and Admins run it: its name,
// country, time zone and caller ID; its plan, seats and what it pays each
// billing day (with a change of plan); and a receipt for everything paid.
type AccountView struct {
	s       Session
	c       Company
	win     fyne.Window
	info    api.AccountInfo
	sub     api.SubscriptionInfo
	plans   []api.PlanInfo
	numbers []string

	name     *widget.Entry
	country  *CountryPicker
	zone     *widget.SelectEntry
	callerID *widget.Select
	save     *widget.Button
	plan     *widget.Label
	planPick *widget.Select
	receipts *fyne.Container
	status   *widget.Label
	content  fyne.CanvasObject
	// Open opens a saved receipt (the app: the system's browser).
	Open func(path string) error
}

// NewAccountView builds the view.
func NewAccountView(s Session, c Company, win fyne.Window) *AccountView {
	v := &AccountView{s: s, c: c, win: win, name: widget.NewEntry(), zone: widget.NewSelectEntry(nil), callerID: widget.NewSelect(nil, nil),
		plan: widget.NewLabel(""), receipts: container.NewVBox(), status: widget.NewLabel("")}
	v.status.Wrapping = fyne.TextWrapWord
	v.plan.Wrapping = fyne.TextWrapWord
	v.country = NewCountryPicker("", func(code string) {
		if cc, ok := country.Lookup(code); ok {
			v.zone.SetOptions(cc.Zones)
			if !slices.Contains(cc.Zones, v.zone.Text) {
				v.zone.SetText(cc.Zone())
			}
		}
	})
	v.save = widget.NewButton("Save", v.saveCompany)
	v.save.Importance = widget.HighImportance
	form := widget.NewForm(widget.NewFormItem("Company", v.name), widget.NewFormItem("Country", v.country.SelectEntry),
		widget.NewFormItem("Time zone", v.zone), widget.NewFormItem("Caller ID", v.callerID))
	company := container.NewVBox(widget.NewLabelWithStyle("Company", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), form)
	if s.Can(team.ManageAccount) {
		company.Add(container.NewHBox(v.save))
	} else {
		v.name.Disable()
		v.country.Disable()
		v.zone.Disable()
		v.callerID.Disable()
	}
	v.planPick = widget.NewSelect(nil, nil)
	change := widget.NewButton("Change plan", v.changePlan)
	plan := container.NewVBox(widget.NewLabelWithStyle("Plan", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.plan)
	if s.Can(team.ManageBilling) {
		plan.Add(container.NewBorder(nil, nil, nil, change, v.planPick))
	}
	v.content = container.NewBorder(v.status, nil, nil, nil, container.NewVScroll(container.NewVBox(company, widget.NewSeparator(), plan,
		widget.NewSeparator(), widget.NewLabelWithStyle("Receipts", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.receipts)))
	return v
}

// Object is the view's content.
func (v *AccountView) Object() fyne.CanvasObject { return v.content }

// Info is the company as last loaded (for tests).
func (v *AccountView) Info() api.AccountInfo { return v.info }

// PlanText is the plan section's text (for tests).
func (v *AccountView) PlanText() string { return v.plan.Text }

// Load reads the company, its subscription, the plans and the receipts;
// off the UI thread.
func (v *AccountView) Load(ctx context.Context) error {
	info, err := v.c.Account(ctx)
	if err != nil {
		return err
	}
	sub, err := v.c.Subscription(ctx)
	if err != nil {
		return err
	}
	plans, err := v.c.Plans(ctx)
	if err != nil {
		return err
	}
	rs, err := v.c.Receipts(ctx)
	if err != nil {
		return err
	}
	var nums []string
	if ns, err := v.s.Account.Numbers(ctx); err == nil {
		for _, n := range ns {
			nums = append(nums, n.Number)
		}
	}
	doWait(func() {
		v.info, v.sub, v.plans, v.numbers = info, sub, plans, nums
		v.render(rs)
	})
	return nil
}

const eachOwn = "Each person's own number"

func (v *AccountView) render(rs []api.ReceiptInfo) {
	v.name.SetText(v.info.Name)
	if c, ok := country.Lookup(v.info.Country); ok {
		v.country.SetText(countryLabel(c))
		v.zone.SetOptions(c.Zones)
	}
	v.zone.SetText(v.info.Zone)
	v.callerID.SetOptions(append([]string{eachOwn}, v.numbers...))
	v.callerID.SetSelected(eachOwn)
	if v.info.CallerID != "" {
		v.callerID.SetSelected(v.info.CallerID)
	}
	s := v.sub
	text := fmt.Sprintf("%s plan: %s a seat each month (%s).\n%s: %s on the next billing day, %s.", s.Plan.Name, v.s.Money(s.Plan.Price),
		s.Plan.Summary, billing.Seats(s.Seats), v.s.Money(s.PerCycle), s.CycleEnd.Local().Format("Monday 2 January"))
	if s.NextPlan != nil {
		text += fmt.Sprintf("\nMoving to the %s plan on %s.", s.NextPlan.Name, s.CycleEnd.Local().Format("2 January"))
	}
	if s.SuspendOn != nil {
		text += fmt.Sprintf("\n%s is due. Unless it is paid by %s the account is suspended (your credit is kept). Update the card in Credits to pay now.",
			v.s.Money(s.Due), s.SuspendOn.Local().Format("2 January"))
		for _, ch := range s.Charges {
			if ch.Status == "due" && ch.Failure != "" {
				text += "\nLast try: " + ch.Failure + "."
				break
			}
		}
	}
	text += "\nSeats are charged to the card on file, never from credits."
	v.plan.SetText(text)
	var labels []string
	for _, p := range v.plans {
		labels = append(labels, fmt.Sprintf("%s — %s a seat: %s", p.Name, v.s.Money(p.Price), p.Summary))
	}
	v.planPick.SetOptions(labels)
	v.receipts.RemoveAll()
	if len(rs) == 0 {
		v.receipts.Add(widget.NewLabel("Nothing paid yet."))
	}
	for _, r := range rs {
		r := r
		line := widget.NewLabel(fmt.Sprintf("%s   %s   %s (%s)", r.At.Local().Format("2 Jan 2006"), v.s.Money(r.Amount), r.Description, r.PaidWith))
		line.Truncation = fyne.TextTruncateEllipsis
		v.receipts.Add(container.NewBorder(nil, nil, nil, widget.NewButton("Open", func() { v.openReceipt(r) }), line))
	}
}

func (v *AccountView) saveCompany() {
	name, zone := strings.TrimSpace(v.name.Text), strings.TrimSpace(v.zone.Text)
	code := countryCode(v.country.Text)
	if code == "" {
		v.status.SetText("Choose the country from the list (type a few letters of its name).")
		return
	}
	caller := v.callerID.Selected
	if caller == eachOwn {
		caller = ""
	}
	req := api.AccountRequest{Name: &name, Country: &code, Zone: &zone, CallerID: &caller}
	v.status.SetText("Saving…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		info, err := v.c.SetAccount(ctx, req)
		do(func() {
			if err != nil {
				v.status.SetText(errText(err)) // the fields keep what was typed
				return
			}
			v.info = info
			v.status.SetText("Saved.")
		})
	}()
}

func (v *AccountView) changePlan() {
	i := slices.Index(v.planPick.Options, v.planPick.Selected)
	if i < 0 || i >= len(v.plans) {
		v.status.SetText("Choose a plan first.")
		return
	}
	p := v.plans[i]
	if p.ID == v.sub.Plan.ID && v.sub.NextPlan == nil {
		v.status.SetText("That is the plan you are on.")
		return
	}
	what := fmt.Sprintf("Move to the %s plan from the next billing day (%s)? Nothing is charged now.", p.Name, v.sub.CycleEnd.Local().Format("2 January"))
	to, _ := decimal.NewFromString(p.Price)
	from, _ := decimal.NewFromString(v.sub.Plan.Price)
	if to.GreaterThan(from) {
		what = fmt.Sprintf("Move to the %s plan now? The difference for your %s until %s is charged to the card on file today, and your bundle grows at once.",
			p.Name, billing.Seats(v.sub.Seats), v.sub.CycleEnd.Local().Format("2 January"))
	}
	dialog.ShowConfirm("Change plan", what, func(yes bool) {
		if !yes {
			return
		}
		action(v.status, v.win, "Changing the plan to "+p.Name, func(ctx context.Context) error {
			_, err := v.c.ChangePlan(ctx, p.ID)
			return err
		}, v.Load)
	}, v.win)
}

// openReceipt saves a receipt's page and opens it.
func (v *AccountView) openReceipt(r api.ReceiptInfo) {
	v.status.SetText("Fetching the receipt…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		page, err := v.c.ReceiptHTML(ctx, r.ID)
		var path string
		if err == nil {
			dir := filepath.Join(os.TempDir(), "tether-receipts")
			if err = os.MkdirAll(dir, 0o700); err == nil {
				path = filepath.Join(dir, "receipt-"+r.ID+".html")
				err = os.WriteFile(path, page, 0o600)
			}
		}
		if err == nil && v.Open != nil {
			err = v.Open(path)
		}
		do(func() {
			if err != nil {
				v.status.SetText(errText(err))
				return
			}
			v.status.SetText("Receipt saved to " + path)
		})
	}()
}

// OpenFile opens a file with the desktop's handler for it (a receipt in
// the browser).
func OpenFile(path string) error {
	app := fyne.CurrentApp()
	if app == nil {
		return fmt.Errorf("no app to open %s with", path)
	}
	return app.OpenURL(&url.URL{Scheme: "file", Path: path})
}
