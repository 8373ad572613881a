package ledger

import "errors"

var (
	// ErrInsufficient means a transfer or reservation would take an account
	// with a floor below zero available.
	ErrInsufficient = errors.New("ledger: insufficient balance")
	// ErrConflict means an idempotency key was reused with different fields.
	ErrConflict = errors.New("ledger: idempotency key reused with different fields")
	// ErrNotFound means an account or reservation does not exist.
	ErrNotFound = errors.New("ledger: not found")
	// ErrClosed means a reservation was already settled, voided or expired.
	ErrClosed = errors.New("ledger: reservation is closed")
	// ErrInvalid means a transfer or reservation is malformed.
	ErrInvalid = errors.New("ledger: invalid")
)
