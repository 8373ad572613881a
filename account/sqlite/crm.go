package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/crm"
)

var _ crm.Store = (*DB)(nil)

// SaveConnection implements crm.Store: the connection, and the outbox
// subscription that feeds it (turned on again if it had been turned off),
// in one transaction.
func (db *DB) SaveConnection(ctx context.Context, c crm.Connection) error {
	return db.write(ctx, func(tx *wtx) error {
		if _, err := tx.exec(`INSERT INTO crm_connections (account, kind, sealed, portal, create_contacts, connected_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, kind) DO UPDATE SET sealed = excluded.sealed, portal = excluded.portal,
				create_contacts = excluded.create_contacts`,
			c.Account, c.Kind, c.Sealed, c.Portal, boolInt(c.CreateContacts), nanos(c.Connected)); err != nil {
			if isForeignKey(err) {
				return clean(crm.ErrNotConnected)
			}
			return err
		}
		_, err := tx.exec(`INSERT INTO webhooks (id, account, url, secret, events, created_at) VALUES (?, ?, ?, '', ?, ?)
			ON CONFLICT (id) DO UPDATE SET disabled_at = 0, events = excluded.events`,
			crm.Feed(c.Account, c.Kind), c.Account, crm.Target(c.Kind), strings.Join(crm.Events, " "), nanos(c.Connected))
		return err
	})
}

const crmCols = `account, kind, sealed, portal, create_contacts, connected_at, last_sync, last_error, last_error_at`

func scanConnection(row scanner) (crm.Connection, error) {
	var c crm.Connection
	var create int
	var connected, synced, errAt int64
	err := row.Scan(&c.Account, &c.Kind, &c.Sealed, &c.Portal, &create, &connected, &synced, &c.LastError, &errAt)
	c.CreateContacts = create == 1
	c.Connected, c.LastSync, c.LastErrorAt = fromNanos(connected), fromNanos(synced), fromNanos(errAt)
	return c, err
}

// Connection implements crm.Store.
func (db *DB) Connection(ctx context.Context, account, kind string) (crm.Connection, error) {
	c, err := scanConnection(db.read.QueryRowContext(ctx, `SELECT `+crmCols+` FROM crm_connections WHERE account = ? AND kind = ?`, account, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return c, crm.ErrNotConnected
	}
	return c, err
}

// Connections implements crm.Store.
func (db *DB) Connections(ctx context.Context, account string) ([]crm.Connection, error) {
	return queryAll(ctx, db.read, scanConnection, `SELECT `+crmCols+` FROM crm_connections WHERE account = ? ORDER BY kind`, account)
}

// DeleteConnection implements crm.Store: the connection, its links and
// its outbox subscription (with its deliveries).
func (db *DB) DeleteConnection(ctx context.Context, account, kind string) error {
	return db.write(ctx, func(tx *wtx) error {
		r, err := tx.exec(`DELETE FROM crm_connections WHERE account = ? AND kind = ?`, account, kind)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(crm.ErrNotConnected)
		}
		if _, err := tx.exec(`DELETE FROM crm_links WHERE account = ? AND kind = ?`, account, kind); err != nil {
			return err
		}
		_, err = tx.exec(`DELETE FROM webhooks WHERE id = ?`, crm.Feed(account, kind))
		return err
	})
}

// NoteSync implements crm.Store.
func (db *DB) NoteSync(ctx context.Context, account, kind, errText string, at time.Time) error {
	return db.w.do(ctx, func(tx *wtx) error {
		var r sql.Result
		var err error
		if errText == "" {
			r, err = tx.exec(`UPDATE crm_connections SET last_sync = ?, last_error = '', last_error_at = 0 WHERE account = ? AND kind = ?`,
				nanos(at), account, kind)
		} else {
			r, err = tx.exec(`UPDATE crm_connections SET last_error = ?, last_error_at = ? WHERE account = ? AND kind = ?`,
				errText, nanos(at), account, kind)
		}
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(crm.ErrNotConnected)
		}
		return nil
	})
}

// SaveLink implements crm.Store.
func (db *DB) SaveLink(ctx context.Context, account, kind, id, crmID string) error {
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO crm_links (account, kind, id, crm_id) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, kind, id) DO UPDATE SET crm_id = excluded.crm_id`, account, kind, id, crmID)
		return err
	})
}

// Link implements crm.Store.
func (db *DB) Link(ctx context.Context, account, kind, id string) (string, error) {
	var crmID string
	err := db.read.QueryRowContext(ctx, `SELECT crm_id FROM crm_links WHERE account = ? AND kind = ? AND id = ?`, account, kind, id).Scan(&crmID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return crmID, err
}

// SaveAuthorization implements crm.Store.
func (db *DB) SaveAuthorization(ctx context.Context, a crm.Authorization) error {
	return db.w.do(ctx, func(tx *wtx) error {
		// Authorizations never finished are forgotten after a day.
		if _, err := tx.exec(`DELETE FROM crm_authorizations WHERE created_at < ?`, nanos(a.Created)-int64(24*3600*1e9)); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO crm_authorizations (state, account, kind, email, verifier, create_contacts, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.State, a.Account, a.Kind, a.Email, a.Verifier, boolInt(a.CreateContacts), nanos(a.Created))
		return err
	})
}

// TakeAuthorization implements crm.Store.
func (db *DB) TakeAuthorization(ctx context.Context, state string) (crm.Authorization, error) {
	var a crm.Authorization
	err := db.w.do(ctx, func(tx *wtx) error {
		var create int
		var created int64
		err := tx.queryRow(`SELECT state, account, kind, email, verifier, create_contacts, created_at FROM crm_authorizations WHERE state = ?`, state).
			Scan(&a.State, &a.Account, &a.Kind, &a.Email, &a.Verifier, &create, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return clean(crm.ErrNotConnected)
		}
		if err != nil {
			return err
		}
		a.CreateContacts, a.Created = create == 1, fromNanos(created)
		_, err = tx.exec(`DELETE FROM crm_authorizations WHERE state = ?`, state)
		return err
	})
	return a, err
}
