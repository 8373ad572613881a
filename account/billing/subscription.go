package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/payment"
)

// Subscriptions. A verified account pays for its seats on each billing
// day (every seat active then, the whole cycle, at its plan's price), for
// a seat added mid-cycle (prorated by whole days left, counting the day it
// is added), and for an upgrade mid-cycle (the price difference, prorated
// likewise); a downgrade waits for the next billing day. Each is charged
// to the card on file, never to credits, and kept in the ledger apart
// from them (payment clearing to subscription revenue). A charge that
// fails is tried again every RetryEvery and the owner is warned each time;
// one still unpaid after the grace period suspends the account (its
// credit untouched) until it is paid.

// SubscriptionUnpaid begins the reason of a suspension for an unpaid
// subscription: paying lifts it; other suspensions (an operator's) stay.
const SubscriptionUnpaid = "the subscription is unpaid"

// SubscriptionRevenue is the ledger code of subscription payments.
const SubscriptionRevenue = "subscription"

func subChargeID(account, cycle, kind, ref string) string {
	id := "sub:" + account + ":" + cycle + ":" + kind
	if ref != "" {
		id += ":" + ref
	}
	return id
}

// planFor is the plan an account is on in cycle: the downgrade it asked
// for, from the billing day it takes effect.
func planFor(c Customer, cycle Cycle) string {
	if c.NextPlan != "" && !cycle.Start.Before(c.NextPlanAt) {
		return c.NextPlan
	}
	return c.Plan
}

// activeSeats counts the seats not removed.
func (e *Engine) activeSeats(ctx context.Context, account string) (int, error) {
	seats, err := e.store.Seats(ctx, account)
	n := 0
	for _, s := range seats {
		if s.Removed.IsZero() {
			n++
		}
	}
	return n, err
}

// prorated is full's share for the days left in cycle from at, counting
// the day it is, rounded half-up to the cent.
func prorated(full decimal.Decimal, c Cycle, at time.Time) decimal.Decimal {
	if !at.After(c.Start) {
		return full
	}
	const day = 24 * time.Hour
	left := int64((c.End.Sub(at) + day - 1) / day)
	total := int64((c.End.Sub(c.Start) + day - 1) / day)
	return full.Mul(decimal.NewFromInt(min(left, total))).Div(decimal.NewFromInt(total)).Round(2)
}

// cycleCharge makes sure the account's current cycle has its charge
// (every active seat at the plan's price), moving a pending downgrade in
// on the billing day; it reports whether it made it now.
func (e *Engine) cycleCharge(ctx context.Context, c Customer, now time.Time) (SubCharge, bool, error) {
	cycle := CycleAt(c.CycleAnchor, now)
	key := c.ID + "/" + cycle.ID
	e.mu.Lock()
	done := e.charged[key]
	e.mu.Unlock()
	if done {
		return SubCharge{}, false, nil
	}
	planID := planFor(c, cycle)
	if planID != c.Plan {
		if err := e.store.SetPlan(ctx, c.ID, planID, "", time.Time{}); err != nil {
			return SubCharge{}, false, err
		}
	}
	plan, ok := e.plans[planID]
	if !ok {
		return SubCharge{}, false, fmt.Errorf("billing: account %s is on unknown plan %q", c.ID, planID)
	}
	// Every active seat, each for its part of the cycle (the whole of it
	// on a billing day; in the first cycle, from when it was added).
	all, err := e.store.Seats(ctx, c.ID)
	if err != nil {
		return SubCharge{}, false, err
	}
	seats, amount := 0, decimal.Zero
	for _, s := range all {
		if s.Removed.IsZero() {
			seats++
			amount = amount.Add(prorated(plan.Price, cycle, s.Added))
		}
	}
	if seats == 0 {
		return SubCharge{}, false, nil // nobody yet (an Owner invited): nothing to charge
	}
	cur := ledger.Unit(c.Currency)
	if err := e.store.EnsureAccounts(ctx, ledger.Account{ID: ledger.Revenue(SubscriptionRevenue, cur), Unit: cur},
		ledger.Account{ID: ledger.PaymentClearing(cur), Unit: cur}); err != nil {
		return SubCharge{}, false, err
	}
	sc, fresh, err := e.store.AddSubCharge(ctx, SubCharge{ID: subChargeID(c.ID, cycle.ID, ChargeCycle, ""), Account: c.ID, Cycle: cycle.ID,
		Kind: ChargeCycle, Plan: planID, Seats: seats, Amount: amount, Currency: c.Currency,
		NextTry: now, Created: now})
	if err != nil {
		return sc, false, err
	}
	e.mu.Lock()
	e.charged[key] = true
	e.mu.Unlock()
	return sc, fresh, nil
}

