package billing

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
)

// Customer is a customer account, as billing knows it.
type Customer struct {
	ID       string
	Currency string
	// Region is the account's country (ISO 3166 alpha-2): numbers its
	// people write without a country code are read as in it.
	Region      string
	Plan        string
	CycleAnchor time.Time // billing cycles start on this day of each month
	Created     time.Time

	// Name is the company's name; Zone its time zone (IANA), for the
	// times its people see; CallerID the number its calls show when a
	// person has not chosen one ("" for the first number they answer).
	Name     string
	Zone     string
	CallerID string
	// Suspended says why the account is suspended ("" while it is not):
	// its calls and texts are refused, nothing of it is deleted.
	Suspended   string
	SuspendedAt time.Time
	// Verified is when the owner proved the email address (zero until
	// then): no money moves before.
	Verified time.Time
	// NextPlan is the plan the account moves to on NextPlanAt, its next
	// billing day (a downgrade); "" for none.
	NextPlan   string
	NextPlanAt time.Time
}

// Subscription charge kinds.
const (
	ChargeCycle   = "cycle"   // a billing day: every seat, the whole cycle
	ChargeSeat    = "seat"    // a seat added mid-cycle, prorated
	ChargeUpgrade = "upgrade" // a plan changed up mid-cycle, prorated
)

// Subscription charge states.
const (
	ChargeDue  = "due"  // to be charged at NextTry (again, after a failure)
	ChargePaid = "paid" // the card was charged
)

// SubCharge is one charge of an account's subscription (its seats), made
// to its card and never from its credits.
type SubCharge struct {
	ID       string // "sub:ACCOUNT:CYCLE:KIND[:REF]": one per thing charged for
	Account  string
	Cycle    string // the billing cycle's ID
	Kind     string // ChargeCycle, ChargeSeat, ChargeUpgrade
	Ref      string // the seat's user, the plan upgraded to
	Plan     string
	Seats    int
	Amount   decimal.Decimal
	Currency string
	Status   string // ChargeDue, ChargePaid
	// Attempts counts the tries the processor answered (a declined card);
	// the next try's idempotency key is ID and Attempts.
	Attempts  int
	NextTry   time.Time
	PaymentID string
	Failure   string // why the last try failed
	Created   time.Time
	Updated   time.Time
	Paid      time.Time
}

// ChargeOutcome is how one try of a subscription charge went.
type ChargeOutcome struct {
	Paid      bool
	PaymentID string
	Failure   string
	NextTry   time.Time       // when not paid
	Counted   bool            // the processor answered: the next try takes a new key
	Revenue   ledger.Transfer // posted with a payment, atomically
}

// Profile is what an owner may change about the account.
type Profile struct {
	Name     string
	Region   string
	Zone     string
	CallerID string
}

// Seat is a user of an account: each brings a bundle allowance.
type Seat struct {
	User    string
	Added   time.Time
	Removed time.Time // zero while the seat is active
}

// AutoTopUp is an account's auto top-up settings and state.
type AutoTopUp struct {
	Enabled    bool
	Threshold  decimal.Decimal // top up when available credit falls below this
	Amount     decimal.Decimal // add this much each time
	DailyCount int             // at most this many automatic top-ups in 24 hours
	MonthlyCap decimal.Decimal // at most this much in 30 days
	Failures   int             // consecutive failed automatic attempts
	InFlight   string          // the attempt under way, if any
	Disabled   string          // why it turned itself off, if it did
}

// AttemptKind says who asked for a top-up.
type AttemptKind string

// Attempt kinds.
const (
	Manual AttemptKind = "manual" // a person pressed Add credits
	Auto   AttemptKind = "auto"   // the balance fell below the threshold
)

// AttemptStatus is where a top-up attempt is.
type AttemptStatus string

// Attempt states. Pending attempts are finished by reconciliation.
const (
	Pending   AttemptStatus = "pending"
	Succeeded AttemptStatus = "succeeded"
	Failed    AttemptStatus = "failed"
)

// Attempt is one top-up: a charge of the card on file and, if it went
// through, a credit to the account.
type Attempt struct {
	ID        string
	Account   string
	Kind      AttemptKind
	Key       string // unique: the client's idempotency key for manual ones
	Amount    decimal.Decimal
	Currency  string
	Card      string
	Status    AttemptStatus
	PaymentID string
	Failure   string
	Created   time.Time
	Updated   time.Time
}

// Caps bound automatic top-ups; the store checks them atomically with the
// claim.
type Caps struct {
	Threshold  decimal.Decimal // still below it, as of the claim?
	DaySince   time.Time
	DailyCount int
	MonthSince time.Time
	MonthlyCap decimal.Decimal
}

