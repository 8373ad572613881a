package ui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/team"
)

// Account is what the views need from the account API; *api.Client
// implements it. Views run its calls off the UI thread and show their
// answers through fyne.Do.
type Account interface {
	Me(ctx context.Context) (api.UserInfo, error)
	Balance(ctx context.Context) (api.BalanceInfo, error)
	Quote(ctx context.Context, from, to string) (api.QuoteInfo, error)
	Calls(ctx context.Context, limit int) ([]api.CallInfo, error)
	Transactions(ctx context.Context, f api.TransactionFilter) (api.TransactionPage, error)
	Usage(ctx context.Context, days int) ([]api.UsageDay, error)
	AddCredits(ctx context.Context, amount, key string) (api.TopUpInfo, error)
	Card(ctx context.Context) (api.CardInfo, error)
	TopUp(ctx context.Context) (api.TopUpSettings, error)
	SetTopUp(ctx context.Context, enabled bool, threshold, amount string) (api.TopUpSettings, error)
	TopUpHistory(ctx context.Context) (api.TopUpHistory, error)
	Numbers(ctx context.Context) ([]api.NumberInfo, error)
	SearchNumbers(ctx context.Context, country, kind string, limit int) ([]api.OfferInfo, error)
	BuyNumber(ctx context.Context, number string, assign ...string) (api.NumberInfo, error)
	ReleaseNumber(ctx context.Context, number string) error
	SetMembers(ctx context.Context, number string, emails ...string) (api.NumberInfo, error)
	NumberSettings(ctx context.Context, number string, s api.SettingsRequest) (api.NumberInfo, error)
	Team(ctx context.Context) ([]api.Member, error)
	Roles(ctx context.Context) ([]api.RoleInfo, error)
	SaveRole(ctx context.Context, name, description string, permissions ...string) (api.RoleInfo, error)
	Invite(ctx context.Context, email, role string) (api.InvitationInfo, error)
	SetRole(ctx context.Context, email, role string) (api.Member, error)
	Remove(ctx context.Context, email string) error
	TransferOwnership(ctx context.Context, email string) (api.Member, error)
	Dispositions(ctx context.Context) ([]string, error)
	Dispose(ctx context.Context, callID, disposition, notes string) (api.CallInfo, error)
}

var _ Account = (*api.Client)(nil)

// stopped is set once the app stops: late network events (a call's
// timer, a refresh) then change nothing.
var stopped atomic.Bool

// Stopped tells the views the app has stopped (its window is gone); wire
// it to the app's lifecycle.
func Stopped() { stopped.Store(true) }

// uiMu serializes the views' updates from the network with each other
// and with Run: under a real window they all run on the UI thread anyway;
// under Fyne's test driver fyne.Do runs them on the calling goroutine.
var uiMu sync.Mutex

// do runs f on the UI thread, unless the app has stopped.
func do(f func()) {
	if stopped.Load() {
		return
	}
	fyne.Do(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		if !stopped.Load() {
			f()
		}
	})
}

// doWait is do, waiting for f to have run.
func doWait(f func()) {
	if stopped.Load() {
		return
	}
	fyne.DoAndWait(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		f()
	})
}

// Do runs f on the UI thread, in turn with the views' own updates, unless
// the app has stopped (a phone's last events come as it shuts down).
func Do(f func()) { do(f) }

// Run runs f on the UI thread, in turn with the views' own updates, and
// waits for it: how code outside the UI thread (a test, a script) reads
// or drives the views.
func Run(f func()) { doWait(f) }

// Session is who is signed in and what they may do.
type Session struct {
	Account Account
	Me      api.UserInfo
}

// Region is the account's region: numbers typed without a country code
// are read, and shown, as in it.
func (s Session) Region() string { return cmp.Or(s.Me.Region, rating.DefaultRegion) }

// Currency is the currency of the account's credit.
func (s Session) Currency() string { return cmp.Or(s.Me.Currency, money.DefaultCurrency) }

// Money shows an amount the API sent as account/money displays it (to the
// cent, rounded down); Rate shows a price exactly; Signed shows money in
// or out.
func (s Session) Money(amount string) string { return money.DisplayText(amount, s.shown()) }

// shown is the currency as this account's people see it ("US$" outside
// the US).
func (s Session) shown() string { return money.DisplayCurrency(s.Currency(), s.Region()) }

