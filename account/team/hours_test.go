package team_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/team"
)

func TestHours(t *testing.T) {
	h, err := team.ParseHours("Mon-Fri 09:00-17:30; sat 10:00-12:00,13:00-14:00", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 11, 23, 9, 0, 0, 0, ny), true},        // Monday opening
		{time.Date(2026, 11, 23, 8, 59, 0, 0, ny), false},      // a minute early
		{time.Date(2026, 11, 23, 17, 30, 0, 0, ny), false},     // closed at the end
		{time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), true}, // 09:00 in New York
		{time.Date(2026, 11, 28, 12, 30, 0, 0, ny), false},     // Saturday lunch
		{time.Date(2026, 11, 28, 13, 30, 0, 0, ny), true},
		{time.Date(2026, 11, 29, 12, 0, 0, 0, ny), false}, // Sunday
	}
	for _, c := range cases {
		if got := h.OpenAt(c.at); got != c.open {
			t.Errorf("open at %v = %v, want %v", c.at, got, c.open)
		}
	}
	if h.String() != "mon-fri 09:00-17:30; sat 10:00-12:00,13:00-14:00" {
		t.Errorf("canonical %q", h.String())
	}
	again, err := team.ParseHours(h.String(), h.Zone)
	if err != nil || again.String() != h.String() {
		t.Errorf("round trip: %v %v", again, err)
	}
	wrap, _ := team.ParseHours("fri-mon 00:00-24:00", "UTC")
	if !wrap.OpenAt(time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)) || wrap.OpenAt(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)) {
		t.Error("a wrapping day range")
	}
	never, _ := team.ParseHours("never", "")
	always, _ := team.ParseHours("", "")
	if never.OpenAt(time.Now()) || !always.OpenAt(time.Now()) || !(team.Hours{}).OpenAt(time.Now()) {
		t.Error("never/always")
	}
	for _, bad := range []string{"mon", "mon 9-17", "funday 09:00-10:00", "mon 17:00-09:00", "mon 09:00-25:00", "mon 24:00-24:00", ";", "mon 09:60-10:00"} {
		if _, err := team.ParseHours(bad, "UTC"); !errors.Is(err, team.ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := team.ParseHours("always", "Mars/Olympus"); !errors.Is(err, team.ErrInvalid) {
		t.Errorf("bad zone: %v", err)
	}
}

func FuzzParseHours(f *testing.F) {
	f.Add("mon-fri 09:00-17:30; sat 10:00-12:00,13:00-14:00", "America/New_York")
	f.Add("fri-mon 00:00-24:00", "UTC")
	f.Add("never", "")
	f.Fuzz(func(t *testing.T, spec, zone string) {
		h, err := team.ParseHours(spec, zone)
		if err != nil {
			return
		}
		again, err := team.ParseHours(h.String(), h.Zone)
		if err != nil || again.String() != h.String() {
			t.Fatalf("%q -> %q does not read back: %v", spec, h.String(), err)
		}
		for _, at := range []time.Time{time.Unix(0, 0), time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)} {
			if h.OpenAt(at) != again.OpenAt(at) {
				t.Fatalf("%q and its canonical form disagree at %v", spec, at)
			}
		}
	})
}