// Outcome is how an attempt ended.
type Outcome struct {
	Status       AttemptStatus // Succeeded or Failed
	PaymentID    string
	Failure      string
	Credit       ledger.Transfer // posted with a success, atomically
	DisableAfter int             // auto attempts: turn off after this many failures in a row
}

// Notification is a message for the account's owner.
type Notification struct {
	ID      int64
	Kind    string
	Message string
	Created time.Time
}

// SavedCard is the card on file.
type SavedCard struct {
	ID       string
	Brand    string
	Last4    string
	ExpMonth int
	ExpYear  int
}

// Store keeps the ledger and billing's own state, in one place so that a
// payment's credit and its attempt's status change together.
type Store interface {
	ledger.Store

	// CreateCustomer records a new customer account; an existing one with
	// the same ID is left alone and reported by ok=false.
	CreateCustomer(ctx context.Context, c Customer) (ok bool, err error)
	Customer(ctx context.Context, id string) (Customer, error)
	// Customers lists every account, oldest first.
	Customers(ctx context.Context) ([]Customer, error)
	// SetProfile changes an account's name, region, zone and caller ID.
	SetProfile(ctx context.Context, id string, p Profile) error
	// SetSuspended suspends an account saying why, or resumes it (reason
	// "").
	SetSuspended(ctx context.Context, id, reason string, at time.Time) error
	// SetVerified records when the owner's email was verified.
	SetVerified(ctx context.Context, id string, at time.Time) error
	// SetPlan changes an account's plan now, and the one it moves to on
	// its next billing day, at ("" for none).
	SetPlan(ctx context.Context, id, plan, next string, at time.Time) error

	// AddSubCharge records a subscription charge unless one with its ID
	// exists (then that one is returned, fresh=false).
	AddSubCharge(ctx context.Context, c SubCharge) (got SubCharge, fresh bool, err error)
	// FinishSubCharge records one try's outcome; a payment posts its
	// revenue transfer in the same transaction. A paid charge stays paid.
	FinishSubCharge(ctx context.Context, id string, o ChargeOutcome) (SubCharge, error)
	// SubCharges lists an account's charges, newest first ("" for every
	// account's); UnpaidSubCharges those not paid, oldest first.
	SubCharges(ctx context.Context, account string, limit int) ([]SubCharge, error)
	UnpaidSubCharges(ctx context.Context, account string) ([]SubCharge, error)
	AddSeat(ctx context.Context, account, user string, at time.Time) error
	RemoveSeat(ctx context.Context, account, user string, at time.Time) error
	Seats(ctx context.Context, account string) ([]Seat, error)

	SetCard(ctx context.Context, account string, c SavedCard) error
	Card(ctx context.Context, account string) (SavedCard, bool, error)

	AutoTopUp(ctx context.Context, account string) (AutoTopUp, error)
	// SetAutoTopUp stores the settings a person chose; enabling clears the
	// failure count and the reason it turned itself off.
	SetAutoTopUp(ctx context.Context, account string, s AutoTopUp) error

	// BeginAuto claims the account's single automatic top-up slot and
	// records the attempt, if auto top-up is on, none is in flight, available
	// credit is below the threshold and the caps allow it; otherwise it
	// returns ErrTopUpSkipped saying why.
	BeginAuto(ctx context.Context, a Attempt, caps Caps) error
	// BeginManual records a manual attempt; replaying its key returns the
	// attempt already recorded (ok=false).
	BeginManual(ctx context.Context, a Attempt) (existing Attempt, ok bool, err error)
	// Finish records an attempt's outcome; with a success it posts the
	// credit in the same transaction. Finishing a finished attempt the same
	// way is a no-op.
	Finish(ctx context.Context, attemptID string, o Outcome) (Attempt, error)
	Attempt(ctx context.Context, id string) (Attempt, error)
	// Attempts lists an account's attempts, newest first; pendingOnly and
	// account "" together list every pending attempt.
	Attempts(ctx context.Context, account string, pendingOnly bool, limit int) ([]Attempt, error)

	// NoteCreditLevel keeps the account's credit level; moving down from
	// the level kept before (ok to low or exhausted, low to exhausted), it
	// writes the credits.low or credits.exhausted event with it.
	NoteCreditLevel(ctx context.Context, l CreditLevel) error

	Notify(ctx context.Context, account, kind, message string) error
	Notifications(ctx context.Context, account string) ([]Notification, error)
}