// Symbol is the currency's symbol, as shown: for labels beside amounts.
func (s Session) Symbol() string { return money.Symbol(s.shown()) }

// Rate: see Money.
func (s Session) Rate(amount string) string { return money.RateText(amount, s.shown()) }

// Signed: see Money.
func (s Session) Signed(amount string) string { return money.SignedText(amount, s.shown()) }

// Can reports whether the signed-in user's role allows p.
func (s Session) Can(p team.Permission) bool { return slices.Contains(s.Me.Permissions, p) }

// Gate holds the credit gate's state for every view: at zero available
// credit, dial and send are disabled with a banner saying why, and those
// with billing rights get Add credits right there.
type Gate struct {
	mu       sync.Mutex
	open     bool
	reason   string
	watchers []func(open bool)

	banner     *fyne.Container
	bannerText *widget.Label
	addButton  *widget.Button
	parent     fyne.CanvasObject // laid out again when the banner shows or hides
}

// NewGate builds the gate's banner; addCredits is what its button does
// (nil: the user may not add credits, and reads whom to ask).
func NewGate(addCredits func()) *Gate {
	g := &Gate{open: true}
	g.bannerText = widget.NewLabel("")
	g.bannerText.Wrapping = fyne.TextWrapWord
	g.bannerText.Importance = widget.DangerImportance
	g.addButton = widget.NewButton("Add credits", func() {
		if addCredits != nil {
			addCredits()
		}
	})
	g.addButton.Importance = widget.HighImportance
	if addCredits == nil {
		g.addButton.Hide()
	}
	g.banner = container.NewBorder(nil, nil, nil, g.addButton, g.bannerText)
	g.banner.Hide()
	return g
}

// Banner is the banner to place above the views.
func (g *Gate) Banner() fyne.CanvasObject { return g.banner }

// Open reports whether calls and texts may start.
func (g *Gate) Open() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// Watch calls f (on the UI thread) whenever the gate opens or closes, and
// once now.
func (g *Gate) Watch(f func(open bool)) {
	g.mu.Lock()
	g.watchers = append(g.watchers, f)
	open := g.open
	g.mu.Unlock()
	f(open)
}

// Set records the server's verdict; call it on the UI thread.
func (g *Gate) Set(open bool, reason string) {
	g.mu.Lock()
	changed := g.open != open || g.reason != reason
	g.open, g.reason = open, reason
	ws := slices.Clone(g.watchers)
	g.mu.Unlock()
	if !changed {
		return
	}
	if open {
		g.banner.Hide()
	} else {
		text := reason
		if text == "" {
			text = "Your account has no credit available. Calls and texts are paused until credits are added."
		}
		if g.addButton.Hidden {
			text += " Ask your account owner to add credits."
		}
		g.bannerText.SetText(text)
		g.banner.Show()
	}
	if g.parent != nil {
		g.parent.Refresh()
	}
	for _, f := range ws {
		f(open)
	}
}

// Refused tells the gate that the server refused something for credit
// (a 402): it closes at once, as the server said.
func (g *Gate) Refused(err error) bool {
	var e *api.Error
	if errors.As(err, &e) && e.Status == 402 {
		g.Set(false, e.Message)
		return true
	}
	return false
}

// Shell is the signed-in app: the gate's banner on top, the views the
// user's role allows in tabs down the side, and who is signed in below.
type Shell struct {
	Session   Session
	Gate      *Gate
	Phone     *PhoneView
	Credits   *CreditsView
	Numbers   *NumbersView
	Team      *TeamView
	Calls     *CallsView
	Messages  *MessagesView
	Voicemail *VoicemailView
	Contacts  *ContactsView
	Settings  *SettingsView
	// Integrations is Settings' CRM section (nil when the account API
	// has no CRM calls).
	Integrations *IntegrationsView
	Checklist    *Checklist
	Account      *AccountView
	Verify       *VerifyBanner
	Audit        *AuditView
	tabs         *container.AppTabs
	names        []string // the tabs' names, without the missed-call count
	missedBar    *fyne.Container
	missedTxt    *widget.Label
	missed       []api.CallInfo // missed calls to me not yet seen
	bg           sync.WaitGroup // the shell's own work off the UI thread
	status       *widget.Label
	signOut      *widget.Button
	content      fyne.CanvasObject
	win          fyne.Window
	// OnSignOut, when set, signs out: the app ends the session on the
	// server, forgets this desktop's phone credentials and shows the
	// sign-in screen.
	OnSignOut func()
}

