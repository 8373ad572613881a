package team

import (
	"fmt"
	"strings"
	"time"
)

// Hours is a number's business hours: a weekly schedule in a time zone.
// Outside them, calls take the number's after-hours route (voicemail).
type Hours struct {
	Zone  string // IANA time zone, "America/Los_Angeles"
	loc   *time.Location
	spans [7][]span // by time.Weekday, minutes from midnight
	spec  string
}

type span struct{ from, to int } // [from, to) in minutes

var dayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseHours reads a schedule: "always" (or ""), "never", or entries like
// "mon-fri 09:00-17:30; sat 10:00-14:00, 15:00-16:00". Days run sun..sat;
// a range may wrap ("fri-mon"); times are HH:MM, 24:00 allowed as an end.
func ParseHours(spec, zone string) (Hours, error) {
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || len(zone) > 64 {
		return Hours{}, fmt.Errorf("%w: time zone %q", ErrInvalid, zone)
	}
	h := Hours{Zone: zone, loc: loc}
	spec = strings.ToLower(strings.TrimSpace(spec))
	if len(spec) > 500 {
		return Hours{}, fmt.Errorf("%w: a schedule is at most 500 characters", ErrInvalid)
	}
	switch spec {
	case "", "always":
		for d := range h.spans {
			h.spans[d] = []span{{0, 24 * 60}}
		}
		h.spec = "always"
		return h, nil
	case "never":
		h.spec = "never"
		return h, nil
	}
	var canon []string
	for _, entry := range strings.Split(spec, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		daysPart, timesPart, ok := strings.Cut(entry, " ")
		if !ok {
			return Hours{}, fmt.Errorf("%w: %q: days, then times (\"mon-fri 09:00-17:00\")", ErrInvalid, entry)
		}
		days, err := parseDays(daysPart)
		if err != nil {
			return Hours{}, err
		}
		var spans []span
		var times []string
		for _, t := range strings.Split(timesPart, ",") {
			sp, err := parseSpan(strings.TrimSpace(t))
			if err != nil {
				return Hours{}, err
			}
			spans = append(spans, sp)
			times = append(times, fmt.Sprintf("%02d:%02d-%02d:%02d", sp.from/60, sp.from%60, sp.to/60, sp.to%60))
		}
		for _, d := range days {
			h.spans[d] = append(h.spans[d], spans...)
		}
		canon = append(canon, daysPart+" "+strings.Join(times, ","))
	}
	if len(canon) == 0 {
		return Hours{}, fmt.Errorf("%w: an empty schedule (say \"always\" or \"never\")", ErrInvalid)
	}
	h.spec = strings.Join(canon, "; ")
	return h, nil
}

func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := dayNames[from]
		if !ok {
			return nil, fmt.Errorf("%w: day %q (sun, mon, tue, wed, thu, fri, sat)", ErrInvalid, from)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, ok := dayNames[to]
		if !ok {
			return nil, fmt.Errorf("%w: day %q (sun, mon, tue, wed, thu, fri, sat)", ErrInvalid, to)
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

func parseSpan(s string) (span, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return span{}, fmt.Errorf("%w: times %q (\"09:00-17:00\")", ErrInvalid, s)
	}
	from, err1 := parseClock(a)
	to, err2 := parseClock(b)
	if err1 != nil || err2 != nil || from >= to || from == 24*60 {
		return span{}, fmt.Errorf("%w: times %q (HH:MM-HH:MM, the start before the end)", ErrInvalid, s)
	}
	return span{from, to}, nil
}

func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, ErrInvalid
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 24 || m > 59 || h == 24 && m != 0 {
		return 0, ErrInvalid
	}
	return h*60 + m, nil
}

// OpenAt reports whether the schedule is open at t.
func (h Hours) OpenAt(t time.Time) bool {
	if h.loc == nil {
		return true // the zero Hours: always open
	}
	local := t.In(h.loc)
	m := local.Hour()*60 + local.Minute()
	for _, sp := range h.spans[local.Weekday()] {
		if m >= sp.from && m < sp.to {
			return true
		}
	}
	return false
}

// String is the schedule in canonical form, as ParseHours reads it.
func (h Hours) String() string {
	if h.spec == "" {
		return "always"
	}
	return h.spec
}

// weekOrder is the days as a schedule lists them, Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// Day is the day's open times as a schedule writes them
// ("09:00-12:30,13:30-17:00"); "" when closed all day.
func (h Hours) Day(d time.Weekday) string {
	if h.loc == nil {
		return "00:00-24:00" // the zero Hours: always open
	}
	var out []string
	for _, sp := range h.spans[d] {
		out = append(out, fmt.Sprintf("%02d:%02d-%02d:%02d", sp.from/60, sp.from%60, sp.to/60, sp.to%60))
	}
	return strings.Join(out, ",")
}

// Weekly writes a schedule from each day's open times (by time.Weekday;
// "" for closed), as ParseHours reads it: days in a row with the same
// times together ("mon-fri 09:00-17:00; sat 10:00-14:00"), "always" when
// every day is 00:00-24:00 and "never" when none opens. The times are not
// checked here: ParseHours does.
func Weekly(days [7]string) string {
	all, none := true, true
	for _, t := range days {
		t = strings.TrimSpace(t)
		all = all && t == "00:00-24:00"
		none = none && t == ""
	}
	switch {
	case all:
		return "always"
	case none:
		return "never"
	}
	var entries []string
	for i := 0; i < len(weekOrder); {
		times := strings.TrimSpace(days[weekOrder[i]])
		j := i + 1
		for j < len(weekOrder) && strings.TrimSpace(days[weekOrder[j]]) == times {
			j++
		}
		if times != "" {
			span := dayAbbrev(weekOrder[i])
			if j-i > 1 {
				span += "-" + dayAbbrev(weekOrder[j-1])
			}
			entries = append(entries, span+" "+strings.ReplaceAll(times, " ", ""))
		}
		i = j
	}
	return strings.Join(entries, "; ")
}

func dayAbbrev(d time.Weekday) string { return strings.ToLower(d.String()[:3]) }
