package billing

import (
	"context"

	"github.com/shopspring/decimal"
)

// Account is the engine seen from one customer account: what the desktop
// app's money views use.
type Account struct {
	e  *Engine
	id string
}

// For returns the engine as one account sees it.
func (e *Engine) For(account string) Account { return Account{e: e, id: account} }

// ID returns the account's ID.
func (a Account) ID() string { return a.id }

// Balance reads the account's credit.
func (a Account) Balance(ctx context.Context) (Balance, error) { return a.e.Balance(ctx, a.id) }

// Bundle reads the current cycle's bundle.
func (a Account) Bundle(ctx context.Context) (BundleState, error) { return a.e.Bundle(ctx, a.id) }

// Quote prices a call before it is dialled.
func (a Account) Quote(ctx context.Context, from, to string) (Quote, error) {
	return a.e.Quote(ctx, a.id, from, to)
}

// AddCredits charges the card on file; key makes it idempotent.
func (a Account) AddCredits(ctx context.Context, amount decimal.Decimal, key string) (Attempt, error) {
	return a.e.AddCredits(ctx, a.id, amount, key)
}

// Card returns the card on file.
func (a Account) Card(ctx context.Context) (SavedCard, bool, error) { return a.e.Card(ctx, a.id) }

// AutoTopUp reads the auto top-up settings.
func (a Account) AutoTopUp(ctx context.Context) (AutoTopUp, error) {
	return a.e.AutoTopUpSettings(ctx, a.id)
}

// SetAutoTopUp changes the auto top-up settings.
func (a Account) SetAutoTopUp(ctx context.Context, s AutoTopUp) error {
	return a.e.SetAutoTopUp(ctx, a.id, s)
}

// SuggestThreshold suggests an auto top-up threshold.
func (a Account) SuggestThreshold(ctx context.Context) (Suggestion, error) {
	return a.e.SuggestThreshold(ctx, a.id)
}

// TopUps lists recent top-ups, newest first.
func (a Account) TopUps(ctx context.Context, limit int) ([]Attempt, error) {
	return a.e.TopUps(ctx, a.id, limit)
}

// Notifications lists the messages for the owner.
func (a Account) Notifications(ctx context.Context) ([]Notification, error) {
	return a.e.Notifications(ctx, a.id)
}