// NewShell builds the app for a signed-in user; dialer places calls
// (nil: no phone, the views only).
func NewShell(s Session, dialer Dialer, win fyne.Window) *Shell {
	return NewShellWith(s, dialer, win, SettingsHooks{})
}

// NewShellWith is NewShell with the settings view's hooks.
func NewShellWith(s Session, dialer Dialer, win fyne.Window, hooks SettingsHooks) *Shell {
	sh := &Shell{Session: s, win: win}
	var add func()
	if s.Can(team.ManageBilling) {
		add = func() { sh.Credits.ShowAddCredits() }
	}
	sh.Gate = NewGate(add)
	sh.Phone = NewPhoneView(s, sh.Gate, dialer, win)
	sh.Calls = NewCallsView(s, win)
	sh.Numbers = NewNumbersView(s, win)
	phoneTab := sh.Phone.Object()
	if s.Can(team.ManageNumbers) || s.Can(team.ManageBilling) {
		sh.Checklist = newChecklist(s, sh)
		phoneTab = container.NewBorder(nil, nil, nil, container.NewPadded(sh.Checklist.Object()), phoneTab)
	}
	tabs := []*container.TabItem{
		container.NewTabItem("Phone", phoneTab),
		container.NewTabItem("Calls", sh.Calls.Object()),
	}
	if s.Can(team.Messages) {
		var texter Texter
		if t, ok := dialer.(Texter); ok {
			texter = t
		}
		if texts, ok := s.Account.(Texts); ok {
			sh.Messages = NewMessagesView(s, sh.Gate, texter, texts)
			tabs = append(tabs, container.NewTabItem("Messages", sh.Messages.Object()))
		}
	}
	if vm, ok := s.Account.(Voicemails); ok && s.Can(team.Calls) {
		sh.Voicemail = NewVoicemailView(s, vm, win)
		tabs = append(tabs, container.NewTabItem("Voicemail", sh.Voicemail.Object()))
	}
	if book, ok := s.Account.(ContactBook); ok && s.Can(team.Contacts) {
		sh.Contacts = NewContactsView(s, book, win)
		sh.Contacts.Call = func(n string) { sh.Phone.SetNumber(n); sh.Select("Phone") }
		if sh.Messages != nil {
			sh.Contacts.Text = func(n string) { sh.Messages.SetDraft(n, ""); sh.Select("Messages") }
		}
		tabs = append(tabs, container.NewTabItem("Contacts", sh.Contacts.Object()))
	}
	if s.Can(team.ViewBilling) {
		sh.Credits = NewCreditsView(s, sh.Gate, win)
		tabs = append(tabs, container.NewTabItem("Credits", sh.Credits.Object()))
	}
	tabs = append(tabs, container.NewTabItem("Numbers", sh.Numbers.Object()))
	if s.Can(team.ManageTeam) {
		sh.Team = NewTeamView(s, win)
		tabs = append(tabs, container.NewTabItem("Team", sh.Team.Object()))
	}
	company, _ := s.Account.(Company)
	if company != nil && (s.Can(team.ViewBilling) || s.Can(team.ManageAccount)) {
		sh.Account = NewAccountView(s, company, win)
		sh.Account.Open = OpenFile
		tabs = append(tabs, container.NewTabItem("Account", sh.Account.Object()))
	}
	if log, ok := s.Account.(AuditLog); ok && s.Can(team.ViewAudit) {
		sh.Audit = NewAuditView(log)
		tabs = append(tabs, container.NewTabItem("Activity", sh.Audit.Object()))
	}
	if app := fyne.CurrentApp(); app != nil {
		sh.Settings = NewSettingsView(s, hooks, app.Preferences())
		if _, ok := s.Account.(CRMs); ok {
			sh.Integrations = newIntegrationsView(s, win)
			sh.Settings.setIntegrations(sh.Integrations.Object())
			sh.Phone.crmConnected = sh.Integrations.Connected
		}
		tabs = append(tabs, container.NewTabItem("Settings", sh.Settings.Object()))
	}
	for _, t := range tabs {
		sh.names = append(sh.names, t.Text)
	}
	sh.tabs = container.NewAppTabs(tabs...)
	sh.tabs.SetTabLocation(container.TabLocationLeading)
	sh.tabs.OnSelected = func(t *container.TabItem) {
		if t == sh.tabs.Items[1] { // Calls: the missed calls are seen
			sh.seeMissed()
		}
		sh.bg.Go(func() { sh.Refresh(context.Background()) })
	}
	sh.missedTxt = widget.NewLabel("")
	show := widget.NewButton("Show", func() {
		sh.Calls.SetFilter("Missed")
		sh.Select("Calls")
	})
	sh.missedBar = container.NewBorder(nil, nil, nil, show, sh.missedTxt)
	sh.missedBar.Hide()
	sh.Phone.OnMissed = sh.awaitMissed
	sh.status = widget.NewLabel(sh.who())
	sh.status.Truncation = fyne.TextTruncateEllipsis
	sh.signOut = widget.NewButton("Sign out", func() {
		if sh.OnSignOut != nil {
			sh.signOut.Disable()
			sh.OnSignOut()
		}
	})
	top := container.NewVBox(sh.Gate.Banner(), sh.missedBar)
	if company != nil {
		sh.Verify = NewVerifyBanner(s, company, func() { sh.bg.Go(func() { sh.Refresh(context.Background()) }) })
		top = container.NewVBox(sh.Verify.Object(), sh.Gate.Banner(), sh.missedBar)
	}
	sh.content = container.NewBorder(top, container.NewBorder(nil, nil, nil, sh.signOut, sh.status), nil, nil, sh.tabs)
	sh.Gate.parent = sh.content
	if sh.Verify != nil {
		sh.Verify.parent = sh.content
	}
	return sh
}

