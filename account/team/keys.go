package team

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Key is an API key: a named credential a program uses on the account API
// in place of a person's session (Authorization: Bearer, as a session's
// token). It acts as the person who made it, limited to its scopes: never
// more than that person's role allows, then or later (a right the role
// loses, the key loses too; the person gone, the key works no more).
type Key struct {
	ID       string // public, "key_…"
	Account  string
	Owner    string // the email of the person it acts as
	Name     string // what it is for, "crm-sync"
	Scopes   []Permission
	Created  time.Time
	LastUsed time.Time // zero: never used
	Revoked  time.Time // zero: live
}

// MaxKeys bounds the live keys of an account.
const MaxKeys = 50

// Validate checks a key's name and scopes.
func (k Key) Validate() error {
	name := strings.TrimSpace(k.Name)
	if name == "" || name != k.Name || utf8.RuneCountInString(name) > 64 || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }) {
		return fmt.Errorf("%w: a key's name is 1 to 64 printable characters without spaces around: %q", ErrInvalid, k.Name)
	}
	if len(k.Scopes) == 0 {
		return fmt.Errorf("%w: a key needs at least one scope (a permission: %s)", ErrInvalid, permissionList())
	}
	if slices.Contains(k.Scopes, TransferOwnership) {
		return fmt.Errorf("%w: no key may transfer ownership", ErrInvalid)
	}
	return nil
}

func permissionList() string {
	var s []string
	for _, p := range AllPermissions {
		if p != TransferOwnership {
			s = append(s, string(p))
		}
	}
	return strings.Join(s, ", ")
}

// Rights narrows a person's rights to the key's scopes.
func (k Key) Rights(person Rights) Rights {
	out := Rights{Role: person.Role}
	for _, p := range person.Permissions {
		if slices.Contains(k.Scopes, p) {
			out.Permissions = append(out.Permissions, p)
		}
	}
	return out
}

// KeyStore keeps API keys under a hash of their secret (the secret itself
// is shown once and never stored).
type KeyStore interface {
	// SaveKey keeps a new key: ErrLimit past MaxKeys live keys.
	SaveKey(ctx context.Context, k Key, secretHash string) error
	// KeyBySecret finds a key, revoked or not, by its secret's hash.
	KeyBySecret(ctx context.Context, secretHash string) (Key, error)
	// Keys lists an account's keys, revoked ones too, newest first.
	Keys(ctx context.Context, account string) ([]Key, error)
	// RevokeKey ends an account's key at once (ErrNotFound if it has none
	// such, or it is revoked already).
	RevokeKey(ctx context.Context, account, id string, at time.Time) error
	// TouchKey notes a key's use.
	TouchKey(ctx context.Context, id string, at time.Time) error
}
