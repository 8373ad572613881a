package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tetherphone/tether/account/hooks"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/team"
)

var _ billing.Store = (*DB)(nil)

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// CreateCustomer implements billing.Store.
func (db *DB) CreateCustomer(ctx context.Context, c billing.Customer) (bool, error) {
	var created bool
	err := db.w.do(ctx, func(tx *wtx) error {
		res, err := tx.exec(`INSERT INTO customers (id, currency, region, plan, cycle_anchor, created_at, name, zone, caller_id, verified_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			c.ID, c.Currency, cmp.Or(c.Region, rating.DefaultRegion), c.Plan, nanos(c.CycleAnchor), nanos(c.Created),
			c.Name, cmp.Or(c.Zone, "UTC"), c.CallerID, nanos(c.Verified))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		created = n == 1
		return err
	})
	return created, err
}

const customerCols = `id, currency, region, plan, cycle_anchor, created_at, name, zone, caller_id, suspended, suspended_at, verified_at, next_plan, next_plan_at`

func scanCustomer(row scanner) (billing.Customer, error) {
	var c billing.Customer
	var anchor, created, suspended, verified, nextAt int64
	err := row.Scan(&c.ID, &c.Currency, &c.Region, &c.Plan, &anchor, &created, &c.Name, &c.Zone, &c.CallerID, &c.Suspended, &suspended, &verified, &c.NextPlan, &nextAt)
	c.NextPlanAt = fromNanos(nextAt)
	c.CycleAnchor, c.Created, c.SuspendedAt, c.Verified = fromNanos(anchor), fromNanos(created), fromNanos(suspended), fromNanos(verified)
	return c, err
}

// Customer implements billing.Store.
func (db *DB) Customer(ctx context.Context, id string) (billing.Customer, error) {
	c, err := scanCustomer(db.read.QueryRowContext(ctx, `SELECT `+customerCols+` FROM customers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: %s", billing.ErrUnknownAccount, id)
	}
	return c, err
}

// Customers implements billing.Store.
func (db *DB) Customers(ctx context.Context) ([]billing.Customer, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+customerCols+` FROM customers ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []billing.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// updateCustomer runs one UPDATE of an account's row: ErrUnknownAccount
// when there is none.
func (db *DB) updateCustomer(ctx context.Context, id, set string, args ...any) error {
	return db.w.do(ctx, func(tx *wtx) error {
		res, err := tx.exec(`UPDATE customers SET `+set+` WHERE id = ?`, append(args, id)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return clean(cmp.Or(err, fmt.Errorf("%w: %s", billing.ErrUnknownAccount, id)))
		}
		return nil
	})
}

// SetProfile implements billing.Store.
func (db *DB) SetProfile(ctx context.Context, id string, p billing.Profile) error {
	return db.updateCustomer(ctx, id, `name = ?, region = ?, zone = ?, caller_id = ?`, p.Name, p.Region, p.Zone, p.CallerID)
}

// SetSuspended implements billing.Store.
func (db *DB) SetSuspended(ctx context.Context, id, reason string, at time.Time) error {
	if reason == "" {
		at = time.Time{}
	}
	return db.updateCustomer(ctx, id, `suspended = ?, suspended_at = ?`, reason, nanos(at))
}

// SetPlan implements billing.Store.
func (db *DB) SetPlan(ctx context.Context, id, plan, next string, at time.Time) error {
	if next == "" {
		at = time.Time{}
	}
	return db.updateCustomer(ctx, id, `plan = ?, next_plan = ?, next_plan_at = ?`, plan, next, nanos(at))
}

// SetVerified implements billing.Store.
func (db *DB) SetVerified(ctx context.Context, id string, at time.Time) error {
	return db.updateCustomer(ctx, id, `verified_at = ?`, nanos(at))
}

// AddSeat implements billing.Store. Adding an active seat again is a no-op;
// adding a removed one brings it back from at.
func (db *DB) AddSeat(ctx context.Context, account, user string, at time.Time) error {
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO seats (account, user, added_at) VALUES (?, ?, ?)
			ON CONFLICT (account, user) DO UPDATE SET added_at = excluded.added_at, removed_at = NULL
			WHERE removed_at IS NOT NULL`, account, user, nanos(at))
		if err != nil {
			return fmt.Errorf("%w: %v", billing.ErrUnknownAccount, err)
		}
		return nil
	})
}

// RemoveSeat implements billing.Store.
func (db *DB) RemoveSeat(ctx context.Context, account, user string, at time.Time) error {
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`UPDATE seats SET removed_at = ? WHERE account = ? AND user = ? AND removed_at IS NULL`,
			nanos(at), account, user)
		return err
	})
}

