package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/country"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
)

// Config wires an Engine.
type Config struct {
	Store     Store
	Rater     *rating.Rater
	Plans     map[string]Plan
	Processor payment.Processor
	Clock     func() time.Time // time.Now when nil
	Log       *slog.Logger     // slog.Default when nil

	// ChunkSeconds is how far ahead a credit-billed call reserves (60 when 0).
	ChunkSeconds int64
	// ReservationGrace is how long after its chunk a reservation outlives a
	// switchboard that stopped settling it (10 minutes when 0).
	ReservationGrace time.Duration
	// Limits on top-ups; zero fields take the defaults in DefaultLimits.
	Limits Limits
	// SubscriptionGrace is how long a subscription charge may stay unpaid
	// before the account is suspended (7 days when 0); SubscriptionRetry
	// how often it is tried again meanwhile (a day when 0).
	SubscriptionGrace time.Duration
	SubscriptionRetry time.Duration
	// Notify, when set, is told every message left for an account's owner
	// (to email it); it must not block for long.
	Notify func(ctx context.Context, account, kind, message string)
}

// Limits bound what people and the automation may ask for.
type Limits struct {
	MinTopUp, MaxTopUp   decimal.Decimal
	DailyCount           int
	MonthlyCap           decimal.Decimal
	DisableAfterFailures int
	ThresholdFloor       decimal.Decimal // the suggestion for accounts with little history
	RetryPendingAfter    time.Duration   // reconcile attempts whose outcome is unknown after this long
}

// DefaultLimits are the limits the Engine uses where Config leaves zeros.
func DefaultLimits() Limits {
	return Limits{
		MinTopUp: decimal.NewFromInt(5), MaxTopUp: decimal.NewFromInt(10000),
		DailyCount: 3, MonthlyCap: decimal.NewFromInt(1000), DisableAfterFailures: 3,
		ThresholdFloor: decimal.NewFromInt(10), RetryPendingAfter: 30 * time.Second,
	}
}

// Engine applies the money rules. It is safe for concurrent use.
type Engine struct {
	store     Store
	rater     atomic.Pointer[rating.Rater]
	plans     map[string]Plan
	processor payment.Processor
	now       func() time.Time
	log       *slog.Logger
	chunk     int64
	grace     time.Duration
	limits    Limits
	subGrace  time.Duration
	subRetry  time.Duration
	onNotify  func(ctx context.Context, account, kind, message string)

	mu       sync.Mutex
	bundles  map[string]bool      // account/cycle whose grants are posted
	charged  map[string]bool      // account/cycle whose subscription charge exists
	subMu    sync.Mutex           // a seat added and the billing-day charge, one at a time
	settings map[string]AutoTopUp // cached auto top-up settings
	topping  map[string]bool      // accounts with a top-up goroutine running
	// measuring: accounts whose credit level is being measured (true:
	// measure again after); levels: the level each was last noted at.
	measuring map[string]bool
	levels    map[string]string
	wg        sync.WaitGroup // top-up goroutines
	closed    bool
}

// New returns an Engine.
func New(cfg Config) *Engine {
	e := &Engine{
		store: cfg.Store, plans: cfg.Plans, processor: cfg.Processor,
		now: cfg.Clock, log: cfg.Log, chunk: cfg.ChunkSeconds, grace: cfg.ReservationGrace,
		bundles: map[string]bool{}, settings: map[string]AutoTopUp{}, topping: map[string]bool{}, charged: map[string]bool{},
		measuring: map[string]bool{}, levels: map[string]string{},
		subGrace: cfg.SubscriptionGrace, subRetry: cfg.SubscriptionRetry, onNotify: cfg.Notify,
	}
	if e.subGrace <= 0 {
		e.subGrace = 7 * 24 * time.Hour
	}
	if e.subRetry <= 0 {
		e.subRetry = 24 * time.Hour
	}
	e.SetRater(cfg.Rater)
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.chunk <= 0 {
		e.chunk = 60
	}
	if e.grace <= 0 {
		e.grace = 10 * time.Minute
	}
	if e.plans == nil {
		e.plans = DefaultPlans()
	}
	e.limits = withDefaults(cfg.Limits)
	return e
}

// SetRater replaces the prices the engine rates with from now on (an
// operator imported a new deck); calls already started keep their tariff.
// A nil rater has no decks: everything priced from a deck is refused with
// rating.ErrNoDeck.
func (e *Engine) SetRater(r *rating.Rater) {
	if r == nil {
		r = &rating.Rater{Prices: rating.DefaultPrices()}
	}
	e.rater.Store(r)
}

func withDefaults(l Limits) Limits {
	d := DefaultLimits()
	if l.MinTopUp.IsZero() {
		l.MinTopUp = d.MinTopUp
	}
	if l.MaxTopUp.IsZero() {
		l.MaxTopUp = d.MaxTopUp
	}
	if l.DailyCount == 0 {
		l.DailyCount = d.DailyCount
	}
	if l.MonthlyCap.IsZero() {
		l.MonthlyCap = d.MonthlyCap
	}
	if l.DisableAfterFailures == 0 {
		l.DisableAfterFailures = d.DisableAfterFailures
	}
	if l.ThresholdFloor.IsZero() {
		l.ThresholdFloor = d.ThresholdFloor
	}
	if l.RetryPendingAfter == 0 {
		l.RetryPendingAfter = d.RetryPendingAfter
	}
	return l
}

