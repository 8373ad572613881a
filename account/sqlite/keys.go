package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/team"
)

const keyCols = `id, account, owner, name, scopes, created_at, last_used, revoked_at`

func scanKey(row scanner) (team.Key, error) {
	var k team.Key
	var scopes string
	var created, used, revoked int64
	err := row.Scan(&k.ID, &k.Account, &k.Owner, &k.Name, &scopes, &created, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return k, team.ErrNotFound
	}
	if err != nil {
		return k, err
	}
	k.Created, k.LastUsed, k.Revoked = fromNanos(created), fromNanos(used), fromNanos(revoked)
	k.Scopes, err = team.ParsePermissions(strings.Fields(scopes))
	return k, err
}

// SaveKey implements team.KeyStore.
func (db *DB) SaveKey(ctx context.Context, k team.Key, secretHash string) error {
	if err := k.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *wtx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM api_keys WHERE account = ? AND revoked_at = 0`, k.Account).Scan(&n); err != nil {
			return err
		}
		if n >= team.MaxKeys {
			return clean(fmt.Errorf("%w: the account has %d API keys, the most allowed; revoke one it no longer uses first", team.ErrLimit, n))
		}
		_, err := tx.exec(`INSERT INTO api_keys (`+keyCols+`, secret_hash) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?)`,
			k.ID, k.Account, k.Owner, k.Name, joinPerms(k.Scopes), nanos(k.Created), secretHash)
		if isForeignKey(err) {
			return clean(fmt.Errorf("%w: account %s", team.ErrNotFound, k.Account))
		}
		return err
	})
}

// KeyBySecret implements team.KeyStore.
func (db *DB) KeyBySecret(ctx context.Context, secretHash string) (team.Key, error) {
	return scanKey(db.read.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE secret_hash = ?`, secretHash))
}

// Keys implements team.KeyStore.
func (db *DB) Keys(ctx context.Context, account string) ([]team.Key, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE account = ? ORDER BY created_at DESC, id`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []team.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey implements team.KeyStore.
func (db *DB) RevokeKey(ctx context.Context, account, id string, at time.Time) error {
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.exec(`UPDATE api_keys SET revoked_at = ? WHERE account = ? AND id = ? AND revoked_at = 0`, nanos(at), account, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return clean(fmt.Errorf("%w: no live key %s", team.ErrNotFound, id))
		}
		return nil
	})
}

// TouchKey implements team.KeyStore.
func (db *DB) TouchKey(ctx context.Context, id string, at time.Time) error {
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`UPDATE api_keys SET last_used = ? WHERE id = ?`, nanos(at), id)
		return err
	})
}