// Renew runs the subscriptions: each verified account's billing-day
// charge, the charges due tried again, overdue accounts suspended and
// paid-up ones reinstated. The sweep calls it.
func (e *Engine) Renew(ctx context.Context) error {
	now := e.now()
	cs, err := e.store.Customers(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Verified.IsZero() {
			continue
		}
		e.subMu.Lock()
		_, _, err := e.cycleCharge(ctx, c, now)
		e.subMu.Unlock()
		if err != nil {
			e.log.Error("billing: a billing-day charge", "account", c.ID, "err", err)
		}
	}
	return e.collect(ctx, "", false)
}

// collect tries the account's ("" for all) unpaid charges whose time has
// come (all of them, now), then suspends those past the grace period and
// reinstates those suspended for it that owe nothing overdue any more.
func (e *Engine) collect(ctx context.Context, account string, now bool) error {
	unpaid, err := e.store.UnpaidSubCharges(ctx, account)
	if err != nil {
		return err
	}
	at := e.now()
	overdue := map[string]SubCharge{}
	for _, sc := range unpaid {
		if now || !sc.NextTry.After(at) {
			if sc, err = e.tryCharge(ctx, sc); err != nil {
				e.log.Error("billing: a subscription charge", "charge", sc.ID, "err", err)
			}
			if sc.Status == ChargePaid {
				continue
			}
		}
		if !at.Before(sc.Created.Add(e.subGrace)) {
			if _, seen := overdue[sc.Account]; !seen {
				overdue[sc.Account] = sc
			}
		}
	}
	var cs []Customer
	if account == "" {
		if cs, err = e.store.Customers(ctx); err != nil {
			return err
		}
	} else {
		c, err := e.store.Customer(ctx, account)
		if err != nil {
			return err
		}
		cs = []Customer{c}
	}
	for _, c := range cs {
		id := c.ID
		sc, late := overdue[id]
		switch {
		case late && c.Suspended == "":
			why := fmt.Sprintf("%s (%s due since %s: %s)", SubscriptionUnpaid, money.Display(sc.Amount, sc.Currency),
				sc.Created.Format("2 January 2006"), sc.Failure)
			if err := e.store.SetSuspended(ctx, id, why, at); err != nil {
				return err
			}
			e.notify(ctx, id, "suspended", "The account is suspended: "+why+". Calls and texts are off; your credit is kept. "+
				"Update the card on file and the charge is taken again at once.")
		case !late && strings.HasPrefix(c.Suspended, SubscriptionUnpaid):
			if err := e.store.SetSuspended(ctx, id, "", at); err != nil {
				return err
			}
			e.notify(ctx, id, "reinstated", "The subscription is paid: calls and texts are back on.")
		}
	}
	return nil
}

