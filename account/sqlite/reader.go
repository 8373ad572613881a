package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// reader is the pool of read-only connections, with each query prepared
// once and kept: parsing SQL anew on every read was a sixth of a
// registrar's time under load.
type reader struct {
	*sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxStmts bounds the statements kept.
const maxStmts = 256

func newReader(db *sql.DB) *reader { return &reader{DB: db, stmts: map[string]*sql.Stmt{}} }

// stmt returns q prepared, or nil when it cannot be (the caller then
// runs it unprepared, and gets the error from there).
func (r *reader) stmt(ctx context.Context, q string) *sql.Stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.stmts[q]; ok {
		return s
	}
	if r.stmts == nil || len(r.stmts) >= maxStmts {
		return nil // closed, or queries built on the fly: run them as they come
	}
	s, err := r.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	r.stmts[q] = s
	return s
}

// QueryContext runs a prepared read.
func (r *reader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := r.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return r.DB.QueryContext(ctx, q, args...)
}

// QueryRowContext runs a prepared read of one row.
func (r *reader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := r.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return r.DB.QueryRowContext(ctx, q, args...)
}

// Close closes the statements and the pool.
func (r *reader) Close() error {
	r.mu.Lock()
	for _, s := range r.stmts {
		s.Close()
	}
	r.stmts = nil
	r.mu.Unlock()
	return r.DB.Close()
}
