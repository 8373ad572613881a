package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/team"
)

// CRMs is what the views need for the account's CRM; *api.Client has it
// (an Account without it shows no CRM).
type CRMs interface {
	Integrations(ctx context.Context) ([]api.IntegrationInfo, error)
	ConnectCRM(ctx context.Context, kind string, req api.ConnectRequest) (api.IntegrationInfo, error)
	AuthorizeCRM(ctx context.Context, kind string, createContacts bool) (string, error)
	DisconnectCRM(ctx context.Context, kind string) error
	CRMContact(ctx context.Context, kind, number string) (api.ContactLink, error)
}

var _ CRMs = (*api.Client)(nil)

// IntegrationsView is Settings' Integrations section: each CRM, whether
// it is connected and how its logging goes (the last error while nothing
// goes through), Connect (a token, or signing in) and Disconnect for
// those who manage the account.
type IntegrationsView struct {
	s       Session
	crms    CRMs
	win     fyne.Window
	rows    *fyne.Container
	status  *widget.Label
	content fyne.CanvasObject

	mu    sync.Mutex
	state []api.IntegrationInfo
}

func newIntegrationsView(s Session, win fyne.Window) *IntegrationsView {
	v := &IntegrationsView{s: s, win: win, rows: container.NewVBox(), status: widget.NewLabel("")}
	v.crms, _ = s.Account.(CRMs)
	v.status.Wrapping = fyne.TextWrapWord
	intro := widget.NewLabel("Calls and texts with outside numbers are logged in your CRM by themselves, on the contact with that number.")
	intro.Wrapping = fyne.TextWrapWord
	v.content = container.NewVBox(widget.NewLabelWithStyle("Integrations", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), intro, v.rows, v.status)
	return v
}

// Object is the section.
func (v *IntegrationsView) Object() fyne.CanvasObject { return v.content }

// Connected is the CRMs connected, as last loaded.
func (v *IntegrationsView) Connected() []api.IntegrationInfo {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []api.IntegrationInfo
	for _, i := range v.state {
		if i.Connected {
			out = append(out, i)
		}
	}
	return out
}

// Status is the section's last message (for tests).
func (v *IntegrationsView) Status() string { return v.status.Text }

// Rows are the CRMs' lines as shown (for tests).
func (v *IntegrationsView) Rows() []string {
	var out []string
	for _, o := range v.rows.Objects {
		if c, ok := o.(*fyne.Container); ok {
			for _, w := range c.Objects {
				if l, ok := w.(*widget.Label); ok {
					out = append(out, l.Text)
				}
			}
		}
	}
	return out
}

// Load reads how each CRM stands; off the UI thread.
func (v *IntegrationsView) Load(ctx context.Context) error {
	if v.crms == nil {
		return nil
	}
	is, err := v.crms.Integrations(ctx)
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.state = is
	v.mu.Unlock()
	doWait(v.render)
	return nil
}

// describe says how a CRM stands, in a line.
func describe(i api.IntegrationInfo, zone func(time.Time) string) string {
	if !i.Connected {
		return i.Name + ": not connected"
	}
	line := i.Name + ": connected"
	if i.Since != nil {
		line += " since " + zone(*i.Since)
	}
	if i.LastSync != nil {
		line += " · last logged " + zone(*i.LastSync)
	}
	if i.Stopped {
		line += " · stopped after three days of failures: connect it again"
	}
	if i.LastError != "" {
		line += " · not logging: " + i.LastError
		if i.LastErrorAt != nil {
			line += " (" + zone(*i.LastErrorAt) + ")"
		}
	}
	return line
}

func (v *IntegrationsView) render() {
	v.mu.Lock()
	state := append([]api.IntegrationInfo(nil), v.state...)
	v.mu.Unlock()
	v.rows.RemoveAll()
	manage := v.s.Can(team.ManageAccount)
	for _, i := range state {
		l := widget.NewLabel(describe(i, func(t time.Time) string { return t.Local().Format("2 Jan 15:04") }))
		l.Wrapping = fyne.TextWrapWord
		if !manage {
			v.rows.Add(container.NewStack(l))
			continue
		}
		var btn *widget.Button
		if i.Connected && i.Stopped {
			btn = widget.NewButton("Connect again…", func() { v.showConnect(i) })
			btn.Importance = widget.HighImportance
		} else if i.Connected {
			btn = widget.NewButton("Disconnect", func() { v.confirmDisconnect(i) })
		} else {
			btn = widget.NewButton("Connect…", func() { v.showConnect(i) })
			btn.Importance = widget.HighImportance
		}
		v.rows.Add(container.NewBorder(nil, nil, nil, btn, l))
	}
	if len(state) == 0 {
		v.rows.Add(container.NewStack(widget.NewLabel("Your phone system's server connects no CRM.")))
	}
	if !manage && len(state) > 0 {
		v.rows.Add(container.NewStack(widget.NewLabel("The Owner or an Admin connects the CRM.")))
	}
}

// tokenHelp says where each CRM's token comes from.
var tokenHelp = map[string]string{
	"hubspot":   "In HubSpot: Settings > Integrations > Private Apps > Create a private app, with the scopes crm.objects.contacts.read and .write; copy its access token.",
	"pipedrive": "In Pipedrive: your name > Personal preferences > API; copy your personal API token.",
}

