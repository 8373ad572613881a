package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tetherphone/tether/account/hooks"

	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/records"
)

var _ records.Store = (*DB)(nil)

func optNanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return nanos(t)
}

// AddCall implements records.Store. A record is written once; the same ID
// again is an error.
func (db *DB) AddCall(ctx context.Context, c records.Call) error {
	cost, err := money.ToUnits(c.Cost)
	if err != nil {
		return err
	}
	return db.w.do(ctx, func(tx *wtx) error { return addCall(tx, c, cost) })
}

func addCall(tx *wtx, c records.Call, cost int64) error {
	_, err := tx.exec(`INSERT INTO call_records (id, account, direction, from_party, to_party, started_at, answered_at, ended_at,
			seconds, cost, currency, destination, disposition, cause, recording) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Account, c.Direction, c.From, c.To, nanos(c.Started), optNanos(c.Answered), nanos(c.Ended),
		c.Seconds, cost, c.Currency, c.Destination, string(c.Disposition), c.Cause, c.Recording)
	if _, refused := constraint(err); refused {
		return clean(fmt.Errorf("records: call %s: %v", c.ID, err))
	}
	if err != nil {
		return err
	}
	return emitCall(tx, c)
}

// callEvent is a call's record as webhooks carry it.
type callEvent struct {
	ID          string     `json:"id"`
	Direction   string     `json:"direction"`
	From        string     `json:"from"`
	To          string     `json:"to"`
	Started     time.Time  `json:"started"`
	Answered    *time.Time `json:"answered,omitempty"`
	Ended       time.Time  `json:"ended"`
	Seconds     int64      `json:"seconds"`
	Cost        string     `json:"cost"`
	Currency    string     `json:"currency"`
	Disposition string     `json:"disposition"`
	Cause       string     `json:"cause,omitempty"`
	Recorded    bool       `json:"recorded,omitempty"` // (GET /v1/calls/{id}/recording)
}

// liveEvent is a call in progress as call.started and call.answered
// carry it (its record, with how it ended and its cost, comes with
// call.ended).
type liveEvent struct {
	ID        string     `json:"id"`
	Direction string     `json:"direction"`
	From      string     `json:"from"`
	To        string     `json:"to"`
	Started   time.Time  `json:"started"`
	Answered  *time.Time `json:"answered,omitempty"`
}

// callEventOf is a call's record as its events carry it.
func callEventOf(c records.Call) callEvent {
	e := callEvent{ID: c.ID, Direction: c.Direction, From: c.From, To: c.To, Started: c.Started.UTC(), Ended: c.Ended.UTC(),
		Seconds: c.Seconds, Cost: c.Cost.String(), Currency: c.Currency, Disposition: string(c.Disposition), Cause: c.Cause, Recorded: c.Recording != ""}
	if !c.Answered.IsZero() {
		t := c.Answered.UTC()
		e.Answered = &t
	}
	return e
}

// notedEvent is call.noted's: the call, and the disposition and notes a
// person logged on it.
type notedEvent struct {
	callEvent
	Tag   string `json:"tag"`
	Notes string `json:"notes"`
}

// emitCall writes the call.ended event of a call's record, and call.missed
// when nobody answered it.
func emitCall(tx *wtx, c records.Call) error {
	e := callEventOf(c)
	if err := emit(tx, c.Account, hooks.CallEnded, c.Ended, e); err != nil {
		return err
	}
	if c.Direction != "outbound" && (c.Disposition == records.Missed || c.Disposition == records.Busy || c.Disposition == records.Voicemail) {
		return emit(tx, c.Account, hooks.CallMissed, c.Ended, e)
	}
	return nil
}

// BeginCall implements records.Store.
func (db *DB) BeginCall(ctx context.Context, l records.Live) error {
	draft, err := json.Marshal(l.Call)
	if err != nil {
		return err
	}
	return db.w.do(ctx, func(tx *wtx) error {
		// The call's first note is its call.started; the first that
		// says answered, its call.answered.
		var before string
		err := tx.queryRow(`SELECT draft FROM live_calls WHERE id = ?`, l.Call.ID).Scan(&before)
		first := errors.Is(err, sql.ErrNoRows)
		if err != nil && !first {
			return err
		}
		var was records.Call
		if !first {
			if err := json.Unmarshal([]byte(before), &was); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`INSERT INTO live_calls (id, draft, meter, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET draft = excluded.draft, meter = excluded.meter, at = excluded.at`,
			l.Call.ID, string(draft), l.Meter, nanos(l.At)); err != nil {
			return err
		}
		e := liveEvent{ID: l.Call.ID, Direction: l.Call.Direction, From: l.Call.From, To: l.Call.To, Started: l.Call.Started.UTC()}
		if first {
			if err := emit(tx, l.Call.Account, hooks.CallStarted, l.Call.Started, e); err != nil {
				return err
			}
		}
		if !l.Call.Answered.IsZero() && was.Answered.IsZero() {
			t := l.Call.Answered.UTC()
			e.Answered = &t
			return emit(tx, l.Call.Account, hooks.CallAnswered, t, e)
		}
		return nil
	})
}

// Checkpoint implements records.Store: one transaction for them all.
func (db *DB) Checkpoint(ctx context.Context, ls []records.Live) error {
	if len(ls) == 0 {
		return nil
	}
	return db.w.do(ctx, func(tx *wtx) error {
		for _, l := range ls {
			if _, err := tx.exec(`UPDATE live_calls SET meter = ?, at = ? WHERE id = ?`, l.Meter, nanos(l.At), l.Call.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// FinishCall implements records.Store. A record already added (a
// finish replayed after a crash) only forgets the live call.
func (db *DB) FinishCall(ctx context.Context, c records.Call) error {
	cost, err := money.ToUnits(c.Cost)
	if err != nil {
		return err
	}
	return db.w.do(ctx, func(tx *wtx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM call_records WHERE id = ?`, c.ID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if err := addCall(tx, c, cost); err != nil {
				return err
			}
		}
		_, err := tx.exec(`DELETE FROM live_calls WHERE id = ?`, c.ID)
		return err
	})
}

