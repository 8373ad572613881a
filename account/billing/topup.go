package billing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/payment"
)

// SaveCard puts a card on file for an account, replacing the previous one.
func (e *Engine) SaveCard(ctx context.Context, account string, d payment.CardDetails) (SavedCard, error) {
	cust, err := e.store.Customer(ctx, account)
	if err != nil {
		return SavedCard{}, err
	}
	if err := verified(cust); err != nil {
		return SavedCard{}, err
	}
	c, err := e.processor.SaveCard(ctx, account, d)
	if err != nil {
		return SavedCard{}, err
	}
	sc := SavedCard{ID: c.ID, Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
	if err := e.store.SetCard(ctx, account, sc); err != nil {
		return sc, err
	}
	// What the subscription owes is taken now, with the new card.
	if err := e.collect(ctx, account, true); err != nil {
		e.log.Error("billing: subscription charges after a new card", "account", account, "err", err)
	}
	return sc, nil
}

// Card returns the card on file.
func (e *Engine) Card(ctx context.Context, account string) (SavedCard, bool, error) {
	return e.store.Card(ctx, account)
}

func newAttemptID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "tu_" + hex.EncodeToString(b)
}

// checkAmount validates an amount a person asked to add.
func (e *Engine) checkAmount(what string, amount decimal.Decimal) error {
	if !amount.Equal(amount.Truncate(2)) {
		return invalid("%s must be in whole cents", what)
	}
	if amount.LessThan(e.limits.MinTopUp) || amount.GreaterThan(e.limits.MaxTopUp) {
		return invalid("%s must be between %s and %s", what, e.limits.MinTopUp.StringFixed(2), e.limits.MaxTopUp.StringFixed(2))
	}
	return nil
}

// AddCredits charges the card on file and credits the account at once.
// key is the client's idempotency key: the same key returns the same
// attempt and never charges twice. A declined card returns the failed
// attempt and a *payment.DeclineError; a processor that does not answer
// returns ErrPaymentPending, and reconciliation finishes the attempt.
func (e *Engine) AddCredits(ctx context.Context, account string, amount decimal.Decimal, key string) (Attempt, error) {
	if err := validKey("idempotency key", key); err != nil {
		return Attempt{}, err
	}
	if err := e.checkAmount("the amount", amount); err != nil {
		return Attempt{}, err
	}
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return Attempt{}, err
	}
	if err := verified(c); err != nil {
		return Attempt{}, err
	}
	card, ok, err := e.store.Card(ctx, account)
	if err != nil {
		return Attempt{}, err
	}
	if !ok {
		return Attempt{}, payment.ErrNoCard
	}
	a := Attempt{ID: newAttemptID(), Account: account, Kind: Manual, Key: "manual:" + account + ":" + key,
		Amount: amount, Currency: c.Currency, Card: card.ID, Status: Pending, Created: e.now()}
	got, fresh, err := e.store.BeginManual(ctx, a)
	if err != nil {
		return Attempt{}, err
	}
	if !fresh {
		if !got.Amount.Equal(amount) {
			return got, fmt.Errorf("%w: key %q was used for %s", ledger.ErrConflict, key, got.Amount)
		}
		if got.Status != Pending {
			return got, attemptErr(got)
		}
	}
	return e.charge(ctx, got)
}

func attemptErr(a Attempt) error {
	switch a.Status {
	case Failed:
		return &payment.DeclineError{Code: "failed", Message: a.Failure}
	case Pending:
		return ErrPaymentPending
	}
	return nil
}

// charge asks the processor, with the attempt's own idempotency key, and
// records the outcome.
func (e *Engine) charge(ctx context.Context, a Attempt) (Attempt, error) {
	p, err := e.processor.Charge(ctx, payment.ChargeRequest{
		IdempotencyKey: "topup:" + a.ID, Customer: a.Account, Card: a.Card,
		Amount: a.Amount, Currency: a.Currency, Description: fmt.Sprintf("%s credit top-up", a.Kind),
	})
	return e.finish(ctx, a, p, err)
}

