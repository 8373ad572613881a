package ui

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/country"
	"github.com/tetherphone/tether/account/team"
)

// NumbersView lists my numbers (all the account's for those who manage
// numbers) and, for them, buying, settings, assigning and sharing.
type NumbersView struct {
	s       Session
	win     fyne.Window
	list    *fyne.Container
	buy     *widget.Button
	status  *widget.Label
	content fyne.CanvasObject
	numbers []api.NumberInfo
	members []api.Member
	// greeting is the open settings dialog's greeting row.
	greeting *greetingRow
}

// NewNumbersView builds the view.
func NewNumbersView(s Session, win fyne.Window) *NumbersView {
	v := &NumbersView{s: s, win: win, list: container.NewVBox(), status: widget.NewLabel("")}
	v.buy = widget.NewButton("Get a number…", v.showBuy)
	v.buy.Importance = widget.HighImportance
	top := container.NewHBox(widget.NewLabelWithStyle("Numbers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	if s.Can(team.ManageNumbers) {
		top.Add(v.buy)
	}
	v.content = container.NewBorder(container.NewVBox(top, v.status), nil, nil, nil, container.NewVScroll(v.list))
	return v
}

// Object is the view's content.
func (v *NumbersView) Object() fyne.CanvasObject { return v.content }

// Load reads the numbers (and the team, for assigning); off the UI thread.
func (v *NumbersView) Load(ctx context.Context) error {
	ns, err := v.s.Account.Numbers(ctx)
	if err != nil {
		return err
	}
	var ms []api.Member
	if v.s.Can(team.ManageNumbers) {
		if ms, err = v.s.Account.Team(ctx); err != nil {
			return err
		}
	}
	doWait(func() {
		v.numbers, v.members = ns, ms
		v.render()
	})
	return nil
}

// Rows are the numbers as listed (for tests).
func (v *NumbersView) Rows() []api.NumberInfo { return v.numbers }

func routingWords(n api.NumberInfo) string {
	return team.Routing(n.Routing).Words(n.Members, n.Forward)
}

func (v *NumbersView) render() {
	v.list.RemoveAll()
	if len(v.numbers) == 0 {
		v.list.Add(widget.NewLabel("No numbers yet."))
	}
	for _, n := range v.numbers {
		kind := "Dedicated"
		if n.Shared {
			kind = "Shared"
		}
		title := widget.NewLabelWithStyle(fmt.Sprintf("%s   %s %s · %s", n.Display, kind, n.Type, n.Country), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		title.Truncation = fyne.TextTruncateEllipsis // (never wider than the window)
		hours := "open now"
		if !n.OpenNow {
			hours = "closed now"
		}
		extra := []string{routingWords(n), fmt.Sprintf("hours %s (%s), %s", n.Hours, n.Zone, hours)}
		if n.Record {
			extra = append(extra, "calls recorded")
		}
		if !n.Voicemail {
			extra = append(extra, "no voicemail")
		}
		extra = append(extra, "answered by "+strings.Join(n.Members, ", "))
		detail := widget.NewLabel(strings.Join(extra, " · "))
		detail.Wrapping = fyne.TextWrapWord
		row := container.NewVBox(title, detail)
		if v.s.Can(team.ManageNumbers) {
			n := n
			row.Add(container.NewHBox(
				widget.NewButton("Settings…", func() { v.showSettings(n) }),
				widget.NewButton("Who answers…", func() { v.showMembers(n) }),
				widget.NewButton("Phone menu…", func() { v.showMenu(n) }),
				widget.NewButton("Release", func() { v.release(n) })))
		}
		v.list.Add(row)
		v.list.Add(widget.NewSeparator())
	}
}

func (v *NumbersView) do(what string, f func(ctx context.Context) error) {
	action(v.status, v.win, what, f, v.Load)
}

func (v *NumbersView) showBuy() {
	country := NewCountryPicker(v.s.Region(), nil) // the company's country first; type to find another
	kind := widget.NewSelect([]string{"local", "mobile", "toll-free", "national"}, nil)
	kind.SetSelected("local")
	results := container.NewVBox()
	var d dialog.Dialog
	search := widget.NewButton("Search", func() {
		results.RemoveAll()
		c, k := countryCode(country.Text), kind.Selected
		if c == "" {
			results.Add(widget.NewLabel("Choose a country from the list (type a few letters of its name)."))
			return
		}
		results.Add(widget.NewLabel("Searching…"))
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			offers, err := v.s.Account.SearchNumbers(ctx, c, k, 6)
			do(func() {
				results.RemoveAll()
				if err != nil {
					results.Add(widget.NewLabel(errText(err)))
					return
				}
				for _, o := range offers {
					o := o
					price := "free (one of your two)"
					if o.Price != "0.00" {
						price = v.s.Money(o.Price) + " a month"
					}
					results.Add(container.NewBorder(nil, nil, nil, widget.NewButton("Buy…", func() {
						// Nothing is bought, nor charged, before the price is confirmed.
						what := fmt.Sprintf("Get %s? It is one of your two free numbers.", o.Display)
						if o.Price != "0.00" {
							what = fmt.Sprintf("Buy %s for %s a month? The first month, %s, is taken from your credits now.",
								o.Display, v.s.Money(o.Price), v.s.Money(o.Price))
						}
						dialog.ShowConfirm("Get a number", what, func(yes bool) {
							if !yes {
								return
							}
							d.Hide()
							v.do("Buying "+o.Display, func(ctx context.Context) error { _, err := v.s.Account.BuyNumber(ctx, o.E164); return err })
						}, v.win)
					}), widget.NewLabel(fmt.Sprintf("%s  %s", o.Display, price))))
				}
			})
		}()
	})
	form := container.NewVBox(widget.NewForm(widget.NewFormItem("Country", country.SelectEntry), widget.NewFormItem("Type", kind)), search, results)
	d = dialog.NewCustom("Get a number", "Close", container.NewGridWrap(fyne.NewSize(460, 380), form), v.win)
	d.Show()
}

// showSettings edits a number's hours (a weekly schedule), time zone,
// routing, forwarding, recording and voicemail. A refusal, here or from
// the server, is said in the dialog, which stays open with what was
// entered.
func (v *NumbersView) showSettings(n api.NumberInfo) {
	schedule := NewScheduleEditor(n.Hours, n.Zone)
	zone := widget.NewSelectEntry(nil)
	if c, ok := country.Lookup(n.Country); ok {
		zone.SetOptions(c.Zones)
	}
	zone.SetText(n.Zone)
	// Routing in words; the API's values behind them.
	var routings []string
	for _, r := range team.Routings {
		routings = append(routings, routingChoice(string(r)))
	}
	routing := widget.NewSelect(routings, nil)
	routing.SetSelected(routingChoice(n.Routing))
	forward := widget.NewEntry()
	forward.SetText(n.Forward)
	forward.SetPlaceHolder("+442071234567")
	afterHours := widget.NewCheck("Forward only after hours", nil)
	afterHours.SetChecked(n.ForwardAfterHours)
	record := widget.NewCheck("Record calls (both sides hear a notice)", nil)
	record.SetChecked(n.Record)
	vm := widget.NewCheck("Voicemail when nobody answers, and after hours", nil)
	vm.SetChecked(n.Voicemail)
	problem := widget.NewLabel("")
	problem.Wrapping = fyne.TextWrapWord
	problem.Importance = widget.DangerImportance
	problem.Hide()
	say := func(text string) {
		problem.SetText(text)
		problem.Show()
	}
	form := widget.NewForm(widget.NewFormItem("Time zone", zone),
		widget.NewFormItem("In hours, calls go to", routing), widget.NewFormItem("Forward to", forward),
		widget.NewFormItem("", afterHours), widget.NewFormItem("", record), widget.NewFormItem("", vm))
	body := container.NewVBox(widget.NewLabelWithStyle("Business hours", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		schedule.Object(), widget.NewSeparator(), form)
	if g, ok := v.s.Account.(Greetings); ok {
		v.greeting = newGreetingRow(g, n, v.win)
		body.Add(widget.NewSeparator())
		body.Add(v.greeting.obj)
	}
	var d dialog.Dialog
	var save *widget.Button
	save = widget.NewButton("Save", func() {
		hours, err := schedule.Spec()
		if err != nil {
			say(err.Error())
			return
		}
		z := strings.TrimSpace(zone.Text)
		if !country.ValidZone(z) {
			say(fmt.Sprintf("%q is not a time zone: choose one from the list (Europe/London, America/New_York).", z))
			return
		}
		// (No transcription box: nothing transcribes yet; what the
		// number has set stays as it is.)
		req := api.SettingsRequest{Hours: &hours, Zone: &z, Forward: &forward.Text, Record: &record.Checked,
			Voicemail: &vm.Checked, ForwardAfterHours: &afterHours.Checked}
		if r := routingOfChoice(routing.Selected); r != n.Routing {
			req.Routing = &r
		}
		save.Disable()
		say("Saving…")
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := v.s.Account.NumberSettings(ctx, n.Number, req)
			do(func() {
				save.Enable()
				if err != nil {
					say("Not saved: " + errText(err))
					return
				}
				d.Hide()
				v.status.SetText("Saved the settings of " + n.Display + ".")
				go v.Load(context.Background())
			})
		}()
	})
	save.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	content := container.NewBorder(nil, container.NewVBox(problem, container.NewHBox(layout.NewSpacer(), cancel, save)), nil, nil,
		dialogScroll(v.win, body, 560, 460))
	d = dialog.NewCustomWithoutButtons("Settings for "+n.Display, content, v.win)
	d.Show()
}

func (v *NumbersView) showMembers(n api.NumberInfo) {
	var opts []string
	for _, m := range v.members {
		opts = append(opts, m.Email)
	}
	group := widget.NewCheckGroup(opts, nil)
	group.SetSelected(n.Members)
	dialog.ShowForm("Who answers "+n.Display, "Save", "Cancel", []*widget.FormItem{
		widget.NewFormItem("One person: a dedicated line. Several: a shared line, all ring.", group)}, func(ok bool) {
		if !ok {
			return
		}
		sel := group.Selected
		v.do("Saving who answers "+n.Display, func(ctx context.Context) error { _, err := v.s.Account.SetMembers(ctx, n.Number, sel...); return err })
	}, v.win)
}

func (v *NumbersView) release(n api.NumberInfo) {
	dialog.ShowConfirm("Release "+n.Display, "Give this number back? Its calls and texts will stop reaching you, and its voicemails go with it.", func(yes bool) {
		if yes {
			v.do("Releasing "+n.Display, func(ctx context.Context) error { return v.s.Account.ReleaseNumber(ctx, n.Number) })
		}
	}, v.win)
}

func errText(err error) string {
	var e *api.Error
	if ok := asAPIErr(err, &e); ok {
		return e.Message
	}
	return err.Error()
}

var menuKeys = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"}
var routeKinds = []string{string(team.ToUser), string(team.ToGroup), string(team.ToVoicemail), string(team.ToExternal)}

// menuRow is one key of the menu editor.
type menuRow struct {
	key, kind *widget.Select
	target    *widget.Entry
}

// MenuFromRows builds a menu from the editor's rows (for tests): each row
// is key, kind, target; the timeout route is the last row's kind and
// target with key "timeout".
func MenuFromRows(greeting string, timeout int, rows [][3]string) team.Menu {
	m := team.Menu{Greeting: greeting, Timeout: timeout, Options: map[string]team.Route{}}
	for _, r := range rows {
		rt := team.Route{Kind: team.RouteKind(r[1]), Target: strings.TrimSpace(r[2])}
		if r[0] == "timeout" {
			m.OnTime = rt
			continue
		}
		if r[0] != "" && r[1] != "" {
			m.Options[r[0]] = rt
		}
	}
	return m
}

// showMenu edits the number's phone menu: a greeting, up to twelve keys
// each to a teammate, a group, voicemail or an outside number, and where
// callers go who press nothing.
func (v *NumbersView) showMenu(n api.NumberInfo) {
	greeting := widget.NewEntry()
	greeting.SetPlaceHolder("Thanks for calling. For sales press 1, for support press 2.")
	timeout := widget.NewEntry()
	timeout.SetText("6")
	use := widget.NewCheck("Answer calls in business hours with this menu", nil)
	use.SetChecked(team.Routing(n.Routing) == team.RouteMenu)
	rows := container.NewVBox()
	var editors []menuRow
	addRow := func(key, kind, target string) {
		r := menuRow{key: widget.NewSelect(menuKeys, nil), kind: widget.NewSelect(routeKinds, nil), target: widget.NewEntry()}
		r.key.SetSelected(key)
		r.kind.SetSelected(kind)
		r.target.SetText(target)
		r.target.SetPlaceHolder("email, emails, or +number")
		editors = append(editors, r)
		rows.Add(container.NewGridWithColumns(3, r.key, r.kind, r.target))
	}
	onTimeKind, onTimeTarget := widget.NewSelect(routeKinds, nil), widget.NewEntry()
	onTimeKind.SetSelected(string(team.ToVoicemail))
	if m := n.Menu; m != nil {
		greeting.SetText(m.Greeting)
		timeout.SetText(fmt.Sprint(m.Timeout))
		for _, k := range menuKeys {
			if r, ok := m.Options[k]; ok {
				addRow(k, string(r.Kind), r.Target)
			}
		}
		onTimeKind.SetSelected(string(m.OnTime.Kind))
		onTimeTarget.SetText(m.OnTime.Target)
	} else {
		addRow("1", string(team.ToGroup), "")
		addRow("2", string(team.ToVoicemail), "")
	}
	add := widget.NewButton("Add a key", func() { addRow("", "user", "") })
	body := container.NewVBox(widget.NewForm(widget.NewFormItem("Greeting (shown to you; callers hear the menu's chime)", greeting),
		widget.NewFormItem("Wait for a key (seconds)", timeout)),
		widget.NewLabel("Key · goes to · whom"), rows, add,
		widget.NewForm(widget.NewFormItem("No key pressed", container.NewGridWithColumns(2, onTimeKind, onTimeTarget))), use)
	dialog.ShowCustomConfirm("Phone menu for "+n.Display, "Save", "Cancel", dialogScroll(v.win, body, 560, 420), func(ok bool) {
		if !ok {
			return
		}
		var raw [][3]string
		for _, r := range editors {
			raw = append(raw, [3]string{r.key.Selected, r.kind.Selected, r.target.Text})
		}
		raw = append(raw, [3]string{"timeout", onTimeKind.Selected, onTimeTarget.Text})
		secs := 0
		fmt.Sscan(strings.TrimSpace(timeout.Text), &secs)
		menu := MenuFromRows(greeting.Text, secs, raw)
		req := api.SettingsRequest{Menu: &menu}
		if use.Checked {
			r := string(team.RouteMenu)
			req.Routing = &r
		} else if team.Routing(n.Routing) == team.RouteMenu {
			r := string(team.RouteMembers)
			req.Routing = &r
		}
		v.do("Saving the menu of "+n.Display, func(ctx context.Context) error { _, err := v.s.Account.NumberSettings(ctx, n.Number, req); return err })
	}, v.win)
}

// routingChoice says a routing as the settings form offers it (in the
// words team.Routing uses, "forwarded to the number below" for forward);
// routingOfChoice reads a choice back.
func routingChoice(r string) string {
	if team.Routing(r) == team.RouteForward {
		return "forwarded to the number below"
	}
	return team.Routing(r).Words([]string{"", ""}, "")
}

func routingOfChoice(choice string) string {
	for _, r := range team.Routings {
		if routingChoice(string(r)) == choice {
			return string(r)
		}
	}
	return choice
}

// dialogScroll scrolls a dialog's body in an area of about w x h, less
// where the window is smaller (a bare scroll's least size is one row:
// the dialog shrank to it).
func dialogScroll(win fyne.Window, body fyne.CanvasObject, w, h float32) *container.Scroll {
	s := container.NewVScroll(body)
	if ws := win.Canvas().Size(); ws.Width > 0 && ws.Height > 0 {
		w, h = min(w, ws.Width-80), min(h, ws.Height-160)
	}
	s.SetMinSize(fyne.NewSize(max(w, 200), max(h, 120)))
	return s
}

// Greetings are a number's own voicemail greeting (the account API's
// client has them).
type Greetings interface {
	SetGreeting(ctx context.Context, number string, wav []byte) (api.NumberInfo, error)
	RemoveGreeting(ctx context.Context, number string) (api.NumberInfo, error)
}

var _ Greetings = (*api.Client)(nil)

// greetingRow is the settings dialog's voicemail greeting: which one
// callers hear, a WAV file to make it the number's own, and the standard
// one back. Each acts at once (not on Save).
type greetingRow struct {
	g      Greetings
	number string
	line   *widget.Label
	std    *widget.Button
	obj    fyne.CanvasObject
}

func newGreetingRow(g Greetings, n api.NumberInfo, win fyne.Window) *greetingRow {
	r := &greetingRow{g: g, number: n.Number, line: widget.NewLabel("")}
	r.line.Wrapping = fyne.TextWrapWord
	choose := widget.NewButton("Choose a WAV file…", func() {
		open := dialog.NewFileOpen(func(f fyne.URIReadCloser, err error) {
			if err != nil || f == nil {
				return
			}
			defer f.Close()
			wav, err := io.ReadAll(io.LimitReader(f, 16<<20))
			if err != nil {
				r.line.SetText("The file did not read: " + err.Error())
				return
			}
			r.Upload(wav)
		}, win)
		open.SetFilter(storage.NewExtensionFileFilter([]string{".wav", ".WAV"}))
		open.Show()
	})
	r.std = widget.NewButton("Use the standard greeting", func() {
		r.act("Putting the standard greeting back…", func(ctx context.Context) (api.NumberInfo, error) { return g.RemoveGreeting(ctx, r.number) })
	})
	r.show(n)
	r.obj = container.NewVBox(widget.NewLabelWithStyle("Voicemail greeting", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		r.line, container.NewHBox(choose, r.std))
	return r
}

// show says which greeting callers hear.
func (r *greetingRow) show(n api.NumberInfo) {
	if n.Greeting != "" {
		r.line.SetText("Callers hear your own recording, then the beep.")
		r.std.Enable()
		return
	}
	r.line.SetText("Callers hear the standard greeting (two notes), then the beep. Choose a WAV recording (up to a minute) to greet them in your own words.")
	r.std.Disable()
}

// Upload makes wav (a WAV file's bytes) the number's greeting: what
// choosing a file does.
func (r *greetingRow) Upload(wav []byte) {
	r.act("Uploading the greeting…", func(ctx context.Context) (api.NumberInfo, error) { return r.g.SetGreeting(ctx, r.number, wav) })
}

func (r *greetingRow) act(what string, f func(ctx context.Context) (api.NumberInfo, error)) {
	r.line.SetText(what)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		n, err := f(ctx)
		do(func() {
			if err != nil {
				r.line.SetText("Not changed: " + errText(err))
				return
			}
			r.show(n)
		})
	}()
}

// GreetingFile does what choosing a WAV file in the open settings
// dialog does (tests: Fyne's file dialog is not driven here); it reports
// whether a dialog with a greeting row is open.
func (v *NumbersView) GreetingFile(wav []byte) bool {
	if v.greeting == nil {
		return false
	}
	v.greeting.Upload(wav)
	return true
}
