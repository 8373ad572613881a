package billing

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tetherphone/tether/account/ledger"
)

// Credit levels: where an account's available credit stands against its
// low line (its auto top-up threshold, or DefaultLowLine when it has
// none). Moving down a level is an event (credits.low, credits.exhausted)
// said once per crossing, whatever the number of debits past it.
const (
	LevelOK        = "ok"
	LevelLow       = "low"
	LevelExhausted = "exhausted"
)

// DefaultLowLine is the low line of an account without an auto top-up
// threshold, in its currency.
var DefaultLowLine = decimal.NewFromInt(5)

// CreditLevel is an account's level as last measured.
type CreditLevel struct {
	Account   string
	Level     string
	Available decimal.Decimal
	Line      decimal.Decimal
	Currency  string
	At        time.Time
}

// exhaustedBelow is where credit counts as spent: less than a cent pays
// for no call's first second nor any text (a call ended by its credit
// leaves a fraction of one).
var exhaustedBelow = decimal.New(1, -2)

// levelOf places available against line.
func levelOf(available, line decimal.Decimal) string {
	switch {
	case available.LessThan(exhaustedBelow):
		return LevelExhausted
	case available.LessThan(line):
		return LevelLow
	}
	return LevelOK
}

// checkLevel measures the account's credit level after a debit or a
// credit, in the background (never in the caller's way), one measurement
// at a time per account: a debit during one has it measure again. The
// store hears of a level only when it differs from the last one heard.
func (e *Engine) checkLevel(c Customer) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	if _, running := e.measuring[c.ID]; running {
		e.measuring[c.ID] = true // again, once this one is done
		e.mu.Unlock()
		return
	}
	e.measuring[c.ID] = false
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		for range 100 { // (bounded: a debit storm is measured at its end)
			e.measureLevel(c)
			e.mu.Lock()
			if !e.measuring[c.ID] {
				delete(e.measuring, c.ID)
				e.mu.Unlock()
				return
			}
			e.measuring[c.ID] = false
			e.mu.Unlock()
		}
		e.mu.Lock()
		delete(e.measuring, c.ID)
		e.mu.Unlock()
	}()
}

func (e *Engine) measureLevel(c Customer) {
	ctx := context.Background()
	s, err := e.store.AutoTopUp(ctx, c.ID)
	if err != nil {
		e.log.Error("billing: reading auto top-up settings", "account", c.ID, "err", err)
		return
	}
	line := DefaultLowLine
	if s.Threshold.IsPositive() {
		line = s.Threshold
	}
	b, err := e.store.Balance(ctx, ledger.Customer(c.ID))
	if err != nil {
		e.log.Error("billing: reading a balance", "account", c.ID, "err", err)
		return
	}
	l := CreditLevel{Account: c.ID, Level: levelOf(b.Available(), line), Available: b.Available(), Line: line, Currency: c.Currency, At: e.now()}
	e.mu.Lock()
	same := e.levels[c.ID] == l.Level
	e.mu.Unlock()
	if same {
		return
	}
	if err := e.store.NoteCreditLevel(ctx, l); err != nil {
		e.log.Error("billing: noting a credit level", "account", c.ID, "err", err)
		return
	}
	e.mu.Lock()
	e.levels[c.ID] = l.Level
	e.mu.Unlock()
}
