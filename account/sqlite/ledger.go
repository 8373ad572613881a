package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/team"
)

var _ ledger.Store = (*DB)(nil)

func units(d decimal.Decimal) (int64, error) {
	u, err := money.ToUnits(d)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ledger.ErrInvalid, err)
	}
	return u, nil
}

// EnsureAccounts implements ledger.Store.
func (db *DB) EnsureAccounts(ctx context.Context, accounts ...ledger.Account) error {
	now := db.now().UnixNano()
	return db.w.do(ctx, func(tx *wtx) error { return ensureAccounts(tx, now, accounts) })
}

func ensureAccounts(tx *wtx, now int64, accounts []ledger.Account) error {
	var missing []ledger.Account
	for _, a := range accounts {
		if a.ID == "" || a.Unit == "" {
			return clean(fmt.Errorf("%w: account needs an ID and a unit", ledger.ErrInvalid))
		}
		var unit string
		var floor bool
		err := tx.queryRow(`SELECT unit, floor FROM ledger_accounts WHERE id = ?`, a.ID).Scan(&unit, &floor)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			missing = append(missing, a)
		case err != nil:
			return err
		case unit != string(a.Unit) || floor != a.Floor:
			return clean(fmt.Errorf("%w: account %s exists as %s floor=%v", ledger.ErrConflict, a.ID, unit, floor))
		}
	}
	for _, a := range missing {
		if _, err := tx.exec(`INSERT INTO ledger_accounts (id, unit, floor, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, a.ID, a.Unit, a.Floor, now); err != nil {
			return err
		}
	}
	return nil
}

// accountState is a ledger account as a write sees it.
type accountState struct {
	unit             string
	floor            bool
	posted, reserved int64
}

func readAccount(tx *wtx, id ledger.AccountID) (accountState, error) {
	var a accountState
	err := tx.queryRow(`SELECT unit, floor, posted, reserved FROM ledger_accounts WHERE id = ?`, id).
		Scan(&a.unit, &a.floor, &a.posted, &a.reserved)
	if errors.Is(err, sql.ErrNoRows) {
		return a, clean(fmt.Errorf("%w: account %s", ledger.ErrNotFound, id))
	}
	return a, err
}

// Post implements ledger.Store. When the context carries an audit entry
// (team.WithAudit), it is written in the same transaction as the
// transfers, and only if a transfer was written (a replay audits nothing).
func (db *DB) Post(ctx context.Context, transfers ...ledger.Transfer) error {
	now := db.now()
	entry, audit := team.AuditFrom(ctx)
	return db.w.do(ctx, func(tx *wtx) error {
		n, err := postCount(tx, now, transfers)
		if err != nil || n == 0 || !audit {
			return err
		}
		return insertAudit(tx, entry)
	})
}

// post checks every transfer and the net effect on each floored account
// before writing any, so a refusal is clean.
func post(tx *wtx, now time.Time, transfers []ledger.Transfer) error {
	_, err := postCount(tx, now, transfers)
	return err
}

// postCount is post, saying how many transfers it wrote (replays are not
// written again).
func postCount(tx *wtx, now time.Time, transfers []ledger.Transfer) (int, error) {
	type row struct {
		t      ledger.Transfer
		amount int64
	}
	var rows []row
	delta := map[ledger.AccountID]int64{}
	for _, t := range transfers {
		if err := t.Validate(); err != nil {
			return 0, clean(err)
		}
		amount, err := units(t.Amount)
		if err != nil {
			return 0, clean(err)
		}
		existing, err := readTransfer(tx, t.ID)
		if err == nil {
			if !existing.Same(t) {
				return 0, clean(fmt.Errorf("%w: transfer %s", ledger.ErrConflict, t.ID))
			}
			continue // replayed
		} else if !errors.Is(err, ledger.ErrNotFound) {
			return 0, err
		}
		if t.At.IsZero() {
			t.At = now
		}
		rows = append(rows, row{t, amount})
		delta[t.From] -= amount
		delta[t.To] += amount
	}
	units := map[ledger.AccountID]ledger.Unit{}
	for _, r := range rows {
		units[r.t.From], units[r.t.To] = r.t.Unit, r.t.Unit
	}
	for id, d := range delta {
		a, err := readAccount(tx, id)
		if err != nil {
			return 0, err
		}
		if a.unit != string(units[id]) {
			return 0, clean(fmt.Errorf("%w: %s counts %s, not %s", ledger.ErrInvalid, id, a.unit, units[id]))
		}
		if a.floor && d < 0 && (a.posted+d < 0 || a.posted-a.reserved+d < 0) {
			return 0, clean(fmt.Errorf("%w: %s has %s available, needs %s", ledger.ErrInsufficient, id,
				money.FromUnits(a.posted-a.reserved), money.FromUnits(-d)))
		}
	}
	for _, r := range rows {
		if err := insertTransfer(tx, r.t, r.amount); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

func insertTransfer(tx *wtx, t ledger.Transfer, amount int64) error {
	_, err := tx.exec(`INSERT INTO transfers (id, from_account, to_account, amount, unit, code, ref, memo, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.From, t.To, amount, t.Unit, t.Code, t.Ref, t.Memo, t.At.UnixNano())
	return mapConstraint(err)
}

// mapConstraint turns the schema's refusals into the ledger's errors.
func mapConstraint(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case isUnique(err):
		return fmt.Errorf("%w: %v", ledger.ErrConflict, err)
	case isCheck(err):
		return fmt.Errorf("%w: %v", ledger.ErrInsufficient, err)
	case isForeignKey(err):
		return fmt.Errorf("%w: an account does not exist or counts another unit: %v", ledger.ErrInvalid, err)
	}
	return err
}

