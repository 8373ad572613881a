package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/team"
)

// Checklist is the four steps an owner or admin starts with: get a
// number, add the team, add credits and auto top-up, connect the CRM;
// each opens its view.
type Checklist struct {
	s       Session
	shell   *Shell
	steps   [4]*widget.Label
	open    [4]*widget.Button // nil for a step with nothing to open yet
	content fyne.CanvasObject
	done    [4]bool
}

var stepNames = [4]string{"Get a number", "Add your team", "Add credits and auto top-up", "Connect your CRM"}

// stepName is a step as the card says it.
func stepName(i int) string { return stepNames[i] }

// Opens reports which steps have a view to open.
func (c *Checklist) Opens() [4]bool {
	var out [4]bool
	for i, b := range c.open {
		out[i] = b != nil
	}
	return out
}

func newChecklist(s Session, sh *Shell) *Checklist {
	c := &Checklist{s: s, shell: sh}
	// The CRM step opens Settings, whose Integrations section connects
	// one (when the account API has no CRM calls, it opens nothing).
	targets := [4]string{"Numbers", "Team", "Credits", "Settings"}
	if _, ok := s.Account.(CRMs); !ok {
		targets[3] = ""
	}
	rows := container.NewVBox(widget.NewLabelWithStyle("Get started", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for i := range c.steps {
		c.steps[i] = widget.NewLabel(fmt.Sprintf("%d. %s", i+1, stepName(i)))
		c.steps[i].Wrapping = fyne.TextWrapWord
		target := targets[i]
		if target == "" {
			rows.Add(c.steps[i])
			continue
		}
		c.open[i] = widget.NewButton("Open", func() { sh.Select(target) })
		rows.Add(container.NewBorder(nil, nil, nil, c.open[i], c.steps[i]))
	}
	c.content = container.NewGridWrap(fyne.NewSize(330, 240), rows)
	return c
}

// OpenButton is step i's Open button (nil when it opens nothing).
func (c *Checklist) OpenButton(i int) *widget.Button { return c.open[i] }

// Object is the checklist's card.
func (c *Checklist) Object() fyne.CanvasObject { return c.content }

// Done reports which steps are done.
func (c *Checklist) Done() [4]bool { return c.done }

// Load reads what is done; off the UI thread.
func (c *Checklist) Load(ctx context.Context) error {
	var d [4]bool
	if nums, err := c.s.Account.Numbers(ctx); err == nil {
		d[0] = len(nums) > 0
	}
	if c.s.Can(team.ManageTeam) {
		if ms, err := c.s.Account.Team(ctx); err == nil {
			d[1] = len(ms) > 1
		}
	}
	if c.s.Can(team.ViewBilling) {
		if t, err := c.s.Account.TopUp(ctx); err == nil {
			d[2] = t.Enabled
		}
	}
	if crms, ok := c.s.Account.(CRMs); ok {
		if is, err := crms.Integrations(ctx); err == nil {
			for _, i := range is {
				d[3] = d[3] || i.Connected
			}
		}
	}
	do(func() {
		c.done = d
		for i, l := range c.steps {
			mark := "○"
			if d[i] {
				mark = "✓"
			}
			l.SetText(fmt.Sprintf("%s %s", mark, stepName(i)))
		}
	})
	return nil
}
