package billing

import (
	"time"

	"github.com/shopspring/decimal"
)

// WarnBefore is how long before a credit-billed call's paid time runs out
// the caller is warned: the switchboard plays its warning tone then, and
// the app shows the countdown from then.
const WarnBefore = time.Minute

// CreditLeft says, elapsed into a call that available credit pays for
// paidSeconds of (0: no limit from credit), how long is left and whether
// the caller should be warned now (within WarnBefore of the end). left is
// never negative.
func CreditLeft(elapsed time.Duration, paidSeconds int64) (left time.Duration, warn bool) {
	if paidSeconds <= 0 {
		return 0, false
	}
	left = max(time.Duration(paidSeconds)*time.Second-elapsed, 0)
	return left, left <= WarnBefore
}

// Runway is how long available credit lasts at the account's usual spend.
type Runway struct {
	Spent  bool            // anything was spent in the days measured
	PerDay decimal.Decimal // the average spend a day, to 6 places
	Days   int64           // whole days of credit left at PerDay, rounded
}

// RunwayOf measures the runway from what is available and the spend of
// each recent day, oldest first (one entry per day, zero days included).
// The average runs from the first day with spend, as SuggestThreshold's
// does: days before an account spent anything are not its usual spend
// (the runway said $0.27 a day beside a suggestion's $0.28).
func RunwayOf(available decimal.Decimal, daily []decimal.Decimal) Runway {
	for len(daily) > 0 && !daily[0].IsPositive() {
		daily = daily[1:]
	}
	total := decimal.Zero
	for _, d := range daily {
		total = total.Add(d)
	}
	if !total.IsPositive() || len(daily) == 0 {
		return Runway{}
	}
	perDay := total.DivRound(decimal.NewFromInt(int64(len(daily))), 6)
	return Runway{Spent: true, PerDay: perDay, Days: available.DivRound(perDay, 0).IntPart()}
}
