package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// querier is a pool or a transaction that reads.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs a read query and scans every row with scan. It returns an
// empty (not nil) slice when no row matches, so JSON shows [].
func queryAll[T any](ctx context.Context, db querier, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanString scans a row of one text column.
func scanString(r scanner) (string, error) {
	var s string
	err := r.Scan(&s)
	return s, err
}

// constraint reports whether err is SQLite refusing a write for one of the
// schema's constraints (UNIQUE, PRIMARY KEY, CHECK, FOREIGN KEY, NOT NULL,
// or a trigger's RAISE), and which: the extended result code.
func constraint(err error) (int, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_CONSTRAINT {
		return 0, false
	}
	return se.Code(), true
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	c, ok := constraint(err)
	return ok && (c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// isCheck reports whether err is a CHECK constraint's refusal.
func isCheck(err error) bool {
	c, ok := constraint(err)
	return ok && c == sqlite3.SQLITE_CONSTRAINT_CHECK
}

// isForeignKey reports whether err is a FOREIGN KEY constraint's refusal.
func isForeignKey(err error) bool {
	c, ok := constraint(err)
	return ok && c == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