// who is the status line's start: who is signed in, as what, where.
func (sh *Shell) who() string {
	me := sh.Session.Me
	role := roleName(me.Role)
	if me.AccountName != "" {
		role += " at " + me.AccountName
	}
	return fmt.Sprintf("%s · %s · extension %s", me.Email, role, me.Extension)
}

// Status is the status line's text (for tests).
func (sh *Shell) Status() string { return sh.status.Text }

// Wait waits for the shell's refreshes under way (tests: none may
// outlive the test that started it).
func (sh *Shell) Wait() { sh.bg.Wait() }

// Object is the shell's content.
func (sh *Shell) Object() fyne.CanvasObject { return sh.content }

// Select shows the tab of that name ("Credits").
func (sh *Shell) Select(name string) bool {
	for i, n := range sh.names {
		if n == name {
			if sh.tabs.SelectedIndex() == i && i == 1 {
				sh.seeMissed() // (selecting the tab shown calls nothing)
			}
			sh.tabs.SelectIndex(i)
			return true
		}
	}
	return false
}

// Selected is the name of the tab shown.
func (sh *Shell) Selected() string {
	if i := sh.tabs.SelectedIndex(); i >= 0 && i < len(sh.names) {
		return sh.names[i]
	}
	return ""
}

// ViewMinSize is the least size of the named view's content (for
// tests: every view fits 800x600).
func (sh *Shell) ViewMinSize(name string) fyne.Size {
	for i, n := range sh.names {
		if n == name {
			return sh.tabs.Items[i].Content.MinSize()
		}
	}
	return fyne.Size{}
}

// TabNames lists the tabs the user's role shows.
func (sh *Shell) TabNames() []string { return slices.Clone(sh.names) }

// Missed is the missed calls to me not yet seen, and how the window
// shows them: the Calls tab's name and the line above the views ("" when
// hidden).
func (sh *Shell) Missed() (n int, tab, line string) {
	if sh.missedBar.Visible() {
		line = sh.missedTxt.Text
	}
	return len(sh.missed), sh.tabs.Items[1].Text, line
}

// missedSeenKey is the preference holding when this user last saw their
// missed calls.
func (sh *Shell) missedSeenKey() string { return "calls.missed.seen." + sh.Session.Me.Email }

