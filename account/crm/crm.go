// Package crm logs an account's calls and texts in its CRM by themselves:
// the contact found by phone number (or created, when the account chose
// so), a call with its direction, length, outcome, disposition, notes and
// recording link, a text with its words.
//
// A Connector speaks one CRM's API (HubSpot, Pipedrive). What to log
// comes from the account's event outbox (package hooks): connecting a CRM
// subscribes a delivery target "crm:KIND" to the call and text events, so
// the CRM gets the same queue, retries, delivery log and replay as a
// webhook, and a CRM that is down loses nothing. Sync is that target.
package crm

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kinds of CRM this package connects.
const (
	KindHubSpot   = "hubspot"
	KindPipedrive = "pipedrive"
)

// Kinds lists them, for settings and validation.
var Kinds = []string{KindHubSpot, KindPipedrive}

// Contact is a CRM's contact: its id there, a name to show, and the page
// that shows it to a person signed in to the CRM.
type Contact struct {
	ID   string
	Name string
	URL  string
}

// Call is what a CRM is told of a call.
type Call struct {
	ID        string // Tether's call id
	Direction string // "inbound" or "outbound"
	From, To  string
	Customer  string // the outside number (From or To)
	Started   time.Time
	Seconds   int64
	Outcome   string // "answered", "missed", "busy", "voicemail", "failed", "refused"
	Tag       string // the disposition a person logged ("Call back"), if any
	Notes     string
	Recording string // a link to the recording, if there is one
	// Transcript is what was said, when the call was transcribed.
	Transcript string
}

// Text is what a CRM is told of a text message.
type Text struct {
	ID        string
	Direction string // "inbound" or "outbound"
	From, To  string
	Customer  string
	At        time.Time
	Body      string
}

// Connector is one CRM account, signed in.
type Connector interface {
	// FindContact returns the contact with the phone number (E.164),
	// ok=false when there is none.
	FindContact(ctx context.Context, phone string) (c Contact, ok bool, err error)
	// CreateContact creates a contact for a phone number.
	CreateContact(ctx context.Context, phone string) (Contact, error)
	// LogCall logs a call on a contact and returns the CRM's id for it.
	LogCall(ctx context.Context, contact Contact, c Call) (string, error)
	// UpdateCall rewrites a logged call (its disposition and notes came
	// later).
	UpdateCall(ctx context.Context, crmID string, c Call) error
	// LogText logs a text on a contact and returns the CRM's id for it.
	LogText(ctx context.Context, contact Contact, t Text) (string, error)
}

// Errors a Connector returns.
var (
	// ErrAuth: the CRM refused the credentials (revoked, expired beyond
	// refresh): the account must connect again.
	ErrAuth = errors.New("crm: the CRM refused the credentials; connect it again")
	// ErrUnavailable: the CRM did not answer, or answered that it could
	// not now (5xx, 429): try again later.
	ErrUnavailable = errors.New("crm: the CRM is not answering")
	// ErrRefused: the CRM refused the request itself (4xx): trying the
	// same again will not help.
	ErrRefused = errors.New("crm: the CRM refused the request")
)

// statusErr sorts an HTTP status from a CRM into the errors above.
func statusErr(status int, what, body string) error {
	if len(body) > 300 {
		body = body[:300] + "..."
	}
	switch {
	case status == 401 || status == 403:
		return fmt.Errorf("%w (%s: %d %s)", ErrAuth, what, status, body)
	case status == 429 || status >= 500:
		return fmt.Errorf("%w (%s: %d %s)", ErrUnavailable, what, status, body)
	}
	return fmt.Errorf("%w (%s: %d %s)", ErrRefused, what, status, body)
}
