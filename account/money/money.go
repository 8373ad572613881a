package money

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/shopspring/decimal"
)

// Scale is the number of decimal places the ledger stores: amounts are kept as
// integers of 10^-Scale units.
const Scale = 6

// ChargePlaces is the number of decimal places a charge is rounded to.
const ChargePlaces = 4

// DefaultCurrency is the currency of a new account.
const DefaultCurrency = "USD"

var (
	// ErrPrecision means an amount has more decimal places than allowed.
	ErrPrecision = errors.New("money: too many decimal places")
	// ErrRange means an amount is too large to store.
	ErrRange = errors.New("money: amount out of range")
	// ErrSyntax means a text is not a decimal amount.
	ErrSyntax = errors.New("money: not an amount")
)

var scaleFactor = decimal.New(1, Scale)

// RoundCharge rounds an exactly computed charge half-up to ChargePlaces
// decimal places. It is the only rounding a charge ever goes through.
func RoundCharge(d decimal.Decimal) decimal.Decimal {
	// decimal.Round rounds half away from zero, which is half-up for the
	// non-negative charges it is used on.
	return d.Round(ChargePlaces)
}

// DivCharge returns num/den rounded half-up to ChargePlaces: the exact
// quotient is rounded once, with no intermediate precision (den > 0).
func DivCharge(num, den decimal.Decimal) decimal.Decimal {
	// DivRound rounds the exact quotient half away from zero at the given
	// precision; it does not consult decimal.DivisionPrecision.
	return num.DivRound(den, ChargePlaces)
}

// ToUnits converts an amount to integer ledger units of 10^-Scale. It refuses
// amounts with more than Scale decimal places and amounts beyond int64.
func ToUnits(d decimal.Decimal) (int64, error) {
	if d.Exponent() < -Scale && !d.Equal(d.Truncate(Scale)) {
		return 0, fmt.Errorf("%w: %s has more than %d", ErrPrecision, d, Scale)
	}
	u := d.Mul(scaleFactor)
	if u.GreaterThan(decimal.NewFromInt(math.MaxInt64)) || u.LessThan(decimal.NewFromInt(math.MinInt64)) {
		return 0, fmt.Errorf("%w: %s", ErrRange, d)
	}
	return u.IntPart(), nil
}

// FromUnits converts integer ledger units back to an amount.
func FromUnits(u int64) decimal.Decimal {
	return decimal.New(u, -Scale)
}

// Parse reads an amount typed by a person or sent by a client: an optional
// leading "$", digits, at most places decimal places. Negative amounts are
// allowed only when signed is true.
func Parse(s string, places int32, signed bool) (decimal.Decimal, error) {
	t := strings.TrimSpace(s)
	neg := strings.HasPrefix(t, "-")
	if neg {
		t = t[1:]
	}
	t = strings.TrimPrefix(t, "$")
	if t == "" || strings.ContainsAny(t, "eE+- _") {
		return decimal.Zero, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	d, err := decimal.NewFromString(t)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	if !d.Equal(d.Truncate(places)) {
		return decimal.Zero, fmt.Errorf("%w: %q has more than %d", ErrPrecision, s, places)
	}
	if neg {
		if !signed {
			return decimal.Zero, fmt.Errorf("%w: %q is negative", ErrSyntax, s)
		}
		d = d.Neg()
	}
	if _, err := ToUnits(d); err != nil {
		return decimal.Zero, err
	}
	return d, nil
}

// Display shows an amount to the cent, rounded down (toward negative
// infinity), with the currency's symbol where it has one: "$12.34", "€0.50",
// "12.34 SEK".
func Display(d decimal.Decimal, currency string) string {
	s := d.RoundFloor(2).StringFixed(2)
	sym, ok := symbolOf(currency)
	if !ok {
		return s + " " + currency
	}
	if strings.HasPrefix(s, "-") {
		return "-" + sym + s[1:]
	}
	return sym + s
}

// Rate shows a price that may hold fractions of a cent, such as a
// per-minute rate: at least two decimals, more when the price has them
// ("$0.015", "$1.50"), never rounded.
func Rate(d decimal.Decimal, currency string) string {
	places := int32(2)
	if _, frac, ok := strings.Cut(d.String(), "."); ok {
		places = max(int32(len(frac)), 2)
	}
	s := d.StringFixed(places)
	if sym, ok := symbolOf(currency); ok {
		return sym + s
	}
	return s + " " + currency
}

// Signed shows a movement of credit: money in as Display shows it with a
// "+", money out exactly as Rate does with a "−" (U+2212), since what is
// spent may hold fractions of a cent ("+$15.50", "−$0.0123").
func Signed(d decimal.Decimal, currency string) string {
	if d.IsNegative() {
		return "−" + Rate(d.Neg(), currency)
	}
	return "+" + Display(d, currency)
}

// DisplayText and RateText show an amount as the API writes it ("12.3400");
// text that is not an amount is shown as it is.
func DisplayText(s, currency string) string { return withText(s, currency, Display) }

// RateText: see DisplayText.
func RateText(s, currency string) string { return withText(s, currency, Rate) }

// SignedText: see DisplayText.
func SignedText(s, currency string) string { return withText(s, currency, Signed) }

func withText(s, currency string, f func(decimal.Decimal, string) string) string {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	return f(d, currency)
}

// Symbol is the currency's symbol ("$", "€"), or its code where it has
// none ("SEK"): for labels beside an amount typed without one.
func Symbol(currency string) string {
	if sym, ok := symbolOf(currency); ok {
		return sym
	}
	return currency
}

var symbols = map[string]string{"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£"}

// abroad are the symbols of currencies as shown outside their own
// country, where their usual one is ambiguous ("$" in Canada or
// Australia is their own dollar): display codes, never billed in.
var abroad = map[string]string{"USD": "US$"}

const abroadSuffix = "@abroad"

func symbolOf(currency string) (string, bool) {
	if c, ok := strings.CutSuffix(currency, abroadSuffix); ok {
		sym, found := abroad[c]
		return sym, found
	}
	sym, ok := symbols[currency]
	return sym, ok
}

// homes are where each currency's usual symbol is unambiguous.
var homes = map[string]string{"USD": "US"}

// DisplayCurrency is the code to show an account's currency with to its
// people, given its region: the dollar of a US account shows as "$", of an
// account elsewhere as "US$". Pass it to Display, Rate, Signed and Symbol;
// never bill in it.
func DisplayCurrency(currency, region string) string {
	if home, ok := homes[currency]; ok && region != "" && region != home {
		return currency + abroadSuffix
	}
	return currency
}

// ValidCurrency reports whether code is a currency this system bills in.
func ValidCurrency(code string) bool {
	_, ok := symbols[code]
	return ok
}