// Close waits for top-ups in progress and stops starting new ones.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.wg.Wait()
}

// NewAccount describes a customer account to open.
type NewAccount struct {
	ID       string
	Currency string // USD when empty
	Region   string // rating.DefaultRegion when empty
	Plan     string
	Owner    string // the first seat
	// Name is the company's name; Zone its time zone (the region's main
	// one when empty).
	Name string
	Zone string
	// Verified: the owner's email address is known to be theirs (the
	// operator vouches); otherwise no money moves until Verify.
	Verified bool
}

// OpenAccount creates a customer account, its ledger accounts and its first
// seat. Opening an existing account again changes nothing.
func (e *Engine) OpenAccount(ctx context.Context, a NewAccount) error {
	if a.Currency == "" {
		a.Currency = money.DefaultCurrency
	}
	if err := validID(a.ID); err != nil {
		return err
	}
	if !money.ValidCurrency(a.Currency) {
		return invalid("currency %q is not supported", a.Currency)
	}
	a.Region = cmp.Or(strings.ToUpper(a.Region), rating.DefaultRegion)
	if !rating.ValidRegion(a.Region) {
		return invalid("region %q is not a country (ISO 3166 alpha-2, such as US or GB)", a.Region)
	}
	if _, ok := e.plans[a.Plan]; !ok {
		return invalid("no plan %q", a.Plan)
	}
	if a.Zone == "" {
		c, _ := country.Lookup(a.Region)
		a.Zone = c.Zone()
	}
	if a.Name != "" {
		p, err := CheckProfile(Profile{Name: a.Name, Region: a.Region, Zone: a.Zone})
		if err != nil {
			return err
		}
		a.Name, a.Zone = p.Name, p.Zone
	} else if !country.ValidZone(a.Zone) {
		return invalid("%q is not a time zone (an IANA name such as Europe/London)", a.Zone)
	}
	now := e.now().UTC()
	cust := Customer{ID: a.ID, Currency: a.Currency, Region: a.Region, Plan: a.Plan, CycleAnchor: now, Created: now, Name: a.Name, Zone: a.Zone}
	if a.Verified {
		cust.Verified = now
	}
	if _, err := e.store.CreateCustomer(ctx, cust); err != nil {
		return err
	}
	cur := ledger.Unit(a.Currency)
	accounts := []ledger.Account{
		{ID: ledger.Customer(a.ID), Unit: cur, Floor: true},
		{ID: ledger.PaymentClearing(cur), Unit: cur},
		{ID: ledger.Adjustments(cur), Unit: cur},
	}
	for _, u := range rating.Usages {
		accounts = append(accounts, ledger.Account{ID: ledger.Revenue(string(u), cur), Unit: cur})
	}
	if err := e.store.EnsureAccounts(ctx, accounts...); err != nil {
		return err
	}
	if a.Owner != "" {
		return e.AddSeat(ctx, a.ID, a.Owner)
	}
	return nil
}

func validID(id string) error {
	if id == "" || len(id) > 64 {
		return invalid("an account ID has 1 to 64 characters")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return invalid("account ID %q may hold only a-z, 0-9, '-', '_' and '.'", id)
		}
	}
	return nil
}

// Balance is an account's credit.
type Balance struct {
	Currency  string
	Posted    decimal.Decimal
	Reserved  decimal.Decimal
	Available decimal.Decimal
}

// Balance reads an account's credit.
func (e *Engine) Balance(ctx context.Context, account string) (Balance, error) {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return Balance{}, err
	}
	b, err := e.store.Balance(ctx, ledger.Customer(account))
	if err != nil {
		return Balance{}, err
	}
	return Balance{Currency: c.Currency, Posted: b.Posted, Reserved: b.Reserved, Available: b.Available()}, nil
}

// Gate says whether the account may start anything (a call, even one
// inside the team, or a message): nil, or a *CreditError when its
// available credit is not positive (the positive balance rule).
func (e *Engine) Gate(ctx context.Context, account string) error {
	_, _, err := e.gate(ctx, account)
	return err
}

// gate returns the account and its balance, or a *CreditError when nothing
// may start.
func (e *Engine) gate(ctx context.Context, account string) (Customer, ledger.Balance, error) {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return c, ledger.Balance{}, err
	}
	if c.Suspended != "" {
		return c, ledger.Balance{}, suspended(c)
	}
	b, err := e.store.Balance(ctx, ledger.Customer(account))
	if err != nil {
		return c, b, err
	}
	if !b.Available().IsPositive() {
		e.afterDebit(c) // a refusal is a low balance too: top up if the account says so
		return c, b, noCredit(b.Available(), c.Currency)
	}
	return c, b, nil
}