func (e *Engine) finish(ctx context.Context, a Attempt, p payment.Payment, err error) (Attempt, error) {
	var decline *payment.DeclineError
	var o Outcome
	switch {
	case err == nil && p.Status == payment.Succeeded:
		if !p.Amount.Equal(a.Amount) || p.Currency != a.Currency {
			return a, fmt.Errorf("billing: processor charged %s %s for a %s %s top-up", p.Amount, p.Currency, a.Amount, a.Currency)
		}
		cur := ledger.Unit(a.Currency)
		o = Outcome{Status: Succeeded, PaymentID: p.ID, Credit: ledger.Transfer{
			ID: "payment:" + p.ID, From: ledger.PaymentClearing(cur), To: ledger.Customer(a.Account),
			Amount: p.Amount, Unit: cur, Code: "payment", Ref: p.ID, Memo: string(a.Kind) + " top-up",
		}}
	case errors.As(err, &decline):
		o = Outcome{Status: Failed, PaymentID: p.ID, Failure: decline.Message}
	case errors.Is(err, payment.ErrUnknownOutcome):
		e.log.Warn("billing: top-up outcome unknown; reconciliation will settle it", "attempt", a.ID, "err", err)
		return a, ErrPaymentPending
	default:
		// The processor refused before charging (bad request, no card):
		// nothing was charged.
		o = Outcome{Status: Failed, Failure: err.Error()}
	}
	if a.Kind == Auto {
		o.DisableAfter = e.limits.DisableAfterFailures
	}
	done, ferr := e.store.Finish(ctx, a.ID, o)
	if ferr != nil {
		return a, ferr
	}
	e.forgetSettings(a.Account)
	if done.Status == Succeeded {
		if c, err := e.store.Customer(ctx, a.Account); err == nil {
			e.checkLevel(c) // (back above the line: the next crossing is an event again)
		}
	}
	return done, attemptErr(done)
}

// SetAutoTopUp validates and stores auto top-up settings. The amount must
// be at least the threshold, so one top-up always lifts a drained balance
// back to the threshold; enabling needs a card on file.
func (e *Engine) SetAutoTopUp(ctx context.Context, account string, s AutoTopUp) error {
	if _, err := e.store.Customer(ctx, account); err != nil {
		return err
	}
	if s.DailyCount == 0 {
		s.DailyCount = e.limits.DailyCount
	}
	if s.MonthlyCap.IsZero() {
		s.MonthlyCap = decimal.Max(e.limits.MonthlyCap, s.Amount)
	}
	switch {
	case s.Threshold.IsNegative() || !s.Threshold.Equal(s.Threshold.Truncate(2)):
		return invalid("the threshold must be zero or more, in whole cents")
	case s.Threshold.GreaterThan(e.limits.MaxTopUp):
		return invalid("the threshold may be at most %s", e.limits.MaxTopUp.StringFixed(2))
	case s.Enabled && !s.Threshold.IsPositive():
		return invalid("a threshold of 0.00 would top up only once the balance is spent and calls are already blocked: set a threshold above zero (a day or two of your usual spend)")
	case s.DailyCount < 1 || s.DailyCount > 24:
		return invalid("the daily limit must be 1 to 24 top-ups")
	case s.MonthlyCap.LessThan(s.Amount) || !s.MonthlyCap.Equal(s.MonthlyCap.Truncate(2)):
		return invalid("the monthly cap must cover at least one top-up, in whole cents")
	}
	if err := e.checkAmount("the top-up amount", s.Amount); err != nil {
		return err
	}
	if s.Amount.LessThan(s.Threshold) {
		return invalid("a top-up of %s would leave a drained balance below the %s threshold: add at least the threshold",
			s.Amount.StringFixed(2), s.Threshold.StringFixed(2))
	}
	if s.Enabled {
		if _, ok, err := e.store.Card(ctx, account); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%w: auto top-up needs a card on file", payment.ErrNoCard)
		}
	}
	if err := e.store.SetAutoTopUp(ctx, account, s); err != nil {
		return err
	}
	e.forgetSettings(account)
	b, err := e.store.Balance(ctx, ledger.Customer(account))
	if err == nil && s.Enabled && b.Available().LessThan(s.Threshold) {
		e.startTopUp(account)
	}
	return err
}

// AutoTopUpSettings reads the settings and state.
func (e *Engine) AutoTopUpSettings(ctx context.Context, account string) (AutoTopUp, error) {
	return e.store.AutoTopUp(ctx, account)
}

// TopUps lists an account's top-up attempts, newest first.
func (e *Engine) TopUps(ctx context.Context, account string, limit int) ([]Attempt, error) {
	return e.store.Attempts(ctx, account, false, limit)
}

// Notifications lists the messages for an account's owner.
func (e *Engine) Notifications(ctx context.Context, account string) ([]Notification, error) {
	return e.store.Notifications(ctx, account)
}

func (e *Engine) forgetSettings(account string) {
	e.mu.Lock()
	delete(e.settings, account)
	e.mu.Unlock()
}

// afterDebit starts an automatic top-up when the account's available
// credit has fallen below its threshold. It never blocks the caller.
func (e *Engine) afterDebit(c Customer) {
	e.checkLevel(c)
	e.mu.Lock()
	s, ok := e.settings[c.ID]
	e.mu.Unlock()
	ctx := context.Background()
	if !ok {
		var err error
		if s, err = e.store.AutoTopUp(ctx, c.ID); err != nil {
			e.log.Error("billing: reading auto top-up settings", "account", c.ID, "err", err)
			return
		}
		e.mu.Lock()
		e.settings[c.ID] = s
		e.mu.Unlock()
	}
	if !s.Enabled {
		return
	}
	b, err := e.store.Balance(ctx, ledger.Customer(c.ID))
	if err != nil || !b.Available().LessThan(s.Threshold) {
		return
	}
	e.startTopUp(c.ID)
}

