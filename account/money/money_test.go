package money_test

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/money"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestRoundCharge(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0.00005", "0.0001"},      // half goes up
		{"0.000049999", "0"},       // below half goes down
		{"0.0083333333", "0.0083"}, // $0.50/min for one second
		{"1.23455", "1.2346"},
		{"1.23454999", "1.2345"},
		{"7", "7"},
	}
	for _, c := range cases {
		if got := money.RoundCharge(d(c.in)); !got.Equal(d(c.want)) {
			t.Errorf("RoundCharge(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestUnitsRoundTrip(t *testing.T) {
	for _, s := range []string{"0", "0.000001", "12.34", "-5.5", "123456789.123456"} {
		u, err := money.ToUnits(d(s))
		if err != nil {
			t.Fatalf("ToUnits(%s): %v", s, err)
		}
		if back := money.FromUnits(u); !back.Equal(d(s)) {
			t.Errorf("round trip %s -> %d -> %s", s, u, back)
		}
	}
	if _, err := money.ToUnits(d("0.0000001")); !errors.Is(err, money.ErrPrecision) {
		t.Errorf("7 decimals: err = %v, want ErrPrecision", err)
	}
	if _, err := money.ToUnits(d("99999999999999999")); !errors.Is(err, money.ErrRange) {
		t.Errorf("huge: err = %v, want ErrRange", err)
	}
}

func TestParse(t *testing.T) {
	ok := []struct {
		in     string
		signed bool
		want   string
	}{
		{"25", false, "25"}, {" $25.50 ", false, "25.5"}, {"-3.10", true, "-3.1"}, {"0.01", false, "0.01"},
	}
	for _, c := range ok {
		got, err := money.Parse(c.in, 2, c.signed)
		if err != nil || !got.Equal(d(c.want)) {
			t.Errorf("Parse(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	bad := []struct {
		in   string
		want error
	}{
		{"", money.ErrSyntax}, {"abc", money.ErrSyntax}, {"1e3", money.ErrSyntax}, {"-5", money.ErrSyntax},
		{"1.005", money.ErrPrecision}, {"NaN", money.ErrSyntax}, {"1 000", money.ErrSyntax},
		{"99999999999999999", money.ErrRange},
	}
	for _, c := range bad {
		if _, err := money.Parse(c.in, 2, false); !errors.Is(err, c.want) {
			t.Errorf("Parse(%q) err = %v, want %v", c.in, err, c.want)
		}
	}
}

func TestDisplayRoundsDown(t *testing.T) {
	cases := []struct{ in, cur, want string }{
		{"12.349", "USD", "$12.34"},
		{"0.0099", "USD", "$0.00"},
		{"5", "EUR", "€5.00"},
		{"-0.001", "USD", "-$0.01"},
		{"3.5", "SEK", "3.50 SEK"},
	}
	for _, c := range cases {
		if got := money.Display(d(c.in), c.cur); got != c.want {
			t.Errorf("Display(%s,%s) = %q, want %q", c.in, c.cur, got, c.want)
		}
	}
}

func TestDivChargeRoundsOnce(t *testing.T) {
	cases := []struct{ num, den, want string }{
		{"0.5", "60", "0.0083"},   // 0.008333...
		{"30.5", "60", "0.5083"},  // 0.508333...
		{"0.003", "60", "0.0001"}, // 0.00005 exactly: half goes up
		{"0.0029", "60", "0"},     // 0.0000483...
		{"1", "3", "0.3333"},
		{"2", "3", "0.6667"},
	}
	for _, c := range cases {
		if got := money.DivCharge(d(c.num), d(c.den)); !got.Equal(d(c.want)) {
			t.Errorf("DivCharge(%s/%s) = %s, want %s", c.num, c.den, got, c.want)
		}
	}
}

func TestRate(t *testing.T) {
	cases := []struct{ in, cur, want string }{
		{"0.015", "USD", "$0.015"}, {"0.0150", "USD", "$0.015"}, {"1.5", "USD", "$1.50"}, {"0.0083", "GBP", "£0.0083"}, {"2", "SEK", "2.00 SEK"},
	}
	for _, c := range cases {
		if got := money.Rate(d(c.in), c.cur); got != c.want {
			t.Errorf("Rate(%s) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSignedAndText(t *testing.T) {
	for _, c := range []struct {
		f    func(string, string) string
		in   string
		want string
	}{
		{money.SignedText, "15.5000", "+$15.50"},
		{money.SignedText, "-0.0123", "−$0.0123"},
		{money.SignedText, "-2.5000", "−$2.50"},
		{money.DisplayText, "19.9975", "$19.99"},
		{money.RateText, "0.0150", "$0.015"},
		{money.RateText, "1.2000", "$1.20"},
		{money.DisplayText, "n/a", "n/a"},
	} {
		if got := c.f(c.in, "USD"); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
	if got := money.DisplayText("3.5", "EUR"); got != "€3.50" {
		t.Errorf("euros: %q", got)
	}
}

func TestSymbol(t *testing.T) {
	for cur, want := range map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "SEK": "SEK"} {
		if got := money.Symbol(cur); got != want {
			t.Errorf("Symbol(%s) = %q, want %q", cur, got, want)
		}
	}
}

// TestDisplayCurrency: a US account's dollars show as "$"; an account
// elsewhere, where "$" may be the local dollar, sees "US$"; a display code
// is never a currency one bills in.
func TestDisplayCurrency(t *testing.T) {
	d := decimal.RequireFromString("12.5")
	for _, k := range []struct{ cur, region, want string }{
		{"USD", "US", "$12.50"}, {"USD", "", "$12.50"}, {"USD", "GB", "US$12.50"}, {"USD", "CA", "US$12.50"}, {"EUR", "IE", "€12.50"},
	} {
		if got := money.Display(d, money.DisplayCurrency(k.cur, k.region)); got != k.want {
			t.Errorf("%s in %s: %q, want %q", k.cur, k.region, got, k.want)
		}
	}
	if got := money.Signed(decimal.RequireFromString("-0.015"), money.DisplayCurrency("USD", "AU")); got != "−US$0.015" {
		t.Errorf("Signed abroad: %q", got)
	}
	if money.ValidCurrency(money.DisplayCurrency("USD", "GB")) {
		t.Error("a display code is accepted as a currency")
	}
}
