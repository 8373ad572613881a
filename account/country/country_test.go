package country_test

import (
	"slices"
	"testing"

	"github.com/tetherphone/tether/account/country"
)

func TestEveryZoneLoads(t *testing.T) {
	all := country.All()
	if len(all) < 240 {
		t.Fatalf("%d countries; tzdata lists about 249", len(all))
	}
	for _, c := range all {
		z := c.Zone()
		if !country.ValidZone(z) {
			t.Errorf("%s: its zone %q does not load", c.Code, z)
		}
		if len(c.Zones) > 0 && !slices.Contains(c.Zones, z) {
			t.Errorf("%s: its main zone %q is not one of its own %v", c.Code, z, c.Zones)
		}
	}
}

func TestLookup(t *testing.T) {
	for code, want := range map[string]string{"gb": "Europe/London", " US ": "America/New_York", "CA": "America/Toronto", "AU": "Australia/Sydney", "DE": "Europe/Berlin"} {
		c, ok := country.Lookup(code)
		if !ok || c.Zone() != want {
			t.Errorf("Lookup(%q) = %+v, %v; want zone %s", code, c, ok, want)
		}
	}
	for _, bad := range []string{"", "XX", "USA", "u"} {
		if c, ok := country.Lookup(bad); ok {
			t.Errorf("Lookup(%q) = %+v", bad, c)
		}
	}
}

func TestSearch(t *testing.T) {
	got := country.Search("uni")
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	// Names starting with it first, then those containing it.
	if len(names) < 4 || !slices.Equal(names[:3], []string{"Britain (UK)", "United Arab Emirates", "United States"}) || !slices.Contains(names[3:], "Réunion") {
		t.Errorf("Search(uni) = %v", names)
	}
	if got := country.Search("gb"); len(got) == 0 || got[0].Code != "GB" {
		t.Errorf("Search(gb) first = %+v", got)
	}
	if got := country.Search("åland"); len(got) != 1 || got[0].Code != "AX" {
		t.Errorf("Search(åland) = %+v", got)
	}
	if got := country.Search("united k"); len(got) != 1 || got[0].Code != "GB" {
		t.Errorf("Search(united k) = %+v", got)
	}
	if got := country.Search("zzzz"); len(got) != 0 {
		t.Errorf("Search(zzzz) = %+v", got)
	}
}

func TestValidZone(t *testing.T) {
	for _, z := range []string{"Europe/London", "UTC", "America/Argentina/Buenos_Aires"} {
		if !country.ValidZone(z) {
			t.Errorf("%s refused", z)
		}
	}
	for _, z := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "Europe/London\x00"} {
		if country.ValidZone(z) {
			t.Errorf("%q accepted", z)
		}
	}
}
