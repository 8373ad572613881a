package team

import (
	"testing"
	"time"
)

// TestWeekly: a week written by Weekly reads back, day by day, as typed;
// days in a row with the same times are written together.
func TestWeekly(t *testing.T) {
	for _, c := range []struct {
		days [7]string // by time.Weekday: Sunday first
		want string
	}{
		{[7]string{"", "09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "10:00-14:00"}, "mon-fri 09:00-17:00; sat 10:00-14:00"},
		{[7]string{"00:00-24:00", "00:00-24:00", "00:00-24:00", "00:00-24:00", "00:00-24:00", "00:00-24:00", "00:00-24:00"}, "always"},
		{[7]string{}, "never"},
		{[7]string{"12:00-13:00", "09:00-12:30,13:30-17:00", "", "09:00-12:30,13:30-17:00", "", "", ""}, "mon 09:00-12:30,13:30-17:00; wed 09:00-12:30,13:30-17:00; sun 12:00-13:00"},
	} {
		got := Weekly(c.days)
		if got != c.want {
			t.Errorf("Weekly(%q) = %q, want %q", c.days, got, c.want)
			continue
		}
		h, err := ParseHours(got, "Europe/London")
		if err != nil {
			t.Errorf("%q does not parse: %v", got, err)
			continue
		}
		for d := time.Sunday; d <= time.Saturday; d++ {
			if back := h.Day(d); back != c.days[d] && !(got == "always" && back == "00:00-24:00") {
				t.Errorf("%q: %v reads back %q, want %q", got, d, back, c.days[d])
			}
		}
	}
	if _, err := ParseHours(Weekly([7]string{1: "9-5"}), "UTC"); err == nil {
		t.Error("a bad time passed")
	}
}

// TestPermissionWords: every permission and built-in role reads as words,
// not as its internal name ("calls.all", "member").
func TestPermissionWords(t *testing.T) {
	for _, p := range AllPermissions {
		if w := p.Words(); w == string(p) || w == "" {
			t.Errorf("%s has no words", p)
		}
	}
	for r, want := range map[Role]string{Owner: "Owner", Admin: "Admin", Member: "Team Member", "sales-lead": "sales-lead"} {
		if got := r.Title(); got != want {
			t.Errorf("%s reads %q, want %q", r, got, want)
		}
	}
}
