package billing

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/money"
)

var (
	// ErrNoCredit means the gate refused: not enough available credit. The
	// error is a *CreditError carrying a reason to show and to put in a SIP
	// 402's reason phrase.
	ErrNoCredit = errors.New("billing: insufficient credit")
	// ErrNotFound means the account has no such thing (a receipt).
	ErrNotFound = errors.New("billing: not found")
	// ErrUnknownAccount means no customer account has that ID.
	ErrUnknownAccount = errors.New("billing: unknown account")
	// ErrInvalid means a request is malformed; the message says how.
	ErrInvalid = errors.New("billing: invalid request")
	// ErrEnded means a call was already ended.
	ErrEnded = errors.New("billing: call already ended")
	// ErrTopUpSkipped means an automatic top-up was not started: it is
	// off, one is in flight, the balance is above the threshold, or a cap
	// was reached. The message says which.
	ErrTopUpSkipped = errors.New("billing: auto top-up not started")
	// ErrPaymentPending means the processor has not said whether a payment
	// went through; it will be settled by reconciliation, never charged
	// twice.
	ErrPaymentPending = errors.New("billing: payment outcome pending")
)

// CreditError is the gate's refusal.
type CreditError struct {
	Reason    string          // for people: "Your account has no credit left."
	Available decimal.Decimal // available credit when refused
	Needed    decimal.Decimal // what the item needed, when known
	Currency  string
	// Suspended: the account is suspended (Reason says why), whatever its
	// credit; SIP answers 403 rather than 402.
	Suspended bool
}

// Status is the SIP (and HTTP) status the refusal is answered with: 402
// for credit, 403 for a suspended account.
func (e *CreditError) Status() int {
	if e.Suspended {
		return 403
	}
	return 402
}

func (e *CreditError) Error() string {
	return fmt.Sprintf("billing: insufficient credit: %s", e.Reason)
}

// Unwrap makes errors.Is(err, ErrNoCredit) true, or ErrSuspended for a
// suspended account.
func (e *CreditError) Unwrap() error {
	if e.Suspended {
		return ErrSuspended
	}
	return ErrNoCredit
}

func noCredit(available decimal.Decimal, currency string) *CreditError {
	return &CreditError{
		Reason:    fmt.Sprintf("Your account has no credit available (%s). Add credits to make calls and send messages.", money.Display(available, currency)),
		Available: available, Currency: currency,
	}
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}