// tryCharge charges one subscription charge to the card on file and
// records the outcome; a failure warns the owner and sets the next try.
func (e *Engine) tryCharge(ctx context.Context, sc SubCharge) (SubCharge, error) {
	now := e.now()
	o := ChargeOutcome{NextTry: now.Add(e.subRetry)}
	card, ok, err := e.store.Card(ctx, sc.Account)
	switch {
	case err != nil:
		return sc, err
	case !ok:
		o.Failure = "there is no card on file"
	default:
		cur := ledger.Unit(sc.Currency)
		p, err := e.processor.Charge(ctx, payment.ChargeRequest{IdempotencyKey: fmt.Sprintf("%s:%d", sc.ID, sc.Attempts), Customer: sc.Account,
			Card: card.ID, Amount: sc.Amount, Currency: sc.Currency, Description: chargeText(sc)})
		var decline *payment.DeclineError
		switch {
		case err == nil && p.Status == payment.Succeeded:
			if !p.Amount.Equal(sc.Amount) || p.Currency != sc.Currency {
				return sc, fmt.Errorf("billing: processor charged %s %s for a %s %s subscription charge", p.Amount, p.Currency, sc.Amount, sc.Currency)
			}
			o = ChargeOutcome{Paid: true, PaymentID: p.ID, Revenue: ledger.Transfer{ID: "subpay:" + p.ID, From: ledger.PaymentClearing(cur),
				To: ledger.Revenue(SubscriptionRevenue, cur), Amount: p.Amount, Unit: cur, Code: SubscriptionRevenue, Ref: sc.ID, Memo: chargeText(sc)}}
		case errors.As(err, &decline):
			o.Failure, o.Counted = decline.Message, true
		case errors.Is(err, payment.ErrUnknownOutcome):
			// The same key next time learns what happened.
			o.Failure, o.NextTry = "the card processor did not answer", now.Add(min(e.subRetry, 5*time.Minute))
		default:
			o.Failure, o.Counted = err.Error(), true
		}
	}
	failedBefore := sc.Failure != ""
	sc, err = e.store.FinishSubCharge(ctx, sc.ID, o)
	if err != nil {
		return sc, err
	}
	if sc.Status == ChargePaid {
		if failedBefore { // the warnings before it are answered
			e.notify(ctx, sc.Account, "subscription-paid", fmt.Sprintf("The subscription charge of %s (%s) is paid.",
				money.Display(sc.Amount, sc.Currency), chargeText(sc)))
		}
		return sc, nil
	}
	deadline := sc.Created.Add(e.subGrace)
	e.notify(ctx, sc.Account, "subscription-failed", fmt.Sprintf("We could not take the subscription charge of %s (%s): %s. "+
		"We will try again on %s; unless it is paid by %s, the account will be suspended (your credit is kept). Update the card on file to pay now.",
		money.Display(sc.Amount, sc.Currency), chargeText(sc), sc.Failure, sc.NextTry.Format("2 January 2006 15:04 MST"), deadline.Format("2 January 2006")))
	return sc, nil
}

// ChargeText says what a subscription charge is for.
func ChargeText(sc SubCharge) string { return chargeText(sc) }

func chargeText(sc SubCharge) string {
	switch sc.Kind {
	case ChargeSeat:
		return fmt.Sprintf("Tether %s plan: seat for %s from today to the billing day", sc.Plan, sc.Ref)
	case ChargeUpgrade:
		return fmt.Sprintf("Tether: upgrade to the %s plan for %s until the billing day", sc.Plan, Seats(sc.Seats))
	}
	return fmt.Sprintf("Tether %s plan: %s, cycle from %s", sc.Plan, Seats(sc.Seats), sc.Cycle)
}

// Seats says how many seats: "1 seat", "3 seats".
func Seats(n int) string {
	if n == 1 {
		return "1 seat"
	}
	return fmt.Sprintf("%d seats", n)
}

// notify leaves a message for the account's owner and hands it to the
// Notify hook (which emails it).
func (e *Engine) notify(ctx context.Context, account, kind, message string) {
	if err := e.store.Notify(ctx, account, kind, message); err != nil {
		e.log.Error("billing: a notification", "account", account, "err", err)
	}
	if e.onNotify != nil {
		e.onNotify(context.WithoutCancel(ctx), account, kind, message)
	}
}

// seatCharge charges a seat added mid-cycle, prorated, and tries it now.
func (e *Engine) seatCharge(ctx context.Context, c Customer, user string, now time.Time) error {
	cycle := CycleAt(c.CycleAnchor, now)
	plan := e.plans[planFor(c, cycle)]
	amount := prorated(plan.Price, cycle, now)
	if !amount.IsPositive() {
		return nil
	}
	sc, fresh, err := e.store.AddSubCharge(ctx, SubCharge{ID: subChargeID(c.ID, cycle.ID, ChargeSeat, user), Account: c.ID, Cycle: cycle.ID,
		Kind: ChargeSeat, Ref: user, Plan: plan.ID, Seats: 1, Amount: amount, Currency: c.Currency, NextTry: now, Created: now})
	if err != nil || !fresh {
		return err
	}
	_, err = e.tryCharge(ctx, sc)
	return err
}

// ActiveSeats counts the account's seats (removed ones count to the end
// of the cycle they were removed in, but not here).
func (e *Engine) ActiveSeats(ctx context.Context, account string) (int, error) {
	return e.activeSeats(ctx, account)
}

// SubscriptionGrace is how long a subscription charge may stay unpaid
// before the account is suspended.
func (e *Engine) SubscriptionGrace() time.Duration { return e.subGrace }