const transferCols = `id, from_account, to_account, amount, unit, code, ref, memo, at`

type scanner interface{ Scan(...any) error }

func scanTransfer(s scanner) (ledger.Transfer, error) {
	var t ledger.Transfer
	var amount, at int64
	if err := s.Scan(&t.ID, &t.From, &t.To, &amount, &t.Unit, &t.Code, &t.Ref, &t.Memo, &at); err != nil {
		return t, err
	}
	t.Amount = money.FromUnits(amount)
	t.At = time.Unix(0, at)
	return t, nil
}

func readTransfer(tx *wtx, id string) (ledger.Transfer, error) {
	t, err := scanTransfer(tx.queryRow(`SELECT `+transferCols+` FROM transfers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("%w: transfer %s", ledger.ErrNotFound, id)
	}
	return t, err
}

// Reserve implements ledger.Store.
func (db *DB) Reserve(ctx context.Context, r ledger.Reservation) error {
	now := db.now()
	return db.w.do(ctx, func(tx *wtx) error { return reserve(tx, now, r) })
}

func reserve(tx *wtx, now time.Time, r ledger.Reservation) error {
	if err := r.Validate(); err != nil {
		return clean(err)
	}
	amount, err := units(r.Amount)
	if err != nil {
		return clean(err)
	}
	// One statement: if the hold would break the account's floor, the
	// schema aborts the statement alone and the transaction is unharmed.
	res, err := tx.exec(`INSERT INTO reservations (id, account, amount, state, expires_at, created_at)
		VALUES (?, ?, ?, 'open', ?, ?) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Account, amount, r.Expires.UnixNano(), now.UnixNano())
	if err != nil {
		return clean(fmt.Errorf("reserve %s on %s: %w", r.Amount, r.Account, mapConstraint(err)))
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	existing, err := readReservation(tx, r.ID)
	if err != nil {
		return err
	}
	if existing.Account != r.Account || !existing.Amount.Equal(r.Amount) {
		return clean(fmt.Errorf("%w: reservation %s", ledger.ErrConflict, r.ID))
	}
	return nil // replayed
}

type reservationRow struct {
	ledger.Reservation
	settledTransfer sql.NullString
	settledAmount   sql.NullInt64
}

func scanReservation(s scanner) (reservationRow, error) {
	var r reservationRow
	var amount, expires int64
	err := s.Scan(&r.ID, &r.Account, &amount, &r.State, &expires, &r.settledTransfer, &r.settledAmount)
	r.Amount = money.FromUnits(amount)
	r.Expires = time.Unix(0, expires)
	return r, err
}

const reservationCols = `id, account, amount, state, expires_at, settled_transfer, settled_amount`

func readReservation(tx *wtx, id string) (reservationRow, error) {
	r, err := scanReservation(tx.queryRow(`SELECT `+reservationCols+` FROM reservations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, clean(fmt.Errorf("%w: reservation %s", ledger.ErrNotFound, id))
	}
	return r, err
}

// Settle implements ledger.Store.
func (db *DB) Settle(ctx context.Context, reservationID string, t ledger.Transfer) error {
	now := db.now()
	return db.w.do(ctx, func(tx *wtx) error { return settle(tx, now, reservationID, t) })
}

func settle(tx *wtx, now time.Time, id string, t ledger.Transfer) error {
	amount, err := units(t.Amount)
	if err != nil {
		return clean(err)
	}
	if amount < 0 {
		return clean(fmt.Errorf("%w: settling %s for %s", ledger.ErrInvalid, id, t.Amount))
	}
	var transferID any
	if amount > 0 {
		if err := t.Validate(); err != nil {
			return clean(err)
		}
		transferID = t.ID
		if t.At.IsZero() {
			t.At = now
		}
	}
	// The common case in one statement: an open reservation on the right
	// account holding enough. Anything else changes no row and is
	// diagnosed below, still clean.
	res, err := tx.exec(`UPDATE reservations SET state = 'settled', settled_transfer = ?, settled_amount = ?
		WHERE id = ? AND state = 'open' AND amount >= ? AND (? = 0 OR account = ?)`,
		transferID, amount, id, amount, amount, t.From)
	if err != nil {
		return mapConstraint(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return clean(whyNotSettled(tx, id, t, amount))
	}
	if amount == 0 {
		return nil
	}
	// A transfer ID already in use fails here, after the update: the group
	// then reruns one by one and this settlement reports ErrConflict.
	return insertTransfer(tx, t, amount)
}

// whyNotSettled explains a settlement that matched no open reservation;
// nil means it was a replay of the settlement already made.
func whyNotSettled(tx *wtx, id string, t ledger.Transfer, amount int64) error {
	r, err := readReservation(tx, id)
	if err != nil {
		return err
	}
	switch r.State {
	case ledger.Settled:
		if r.settledAmount.Int64 == amount && (amount == 0 || r.settledTransfer.String == t.ID) {
			return nil // replayed
		}
		return fmt.Errorf("%w: reservation %s settled differently", ledger.ErrConflict, id)
	case ledger.Voided, ledger.Expired:
		return fmt.Errorf("%w: reservation %s is %s", ledger.ErrClosed, id, r.State)
	case ledger.Open:
		if t.From != r.Account {
			return fmt.Errorf("%w: settlement of %s must take from %s", ledger.ErrInvalid, id, r.Account)
		}
		return fmt.Errorf("%w: settling %s for %s, reserved %s", ledger.ErrInvalid, id, t.Amount, r.Amount)
	}
	return fmt.Errorf("%w: reservation %s in state %q", ledger.ErrInvalid, id, r.State)
}

// Void implements ledger.Store.
func (db *DB) Void(ctx context.Context, reservationID string) error {
	return db.w.do(ctx, func(tx *wtx) error {
		r, err := readReservation(tx, reservationID)
		if err != nil {
			return err
		}
		switch r.State {
		case ledger.Voided, ledger.Expired:
			return nil // released already
		case ledger.Settled:
			return clean(fmt.Errorf("%w: reservation %s is settled", ledger.ErrClosed, reservationID))
		}
		_, err = tx.exec(`UPDATE reservations SET state = 'voided' WHERE id = ? AND state = 'open'`, reservationID)
		return err
	})
}

// Expire implements ledger.Store.
func (db *DB) Expire(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.w.do(ctx, func(tx *wtx) error {
		res, err := tx.exec(`UPDATE reservations SET state = 'expired' WHERE state = 'open' AND expires_at <= ?`, now.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// Balance implements ledger.Store.
func (db *DB) Balance(ctx context.Context, id ledger.AccountID) (ledger.Balance, error) {
	var b ledger.Balance
	var posted, reserved int64
	err := db.read.QueryRowContext(ctx, `SELECT unit, posted, reserved FROM ledger_accounts WHERE id = ?`, id).
		Scan(&b.Unit, &posted, &reserved)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("%w: account %s", ledger.ErrNotFound, id)
	}
	b.Posted, b.Reserved = money.FromUnits(posted), money.FromUnits(reserved)
	return b, err
}

// Reservation implements ledger.Store.
func (db *DB) Reservation(ctx context.Context, id string) (ledger.Reservation, error) {
	r, err := scanReservation(db.read.QueryRowContext(ctx, `SELECT `+reservationCols+` FROM reservations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.Reservation{}, fmt.Errorf("%w: reservation %s", ledger.ErrNotFound, id)
	}
	return r.Reservation, err
}

// Transfer implements ledger.Store.
func (db *DB) Transfer(ctx context.Context, id string) (ledger.Transfer, error) {
	t, err := scanTransfer(db.read.QueryRowContext(ctx, `SELECT `+transferCols+` FROM transfers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("%w: transfer %s", ledger.ErrNotFound, id)
	}
	return t, err
}

// Transfers implements ledger.Store.
func (db *DB) Transfers(ctx context.Context, f ledger.Filter) ([]ledger.Transfer, error) {
	q := `SELECT ` + transferCols + ` FROM transfers WHERE (from_account = ? OR to_account = ?) AND at >= ?`
	args := []any{f.Account, f.Account, f.Since.UnixNano()}
	if f.Since.IsZero() {
		args[2] = int64(0)
	}
	if !f.Until.IsZero() {
		q += ` AND at < ?`
		args = append(args, f.Until.UnixNano())
	}
	if len(f.Codes) > 0 {
		q += ` AND code IN (?` + strings.Repeat(`, ?`, len(f.Codes)-1) + `)`
		for _, c := range f.Codes {
			args = append(args, c)
		}
	}
	q += ` ORDER BY at, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	return queryAll(ctx, db.read, scanTransfer, q, args...)
}
