package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// invariants are queries that return a row for every violation, each with
// a description of what it found.
var invariants = []struct{ name, query string }{
	{"every unit sums to zero", `
		SELECT unit || ' sums to ' || SUM(posted) FROM ledger_accounts GROUP BY unit HAVING SUM(posted) <> 0`},
	{"posted equals the transfers' sum", `
		SELECT a.id || ' posted ' || a.posted || ' but transfers sum to ' ||
			(COALESCE((SELECT SUM(amount) FROM transfers WHERE to_account = a.id), 0) -
			 COALESCE((SELECT SUM(amount) FROM transfers WHERE from_account = a.id), 0))
		FROM ledger_accounts a
		WHERE a.posted <> COALESCE((SELECT SUM(amount) FROM transfers WHERE to_account = a.id), 0) -
			COALESCE((SELECT SUM(amount) FROM transfers WHERE from_account = a.id), 0)`},
	{"reserved equals the open reservations", `
		SELECT a.id || ' reserved ' || a.reserved || ' but open reservations hold ' ||
			COALESCE((SELECT SUM(amount) FROM reservations WHERE account = a.id AND state = 'open'), 0)
		FROM ledger_accounts a
		WHERE a.reserved <> COALESCE((SELECT SUM(amount) FROM reservations WHERE account = a.id AND state = 'open'), 0)`},
	{"floored accounts stay at or above zero", `
		SELECT id || ' posted ' || posted || ' reserved ' || reserved FROM ledger_accounts
		WHERE floor = 1 AND (posted < 0 OR posted - reserved < 0)`},
	{"a settlement posts what it says", `
		SELECT r.id || ' settled for ' || r.settled_amount || ' but its transfer is ' || COALESCE(t.amount, 'missing')
		FROM reservations r LEFT JOIN transfers t ON t.id = r.settled_transfer
		WHERE r.state = 'settled' AND r.settled_amount > 0 AND (t.amount IS NULL OR t.amount <> r.settled_amount
			OR t.from_account <> r.account)`},
	{"transfers stay within one unit", `
		SELECT t.id FROM transfers t JOIN ledger_accounts f ON f.id = t.from_account JOIN ledger_accounts o ON o.id = t.to_account
		WHERE f.unit <> t.unit OR o.unit <> t.unit`},
}

// ErrInvariant means the store's contents break a ledger invariant.
var ErrInvariant = errors.New("sqlite: ledger invariant broken")

// Check implements ledger.Store: it verifies every invariant on one
// consistent snapshot.
func (db *DB) Check(ctx context.Context) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var errs []error
	for _, inv := range invariants {
		found, err := queryAll(ctx, tx, scanString, inv.query)
		if err != nil {
			return fmt.Errorf("sqlite: check %q: %w", inv.name, err)
		}
		for _, what := range found {
			errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvariant, inv.name, what))
		}
	}
	return errors.Join(errs...)
}