// Seats implements billing.Store.
func (db *DB) Seats(ctx context.Context, account string) ([]billing.Seat, error) {
	return queryAll(ctx, db.read, func(rows scanner) (billing.Seat, error) {
		var s billing.Seat
		var added, removed int64
		if err := rows.Scan(&s.User, &added, &removed); err != nil {
			return s, err
		}
		s.Added, s.Removed = fromNanos(added), fromNanos(removed)
		return s, nil
	}, `SELECT user, added_at, COALESCE(removed_at, 0) FROM seats WHERE account = ? ORDER BY added_at, user`, account)
}

// SetCard implements billing.Store.
func (db *DB) SetCard(ctx context.Context, account string, c billing.SavedCard) error {
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO cards (account, id, brand, last4, exp_month, exp_year) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account) DO UPDATE SET id = excluded.id, brand = excluded.brand, last4 = excluded.last4,
			exp_month = excluded.exp_month, exp_year = excluded.exp_year`,
			account, c.ID, c.Brand, c.Last4, c.ExpMonth, c.ExpYear)
		return err
	})
}

// Card implements billing.Store.
func (db *DB) Card(ctx context.Context, account string) (billing.SavedCard, bool, error) {
	var c billing.SavedCard
	err := db.read.QueryRowContext(ctx, `SELECT id, brand, last4, exp_month, exp_year FROM cards WHERE account = ?`, account).
		Scan(&c.ID, &c.Brand, &c.Last4, &c.ExpMonth, &c.ExpYear)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	return c, err == nil, err
}

// AutoTopUp implements billing.Store. An account that never set it up has
// it off.
func (db *DB) AutoTopUp(ctx context.Context, account string) (billing.AutoTopUp, error) {
	var s billing.AutoTopUp
	var threshold, amount, monthly int64
	var inFlight sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT enabled, threshold, amount, daily_count, monthly_cap, failures, in_flight, disabled
		FROM auto_topup WHERE account = ?`, account).
		Scan(&s.Enabled, &threshold, &amount, &s.DailyCount, &monthly, &s.Failures, &inFlight, &s.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return billing.AutoTopUp{Threshold: decimal.Zero, Amount: decimal.Zero, MonthlyCap: decimal.Zero}, nil
	}
	s.Threshold, s.Amount, s.MonthlyCap = money.FromUnits(threshold), money.FromUnits(amount), money.FromUnits(monthly)
	s.InFlight = inFlight.String
	return s, err
}

// SetAutoTopUp implements billing.Store.
func (db *DB) SetAutoTopUp(ctx context.Context, account string, s billing.AutoTopUp) error {
	threshold, err1 := money.ToUnits(s.Threshold)
	amount, err2 := money.ToUnits(s.Amount)
	monthly, err3 := money.ToUnits(s.MonthlyCap)
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO auto_topup (account, enabled, threshold, amount, daily_count, monthly_cap)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account) DO UPDATE SET enabled = excluded.enabled, threshold = excluded.threshold,
				amount = excluded.amount, daily_count = excluded.daily_count, monthly_cap = excluded.monthly_cap,
				failures = CASE WHEN excluded.enabled = 1 THEN 0 ELSE failures END,
				disabled = CASE WHEN excluded.enabled = 1 THEN '' ELSE disabled END`,
			account, s.Enabled, threshold, amount, s.DailyCount, monthly)
		if err != nil {
			return fmt.Errorf("%w: %v", billing.ErrUnknownAccount, err)
		}
		return nil
	})
}

// BeginAuto implements billing.Store.
func (db *DB) BeginAuto(ctx context.Context, a billing.Attempt, caps billing.Caps) error {
	amount, err := money.ToUnits(a.Amount)
	if err != nil {
		return err
	}
	threshold, err := money.ToUnits(caps.Threshold)
	if err != nil {
		return err
	}
	monthlyCap, err := money.ToUnits(caps.MonthlyCap)
	if err != nil {
		return err
	}
	skip := func(format string, args ...any) error {
		return clean(fmt.Errorf("%w: %s", billing.ErrTopUpSkipped, fmt.Sprintf(format, args...)))
	}
	return db.w.do(ctx, func(tx *wtx) error {
		var enabled bool
		var inFlight sql.NullString
		err := tx.queryRow(`SELECT enabled, in_flight FROM auto_topup WHERE account = ?`, a.Account).Scan(&enabled, &inFlight)
		switch {
		case errors.Is(err, sql.ErrNoRows) || err == nil && !enabled:
			return skip("auto top-up is off")
		case err != nil:
			return err
		case inFlight.Valid:
			return skip("top-up %s is in flight", inFlight.String)
		}
		// Decide on the balance as of this transaction, not as of whoever
		// noticed it was low: a top-up that just landed makes this one moot.
		acct, err := readAccount(tx, ledger.Customer(a.Account))
		if err != nil {
			return err
		}
		if acct.posted-acct.reserved >= threshold {
			return skip("available credit is not below the threshold")
		}
		var count, sum int64
		if err := tx.queryRow(`SELECT COUNT(*) FROM topup_attempts WHERE account = ? AND kind = 'auto' AND created_at >= ?`,
			a.Account, nanos(caps.DaySince)).Scan(&count); err != nil {
			return err
		}
		if count >= int64(caps.DailyCount) {
			return skip("the daily limit of %d automatic top-ups is reached", caps.DailyCount)
		}
		if err := tx.queryRow(`SELECT COALESCE(SUM(amount), 0) FROM topup_attempts
			WHERE account = ? AND kind = 'auto' AND status <> 'failed' AND created_at >= ?`,
			a.Account, nanos(caps.MonthSince)).Scan(&sum); err != nil {
			return err
		}
		if sum+amount > monthlyCap {
			return skip("the monthly cap of %s would be exceeded", money.FromUnits(monthlyCap))
		}
		if err := insertAttempt(tx, a, amount); err != nil {
			return err
		}
		_, err = tx.exec(`UPDATE auto_topup SET in_flight = ? WHERE account = ?`, a.ID, a.Account)
		return err
	})
}

func insertAttempt(tx *wtx, a billing.Attempt, amount int64) error {
	_, err := tx.exec(`INSERT INTO topup_attempts (id, account, kind, key, amount, currency, card, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
		a.ID, a.Account, a.Kind, a.Key, amount, a.Currency, a.Card, nanos(a.Created), nanos(a.Created))
	return err
}

