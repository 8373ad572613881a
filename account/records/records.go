// Package records holds call detail records and message records: what
// happened on each call and text, who, when, how long, what it cost. The
// ledger holds the money; these hold the story the money belongs to.
package records

import (
	"context"
	"errors"
	"time"

	"github.com/shopspring/decimal"
)

// ErrNotFound means no record has that ID.
var ErrNotFound = errors.New("records: not found")

// Disposition is how a call ended.
type Disposition string

// Dispositions.
const (
	Answered  Disposition = "answered"
	Missed    Disposition = "missed"    // nobody answered, or the caller gave up
	Busy      Disposition = "busy"      // refused by the callee (486, 603)
	Refused   Disposition = "refused"   // refused by the system: credit, permission
	Failed    Disposition = "failed"    // a network or server failure
	Voicemail Disposition = "voicemail" // a message was left
)

// Call is one call's record.
type Call struct {
	ID          string
	Account     string
	Direction   string // "internal", "outbound", "inbound", "forwarded" (to the number's Forward)
	From, To    string // as dialled and shown: extensions or E.164 numbers
	Started     time.Time
	Answered    time.Time // zero when not answered
	Ended       time.Time
	Seconds     int64 // talk time billed (0 when not answered)
	Cost        decimal.Decimal
	Currency    string
	Destination string // the rate deck's name for a billed call
	Disposition Disposition
	Cause       string // the SIP status or Reason that ended it
	Recording   string // the recording's path under the data directory; "" when not recorded
	// Tag is the disposition a person logged after the call, from the
	// account's list ("Interested", "Call back"), with their notes.
	Tag   string
	Notes string
}

// Message is one text's record.
type Message struct {
	ID        string
	Account   string
	Direction string // "internal", "outbound", "inbound"
	From, To  string
	At        time.Time
	Segments  int
	Cost      decimal.Decimal
	Currency  string
	Status    string // "delivered", "queued", "sent", "refused"
	// Body is the text itself: not kept with the record, only carried by
	// its message.sent or message.received event (to webhooks and the
	// CRM) until delivered.
	Body string
}

// Live is a call in progress as last noted: the record it will have so
// far (no end yet), its meter's state (nil when it is not credit-billed),
// and when it was last known to be up.
type Live struct {
	Call  Call
	Meter []byte
	At    time.Time
}

// Store keeps records.
type Store interface {
	AddCall(ctx context.Context, c Call) error
	// Calls in progress are noted as they start and at checkpoints a few
	// seconds apart, so that a crash loses none of them: BeginCall notes
	// one (again: replaces it); Checkpoint notes that calls were still up
	// at their At, with their meters' state (their records as begun);
	// FinishCall adds the call's record and forgets it as live, in one
	// step; LiveCalls lists those noted and never finished (at start-up:
	// the calls a crash cut off).
	BeginCall(ctx context.Context, l Live) error
	Checkpoint(ctx context.Context, ls []Live) error
	FinishCall(ctx context.Context, c Call) error
	LiveCalls(ctx context.Context) ([]Live, error)
	Calls(ctx context.Context, account string, limit int) ([]Call, error)
	Call(ctx context.Context, id string) (Call, error)
	// Tag logs a disposition and notes on a call.
	Tag(ctx context.Context, id, tag, notes string) error
	AddMessage(ctx context.Context, m Message) error
	Messages(ctx context.Context, account string, limit int) ([]Message, error)
}