// LiveCalls implements records.Store.
func (db *DB) LiveCalls(ctx context.Context) ([]records.Live, error) {
	return queryAll(ctx, db.read, func(r scanner) (records.Live, error) {
		var l records.Live
		var draft string
		var at int64
		if err := r.Scan(&draft, &l.Meter, &at); err != nil {
			return l, err
		}
		l.At = fromNanos(at)
		return l, json.Unmarshal([]byte(draft), &l.Call)
	}, `SELECT draft, meter, at FROM live_calls ORDER BY at, id`)
}

// Calls implements records.Store: newest first.
func (db *DB) Calls(ctx context.Context, account string, limit int) ([]records.Call, error) {
	return queryAll(ctx, db.read, scanCall, `SELECT `+callCols+` FROM call_records WHERE account = ? ORDER BY started_at DESC, id LIMIT ?`,
		account, limit)
}

const callCols = `id, account, direction, from_party, to_party, started_at, answered_at, ended_at,
	seconds, cost, currency, destination, disposition, cause, recording, tag, notes`

func scanCall(row scanner) (records.Call, error) {
	var c records.Call
	var started, ended, cost int64
	var answered sql.NullInt64
	var disp string
	if err := row.Scan(&c.ID, &c.Account, &c.Direction, &c.From, &c.To, &started, &answered, &ended, &c.Seconds, &cost,
		&c.Currency, &c.Destination, &disp, &c.Cause, &c.Recording, &c.Tag, &c.Notes); err != nil {
		return c, err
	}
	c.Started, c.Ended, c.Cost, c.Disposition = fromNanos(started), fromNanos(ended), money.FromUnits(cost), records.Disposition(disp)
	if answered.Valid {
		c.Answered = fromNanos(answered.Int64)
	}
	return c, nil
}

// Call implements records.Store.
func (db *DB) Call(ctx context.Context, id string) (records.Call, error) {
	c, err := scanCall(db.read.QueryRowContext(ctx, `SELECT `+callCols+` FROM call_records WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, records.ErrNotFound
	}
	return c, err
}

// Tag implements records.Store; the context's audit entry, if any, is
// written with it.
func (db *DB) Tag(ctx context.Context, id, tag, notes string) error {
	return db.write(ctx, func(tx *wtx) error {
		r, err := tx.exec(`UPDATE call_records SET tag = ?, notes = ? WHERE id = ?`, tag, notes, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(records.ErrNotFound)
		}
		c, err := scanCall(tx.queryRow(`SELECT `+callCols+` FROM call_records WHERE id = ?`, id))
		if err != nil {
			return err
		}
		return emit(tx, c.Account, hooks.CallNoted, db.now(), notedEvent{callEventOf(c), tag, notes})
	})
}

// AddMessage implements records.Store.
func (db *DB) AddMessage(ctx context.Context, m records.Message) error {
	cost, err := money.ToUnits(m.Cost)
	if err != nil {
		return err
	}
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO message_records (id, account, direction, from_party, to_party, at, segments, cost, currency, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.Account, m.Direction, m.From, m.To, nanos(m.At), m.Segments, cost, m.Currency, m.Status)
		if _, refused := constraint(err); refused {
			return clean(fmt.Errorf("records: message %s: %v", m.ID, err))
		}
		if err != nil {
			return err
		}
		typ := hooks.MessageSent
		if m.Direction == "inbound" {
			typ = hooks.MessageReceived
		}
		return emit(tx, m.Account, typ, m.At, map[string]any{"id": m.ID, "direction": m.Direction, "from": m.From, "to": m.To,
			"at": m.At.UTC(), "segments": m.Segments, "cost": m.Cost.String(), "currency": m.Currency, "status": m.Status, "body": m.Body})
	})
}

// Messages implements records.Store: newest first.
func (db *DB) Messages(ctx context.Context, account string, limit int) ([]records.Message, error) {
	return queryAll(ctx, db.read, func(rows scanner) (records.Message, error) {
		var m records.Message
		var at, cost int64
		if err := rows.Scan(&m.ID, &m.Account, &m.Direction, &m.From, &m.To, &at, &m.Segments, &cost, &m.Currency, &m.Status); err != nil {
			return m, err
		}
		m.At, m.Cost = fromNanos(at), money.FromUnits(cost)
		return m, nil
	}, `SELECT id, account, direction, from_party, to_party, at, segments, cost, currency, status
		FROM message_records WHERE account = ? ORDER BY at DESC, id LIMIT ?`, account, limit)
}
