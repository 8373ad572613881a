package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/team"
)

// weekdays are the editor's rows, Monday first.
var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// ScheduleEditor edits a number's business hours a day at a time: a box
// per day (open that day) and its times, "09:00-17:00" or several
// ("09:00-12:30, 13:30-17:00"); two presets fill the week.
type ScheduleEditor struct {
	open  [7]*widget.Check // by time.Weekday
	times [7]*widget.Entry
	obj   fyne.CanvasObject
}

// NewScheduleEditor shows spec (as ParseHours reads it) in zone.
func NewScheduleEditor(spec, zone string) *ScheduleEditor {
	e := &ScheduleEditor{}
	h, err := team.ParseHours(spec, zone)
	if err != nil {
		h, _ = team.ParseHours("always", "UTC")
	}
	rows := container.NewVBox()
	for _, d := range weekdays {
		entry := widget.NewEntry()
		entry.SetPlaceHolder("09:00-17:00")
		check := widget.NewCheck(d.String(), func(on bool) {
			if on {
				entry.Enable()
				if strings.TrimSpace(entry.Text) == "" {
					entry.SetText("09:00-17:00")
				}
				return
			}
			entry.Disable()
		})
		e.open[d], e.times[d] = check, entry
		e.set(d, h.Day(d))
		rows.Add(container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(130, check.MinSize().Height), check), nil, entry))
	}
	weekdays95 := widget.NewButton("Weekdays 9–5", func() {
		for d := range e.open {
			e.set(time.Weekday(d), map[bool]string{true: "09:00-17:00"}[d != int(time.Saturday) && d != int(time.Sunday)])
		}
	})
	always := widget.NewButton("Open all the time", func() {
		for d := range e.open {
			e.set(time.Weekday(d), "00:00-24:00")
		}
	})
	hint := widget.NewLabel("Times are 24-hour, in the number's time zone; outside them calls go to voicemail (or are forwarded).")
	hint.Wrapping = fyne.TextWrapWord
	e.obj = container.NewVBox(rows, container.NewHBox(weekdays95, always), hint)
	return e
}

// set shows a day: its times, or closed ("").
func (e *ScheduleEditor) set(d time.Weekday, times string) {
	e.open[d].SetChecked(times != "")
	e.times[d].SetText(strings.ReplaceAll(times, ",", ", "))
	if times == "" {
		e.times[d].Disable()
	} else {
		e.times[d].Enable()
	}
}

// Object is the editor.
func (e *ScheduleEditor) Object() fyne.CanvasObject { return e.obj }

// Spec is the schedule as the server takes it; an error names the day
// whose times do not read.
func (e *ScheduleEditor) Spec() (string, error) {
	var days [7]string
	for _, d := range weekdays {
		if !e.open[d].Checked {
			continue
		}
		t := strings.TrimSpace(e.times[d].Text)
		if t == "" {
			return "", fmt.Errorf("%s: give its hours (09:00-17:00), or untick it", d)
		}
		if _, err := team.ParseHours(dayAbbrev(d)+" "+strings.ReplaceAll(t, " ", ""), "UTC"); err != nil {
			return "", fmt.Errorf("%s: %q are not times like 09:00-17:00 (24-hour, the start before the end)", d, t)
		}
		days[d] = t
	}
	return team.Weekly(days), nil
}

func dayAbbrev(d time.Weekday) string { return strings.ToLower(d.String()[:3]) }
