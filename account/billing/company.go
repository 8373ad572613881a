package billing

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/tetherphone/tether/account/country"
	"github.com/tetherphone/tether/account/rating"
)

// ErrUnverified means money cannot move yet: the owner has not verified
// the account's email address.
var ErrUnverified = errors.New("billing: the owner's email address is not verified yet")

// ErrSuspended means the account is suspended: a gate refusal (a
// *CreditError with Suspended set) says why.
var ErrSuspended = errors.New("billing: the account is suspended")

// CheckProfile validates what an owner may set about the account and
// returns it cleaned (the region upper-cased, spaces trimmed). The caller
// ID, when set, must be one of the account's numbers: the caller checks
// that, knowing them.
func CheckProfile(p Profile) (Profile, error) {
	p.Name = strings.TrimSpace(p.Name)
	p.Region = strings.ToUpper(strings.TrimSpace(p.Region))
	p.Zone = strings.TrimSpace(p.Zone)
	p.CallerID = strings.TrimSpace(p.CallerID)
	if n := utf8.RuneCountInString(p.Name); n == 0 || n > 100 || !utf8.ValidString(p.Name) || strings.ContainsAny(p.Name, "\x00\r\n") {
		return p, invalid("the company name has 1 to 100 characters on one line")
	}
	if _, ok := country.Lookup(p.Region); !ok || !rating.ValidRegion(p.Region) {
		return p, invalid("%q is not a country code (ISO 3166 alpha-2, such as US or GB)", p.Region)
	}
	if !country.ValidZone(p.Zone) {
		return p, invalid("%q is not a time zone (an IANA name such as Europe/London)", p.Zone)
	}
	return p, nil
}

// SetProfile changes the account's name, country, time zone and default
// caller ID (checked by CheckProfile).
func (e *Engine) SetProfile(ctx context.Context, account string, p Profile) error {
	p, err := CheckProfile(p)
	if err != nil {
		return err
	}
	return e.store.SetProfile(ctx, account, p)
}

// Customers lists every account, oldest first: for the operator.
func (e *Engine) Customers(ctx context.Context) ([]Customer, error) { return e.store.Customers(ctx) }

// Suspend suspends an account: its calls and texts are refused with the
// reason until Reinstate; its credit, numbers, people and records stay.
func (e *Engine) Suspend(ctx context.Context, account, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 || strings.ContainsAny(reason, "\x00\r\n") {
		return invalid("a suspension needs a reason of 1 to 500 characters on one line")
	}
	return e.store.SetSuspended(ctx, account, reason, e.now())
}

// Reinstate lifts a suspension.
func (e *Engine) Reinstate(ctx context.Context, account string) error {
	return e.store.SetSuspended(ctx, account, "", e.now())
}

// Verify records that the owner proved the account's email address; from
// then on money may move.
func (e *Engine) Verify(ctx context.Context, account string) error {
	c, err := e.store.Customer(ctx, account)
	if err != nil || !c.Verified.IsZero() {
		return err
	}
	now := e.now()
	if err := e.store.SetVerified(ctx, account, now); err != nil {
		return err
	}
	// The subscription starts: the first cycle's charge, tried at once
	// (with no card yet it waits for one, within the grace period).
	c.Verified = now
	e.subMu.Lock()
	_, _, err = e.cycleCharge(ctx, c, now)
	e.subMu.Unlock()
	if err != nil {
		return err
	}
	return e.collect(ctx, account, true)
}

// verified returns ErrUnverified for an account whose owner has not
// verified the email address: no card, charge or purchase before.
func verified(c Customer) error {
	if c.Verified.IsZero() {
		return ErrUnverified
	}
	return nil
}

// suspended is the gate's refusal for a suspended account.
func suspended(c Customer) *CreditError {
	return &CreditError{Suspended: true, Currency: c.Currency,
		Reason: "This account is suspended: " + c.Suspended + ". Calls and texts are off until it is resumed."}
}
