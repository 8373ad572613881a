package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/money"
)

var _ hooks.Store = (*DB)(nil)

func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// emit writes an event of an account in tx, with a delivery for each of
// the account's subscriptions that wants it (none wanting it: nothing is
// written). It runs in the transaction of the record it reports, so the
// two are kept, or lost, together.
func emit(tx *wtx, account, typ string, at time.Time, data any) error {
	rows, err := tx.query(`SELECT id, events FROM webhooks WHERE account = ? AND disabled_at = 0`, account)
	if err != nil {
		return err
	}
	var subs []string
	for rows.Next() {
		var id, events string
		if err := rows.Scan(&id, &events); err != nil {
			rows.Close()
			return err
		}
		for _, e := range strings.Fields(events) {
			if e == typ {
				subs = append(subs, id)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(subs) == 0 {
		return err
	}
	id := newID("evt_")
	payload, err := json.Marshal(struct {
		ID      string    `json:"id"`
		Type    string    `json:"type"`
		Account string    `json:"account"`
		Created time.Time `json:"created"`
		Data    any       `json:"data"`
	}{id, typ, account, at.UTC(), data})
	if err != nil {
		return err
	}
	if _, err := tx.exec(`INSERT INTO events (id, account, type, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
		id, account, typ, string(payload), nanos(at)); err != nil {
		return err
	}
	for _, w := range subs {
		if _, err := tx.exec(`INSERT INTO deliveries (id, webhook, event, status, next_try, created_at) VALUES (?, ?, ?, 'pending', ?, ?)`,
			newID("dlv_"), w, id, nanos(at), nanos(at)); err != nil {
			return err
		}
	}
	return nil
}

// SaveWebhook implements hooks.Store.
func (db *DB) SaveWebhook(ctx context.Context, w hooks.Webhook) error {
	if err := w.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *wtx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM webhooks WHERE account = ?`, w.Account).Scan(&n); err != nil {
			return err
		}
		if n >= hooks.MaxWebhooks {
			return clean(fmt.Errorf("%w: the account has %d webhooks, the most allowed", hooks.ErrLimit, n))
		}
		_, err := tx.exec(`INSERT INTO webhooks (id, account, url, secret, events, created_at, format, number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.Account, w.URL, w.Secret, strings.Join(w.Events, " "), nanos(w.Created), w.Format, w.Number)
		if isForeignKey(err) {
			return clean(fmt.Errorf("%w: account %s", hooks.ErrNotFound, w.Account))
		}
		return err
	})
}

// Webhooks implements hooks.Store.
func (db *DB) Webhooks(ctx context.Context, account string) ([]hooks.Webhook, error) {
	return queryAll(ctx, db.read, func(row scanner) (hooks.Webhook, error) {
		var w hooks.Webhook
		var events string
		var created, disabled, failing int64
		err := row.Scan(&w.ID, &w.Account, &w.URL, &w.Secret, &events, &created, &disabled, &failing, &w.Format, &w.Number)
		w.Events = strings.Fields(events)
		w.Created, w.Disabled, w.FailingSince = fromNanos(created), fromNanos(disabled), fromNanos(failing)
		return w, err
	}, `SELECT id, account, url, secret, events, created_at, disabled_at, failing_since, format, number FROM webhooks WHERE account = ? ORDER BY created_at, id`, account)
}

// DeleteWebhook implements hooks.Store: its deliveries go with it.
func (db *DB) DeleteWebhook(ctx context.Context, account, id string) error {
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.exec(`DELETE FROM webhooks WHERE account = ? AND id = ?`, account, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return clean(fmt.Errorf("%w: webhook %s", hooks.ErrNotFound, id))
		}
		return nil
	})
}

// DueDeliveries implements hooks.Store.
func (db *DB) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]hooks.Due, error) {
	return queryAll(ctx, db.read, func(row scanner) (hooks.Due, error) {
		var d hooks.Due
		var payload string
		var next, created, failing, success int64
		err := row.Scan(&d.ID, &d.Webhook, &d.Event, &d.Type, &payload, &d.Tries, &next, &created, &d.URL, &d.Secret, &failing, &success, &d.Account,
			&d.Format, &d.Number)
		d.Payload, d.Status = []byte(payload), "pending"
		d.NextTry, d.Created, d.FailingSince, d.LastSuccess = fromNanos(next), fromNanos(created), fromNanos(failing), fromNanos(success)
		return d, err
	}, `SELECT d.id, d.webhook, d.event, e.type, e.payload, d.tries, d.next_try, d.created_at, w.url, w.secret, w.failing_since, w.delivered_at, w.account,
			w.format, w.number
		FROM deliveries d JOIN events e ON e.id = d.event JOIN webhooks w ON w.id = d.webhook
		WHERE d.status = 'pending' AND d.next_try <= ? AND w.disabled_at = 0 ORDER BY d.next_try, d.created_at LIMIT ?`, nanos(now), limit)
}

// Attempted implements hooks.Store.
func (db *DB) Attempted(ctx context.Context, delivery string, a hooks.Attempt, status string, next time.Time) error {
	return db.w.do(ctx, func(tx *wtx) error {
		if _, err := tx.exec(`INSERT INTO delivery_attempts (delivery, at, status, error, took) VALUES (?, ?, ?, ?, ?)`,
			delivery, nanos(a.At), a.Status, a.Error, int64(a.Took)); err != nil {
			return err
		}
		delivered := int64(0)
		if status == "delivered" {
			delivered = nanos(a.At)
		}
		if _, err := tx.exec(`UPDATE deliveries SET status = ?, tries = tries + 1, next_try = ?, delivered_at = ? WHERE id = ?`,
			status, nanos(next), delivered, delivery); err != nil {
			return err
		}
		// The subscription fails from its first failure after a success.
		if a.Error == "" {
			_, err := tx.exec(`UPDATE webhooks SET failing_since = 0, delivered_at = ? WHERE id = (SELECT webhook FROM deliveries WHERE id = ?)`,
				nanos(a.At), delivery)
			return err
		}
		_, err := tx.exec(`UPDATE webhooks SET failing_since = ? WHERE failing_since = 0 AND id = (SELECT webhook FROM deliveries WHERE id = ?)`,
			nanos(a.At), delivery)
		return err
	})
}

// Deliveries implements hooks.Store.
func (db *DB) Deliveries(ctx context.Context, account, webhook string, limit int) ([]hooks.Delivery, error) {
	var owner string
	err := db.read.QueryRowContext(ctx, `SELECT account FROM webhooks WHERE id = ?`, webhook).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || err == nil && owner != account {
		return nil, fmt.Errorf("%w: webhook %s", hooks.ErrNotFound, webhook)
	}
	if err != nil {
		return nil, err
	}
	ds, err := queryAll(ctx, db.read, func(row scanner) (hooks.Delivery, error) {
		var d hooks.Delivery
		var payload string
		var next, created, delivered int64
		err := row.Scan(&d.ID, &d.Webhook, &d.Event, &d.Type, &payload, &d.Status, &d.Tries, &next, &created, &delivered)
		d.Payload = []byte(payload)
		d.NextTry, d.Created, d.Delivered = fromNanos(next), fromNanos(created), fromNanos(delivered)
		return d, err
	}, `SELECT d.id, d.webhook, d.event, e.type, e.payload, d.status, d.tries, d.next_try, d.created_at, d.delivered_at
		FROM deliveries d JOIN events e ON e.id = d.event WHERE d.webhook = ? ORDER BY d.created_at DESC, d.id LIMIT ?`, webhook, limit)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		ds[i].Attempts, err = queryAll(ctx, db.read, func(row scanner) (hooks.Attempt, error) {
			var a hooks.Attempt
			var at, took int64
			err := row.Scan(&at, &a.Status, &a.Error, &took)
			a.At, a.Took = fromNanos(at), time.Duration(took)
			return a, err
		}, `SELECT at, status, error, took FROM delivery_attempts WHERE delivery = ? ORDER BY at`, ds[i].ID)
		if err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// Replay implements hooks.Store.
func (db *DB) Replay(ctx context.Context, account, webhook, delivery string, now time.Time) error {
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.exec(`UPDATE deliveries SET status = 'pending', next_try = ? WHERE id = ? AND webhook = ?
			AND webhook IN (SELECT id FROM webhooks WHERE account = ?)`, nanos(now), delivery, webhook, account)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return clean(fmt.Errorf("%w: delivery %s", hooks.ErrNotFound, delivery))
		}
		return nil
	})
}

// DisableWebhook implements hooks.Store.
func (db *DB) DisableWebhook(ctx context.Context, id string, at time.Time) error {
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`UPDATE webhooks SET disabled_at = ? WHERE id = ? AND disabled_at = 0`, nanos(at), id)
		return err
	})
}

// NoteCreditLevel implements billing.Store.
func (db *DB) NoteCreditLevel(ctx context.Context, l billing.CreditLevel) error {
	return db.w.do(ctx, func(tx *wtx) error {
		was := billing.LevelOK
		err := tx.queryRow(`SELECT level FROM credit_levels WHERE account = ?`, l.Account).Scan(&was)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.exec(`INSERT INTO credit_levels (account, level, at) VALUES (?, ?, ?)
			ON CONFLICT (account) DO UPDATE SET level = excluded.level, at = excluded.at`, l.Account, l.Level, nanos(l.At)); err != nil {
			return err
		}
		rank := map[string]int{billing.LevelOK: 0, billing.LevelLow: 1, billing.LevelExhausted: 2}
		if rank[l.Level] <= rank[was] {
			return nil
		}
		typ := hooks.CreditsLow
		if l.Level == billing.LevelExhausted {
			typ = hooks.CreditsExhausted
		}
		return emit(tx, l.Account, typ, l.At, map[string]any{"available": l.Available.StringFixed(money.ChargePlaces),
			"currency": l.Currency, "low_line": l.Line.StringFixed(2)})
	})
}
