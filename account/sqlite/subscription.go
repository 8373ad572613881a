package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/money"
)

const subChargeCols = `id, account, cycle, kind, ref, plan, seats, amount, currency, status, attempts, next_try, payment_id, failure, created_at, updated_at, paid_at`

func scanSubCharge(row scanner) (billing.SubCharge, error) {
	var c billing.SubCharge
	var amount, next, created, updated, paid int64
	err := row.Scan(&c.ID, &c.Account, &c.Cycle, &c.Kind, &c.Ref, &c.Plan, &c.Seats, &amount, &c.Currency, &c.Status, &c.Attempts,
		&next, &c.PaymentID, &c.Failure, &created, &updated, &paid)
	c.Amount = money.FromUnits(amount)
	c.NextTry, c.Created, c.Updated, c.Paid = fromNanos(next), fromNanos(created), fromNanos(updated), fromNanos(paid)
	return c, err
}

// AddSubCharge implements billing.Store.
func (db *DB) AddSubCharge(ctx context.Context, c billing.SubCharge) (billing.SubCharge, bool, error) {
	amount, err := money.ToUnits(c.Amount)
	if err != nil || amount < 0 {
		return c, false, fmt.Errorf("%w: a subscription charge of %s", billing.ErrInvalid, c.Amount)
	}
	got, fresh := c, false
	err = db.w.do(ctx, func(tx *wtx) error {
		res, err := tx.exec(`INSERT INTO sub_charges (id, account, cycle, kind, ref, plan, seats, amount, currency, status, next_try, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'due', ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			c.ID, c.Account, c.Cycle, c.Kind, c.Ref, c.Plan, c.Seats, amount, c.Currency, nanos(c.NextTry), nanos(c.Created), nanos(c.Created))
		if err != nil {
			return mapConstraint(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			fresh, got.Status = true, billing.ChargeDue
			return nil
		}
		got, err = scanSubCharge(tx.queryRow(`SELECT `+subChargeCols+` FROM sub_charges WHERE id = ?`, c.ID))
		return err
	})
	return got, fresh, err
}

// FinishSubCharge implements billing.Store.
func (db *DB) FinishSubCharge(ctx context.Context, id string, o billing.ChargeOutcome) (billing.SubCharge, error) {
	now := db.now()
	var out billing.SubCharge
	err := db.w.do(ctx, func(tx *wtx) error {
		c, err := scanSubCharge(tx.queryRow(`SELECT `+subChargeCols+` FROM sub_charges WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return clean(fmt.Errorf("%w: subscription charge %s", billing.ErrInvalid, id))
		} else if err != nil {
			return err
		}
		if c.Status == billing.ChargePaid {
			out = c
			return nil // paid stays paid; a repeated payment's revenue is keyed by its ID
		}
		attempts := c.Attempts
		if o.Counted || o.Paid {
			attempts++
		}
		if o.Paid {
			if err := post(tx, now, []ledger.Transfer{o.Revenue}); err != nil {
				return err
			}
			_, err = tx.exec(`UPDATE sub_charges SET status = 'paid', attempts = ?, payment_id = ?, failure = '', updated_at = ?, paid_at = ? WHERE id = ?`,
				attempts, o.PaymentID, now.UnixNano(), now.UnixNano(), id)
			c.Status, c.PaymentID, c.Failure, c.Paid = billing.ChargePaid, o.PaymentID, "", now
		} else {
			_, err = tx.exec(`UPDATE sub_charges SET attempts = ?, failure = ?, next_try = ?, updated_at = ? WHERE id = ?`,
				attempts, o.Failure, nanos(o.NextTry), now.UnixNano(), id)
			c.Failure, c.NextTry = o.Failure, o.NextTry
		}
		if err != nil {
			return mapConstraint(err)
		}
		c.Attempts, c.Updated = attempts, now
		out = c
		return nil
	})
	return out, err
}

// SubCharges implements billing.Store.
func (db *DB) SubCharges(ctx context.Context, account string, limit int) ([]billing.SubCharge, error) {
	if limit <= 0 {
		limit = 100
	}
	if account == "" {
		return queryAll(ctx, db.read, scanSubCharge, `SELECT `+subChargeCols+` FROM sub_charges ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
	}
	return queryAll(ctx, db.read, scanSubCharge, `SELECT `+subChargeCols+` FROM sub_charges WHERE account = ? ORDER BY created_at DESC, id DESC LIMIT ?`, account, limit)
}

// UnpaidSubCharges implements billing.Store.
func (db *DB) UnpaidSubCharges(ctx context.Context, account string) ([]billing.SubCharge, error) {
	if account == "" {
		return queryAll(ctx, db.read, scanSubCharge, `SELECT `+subChargeCols+` FROM sub_charges WHERE status = 'due' ORDER BY created_at, id`)
	}
	return queryAll(ctx, db.read, scanSubCharge, `SELECT `+subChargeCols+` FROM sub_charges WHERE status = 'due' AND account = ? ORDER BY created_at, id`, account)
}