// BeginManual implements billing.Store.
func (db *DB) BeginManual(ctx context.Context, a billing.Attempt) (billing.Attempt, bool, error) {
	amount, err := money.ToUnits(a.Amount)
	if err != nil {
		return billing.Attempt{}, false, err
	}
	var existing billing.Attempt
	var fresh bool
	err = db.w.do(ctx, func(tx *wtx) error {
		e, err := scanAttempt(tx.queryRow(`SELECT `+attemptCols+` FROM topup_attempts WHERE key = ?`, a.Key))
		if err == nil {
			existing = e
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		fresh = true
		if err := insertAttempt(tx, a, amount); err != nil {
			return err
		}
		return auditOutcome(ctx, tx, "requested")
	})
	if err != nil {
		return billing.Attempt{}, false, err
	}
	if fresh {
		a.Status = billing.Pending
		return a, true, nil
	}
	return existing, false, nil
}

const attemptCols = `id, account, kind, key, amount, currency, card, status, payment_id, failure, created_at, updated_at`

func scanAttempt(s scanner) (billing.Attempt, error) {
	var a billing.Attempt
	var amount, created, updated int64
	err := s.Scan(&a.ID, &a.Account, &a.Kind, &a.Key, &amount, &a.Currency, &a.Card, &a.Status, &a.PaymentID, &a.Failure, &created, &updated)
	a.Amount, a.Created, a.Updated = money.FromUnits(amount), fromNanos(created), fromNanos(updated)
	return a, err
}

// Finish implements billing.Store.
func (db *DB) Finish(ctx context.Context, id string, o billing.Outcome) (billing.Attempt, error) {
	now := db.now()
	var out billing.Attempt
	err := db.w.do(ctx, func(tx *wtx) error {
		a, err := scanAttempt(tx.queryRow(`SELECT `+attemptCols+` FROM topup_attempts WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return clean(fmt.Errorf("%w: top-up attempt %s", billing.ErrInvalid, id))
		} else if err != nil {
			return err
		}
		if a.Status != billing.Pending {
			if a.Status == o.Status && a.PaymentID == o.PaymentID {
				out = a
				return nil // replayed
			}
			return clean(fmt.Errorf("%w: top-up %s already %s", ledger.ErrConflict, id, a.Status))
		}
		if o.Status == billing.Succeeded {
			if err := post(tx, now, []ledger.Transfer{o.Credit}); err != nil {
				return err
			}
			if err := emit(tx, a.Account, hooks.CreditsToppedUp, now, map[string]any{"id": a.ID, "kind": string(a.Kind),
				"amount": a.Amount.String(), "payment": o.PaymentID}); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`UPDATE topup_attempts SET status = ?, payment_id = ?, failure = ?, updated_at = ? WHERE id = ?`,
			o.Status, o.PaymentID, o.Failure, now.UnixNano(), id); err != nil {
			return mapConstraint(err)
		}
		if a.Kind == billing.Auto {
			if err := finishAuto(tx, now, a, o); err != nil {
				return err
			}
		}
		outcome := string(o.Status)
		if o.Failure != "" {
			outcome += " (" + o.Failure + ")"
		}
		if err := auditOutcome(ctx, tx, outcome); err != nil {
			return err
		}
		a.Status, a.PaymentID, a.Failure, a.Updated = o.Status, o.PaymentID, o.Failure, now
		out = a
		return nil
	})
	return out, err
}

// auditOutcome appends the audit entry the context carries, if any, with
// what happened to it: a payment's audit entry is written with its
// attempt ("requested") and again with its outcome ("succeeded", "failed
// (card declined)"), each in the transaction that records it.
func auditOutcome(ctx context.Context, tx *wtx, outcome string) error {
	e, ok := team.AuditFrom(ctx)
	if !ok {
		return nil
	}
	e.Detail += ": " + outcome
	return insertAudit(tx, e)
}

// finishAuto frees the account's auto top-up slot and keeps the failure
// count, turning auto top-up off when failures reach the limit.
func finishAuto(tx *wtx, now time.Time, a billing.Attempt, o billing.Outcome) error {
	if o.Status == billing.Succeeded {
		_, err := tx.exec(`UPDATE auto_topup SET in_flight = NULL, failures = 0 WHERE account = ? AND in_flight = ?`, a.Account, a.ID)
		return err
	}
	_, err := tx.exec(`UPDATE auto_topup SET in_flight = NULL, failures = failures + 1 WHERE account = ? AND in_flight = ?`, a.Account, a.ID)
	if err != nil {
		return err
	}
	var failures int
	var enabled bool
	if err := tx.queryRow(`SELECT failures, enabled FROM auto_topup WHERE account = ?`, a.Account).Scan(&failures, &enabled); err != nil {
		return err
	}
	if !enabled || o.DisableAfter <= 0 || failures < o.DisableAfter {
		return nil
	}
	why := fmt.Sprintf("Auto top-up was turned off after %d failed payments in a row (last: %s). Update your card and turn it back on.",
		failures, o.Failure)
	if _, err := tx.exec(`UPDATE auto_topup SET enabled = 0, disabled = ? WHERE account = ?`, why, a.Account); err != nil {
		return err
	}
	return notify(tx, now, a.Account, "auto-topup-disabled", why)
}

// Attempt implements billing.Store.
func (db *DB) Attempt(ctx context.Context, id string) (billing.Attempt, error) {
	a, err := scanAttempt(db.read.QueryRowContext(ctx, `SELECT `+attemptCols+` FROM topup_attempts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%w: top-up attempt %s", billing.ErrInvalid, id)
	}
	return a, err
}

// Attempts implements billing.Store.
func (db *DB) Attempts(ctx context.Context, account string, pendingOnly bool, limit int) ([]billing.Attempt, error) {
	q := `SELECT ` + attemptCols + ` FROM topup_attempts WHERE (? = '' OR account = ?) AND (? = 0 OR status = 'pending')
		ORDER BY created_at DESC, id`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	return queryAll(ctx, db.read, scanAttempt, q, account, account, pendingOnly)
}

func notify(tx *wtx, now time.Time, account, kind, message string) error {
	_, err := tx.exec(`INSERT INTO notifications (account, kind, message, created_at) VALUES (?, ?, ?, ?)`,
		account, kind, message, now.UnixNano())
	return err
}

// Notify implements billing.Store.
func (db *DB) Notify(ctx context.Context, account, kind, message string) error {
	now := db.now()
	return db.w.do(ctx, func(tx *wtx) error { return notify(tx, now, account, kind, message) })
}

// Notifications implements billing.Store.
func (db *DB) Notifications(ctx context.Context, account string) ([]billing.Notification, error) {
	return queryAll(ctx, db.read, func(rows scanner) (billing.Notification, error) {
		var n billing.Notification
		var at int64
		if err := rows.Scan(&n.ID, &n.Kind, &n.Message, &at); err != nil {
			return n, err
		}
		n.Created = fromNanos(at)
		return n, nil
	}, `SELECT id, kind, message, created_at FROM notifications WHERE account = ? ORDER BY id`, account)
}
