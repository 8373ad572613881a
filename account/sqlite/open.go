package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// DB is an open store file.
type DB struct {
	path string
	read *reader // a pool of read-only connections
	w    *writer
	now  func() time.Time
	team teamCache // users and devices by key (team.go)
}

// Open opens (creating if needed) the store at path and brings its schema
// up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	wdb, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}
	wdb.SetMaxOpenConns(1)
	w, err := newWriter(ctx, wdb)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, w.conn); err != nil {
		w.close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.close()
		return nil, err
	}
	rdb.SetMaxOpenConns(8)
	// All of them kept open: database/sql keeps two idle by default and
	// closes the rest after each use, and opening one reads the whole
	// schema (a fifth of a registrar's time under load).
	rdb.SetMaxIdleConns(8)
	db := &DB{path: path, read: newReader(rdb), w: w, now: time.Now}
	w.onTeam = db.team.changed
	w.start()
	return db, nil
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: a committed transaction survives power loss, not only a crash.
	// Group commit pays for the extra fsync.
	q.Add("_pragma", "synchronous(FULL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

func migrate(ctx context.Context, conn *sql.Conn) error {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program (%d)", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, migrations[i]); err != nil {
			conn.ExecContext(ctx, "ROLLBACK")
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			conn.ExecContext(ctx, "ROLLBACK")
			return err
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			return err
		}
	}
	return nil
}

// Close waits for queued writes, then closes the file.
func (db *DB) Close() error {
	db.w.close()
	return db.read.Close()
}

// Path returns the file the store lives in.
func (db *DB) Path() string { return db.path }

// SetClock replaces the clock used to stamp transfers and records; tests
// use it to move time.
func (db *DB) SetClock(now func() time.Time) { db.now = now }
