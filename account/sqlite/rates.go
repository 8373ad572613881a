package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/tetherphone/tether/account/rating"
)

// SaveRateDeck replaces the deck of its kind in one transaction: the old
// one stays until the new one is written whole.
func (db *DB) SaveRateDeck(ctx context.Context, d rating.DeckFile) error {
	if d.Kind != rating.VoiceDeck && d.Kind != rating.SMSDeckKind {
		return fmt.Errorf("sqlite: rate deck kind %q", d.Kind)
	}
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO rate_decks (kind, body, entries, source, sha256, imported_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (kind) DO UPDATE SET body = excluded.body, entries = excluded.entries, source = excluded.source,
			sha256 = excluded.sha256, imported_at = excluded.imported_at`,
			string(d.Kind), string(d.Body), d.Entries, d.Source, d.SHA256, nanos(d.Imported))
		return err
	})
}

// RateDecks returns the imported decks (none, one or both kinds), voice
// first.
func (db *DB) RateDecks(ctx context.Context) ([]rating.DeckFile, error) {
	return queryAll(ctx, db.read, func(r scanner) (rating.DeckFile, error) {
		var d rating.DeckFile
		var kind, body string
		var at int64
		err := r.Scan(&kind, &body, &d.Entries, &d.Source, &d.SHA256, &at)
		d.Kind, d.Body, d.Imported = rating.Kind(kind), []byte(body), fromNanos(at)
		return d, err
	}, `SELECT kind, body, entries, source, sha256, imported_at FROM rate_decks ORDER BY kind DESC`)
}

// RateDeckStamp names the imported decks by kind and digest, without
// reading their bodies: it changes exactly when an import replaces one.
func (db *DB) RateDeckStamp(ctx context.Context) (string, error) {
	parts, err := queryAll(ctx, db.read, func(r scanner) (string, error) {
		var kind, sum string
		err := r.Scan(&kind, &sum)
		return kind + "=" + sum + ";", err
	}, `SELECT kind, sha256 FROM rate_decks ORDER BY kind DESC`)
	return "decks:" + strings.Join(parts, ""), err
}