// Adjust is an operator's audited change to a balance (refund, goodwill,
// correction). A negative amount may bring the balance down to zero, never
// below. id is the adjustment's idempotency key.
func (e *Engine) Adjust(ctx context.Context, account, id string, amount decimal.Decimal, reason string) error {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return err
	}
	if amount.IsZero() {
		return invalid("an adjustment needs a non-zero amount")
	}
	if reason == "" || len(reason) > 500 {
		return invalid("an adjustment needs a reason of 1 to 500 characters")
	}
	if !amount.Equal(amount.Truncate(money.ChargePlaces)) {
		return invalid("an adjustment has at most %d decimal places", money.ChargePlaces)
	}
	cur := ledger.Unit(c.Currency)
	t := ledger.Transfer{ID: "adjustment:" + account + ":" + id, From: ledger.Adjustments(cur), To: ledger.Customer(account),
		Amount: amount, Unit: cur, Code: "adjustment", Ref: id, Memo: reason}
	if amount.IsNegative() {
		t.From, t.To, t.Amount = t.To, t.From, amount.Neg()
	}
	err = e.store.Post(ctx, t)
	if errors.Is(err, ledger.ErrInsufficient) {
		b, _ := e.store.Balance(ctx, ledger.Customer(account))
		return invalid("the balance is %s available; an adjustment may bring it to zero, not below", money.Display(b.Available(), c.Currency))
	}
	if err == nil {
		e.checkLevel(c)
	}
	return err
}

// Customer returns an account's settings: its currency, region and plan.
func (e *Engine) Customer(ctx context.Context, account string) (Customer, error) {
	return e.store.Customer(ctx, account)
}

// parties reads a call's or message's two numbers as the account writes
// them (without a country code, in its region).
func (e *Engine) parties(ctx context.Context, account, local, remote string) (Customer, rating.Number, rating.Number, error) {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return c, rating.Number{}, rating.Number{}, err
	}
	region := cmp.Or(c.Region, rating.DefaultRegion)
	l, err := rating.ParseNumber(local, region)
	if err != nil {
		return c, l, rating.Number{}, fmt.Errorf("%w: from: %v", ErrInvalid, err)
	}
	r, err := rating.ParseNumber(remote, region)
	if err != nil {
		return c, l, r, fmt.Errorf("%w: to: %v", ErrInvalid, err)
	}
	return c, l, r, nil
}

// Adjusted reports whether the adjustment named id was already made on
// the account (an operator's command run twice does it once).
func (e *Engine) Adjusted(ctx context.Context, account, id string) (bool, error) {
	_, err := e.store.Transfer(ctx, "adjustment:"+account+":"+id)
	if errors.Is(err, ledger.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// reservationID names a chunk's reservation.
func reservationID(callID string, n int) string { return fmt.Sprintf("call:%s:chunk:%d", callID, n) }

// NumberRental is the ledger code for numbers' monthly prices.
const NumberRental = "number-rental"

// Purchase charges the account's credit for something bought outright (a
// number's first month): refused with a *CreditError when available credit
// does not cover it. id is the purchase's idempotency key.
func (e *Engine) Purchase(ctx context.Context, account, id, code string, amount decimal.Decimal, memo string) error {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return err
	}
	if err := verified(c); err != nil {
		return err
	}
	if !amount.IsPositive() || !amount.Equal(amount.Truncate(money.ChargePlaces)) {
		return invalid("a purchase needs a positive amount with at most %d decimal places", money.ChargePlaces)
	}
	if id == "" || len(id) > 150 || code == "" {
		return invalid("a purchase needs an ID and a code")
	}
	cur := ledger.Unit(c.Currency)
	revenue := ledger.Revenue(code, cur)
	if err := e.store.EnsureAccounts(ctx, ledger.Account{ID: revenue, Unit: cur}); err != nil {
		return err
	}
	err = e.store.Post(ctx, ledger.Transfer{ID: "purchase:" + account + ":" + id, From: ledger.Customer(account), To: revenue,
		Amount: amount, Unit: cur, Code: code, Ref: id, Memo: memo})
	if errors.Is(err, ledger.ErrInsufficient) {
		b, _ := e.store.Balance(ctx, ledger.Customer(account))
		ce := noCredit(b.Available(), c.Currency)
		ce.Needed = amount
		ce.Reason = fmt.Sprintf("This costs %s and your account has %s available. Add credits first.",
			money.Display(amount, c.Currency), money.Display(b.Available(), c.Currency))
		return ce
	}
	if err == nil {
		e.afterDebit(c)
	}
	return err
}

// Transactions lists the transfers in and out of an account's credit,
// newest first, skipping offset and returning at most limit.
func (e *Engine) Transactions(ctx context.Context, account string, f ledger.Filter, offset, limit int) ([]ledger.Transfer, error) {
	if _, err := e.store.Customer(ctx, account); err != nil {
		return nil, err
	}
	f.Account, f.Limit = ledger.Customer(account), 0
	ts, err := e.store.Transfers(ctx, f)
	if err != nil {
		return nil, err
	}
	slices.Reverse(ts)
	if offset >= len(ts) {
		return []ledger.Transfer{}, nil
	}
	ts = ts[offset:]
	if len(ts) > limit {
		ts = ts[:limit]
	}
	return ts, nil
}
