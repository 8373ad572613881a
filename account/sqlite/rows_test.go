package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestConstraintByCode: refusals are told apart by SQLite's result code,
// not by the words in the message: a CHECK constraint whose name says
// UNIQUE is a CHECK, a trigger's message that says FOREIGN KEY is neither.
func TestConstraintByCode(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db")+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE parent (id TEXT PRIMARY KEY)`,
		`CREATE TABLE t (id TEXT PRIMARY KEY, code TEXT UNIQUE, n INTEGER CONSTRAINT "UNIQUE constraint failed" CHECK (n >= 0),
			parent TEXT REFERENCES parent(id))`,
		`CREATE TRIGGER t_no_delete BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY and UNIQUE and CHECK'); END`,
		`INSERT INTO t (id, code, n) VALUES ('a', 'x', 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, c := range []struct {
		name                   string
		q                      string
		unique, check, foreign bool
	}{
		{"primary key", `INSERT INTO t (id, code, n) VALUES ('a', 'y', 1)`, true, false, false},
		{"unique", `INSERT INTO t (id, code, n) VALUES ('b', 'x', 1)`, true, false, false},
		{"check named like a unique", `INSERT INTO t (id, code, n) VALUES ('c', 'z', -1)`, false, true, false},
		{"foreign key", `INSERT INTO t (id, code, n, parent) VALUES ('d', 'w', 1, 'nobody')`, false, false, true},
		{"trigger", `DELETE FROM t`, false, false, false},
	} {
		_, err := db.ExecContext(ctx, c.q)
		if err == nil {
			t.Fatalf("%s: no error", c.name)
		}
		if _, ok := constraint(err); !ok {
			t.Errorf("%s: %v not seen as a constraint", c.name, err)
		}
		if isUnique(err) != c.unique || isCheck(err) != c.check || isForeignKey(err) != c.foreign {
			t.Errorf("%s: %v: unique %v check %v foreign %v, want %v %v %v", c.name, err,
				isUnique(err), isCheck(err), isForeignKey(err), c.unique, c.check, c.foreign)
		}
	}
	if _, ok := constraint(sql.ErrNoRows); ok {
		t.Error("sql.ErrNoRows seen as a constraint")
	}
}