// startTopUp runs one automatic top-up for the account in the background,
// unless one is running already in this process. The store's claim makes it
// single-flight across processes too.
func (e *Engine) startTopUp(account string) {
	e.mu.Lock()
	if e.closed || e.topping[account] {
		e.mu.Unlock()
		return
	}
	e.topping[account] = true
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		defer func() {
			e.mu.Lock()
			delete(e.topping, account)
			e.mu.Unlock()
		}()
		if _, err := e.AutoTopUpNow(context.Background(), account); err != nil && !errors.Is(err, ErrTopUpSkipped) {
			e.log.Warn("billing: auto top-up", "account", account, "err", err)
		}
	}()
}

// AutoTopUpNow runs an automatic top-up if the rules allow one now, and
// waits for it. ErrTopUpSkipped says why not.
func (e *Engine) AutoTopUpNow(ctx context.Context, account string) (Attempt, error) {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return Attempt{}, err
	}
	s, err := e.store.AutoTopUp(ctx, account)
	if err != nil {
		return Attempt{}, err
	}
	if !s.Enabled {
		return Attempt{}, fmt.Errorf("%w: auto top-up is off", ErrTopUpSkipped)
	}
	card, ok, err := e.store.Card(ctx, account)
	if err != nil {
		return Attempt{}, err
	}
	if !ok {
		return Attempt{}, fmt.Errorf("%w: no card on file", ErrTopUpSkipped)
	}
	now := e.now()
	a := Attempt{ID: newAttemptID(), Account: account, Kind: Auto, Amount: s.Amount, Currency: c.Currency,
		Card: card.ID, Status: Pending, Created: now}
	a.Key = "auto:" + a.ID
	caps := Caps{Threshold: s.Threshold, DaySince: now.Add(-24 * time.Hour), DailyCount: s.DailyCount,
		MonthSince: now.AddDate(0, 0, -30), MonthlyCap: s.MonthlyCap}
	if err := e.store.BeginAuto(ctx, a, caps); err != nil {
		return Attempt{}, err
	}
	return e.charge(ctx, a)
}

// Reconcile finishes top-ups whose outcome is unknown (a processor that
// timed out, a crash between the charge and its credit): it asks the
// processor what happened under the attempt's key and records that. An
// attempt the processor never saw is retried under the same key, so it is
// charged at most once. It returns how many attempts it finished.
func (e *Engine) Reconcile(ctx context.Context) (int, error) {
	pending, err := e.store.Attempts(ctx, "", true, 0)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, a := range pending {
		if e.now().Sub(a.Created) < e.limits.RetryPendingAfter && !e.isStale(a) {
			continue
		}
		var out Attempt
		p, found, err := e.processor.Find(ctx, "topup:"+a.ID)
		switch {
		case err != nil:
			return done, err
		case found:
			out, err = e.finish(ctx, a, p, p.Err())
		default:
			out, err = e.charge(ctx, a)
		}
		if errors.Is(err, ErrPaymentPending) {
			continue
		}
		var decline *payment.DeclineError
		if err != nil && !errors.As(err, &decline) {
			return done, err
		}
		if out.Status != Pending {
			done++
		}
	}
	return done, nil
}

// isStale reports whether an attempt cannot be in progress in this process:
// no top-up goroutine holds its account.
func (e *Engine) isStale(a Attempt) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return !e.topping[a.Account]
}

// Sweep releases reservations whose calls stopped settling them and
// finishes pending top-ups. Run it at start and every minute or so.
func (e *Engine) Sweep(ctx context.Context) error {
	if _, err := e.store.Expire(ctx, e.now()); err != nil {
		return err
	}
	if _, err := e.Reconcile(ctx); err != nil {
		return err
	}
	return e.Renew(ctx)
}

// Display formats an amount in an account's currency, to the cent.
func Display(d decimal.Decimal, currency string) string { return money.Display(d, currency) }

// SettlePayment records what the processor says happened to a top-up's
// charge, told later than its answer (a webhook): key is the idempotency
// key the charge was made under. A top-up already finished is left as it
// is, so a repeated event changes nothing; the credit's ledger key (the
// payment's ID) would drop a repeat anyway.
func (e *Engine) SettlePayment(ctx context.Context, key string, p payment.Payment) error {
	id, ok := strings.CutPrefix(key, "topup:")
	if !ok {
		return nil // not a top-up of ours
	}
	a, err := e.store.Attempt(ctx, id)
	if err != nil {
		return err
	}
	if a.Status != Pending {
		if a.Status == Succeeded && p.Status == payment.Succeeded && a.PaymentID != p.ID {
			e.log.Error("billing: a second payment for one top-up", "attempt", a.ID, "kept", a.PaymentID, "other", p.ID)
		}
		return nil
	}
	_, err = e.finish(ctx, a, p, p.Err())
	var decline *payment.DeclineError
	if errors.As(err, &decline) {
		return nil // recorded as failed
	}
	return err
}