// showConnect asks for the CRM's token (or offers signing in), tries it
// and connects.
func (v *IntegrationsView) showConnect(i api.IntegrationInfo) {
	token := widget.NewPasswordEntry()
	token.SetPlaceHolder("the token")
	portal := widget.NewEntry()
	portal.SetPlaceHolder(map[string]string{"hubspot": "your HubSpot account id (for links)", "pipedrive": "company (company.pipedrive.com)"}[i.Kind])
	create := widget.NewCheck("Make a contact for a number the CRM does not know", nil)
	problem := widget.NewLabel("")
	problem.Wrapping = fyne.TextWrapWord
	problem.Importance = widget.DangerImportance
	help := widget.NewLabel(tokenHelp[i.Kind])
	help.Wrapping = fyne.TextWrapWord
	items := []fyne.CanvasObject{help, widget.NewForm(widget.NewFormItem("Token", token), widget.NewFormItem("Account", portal)), create}
	var d dialog.Dialog
	if i.OAuth {
		signIn := widget.NewButton("Sign in to "+i.Name+" instead", func() {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				u, err := v.crms.AuthorizeCRM(ctx, i.Kind, create.Checked)
				do(func() {
					if err != nil {
						problem.SetText(err.Error())
						return
					}
					d.Hide()
					if parsed, perr := url.Parse(u); perr == nil && fyne.CurrentApp() != nil {
						fyne.CurrentApp().OpenURL(parsed)
					}
					v.status.SetText("Your browser opens " + i.Name + ": sign in and allow Tether, then come back (Settings shows it connected).")
				})
			}()
		})
		items = append([]fyne.CanvasObject{signIn, widget.NewSeparator()}, items...)
	}
	items = append(items, problem)
	d = dialog.NewCustomConfirm("Connect "+i.Name, "Connect", "Cancel", container.NewVBox(items...), func(ok bool) {
		if !ok {
			return
		}
		t := strings.TrimSpace(token.Text)
		if t == "" {
			problem.SetText("Paste the token first.")
			d.Show()
			return
		}
		v.status.SetText("Trying the token with " + i.Name + "…")
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := v.crms.ConnectCRM(ctx, i.Kind, api.ConnectRequest{Token: t, Portal: strings.TrimSpace(portal.Text), CreateContacts: create.Checked})
			if err != nil {
				do(func() {
					v.status.SetText("")
					problem.SetText("Not connected: " + err.Error())
					d.Show() // as typed, to correct
				})
				return
			}
			v.Load(ctx)
			do(func() { v.status.SetText(i.Name + " is connected: calls and texts are logged there from now on.") })
		}()
	}, v.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

func (v *IntegrationsView) confirmDisconnect(i api.IntegrationInfo) {
	dialog.ShowConfirm("Disconnect "+i.Name, fmt.Sprintf("Calls and texts stop being logged in %s; what is logged stays there.", i.Name), func(ok bool) {
		if !ok {
			return
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := v.crms.DisconnectCRM(ctx, i.Kind)
			v.Load(ctx)
			do(func() {
				if err != nil {
					v.status.SetText("Not disconnected: " + err.Error())
					return
				}
				v.status.SetText(i.Name + " is disconnected.")
			})
		}()
	}, v.win)
}

// crmLink finds number's contact in the first connected CRM that has it:
// "Open in HubSpot (Ada Lovelace)" and its page; ok=false for none.
func crmLink(ctx context.Context, crms CRMs, connected []api.IntegrationInfo, number string) (string, *url.URL, bool) {
	for _, i := range connected {
		c, err := crms.CRMContact(ctx, i.Kind, number)
		if err != nil || c.URL == "" {
			continue
		}
		u, err := url.Parse(c.URL)
		if err != nil {
			continue
		}
		text := "Open in " + i.Name
		if c.Name != "" {
			text += " (" + c.Name + ")"
		}
		return text, u, true
	}
	return "", nil, false
}

// findCRM looks number up in the connected CRMs off the UI thread and,
// when one knows it, calls show with the link on the UI thread.
func (v *PhoneView) findCRM(number string, show func(text string, u *url.URL)) {
	crms, ok := v.s.Account.(CRMs)
	if !ok || v.crmConnected == nil {
		return
	}
	connected := v.crmConnected()
	n, err := rating.ParseNumber(number, v.s.Region())
	if len(connected) == 0 || err != nil {
		return // (a colleague's extension: no CRM contact)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if text, u, found := crmLink(ctx, crms, connected, n.E164); found {
			do(func() { show(text, u) })
		}
	}()
}

// lookUpCRM shows the call's contact in the connected CRM, if it knows
// the number ("Open in HubSpot"); on the UI thread.
func (v *PhoneView) lookUpCRM(number string) {
	seq := v.crmSeq
	v.findCRM(number, func(text string, u *url.URL) {
		if v.crmSeq != seq {
			return // another call's screen by now
		}
		v.crmLink.SetText(text)
		v.crmLink.SetURL(u)
		v.crmLink.Show()
	})
}

// CRMLink is the call screen's CRM link as shown ("" when hidden; for
// tests).
func (v *PhoneView) CRMLink() (string, string) {
	if !v.crmLink.Visible() || v.crmLink.URL == nil {
		return "", ""
	}
	return v.crmLink.Text, v.crmLink.URL.String()
}
