package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/rating"
)

// SuggestDays is how many days of typical spend the suggested threshold
// covers (the brief advises two to three).
const SuggestDays = 3

// Suggestion is a suggested auto top-up threshold and why.
type Suggestion struct {
	Threshold    decimal.Decimal
	DailyAverage decimal.Decimal // credit spent per day, over Days
	Days         int             // days of history averaged (at most 30)
	Basis        string          // the reasoning, for people
}

// SuggestThreshold suggests a threshold covering about three days of the
// account's average daily credit spend over the last 30 days, rounded up to
// the dollar, and never below the floor for new or quiet accounts.
func (e *Engine) SuggestThreshold(ctx context.Context, account string) (Suggestion, error) {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return Suggestion{}, err
	}
	// The last 30 days, from the first spend in them: an account's
	// history, not its age, is what is averaged (one opened with history
	// moved in, or quiet for its first weeks, is not averaged over days it
	// had no chance to spend, nor over one day of it).
	// Days are UTC calendar days, today included, as the usage the app
	// shows and its runway (RunwayOf) count them: the two speak of one
	// usual spend at any hour (a rolling 24 h count said $0.30 a day
	// beside the runway's $0.29 after midnight).
	now := e.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	since := today.AddDate(0, 0, -29)
	codes := make([]string, 0, len(rating.Usages))
	for _, u := range rating.Usages {
		codes = append(codes, string(u))
	}
	ts, err := e.store.Transfers(ctx, ledger.Filter{Account: ledger.Customer(account), Since: since, Codes: codes})
	if err != nil {
		return Suggestion{}, err
	}
	spent, first := decimal.Zero, now
	for _, t := range ts {
		if t.From == ledger.Customer(account) {
			spent = spent.Add(t.Amount)
			if t.At.Before(first) {
				first = t.At
			}
		}
	}
	first = first.UTC()
	days := int(today.Sub(time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC))/(24*time.Hour)) + 1
	avg := spent.DivRound(decimal.NewFromInt(int64(days)), 4)
	threshold := avg.Mul(decimal.NewFromInt(SuggestDays)).Ceil()
	s := Suggestion{DailyAverage: avg, Days: days, Threshold: threshold}
	floor := e.limits.ThresholdFloor
	switch {
	case threshold.LessThan(floor):
		s.Threshold = floor
		s.Basis = fmt.Sprintf("You spent %s a day on average over %s; %s is the minimum we suggest so calls never stop unexpectedly.",
			Display(avg, c.Currency), plural(days, "day"), Display(floor, c.Currency))
	default:
		s.Basis = fmt.Sprintf("You spent %s a day on average over the last %s; %s covers about %d days.",
			Display(avg, c.Currency), plural(days, "day"), Display(threshold, c.Currency), SuggestDays)
	}
	return s, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
