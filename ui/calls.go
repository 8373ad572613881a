package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
)

// CallsView is the call history, filtered by how calls went.
type CallsView struct {
	s       Session
	win     fyne.Window
	filter  *widget.Select
	list    *widget.Label
	content fyne.CanvasObject
	calls   []api.CallInfo
}

// Call history filters.
var callFilters = []string{"All calls", "Answered", "Missed", "Voicemail", "Outgoing", "Incoming"}

// NewCallsView builds the view.
func NewCallsView(s Session, win fyne.Window) *CallsView {
	v := &CallsView{s: s, win: win, list: widget.NewLabel("")}
	v.filter = widget.NewSelect(callFilters, func(string) { v.render() })
	v.filter.SetSelected(callFilters[0])
	v.content = container.NewBorder(container.NewHBox(widget.NewLabelWithStyle("Calls", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.filter),
		nil, nil, nil, container.NewVScroll(v.list))
	return v
}

// Object is the view's content.
func (v *CallsView) Object() fyne.CanvasObject { return v.content }

// Load reads the history; off the UI thread.
func (v *CallsView) Load(ctx context.Context) error {
	cs, err := v.s.Account.Calls(ctx, 200)
	if err != nil {
		return err
	}
	doWait(func() {
		v.calls = cs
		v.render()
	})
	return nil
}

// MissedSince is the calls to me (mine says which extension or number
// is) that went unanswered, to voicemail or not, started after seen;
// newest first, as the history is.
func (v *CallsView) MissedSince(seen time.Time, mine func(to string) bool) []api.CallInfo {
	var out []api.CallInfo
	for _, c := range v.calls {
		if (c.Disposition == "missed" || c.Disposition == "voicemail") && c.Direction != "outbound" && mine(c.To) && c.Started.After(seen) {
			out = append(out, c)
		}
	}
	return out
}

// SetFilter picks a filter ("Missed").
func (v *CallsView) SetFilter(f string) { v.filter.SetSelected(f) }

// Text is the list as shown.
func (v *CallsView) Text() string { return v.list.Text }

func keep(filter string, c api.CallInfo) bool {
	switch filter {
	case "Answered":
		return c.Disposition == "answered"
	case "Missed":
		return c.Disposition == "missed" || c.Disposition == "busy" || c.Disposition == "voicemail"
	case "Voicemail":
		return c.Disposition == "voicemail"
	case "Outgoing":
		return c.Direction == "outbound" || c.Direction == "internal" && c.From == ""
	case "Incoming":
		return c.Direction == "inbound" || c.Direction == "forwarded"
	}
	return true
}

func (v *CallsView) render() {
	var lines []string
	for _, c := range v.calls {
		if !keep(v.filter.Selected, c) {
			continue
		}
		line := fmt.Sprintf("%s   %s → %s   %s   %d:%02d", c.Started.Local().Format("Jan 2 15:04"), c.From, c.To, c.Disposition, c.Seconds/60, c.Seconds%60)
		if c.Cost != "0.0000" && c.Cost != "" {
			line += "   " + v.s.Rate(c.Cost)
		}
		if c.Tag != "" {
			line += "   [" + c.Tag + "]"
		}
		if c.Notes != "" {
			line += " " + strings.SplitN(c.Notes, "\n", 2)[0]
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = []string{"No calls."}
	}
	v.list.SetText(strings.Join(lines, "\n"))
}
