package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/rating"
)

// AddSeat adds a user to an account. A seat added mid-cycle brings its
// plan's allowance prorated to the time left in the cycle.
func (e *Engine) AddSeat(ctx context.Context, account, user string) error {
	if user == "" || len(user) > 200 {
		return invalid("a seat needs a user of 1 to 200 characters")
	}
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return err
	}
	now := e.now()
	e.subMu.Lock()
	defer e.subMu.Unlock()
	if err := e.store.AddSeat(ctx, account, user, now); err != nil {
		return err
	}
	if !c.Verified.IsZero() {
		// The billing day's charge counts the seat if it is made now;
		// otherwise the seat is charged for the rest of the cycle.
		if _, fresh, err := e.cycleCharge(ctx, c, now); err != nil {
			return err
		} else if fresh {
			if err := e.collect(ctx, account, true); err != nil {
				return err
			}
		} else if err := e.seatCharge(ctx, c, user, now); err != nil {
			return err
		}
	}
	// If this cycle's bundle exists, grant the new seat's share now; if
	// not, ensureBundle will include it.
	cycle := CycleAt(c.CycleAnchor, now)
	e.mu.Lock()
	delete(e.bundles, account+"/"+cycle.ID)
	e.mu.Unlock()
	_, err = e.ensureBundle(ctx, c, cycle)
	return err
}

// RemoveSeat removes a user; the allowance already granted this cycle stays.
func (e *Engine) RemoveSeat(ctx context.Context, account, user string) error {
	return e.store.RemoveSeat(ctx, account, user, e.now())
}

// ensureBundle creates the cycle's bundle accounts and posts each seat's
// grant, once: grants are keyed by account, cycle, pool and user.
func (e *Engine) ensureBundle(ctx context.Context, c Customer, cycle Cycle) (Plan, error) {
	plan, ok := e.plans[planFor(c, cycle)]
	if !ok {
		return plan, fmt.Errorf("billing: account %s is on unknown plan %q", c.ID, planFor(c, cycle))
	}
	key := c.ID + "/" + cycle.ID
	e.mu.Lock()
	done := e.bundles[key]
	e.mu.Unlock()
	if done {
		return plan, nil
	}
	seats, err := e.store.Seats(ctx, c.ID)
	if err != nil {
		return plan, err
	}
	var accounts []ledger.Account
	var grants []ledger.Transfer
	for pool, per := range plan.PerSeat {
		unit := ledger.Unit(pool)
		bundle := ledger.Bundle(c.ID, cycle.ID, string(pool))
		accounts = append(accounts,
			ledger.Account{ID: bundle, Unit: unit, Floor: true},
			ledger.Account{ID: ledger.BundleGrants(string(pool)), Unit: unit},
			ledger.Account{ID: ledger.BundleUsed(string(pool)), Unit: unit})
		for _, s := range seats {
			if !s.Removed.IsZero() && !s.Removed.After(cycle.Start) {
				continue
			}
			amount := prorate(per, cycle, s.Added)
			if amount <= 0 {
				continue
			}
			grants = append(grants, ledger.Transfer{
				ID:   fmt.Sprintf("grant:%s:%s:%s:%s", c.ID, cycle.ID, pool, s.User),
				From: ledger.BundleGrants(string(pool)), To: bundle, Amount: decimal.NewFromInt(amount),
				Unit: unit, Code: "grant", Ref: s.User,
			})
		}
	}
	if err := e.store.EnsureAccounts(ctx, accounts...); err != nil {
		return plan, err
	}
	for _, g := range grants {
		// One by one: a grant replayed with a different amount (a seat
		// re-added later) keeps the first grant.
		if err := e.store.Post(ctx, g); err != nil && !errors.Is(err, ledger.ErrConflict) {
			return plan, err
		}
	}
	e.mu.Lock()
	e.bundles[key] = true
	e.mu.Unlock()
	return plan, nil
}

// PoolState is one pool of a bundle in the current cycle.
type PoolState struct {
	Allowance int64 // granted this cycle
	Used      int64
	Reserved  int64 // held by calls in progress
	Left      int64 // still available
}

// BundleState is an account's bundle in the current cycle.
type BundleState struct {
	Plan  string
	Cycle Cycle
	Pools map[rating.Pool]PoolState
}

// Bundle reads the current cycle's bundle.
func (e *Engine) Bundle(ctx context.Context, account string) (BundleState, error) {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return BundleState{}, err
	}
	cycle := CycleAt(c.CycleAnchor, e.now())
	plan, err := e.ensureBundle(ctx, c, cycle)
	if err != nil {
		return BundleState{}, err
	}
	st := BundleState{Plan: plan.ID, Cycle: cycle, Pools: map[rating.Pool]PoolState{}}
	for pool := range plan.PerSeat {
		id := ledger.Bundle(account, cycle.ID, string(pool))
		b, err := e.store.Balance(ctx, id)
		if err != nil {
			return st, err
		}
		ts, err := e.store.Transfers(ctx, ledger.Filter{Account: id, Codes: []string{"grant"}})
		if err != nil {
			return st, err
		}
		var granted int64
		for _, t := range ts {
			granted += t.Amount.IntPart()
		}
		st.Pools[pool] = PoolState{Allowance: granted, Used: granted - b.Posted.IntPart(),
			Reserved: b.Reserved.IntPart(), Left: b.Available().IntPart()}
	}
	return st, nil
}

// bundleLeft returns the pool's available units this cycle and its account;
// zero when the plan has no such pool.
func (e *Engine) bundleLeft(ctx context.Context, c Customer, pool rating.Pool, at time.Time) (int64, ledger.AccountID, error) {
	if pool == rating.PoolNone {
		return 0, "", nil
	}
	cycle := CycleAt(c.CycleAnchor, at)
	plan, err := e.ensureBundle(ctx, c, cycle)
	if err != nil {
		return 0, "", err
	}
	if _, ok := plan.PerSeat[pool]; !ok {
		return 0, "", nil
	}
	id := ledger.Bundle(c.ID, cycle.ID, string(pool))
	b, err := e.store.Balance(ctx, id)
	if err != nil {
		return 0, "", err
	}
	return b.Available().IntPart(), id, nil
}
