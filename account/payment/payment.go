// Package payment charges customers' cards: the Processor interface the
// top-up engine uses, and the Sandbox processor the demo and the tests run
// on. A Stripe processor implements the same interface.
package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

var (
	// ErrDeclined means the card issuer refused the charge; retrying with
	// the same card will not help. The error is a *DeclineError.
	ErrDeclined = errors.New("payment: declined")
	// ErrUnknownOutcome means the processor did not say whether it charged
	// (a timeout, a lost connection). Retry with the same idempotency key to
	// learn the outcome; never with a new key.
	ErrUnknownOutcome = errors.New("payment: outcome unknown")
	// ErrIdempotency means an idempotency key was reused for another charge.
	ErrIdempotency = errors.New("payment: idempotency key reused with other parameters")
	// ErrCard means card details are invalid.
	ErrCard = errors.New("payment: invalid card")
	// ErrNoCard means the customer has no card on file.
	ErrNoCard = errors.New("payment: no card on file")
)

// DeclineError says why a charge was declined.
type DeclineError struct {
	Code    string // "card_declined", "insufficient_funds", "expired_card"
	Message string // for people
}

func (e *DeclineError) Error() string {
	return fmt.Sprintf("payment: declined: %s (%s)", e.Message, e.Code)
}

// Unwrap makes errors.Is(err, ErrDeclined) true.
func (e *DeclineError) Unwrap() error { return ErrDeclined }

// CardDetails is what a person types to save a card.
type CardDetails struct {
	Number   string
	ExpMonth int
	ExpYear  int
	CVC      string
}

// Card is a saved card, as much of it as may be shown.
type Card struct {
	ID       string // the processor's reference, used to charge it
	Brand    string
	Last4    string
	ExpMonth int
	ExpYear  int
}

// ChargeRequest asks for one off-session charge of a saved card.
type ChargeRequest struct {
	IdempotencyKey string
	Customer       string
	Card           string // Card.ID
	Amount         decimal.Decimal
	Currency       string
	Description    string
}

// Status is a payment's outcome.
type Status string

// Payment outcomes.
const (
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
)

// Payment is a charge as the processor recorded it.
type Payment struct {
	ID             string
	IdempotencyKey string
	Customer       string
	Amount         decimal.Decimal
	Currency       string
	Status         Status
	FailureCode    string
	FailureMessage string
	Created        time.Time
}

// Processor charges saved cards. Charge is idempotent: the same key returns
// the same payment, whatever happened to earlier replies.
type Processor interface {
	// SaveCard validates and saves a card for a customer.
	SaveCard(ctx context.Context, customer string, card CardDetails) (Card, error)
	// Charge charges a saved card. A declined charge returns the failed
	// Payment and a *DeclineError; an unknown outcome returns
	// ErrUnknownOutcome.
	Charge(ctx context.Context, req ChargeRequest) (Payment, error)
	// Find returns the payment made under an idempotency key, if any.
	Find(ctx context.Context, idempotencyKey string) (Payment, bool, error)
}
