package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Unit is what an account counts: a currency code, or a bundle allowance
// such as "voice-seconds".
type Unit string

// AccountID names a ledger account. The helpers below build the names.
type AccountID string

// Account is a ledger account.
type Account struct {
	ID    AccountID
	Unit  Unit
	Floor bool // posted and available may never go below zero
}

// Transfer moves Amount from From to To. Its ID is the idempotency key.
type Transfer struct {
	ID     string
	From   AccountID
	To     AccountID
	Amount decimal.Decimal
	Unit   Unit
	Code   string    // why: a usage type, "payment", "adjustment", "grant"
	Ref    string    // the business object: call ID, message ID, payment ID
	Memo   string    // free text for people
	At     time.Time // when it was posted; the store sets it when zero
}

// Same reports whether two transfers carry the same fields, ignoring when
// they were posted: the test for an idempotent replay.
func (t Transfer) Same(o Transfer) bool {
	return t.ID == o.ID && t.From == o.From && t.To == o.To && t.Amount.Equal(o.Amount) &&
		t.Unit == o.Unit && t.Code == o.Code && t.Ref == o.Ref
}

// Validate checks a transfer's shape.
func (t Transfer) Validate() error {
	switch {
	case t.ID == "" || len(t.ID) > 200:
		return fmt.Errorf("%w: transfer ID must be 1 to 200 bytes", ErrInvalid)
	case t.From == "" || t.To == "" || t.From == t.To:
		return fmt.Errorf("%w: transfer %s needs two different accounts", ErrInvalid, t.ID)
	case !t.Amount.IsPositive():
		return fmt.Errorf("%w: transfer %s amount %s must be positive", ErrInvalid, t.ID, t.Amount)
	case t.Unit == "":
		return fmt.Errorf("%w: transfer %s has no unit", ErrInvalid, t.ID)
	}
	return nil
}

// ReservationState is where a reservation is in its life.
type ReservationState string

// Reservation states. Only an open reservation holds its amount.
const (
	Open    ReservationState = "open"
	Settled ReservationState = "settled"
	Voided  ReservationState = "voided"
	Expired ReservationState = "expired"
)

// Reservation holds Amount on Account until it is settled, voided or
// expires. Its ID is the idempotency key.
type Reservation struct {
	ID      string
	Account AccountID
	Amount  decimal.Decimal
	Expires time.Time
	State   ReservationState
}

// Validate checks a reservation's shape.
func (r Reservation) Validate() error {
	switch {
	case r.ID == "" || len(r.ID) > 200:
		return fmt.Errorf("%w: reservation ID must be 1 to 200 bytes", ErrInvalid)
	case r.Account == "":
		return fmt.Errorf("%w: reservation %s has no account", ErrInvalid, r.ID)
	case !r.Amount.IsPositive():
		return fmt.Errorf("%w: reservation %s amount %s must be positive", ErrInvalid, r.ID, r.Amount)
	case r.Expires.IsZero():
		return fmt.Errorf("%w: reservation %s has no expiry", ErrInvalid, r.ID)
	}
	return nil
}

// Balance is an account's state.
type Balance struct {
	Unit     Unit
	Posted   decimal.Decimal
	Reserved decimal.Decimal // held by open reservations
}

// Available is what may still be spent or reserved: posted minus reserved.
func (b Balance) Available() decimal.Decimal { return b.Posted.Sub(b.Reserved) }

// Filter selects transfers touching one account.
type Filter struct {
	Account AccountID
	Since   time.Time // inclusive; zero for the beginning
	Until   time.Time // exclusive; zero for no end
	Codes   []string  // empty for all
	Limit   int       // 0 for no limit
}

// Store keeps the ledger. Every method is atomic: it happens completely or
// not at all, and once it has returned nil it survives a crash.
type Store interface {
	// EnsureAccounts creates the accounts that do not exist yet. An existing
	// account with a different unit or floor is ErrConflict.
	EnsureAccounts(ctx context.Context, accounts ...Account) error
	// Post posts the transfers together: all of them or none. A transfer
	// whose ID exists with the same fields is skipped; with different fields
	// it is ErrConflict.
	Post(ctx context.Context, transfers ...Transfer) error
	// Reserve holds an amount. Replaying a reservation is a no-op.
	Reserve(ctx context.Context, r Reservation) error
	// Settle closes an open reservation and posts t, which must take at
	// most the reserved amount from the reserved account. A zero-amount t
	// only releases the reservation. Replaying the same settlement is a
	// no-op.
	Settle(ctx context.Context, reservationID string, t Transfer) error
	// Void releases an open reservation. Voiding a voided one is a no-op.
	Void(ctx context.Context, reservationID string) error
	// Expire marks every open reservation that expired at or before now
	// expired, releasing it, and says how many it released.
	Expire(ctx context.Context, now time.Time) (int, error)
	// Balance reads an account.
	Balance(ctx context.Context, id AccountID) (Balance, error)
	// Reservation reads a reservation.
	Reservation(ctx context.Context, id string) (Reservation, error)
	// Transfer reads one transfer by its ID.
	Transfer(ctx context.Context, id string) (Transfer, error)
	// Transfers lists transfers touching an account, oldest first.
	Transfers(ctx context.Context, f Filter) ([]Transfer, error)
	// Check verifies the ledger's invariants over the whole store.
	Check(ctx context.Context) error
}