// SubCharges lists an account's subscription charges, newest first.
func (e *Engine) SubCharges(ctx context.Context, account string, limit int) ([]SubCharge, error) {
	return e.store.SubCharges(ctx, account, limit)
}

// ChangePlan moves the account to another plan: up at once (the price
// difference for every active seat charged, prorated to the billing day,
// and each seat's bundle topped up likewise), down on the next billing
// day. Asking for the current plan cancels a pending downgrade.
func (e *Engine) ChangePlan(ctx context.Context, account, planID string) (Customer, error) {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return c, err
	}
	to, ok := e.plans[planID]
	if !ok {
		return c, invalid("no plan %q", planID)
	}
	now := e.now()
	from := e.plans[c.Plan]
	cycle := CycleAt(c.CycleAnchor, now)
	switch {
	case planID == c.Plan:
		err = e.store.SetPlan(ctx, account, c.Plan, "", time.Time{})
	case to.Price.LessThan(from.Price):
		err = e.store.SetPlan(ctx, account, c.Plan, planID, cycle.End)
	default:
		if err := verified(c); err != nil {
			return c, err
		}
		e.subMu.Lock()
		_, _, err := e.cycleCharge(ctx, c, now)
		e.subMu.Unlock()
		if err != nil {
			return c, err
		}
		if err := e.store.SetPlan(ctx, account, planID, "", time.Time{}); err != nil {
			return c, err
		}
		if err := e.upgradeBundle(ctx, c, from, to, cycle); err != nil {
			return c, err
		}
		seats, err := e.activeSeats(ctx, account)
		if err != nil {
			return c, err
		}
		amount := prorated(to.Price.Sub(from.Price).Mul(decimal.NewFromInt(int64(seats))), cycle, now)
		if amount.IsPositive() {
			sc, fresh, err := e.store.AddSubCharge(ctx, SubCharge{ID: subChargeID(account, cycle.ID, ChargeUpgrade, planID), Account: account,
				Cycle: cycle.ID, Kind: ChargeUpgrade, Ref: planID, Plan: planID, Seats: seats, Amount: amount, Currency: c.Currency, NextTry: now, Created: now})
			if err != nil {
				return c, err
			}
			if fresh {
				if _, err := e.tryCharge(ctx, sc); err != nil {
					return c, err
				}
			}
		}
	}
	if err != nil {
		return c, err
	}
	return e.store.Customer(ctx, account)
}

// upgradeBundle grants each active seat the difference between two plans'
// allowances for the rest of the cycle.
func (e *Engine) upgradeBundle(ctx context.Context, c Customer, from, to Plan, cycle Cycle) error {
	if _, err := e.ensureBundle(ctx, c, cycle); err != nil {
		return err
	}
	seats, err := e.store.Seats(ctx, c.ID)
	if err != nil {
		return err
	}
	now := e.now()
	var accounts []ledger.Account
	var grants []ledger.Transfer
	for pool, per := range to.PerSeat {
		extra := per - from.PerSeat[pool]
		if extra <= 0 {
			continue
		}
		unit := ledger.Unit(pool)
		bundle := ledger.Bundle(c.ID, cycle.ID, string(pool))
		accounts = append(accounts, ledger.Account{ID: bundle, Unit: unit, Floor: true},
			ledger.Account{ID: ledger.BundleGrants(string(pool)), Unit: unit}, ledger.Account{ID: ledger.BundleUsed(string(pool)), Unit: unit})
		for _, s := range seats {
			if !s.Removed.IsZero() {
				continue
			}
			if amount := prorate(extra, cycle, now); amount > 0 {
				grants = append(grants, ledger.Transfer{ID: fmt.Sprintf("grant:%s:%s:%s:%s:%s", c.ID, cycle.ID, pool, s.User, to.ID),
					From: ledger.BundleGrants(string(pool)), To: bundle, Amount: decimal.NewFromInt(amount), Unit: unit, Code: "grant", Ref: s.User})
			}
		}
	}
	if err := e.store.EnsureAccounts(ctx, accounts...); err != nil {
		return err
	}
	for _, g := range grants {
		if err := e.store.Post(ctx, g); err != nil && !errors.Is(err, ledger.ErrConflict) {
			return err
		}
	}
	return nil
}