// updateMissed counts the missed calls to me since they were last seen
// (from the history just loaded) and shows them: "Calls (2 missed)" and
// a line above the views with the latest caller; on the UI thread.
func (sh *Shell) updateMissed() {
	var seen time.Time
	if app := fyne.CurrentApp(); app != nil {
		seen, _ = time.Parse(time.RFC3339Nano, app.Preferences().String(sh.missedSeenKey()))
	}
	mine := map[string]bool{sh.Session.Me.Extension: true}
	for _, n := range sh.Numbers.Rows() {
		if slices.Contains(n.Members, sh.Session.Me.Email) {
			mine[n.Number] = true
		}
	}
	sh.missed = sh.Calls.MissedSince(seen, func(to string) bool { return mine[to] })
	calls := sh.tabs.Items[1]
	want := sh.names[1]
	if n := len(sh.missed); n > 0 {
		want = fmt.Sprintf("%s (%d missed)", sh.names[1], n)
		last := sh.missed[0]
		what := "1 missed call"
		if n > 1 {
			what = fmt.Sprintf("%d missed calls", n)
		}
		sh.missedTxt.SetText(fmt.Sprintf("%s · the latest from %s at %s", what, callerName(last.From, sh.Session.Region()),
			last.Started.Local().Format("15:04")))
		sh.missedBar.Show()
	} else {
		sh.missedBar.Hide()
	}
	if calls.Text != want {
		calls.Text = want
		sh.tabs.Refresh()
	}
}

// seeMissed marks the missed calls shown as seen (the Calls view is
// open); on the UI thread.
func (sh *Shell) seeMissed() {
	if len(sh.missed) == 0 {
		return
	}
	if app := fyne.CurrentApp(); app != nil {
		app.Preferences().SetString(sh.missedSeenKey(), sh.missed[0].Started.Format(time.RFC3339Nano))
	}
	sh.updateMissed()
}

// awaitMissed follows a call that stopped ringing unanswered: the
// history is read again until its record is there (the switchboard
// writes it as the ringing ends), for at most ten seconds.
func (sh *Shell) awaitMissed() {
	before := len(sh.missed)
	sh.bg.Go(func() {
		for range 20 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := sh.Calls.Load(ctx)
			cancel()
			var now int
			doWait(func() { sh.updateMissed(); now = len(sh.missed) })
			if err == nil && now > before {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	})
}

// SetStatus shows a line under the views (registration state).
func (sh *Shell) SetStatus(text string) {
	sh.status.SetText(sh.who() + " · " + text)
}

// Refresh reloads the gate and every view from the server; call it off
// the UI thread.
func (sh *Shell) Refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	b, err := sh.Session.Account.Balance(ctx)
	if err != nil {
		return err
	}
	doWait(func() { sh.Gate.Set(b.Gate == "open", b.Reason) })
	errs := []error{sh.Phone.Load(ctx), sh.Calls.Load(ctx), sh.Numbers.Load(ctx)}
	doWait(sh.updateMissed)
	if sh.Messages != nil {
		errs = append(errs, sh.Messages.Load(ctx))
	}
	if sh.Voicemail != nil {
		errs = append(errs, sh.Voicemail.Load(ctx))
	}
	if sh.Integrations != nil {
		errs = append(errs, sh.Integrations.Load(ctx))
	}
	if sh.Checklist != nil {
		errs = append(errs, sh.Checklist.Load(ctx))
	}
	if sh.Contacts != nil {
		errs = append(errs, sh.Contacts.Load(ctx))
	}
	if sh.Credits != nil {
		errs = append(errs, sh.Credits.Load(ctx))
	}
	if sh.Team != nil {
		errs = append(errs, sh.Team.Load(ctx))
	}
	if sh.Account != nil {
		errs = append(errs, sh.Account.Load(ctx))
	}
	if sh.Verify != nil {
		errs = append(errs, sh.Verify.Load(ctx))
	}
	if sh.Audit != nil {
		errs = append(errs, sh.Audit.Load(ctx))
	}
	return errors.Join(errs...)
}

func roleName(r string) string { return team.Role(r).Title() }

// showErr shows an error from the server in a dialog.
func showErr(win fyne.Window, err error) {
	if win == nil || err == nil {
		return
	}
	var e *api.Error
	if errors.As(err, &e) {
		err = errors.New(e.Message)
	}
	dialog.ShowError(err, win)
}

// action runs f off the UI thread for a view: status says what is under
// way and then how it went (an error also in a dialog), and reload
// refreshes the view afterwards.
func action(status *widget.Label, win fyne.Window, what string, f, reload func(ctx context.Context) error) {
	status.SetText(what + "…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := f(ctx)
		do(func() {
			if err != nil {
				status.SetText("")
				showErr(win, err)
				return
			}
			status.SetText(what + ": done.")
		})
		reload(ctx)
	}()
}
