package billing_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
)

func TestCreditLeft(t *testing.T) {
	for _, c := range []struct {
		elapsed time.Duration
		paid    int64
		left    time.Duration
		warn    bool
	}{
		{10 * time.Second, 0, 0, false}, // the bundle pays: no limit
		{0, 300, 300 * time.Second, false},
		{239 * time.Second, 300, 61 * time.Second, false},
		{240 * time.Second, 300, 60 * time.Second, true},
		{299 * time.Second, 300, time.Second, true},
		{320 * time.Second, 300, 0, true},
	} {
		left, warn := billing.CreditLeft(c.elapsed, c.paid)
		if left != c.left || warn != c.warn {
			t.Errorf("%v into %d s: %v %v, want %v %v", c.elapsed, c.paid, left, warn, c.left, c.warn)
		}
	}
}

func TestRunwayOf(t *testing.T) {
	d := decimal.RequireFromString
	days := func(ss ...string) []decimal.Decimal {
		var out []decimal.Decimal
		for _, s := range ss {
			out = append(out, d(s))
		}
		return out
	}
	for _, c := range []struct {
		name      string
		available string
		daily     []decimal.Decimal
		want      billing.Runway
	}{
		{"nothing spent", "20", days("0", "0"), billing.Runway{}},
		{"no days", "20", nil, billing.Runway{}},
		{"a dollar a day", "20", days("1", "1", "1"), billing.Runway{Spent: true, PerDay: d("1"), Days: 20}},
		{"quiet days count", "9", days("3", "0", "0"), billing.Runway{Spent: true, PerDay: d("1"), Days: 9}},
		{"days before the first spend do not", "9", days("0", "0", "3", "0", "0"), billing.Runway{Spent: true, PerDay: d("1"), Days: 9}},
		{"less than a day", "0.40", days("1"), billing.Runway{Spent: true, PerDay: d("1"), Days: 0}},
		{"rounded", "10", days("3"), billing.Runway{Spent: true, PerDay: d("3"), Days: 3}},
	} {
		got := billing.RunwayOf(d(c.available), c.daily)
		if got.Spent != c.want.Spent || got.Days != c.want.Days || !got.PerDay.Equal(c.want.PerDay) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
