package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
)

// maxBatch bounds how many operations share one transaction.
const maxBatch = 2048

// op is one write operation. fn runs inside the writer's transaction; it
// returns a cleanError when it refused before writing anything.
type op struct {
	ctx  context.Context
	fn   func(tx *wtx) error
	err  error
	done chan struct{}
}

// cleanError marks an error returned before any write: the transaction is
// unharmed and the rest of the group may commit.
type cleanError struct{ error }

func (e cleanError) Unwrap() error { return e.error }

// clean marks err as returned before any write.
func clean(err error) error {
	if err == nil {
		return nil
	}
	return cleanError{err}
}

// writer owns the one connection that writes.
type writer struct {
	db      *sql.DB
	conn    *sql.Conn
	stmts   map[string]*sql.Stmt
	ops     chan *op
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	started bool
	// onTeam runs after a transaction that wrote to the users or devices
	// tables has committed or rolled back, before its callers hear back
	// (the team cache empties itself); teamQ remembers which statements do.
	onTeam func()
	teamQ  map[string]bool
}

func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &writer{db: db, conn: conn, stmts: map[string]*sql.Stmt{}, teamQ: map[string]bool{},
		ops: make(chan *op, maxBatch), stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// errClosed is returned for writes submitted after Close.
var errClosed = errors.New("sqlite: store is closed")

// do queues fn and waits until its transaction has committed or failed.
func (w *writer) do(ctx context.Context, fn func(tx *wtx) error) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case w.ops <- o:
	case <-w.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the operation will run or fail; wait for the verdict
	// so a caller never walks away from a write that later commits.
	<-o.done
	var ce cleanError
	if errors.As(o.err, &ce) {
		return ce.error
	}
	return o.err
}

func (w *writer) run() {
	defer close(w.done)
	batch := make([]*op, 0, maxBatch)
	for {
		var first *op
		select {
		case first = <-w.ops:
		case <-w.stop:
			// Drain what was queued before the stop.
			for {
				select {
				case o := <-w.ops:
					w.commit([]*op{o})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case o := <-w.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// commit runs a group in one transaction; if any operation fails after
// writing, the group rolls back and each runs alone.
func (w *writer) commit(batch []*op) {
	ctx := context.Background()
	tx := &wtx{w: w, ctx: ctx}
	finish := func(err error) {
		tx.done()
		for _, o := range batch {
			if o.err == nil {
				o.err = err
			}
			close(o.done)
		}
	}
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		finish(err)
		return
	}
	for _, o := range batch {
		if o.ctx.Err() != nil {
			o.err = clean(o.ctx.Err())
			continue
		}
		o.err = o.fn(tx)
		var ce cleanError
		if o.err != nil && !errors.As(o.err, &ce) {
			w.conn.ExecContext(ctx, "ROLLBACK")
			tx.done()
			if len(batch) == 1 {
				close(o.done)
				return
			}
			for _, o := range batch {
				o.err = nil
				w.commit([]*op{o})
			}
			return
		}
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		w.conn.ExecContext(ctx, "ROLLBACK")
		for _, o := range batch {
			o.err = err
		}
	}
	finish(nil)
}

// start launches the writer goroutine.
func (w *writer) start() {
	w.started = true
	go w.run()
}

// close stops accepting writes, lets queued ones finish, and closes the
// connection.
func (w *writer) close() {
	w.once.Do(func() {
		close(w.stop)
		if w.started {
			<-w.done
		}
		for _, s := range w.stmts {
			s.Close()
		}
		w.conn.Close()
		w.db.Close()
	})
}

// wtx is the writer's transaction as operations see it.
type wtx struct {
	w    *writer
	ctx  context.Context
	team bool // it wrote to users or devices
}

// done tells the team cache, once, that the transaction wrote to its
// tables (committed or not).
func (t *wtx) done() {
	if t.team && t.w.onTeam != nil {
		t.w.onTeam()
	}
	t.team = false
}

// writesTeam says whether a statement writes to the users or devices
// table.
func writesTeam(q string) bool {
	f := strings.Fields(strings.ToLower(q))
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "into", "update", "from":
			if t, _, _ := strings.Cut(f[i+1], "("); t == "users" || t == "devices" {
				return i == 0 || f[0] != "select"
			}
		}
	}
	return false
}

func (t *wtx) stmt(q string) (*sql.Stmt, error) {
	if s, ok := t.w.stmts[q]; ok {
		return s, nil
	}
	s, err := t.w.conn.PrepareContext(t.ctx, q)
	if err != nil {
		return nil, err
	}
	t.w.stmts[q] = s
	return s, nil
}

func (t *wtx) exec(q string, args ...any) (sql.Result, error) {
	team, ok := t.w.teamQ[q]
	if !ok {
		team = writesTeam(q)
		t.w.teamQ[q] = team
	}
	t.team = t.team || team
	s, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(t.ctx, args...)
}

// queryRow runs a query expected to return at most one row.
func (t *wtx) queryRow(q string, args ...any) *sql.Row {
	s, err := t.stmt(q)
	if err != nil {
		// Surface the prepare error through Scan.
		return t.w.conn.QueryRowContext(t.ctx, q, args...)
	}
	return s.QueryRowContext(t.ctx, args...)
}

// query runs a query returning rows; the caller closes them.
func (t *wtx) query(q string, args ...any) (*sql.Rows, error) {
	s, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(t.ctx, args...)
}
