package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
)

// AuditLog is the account's audit log (the account API's client has it).
type AuditLog interface {
	Audit(ctx context.Context, limit int) ([]api.AuditInfo, error)
}

var _ AuditLog = (*api.Client)(nil)

// auditShown is how many entries the view reads.
const auditShown = 200

// auditWords say the log's actions as people read them.
var auditWords = map[string]string{
	"card.save": "Card saved", "credits.add": "Credits added", "dispositions.set": "Dispositions changed",
	"number.buy": "Number bought", "number.greeting": "Greeting changed", "number.members": "Who answers changed",
	"number.release": "Number released", "number.settings": "Number settings", "role.delete": "Role deleted",
	"role.save": "Role saved", "team.invite": "Teammate invited", "team.remove": "Teammate removed",
	"team.revoke": "Invitation revoked", "team.role": "Role changed", "team.transfer-ownership": "Ownership transferred",
	"topup.set": "Auto top-up changed", "credits.adjust": "Credits adjusted", "account.open": "Account opened",
	"team.join": "Joined the team", "key.create": "API key made", "key.revoke": "API key revoked",
	"webhook.create": "Webhook added", "webhook.delete": "Webhook removed", "webhook.replay": "Webhook delivery sent again",
}

// auditWhat says an action in words; one this list does not know yet in
// words all the same ("number.port-in" is "Number port in").
func auditWhat(action string) string {
	if w := auditWords[action]; w != "" {
		return w
	}
	w := strings.NewReplacer(".", " ", "-", " ", "_", " ").Replace(action)
	if w == "" {
		return "Changed"
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// AuditView is who changed what in the account, newest first, with a
// search over it.
type AuditView struct {
	log     AuditLog
	search  *widget.Entry
	list    *widget.Label
	content fyne.CanvasObject
	entries []api.AuditInfo
}

// NewAuditView builds the view.
func NewAuditView(log AuditLog) *AuditView {
	v := &AuditView{log: log, search: widget.NewEntry(), list: widget.NewLabel("")}
	v.list.Wrapping = fyne.TextWrapWord
	v.search.SetPlaceHolder("Search: a person, a number, what was done…")
	v.search.OnChanged = func(string) { v.render() }
	head := container.NewVBox(widget.NewLabelWithStyle("Activity", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel(fmt.Sprintf("Who changed what in the account, newest first (the latest %d).", auditShown)), v.search)
	v.content = container.NewBorder(head, nil, nil, nil, container.NewVScroll(v.list))
	return v
}

// Object is the view's content.
func (v *AuditView) Object() fyne.CanvasObject { return v.content }

// Load reads the log; off the UI thread.
func (v *AuditView) Load(ctx context.Context) error {
	es, err := v.log.Audit(ctx, auditShown)
	if err != nil {
		return err
	}
	doWait(func() {
		v.entries = es
		v.render()
	})
	return nil
}

// Search filters the list (as typing in its box does).
func (v *AuditView) Search(text string) { v.search.SetText(text) }

// Text is the list as shown.
func (v *AuditView) Text() string { return v.list.Text }

func (v *AuditView) render() {
	q := strings.ToLower(strings.TrimSpace(v.search.Text))
	var lines []string
	for _, e := range v.entries {
		what := auditWhat(e.Action)
		line := fmt.Sprintf("%s   %s   %s   %s", e.At.Local().Format("Jan 2 15:04"), e.Actor, what, e.Detail)
		if q != "" && !strings.Contains(strings.ToLower(line+" "+e.Target), q) {
			continue
		}
		lines = append(lines, line)
	}
	switch {
	case len(lines) == 0 && q != "":
		lines = []string{"Nothing matches."}
	case len(lines) == 0:
		lines = []string{"Nothing yet."}
	}
	v.list.SetText(strings.Join(lines, "\n"))
}
