package rating

import (
	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/money"
)

// Tariff is the price of one call, fixed when the call starts.
type Tariff struct {
	Usage       Usage
	Pool        Pool            // the bundle that pays first, or PoolNone
	PerMinute   decimal.Decimal // price of 60 billed seconds
	Increment   Increment
	ConnectFee  decimal.Decimal // charged once, when the call connects
	Prefix      string          // the deck entry that matched, for the call record
	Destination string
}

var sixty = decimal.NewFromInt(60)

// CostOf returns the cost of b billed seconds (b on the increment grid, or
// any number of seconds for a 1/1 tariff), rounded once.
func (t Tariff) CostOf(b int64) decimal.Decimal {
	if b <= 0 {
		return decimal.Zero
	}
	// connect + rate*b/60 = (connect*60 + rate*b) / 60: one division,
	// rounded once.
	num := t.ConnectFee.Mul(sixty).Add(t.PerMinute.Mul(decimal.NewFromInt(b)))
	return money.DivCharge(num, sixty)
}

// Cost returns the cost of a call that lasted d seconds.
func (t Tariff) Cost(d int64) decimal.Decimal { return t.CostOf(t.Increment.Billed(d)) }

// maxSeconds caps what MaxSeconds returns: a call is never authorised for more
// than a day, whatever the credit.
const maxSeconds = 24 * 3600

// MaxSeconds returns the longest billed duration, on the increment grid and
// beyond from, whose cost over from's stays within credit: the paid end of a
// call that has already paid up to from seconds and has credit left. It
// returns from when not even the next block is affordable.
func (t Tariff) MaxSeconds(from int64, credit decimal.Decimal) int64 {
	base := t.CostOf(from)
	afford := func(b int64) bool { return t.CostOf(b).Sub(base).LessThanOrEqual(credit) }
	next := t.Increment.Billed(from + 1)
	if next > maxSeconds || !afford(next) {
		return from
	}
	// Binary search over the grid points next + k*Step: cost is monotonic in
	// b, and searching the rounded cost is what gets charged.
	lo, hi := int64(0), (maxSeconds-next)/t.Increment.Step
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if afford(next + mid*t.Increment.Step) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return next + lo*t.Increment.Step
}
