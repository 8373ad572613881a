package billing

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/rating"
)

// Plan is a subscription tier: its monthly price per seat (in the
// account's currency, charged to the card, never from credits) and what
// each seat brings to the account's pooled bundle every cycle.
type Plan struct {
	ID      string
	Name    string
	Price   decimal.Decimal       // per seat per billing cycle
	PerSeat map[rating.Pool]int64 // seconds or segments per seat per cycle
	Summary string                // one line for people choosing a plan
}

// DefaultPlans are the tiers a switchboard offers unless its operator
// configures others: minutes to the US and Canada and texts per seat,
// pooled across the account, reset on the billing day, never rolled over.
func DefaultPlans() map[string]Plan {
	return map[string]Plan{
		"starter": {ID: "starter", Name: "Starter", Price: decimal.NewFromInt(19), PerSeat: map[rating.Pool]int64{
			rating.PoolVoice: 300 * 60, rating.PoolSMS: 100,
		}, Summary: "300 minutes and 100 texts per seat each month"},
		"team": {ID: "team", Name: "Team", Price: decimal.NewFromInt(29), PerSeat: map[rating.Pool]int64{
			rating.PoolVoice: 1000 * 60, rating.PoolSMS: 500,
		}, Summary: "1,000 minutes and 500 texts per seat each month"},
		"pro": {ID: "pro", Name: "Pro", Price: decimal.NewFromInt(49), PerSeat: map[rating.Pool]int64{
			rating.PoolVoice: 3000 * 60, rating.PoolSMS: 1000, rating.PoolAIAgent: 60 * 60,
		}, Summary: "3,000 minutes, 1,000 texts and 60 AI agent minutes per seat each month"},
	}
}

// Plans lists the plans offered, cheapest first.
func (e *Engine) Plans() []Plan {
	return slices.SortedFunc(maps.Values(e.plans), func(a, b Plan) int {
		return cmp.Or(a.Price.Cmp(b.Price), cmp.Compare(a.ID, b.ID))
	})
}

// Plan returns the plan with that ID.
func (e *Engine) Plan(id string) (Plan, bool) {
	p, ok := e.plans[id]
	return p, ok
}

// Cycle is one billing period [Start, End).
type Cycle struct {
	ID    string // the start date, "2026-11-05"
	Start time.Time
	End   time.Time
}

// CycleAt returns the billing cycle containing t for an account whose
// cycles start on anchor's day of the month (clamped to short months: an
// anchor on the 31st starts February's cycle on the 28th or 29th).
func CycleAt(anchor, t time.Time) Cycle {
	anchor, t = anchor.UTC(), t.UTC()
	months := (t.Year()-anchor.Year())*12 + int(t.Month()) - int(anchor.Month())
	start := monthsAfter(anchor, months)
	if start.After(t) {
		months--
		start = monthsAfter(anchor, months)
	}
	return Cycle{ID: start.Format("2006-01-02"), Start: start, End: monthsAfter(anchor, months+1)}
}

func monthsAfter(anchor time.Time, n int) time.Time {
	y, m := anchor.Year(), int(anchor.Month())-1+n
	y += m / 12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	first := time.Date(y, time.Month(m+1), 1, 0, 0, 0, 0, time.UTC)
	days := first.AddDate(0, 1, -1).Day()
	day := min(anchor.Day(), days)
	return time.Date(y, time.Month(m+1), day, anchor.Hour(), anchor.Minute(), anchor.Second(), 0, time.UTC)
}

// prorate returns the share of a full allowance a seat added at added earns
// in cycle c: by whole days, counting the day it was added, rounded down to
// whole units. A seat added on the cycle's first day earns it all.
func prorate(full int64, c Cycle, added time.Time) int64 {
	if !added.After(c.Start) {
		return full
	}
	if !added.Before(c.End) {
		return 0
	}
	const day = 24 * time.Hour
	left := int64((c.End.Sub(added) + day - 1) / day)
	total := int64((c.End.Sub(c.Start) + day - 1) / day)
	return full * min(left, total) / total
}
