// Package country is the countries an account can be in: their names and
// time zones (from the IANA time zone database), the zone a new account
// in each starts with, and lookup by code or by what a person types.
package country

import (
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // zones resolve the same on every machine
)

//go:generate go run gen.go

// Country is one country (ISO 3166 alpha-2 code) and its time zones.
type Country struct {
	Code  string
	Name  string
	Zones []string // IANA names, as tzdata lists them
}

// mainZone is the zone a new account starts in where a country has
// several: where most of its people live (tzdata lists them by position,
// not by population).
var mainZone = map[string]string{
	"AR": "America/Argentina/Buenos_Aires", "AU": "Australia/Sydney", "BR": "America/Sao_Paulo",
	"CA": "America/Toronto", "CD": "Africa/Kinshasa", "CL": "America/Santiago", "CN": "Asia/Shanghai",
	"DE": "Europe/Berlin", "EC": "America/Guayaquil", "ES": "Europe/Madrid", "ID": "Asia/Jakarta",
	"KZ": "Asia/Almaty", "MN": "Asia/Ulaanbaatar", "MX": "America/Mexico_City", "MY": "Asia/Kuala_Lumpur",
	"NZ": "Pacific/Auckland", "PT": "Europe/Lisbon", "RU": "Europe/Moscow", "UA": "Europe/Kyiv",
	"US": "America/New_York", "UZ": "Asia/Tashkent", "CY": "Asia/Nicosia", "GL": "America/Nuuk",
	"PS": "Asia/Gaza", "KI": "Pacific/Tarawa", "FM": "Pacific/Pohnpei", "PF": "Pacific/Tahiti",
	"MH": "Pacific/Majuro", "PG": "Pacific/Port_Moresby",
}

// aliases are other names people type for a country (tzdata's names are
// short and sometimes unusual: "Britain (UK)").
var aliases = map[string][]string{
	"GB": {"United Kingdom", "UK", "England", "Scotland", "Wales", "Northern Ireland", "Great Britain"},
	"US": {"USA", "United States of America", "America"},
	"KR": {"South Korea"}, "KP": {"North Korea"}, "AE": {"UAE", "Emirates"}, "NL": {"Holland"},
	"CZ": {"Czech Republic", "Czechia"}, "CI": {"Ivory Coast"}, "MM": {"Burma"}, "VA": {"Vatican"},
	"RU": {"Russian Federation"}, "TW": {"Taiwan"}, "CN": {"China"}, "DE": {"Deutschland"}, "ES": {"España"},
}

// Zone is the time zone a new account in the country starts with.
func (c Country) Zone() string {
	if z, ok := mainZone[c.Code]; ok {
		return z
	}
	if len(c.Zones) > 0 {
		return c.Zones[0]
	}
	return "UTC"
}

// All lists every country, by code.
func All() []Country { return slices.Clone(all) }

// Lookup finds a country by its code, in any case ("gb", "GB").
func Lookup(code string) (Country, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	i, ok := slices.BinarySearchFunc(all, code, func(c Country, code string) int { return strings.Compare(c.Code, code) })
	if !ok {
		return Country{}, false
	}
	return all[i], true
}

// Search lists the countries whose code is query or whose name contains
// it, ignoring case: codes first, then names that start with it, then the
// rest, each by name.
func Search(query string) []Country {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return All()
	}
	var code, start, within []Country
	for _, c := range all {
		names := []string{strings.ToLower(c.Name)}
		for _, a := range aliases[c.Code] {
			names = append(names, strings.ToLower(a))
		}
		switch {
		case strings.ToLower(c.Code) == q:
			code = append(code, c)
		case slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, q) }):
			start = append(start, c)
		case slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, q) }):
			within = append(within, c)
		}
	}
	byName := func(a, b Country) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(start, byName)
	slices.SortFunc(within, byName)
	return append(append(code, start...), within...)
}

// ValidZone reports whether zone is an IANA time zone name this program
// knows ("UTC" included; "Local" and "" are not).
func ValidZone(zone string) bool {
	if zone == "" || zone == "Local" || len(zone) > 64 {
		return false
	}
	_, err := time.LoadLocation(zone)
	return err == nil
}
