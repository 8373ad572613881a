package billing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/rating"
)

// CallStart describes a call about to be connected.
type CallStart struct {
	Account   string
	CallID    string // unique per call; with the chunk number it keys every reservation
	Direction rating.Direction
	Local     string // the account's number
	Remote    string // the other party's number, or the forwarding target
}

// Grant is what a call may use so far.
type Grant struct {
	PaidThrough int64 // seconds from the answer that are paid for
	Final       bool  // nothing more will be granted: the call ends at PaidThrough
	FromBundle  bool  // the latest chunk came from the bundle
}

// Charge is what a call or message cost.
type Charge struct {
	Usage       rating.Usage
	Destination string
	Prefix      string
	Seconds     int64 // duration charged for (calls)
	Billed      int64 // seconds billed after increments (calls)
	Segments    int   // message segments (texts)
	BundleUnits int64 // seconds or segments taken from the bundle
	Cost        decimal.Decimal
	Currency    string
}

type chunk struct {
	n          int
	id         string // reservation ID; "" for a chunk that cost nothing
	bundle     bool
	account    ledger.AccountID
	start, end int64 // call seconds
	cFrom, cTo int64 // credit seconds, for credit chunks
	amount     decimal.Decimal
	settled    bool
}

// Call meters one call: it reserves ahead in chunks and settles at the end.
// Its methods are safe for concurrent use.
type Call struct {
	e      *Engine
	cust   Customer
	id     string
	tariff rating.Tariff
	over   rating.Tariff // the price of seconds beyond the bundle

	mu         sync.Mutex
	chunks     []chunk
	paid       int64 // call seconds covered
	bundleSecs int64
	creditPaid int64 // credit seconds covered (on the tariff's grid)
	overflow   bool  // the bundle ran out: credit from here on
	final      bool
	charge     *Charge
}

// StartCall passes a call through the gate and reserves its first chunk. A
// refusal is a *CreditError (errors.Is ErrNoCredit).
func (e *Engine) StartCall(ctx context.Context, s CallStart) (*Call, Grant, error) {
	if err := validKey("call ID", s.CallID); err != nil {
		return nil, Grant{}, err
	}
	_, local, remote, err := e.parties(ctx, s.Account, s.Local, s.Remote)
	if err != nil {
		return nil, Grant{}, err
	}
	t, err := e.rater.Load().RateCall(rating.CallSpec{Direction: s.Direction, Local: local, Remote: remote})
	if err != nil {
		return nil, Grant{}, err
	}
	return e.startMetered(ctx, s.Account, s.CallID, t)
}

// StartAIAgent meters an AI voice agent session like a call: bundle minutes
// first, then per second at the overage rate.
func (e *Engine) StartAIAgent(ctx context.Context, account, sessionID string) (*Call, Grant, error) {
	if err := validKey("session ID", sessionID); err != nil {
		return nil, Grant{}, err
	}
	return e.startMetered(ctx, account, "ai:"+sessionID, e.rater.Load().AIAgentTariff())
}

func (e *Engine) startMetered(ctx context.Context, account, id string, t rating.Tariff) (*Call, Grant, error) {
	cust, _, err := e.gate(ctx, account)
	if err != nil {
		return nil, Grant{}, err
	}
	c := &Call{e: e, cust: cust, id: id, tariff: t,
		over: rating.Tariff{Usage: t.Usage, PerMinute: t.PerMinute, Increment: rating.Increment{Initial: 1, Step: 1},
			Prefix: t.Prefix, Destination: t.Destination}}
	g, err := c.Extend(ctx, 0)
	if err != nil {
		return nil, Grant{}, err
	}
	return c, g, nil
}

func validKey(what, s string) error {
	if s == "" || len(s) > 150 {
		return invalid("a %s has 1 to 150 characters", what)
	}
	return nil
}

// Tariff returns the call's price.
func (c *Call) Tariff() rating.Tariff { return c.tariff }

// Extend keeps the call paid ahead: the switchboard calls it with the
// seconds elapsed since the answer (0 at the start), and it reserves chunks
// until the call is paid for more than a chunk beyond that, so the end of a
// call that runs out of credit is known at least a chunk in advance (time
// to warn the caller). Chunks wholly in the past are settled on the way.
// When a chunk can be reserved only in part, or not at all, the Grant is
// Final and PaidThrough is when the call must end.
func (c *Call) Extend(ctx context.Context, elapsed int64) (Grant, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.charge != nil {
		return Grant{}, ErrEnded
	}
	if err := c.settleUsed(ctx, elapsed); err != nil {
		return Grant{}, err
	}
	bundle := false
	for !c.final && c.paid <= elapsed+c.e.chunk {
		var err error
		if bundle, err = c.reserveNext(ctx); err != nil {
			return Grant{}, err
		}
	}
	return c.grant(bundle), nil
}

// reserveNext reserves one chunk: from the bundle while it lasts, then
// from credit.
func (c *Call) reserveNext(ctx context.Context) (bool, error) {
	if c.tariff.Pool != rating.PoolNone && !c.overflow {
		ok, err := c.reserveBundle(ctx)
		if err != nil || ok {
			return ok, err
		}
		c.overflow = true
	}
	return false, c.reserveCredit(ctx)
}

func (c *Call) grant(bundle bool) Grant {
	return Grant{PaidThrough: c.paid, Final: c.final, FromBundle: bundle}
}

// reserveBundle reserves up to a chunk of bundle seconds; false when the
// bundle has none left.
func (c *Call) reserveBundle(ctx context.Context) (bool, error) {
	for range 5 {
		left, account, err := c.e.bundleLeft(ctx, c.cust, c.tariff.Pool, c.e.now())
		if err != nil || left <= 0 {
			return false, err
		}
		secs := min(c.e.chunk, left)
		n := len(c.chunks) + 1
		id := reservationID(c.id, n)
		err = c.e.store.Reserve(ctx, ledger.Reservation{ID: id, Account: account,
			Amount: decimal.NewFromInt(secs), Expires: c.expiry(secs)})
		if errors.Is(err, ledger.ErrInsufficient) {
			continue // another call took it first: look again
		}
		if err != nil {
			return false, err
		}
		c.chunks = append(c.chunks, chunk{n: n, id: id, bundle: true, account: account,
			start: c.paid, end: c.paid + secs, amount: decimal.NewFromInt(secs)})
		c.paid += secs
		c.bundleSecs += secs
		return true, nil
	}
	return false, nil
}

func (c *Call) creditTariff() rating.Tariff {
	if c.overflow {
		return c.over
	}
	return c.tariff
}

// reserveCredit reserves the next chunk of credit, or as much of it as the
// available credit pays for.
func (c *Call) reserveCredit(ctx context.Context) error {
	t := c.creditTariff()
	customer := ledger.Customer(c.cust.ID)
	for range 5 {
		from := c.creditPaid
		to := t.Increment.Billed(from + c.e.chunk)
		amount := t.CostOf(to).Sub(t.CostOf(from))
		b, err := c.e.store.Balance(ctx, customer)
		if err != nil {
			return err
		}
		avail := b.Available()
		partial := false
		if amount.GreaterThan(avail) {
			partial = true
			to = t.MaxSeconds(from, decimal.Max(avail, decimal.Zero))
			amount = t.CostOf(to).Sub(t.CostOf(from))
		}
		if to == from {
			if len(c.chunks) == 0 {
				need := t.CostOf(t.Increment.Billed(1))
				c.e.afterDebit(c.cust) // a refusal is a low balance too
				return &CreditError{
					Reason: fmt.Sprintf("A call to %s needs %s for its first %d seconds; %s is available.",
						t.Destination, money.Display(need, c.cust.Currency), t.Increment.Initial, money.Display(avail, c.cust.Currency)),
					Available: avail, Needed: need, Currency: c.cust.Currency,
				}
			}
			c.final = true
			return nil
		}
		n := len(c.chunks) + 1
		ch := chunk{n: n, account: customer, start: c.paid, end: c.paid + (to - from), cFrom: from, cTo: to, amount: amount}
		if amount.IsPositive() {
			ch.id = reservationID(c.id, n)
			err = c.e.store.Reserve(ctx, ledger.Reservation{ID: ch.id, Account: customer, Amount: amount, Expires: c.expiry(to - from)})
			if errors.Is(err, ledger.ErrInsufficient) {
				continue // drained meanwhile: look again
			}
			if err != nil {
				return err
			}
		}
		c.chunks = append(c.chunks, ch)
		c.paid = ch.end
		c.creditPaid = to
		c.final = partial
		c.e.afterDebit(c.cust)
		return nil
	}
	// Five lost races in a row: stop where the call is paid up to.
	c.final = true
	return nil
}

func (c *Call) expiry(secs int64) time.Time {
	return c.e.now().Add(time.Duration(c.paid+secs)*time.Second + c.e.grace)
}

// settleUsed settles, in full, the chunks that ended before elapsed: their
// cost can no longer change, and settling them keeps reservations short.
func (c *Call) settleUsed(ctx context.Context, elapsed int64) error {
	for i := range c.chunks {
		ch := &c.chunks[i]
		if ch.settled || ch.end > elapsed {
			continue
		}
		if err := c.settle(ctx, ch, ch.amount); err != nil {
			return err
		}
	}
	return nil
}

func (c *Call) settle(ctx context.Context, ch *chunk, due decimal.Decimal) error {
	if ch.id == "" {
		ch.settled = true
		return nil
	}
	t := ledger.Transfer{ID: ch.id + ":settle", From: ch.account, Amount: due, Ref: c.id, Memo: c.tariff.Destination}
	if ch.bundle {
		t.To, t.Unit, t.Code = ledger.BundleUsed(string(c.tariff.Pool)), ledger.Unit(c.tariff.Pool), "bundle:"+string(c.tariff.Usage)
	} else {
		cur := ledger.Unit(c.cust.Currency)
		t.To, t.Unit, t.Code = ledger.Revenue(string(c.tariff.Usage), cur), cur, string(c.tariff.Usage)
	}
	err := c.e.store.Settle(ctx, ch.id, t)
	if errors.Is(err, ledger.ErrClosed) || errors.Is(err, ledger.ErrConflict) {
		// Settled already, by the run that wrote a resumed call's
		// snapshot: charged once, then.
		if r, rerr := c.e.store.Reservation(ctx, ch.id); rerr == nil && r.State == ledger.Settled {
			ch.settled = true
			return nil
		}
	}
	if errors.Is(err, ledger.ErrClosed) && due.IsPositive() {
		// The reservation expired (the switchboard stalled past the
		// grace): charge what the balance still allows.
		c.e.log.Warn("billing: settling an expired reservation as a plain transfer", "reservation", ch.id)
		err = c.e.store.Post(ctx, t)
		if errors.Is(err, ledger.ErrInsufficient) {
			c.e.log.Error("billing: could not charge an expired chunk", "reservation", ch.id, "amount", due)
			err = nil
		}
	}
	if err != nil {
		return err
	}
	ch.settled = true
	return nil
}

// End settles the call for its duration in seconds from the answer (0 for
// a call never answered): exactly the tariff's cost, capped at what was
// reserved. Ending an ended call returns the same charge.
func (c *Call) End(ctx context.Context, seconds int64) (Charge, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.charge != nil {
		return *c.charge, nil
	}
	d := max(min(seconds, c.paid), 0)
	for _, ch := range c.chunks {
		if ch.settled {
			d = max(d, ch.end) // settled in full already
		}
	}
	charge := Charge{Usage: c.tariff.Usage, Destination: c.tariff.Destination, Prefix: c.tariff.Prefix,
		Seconds: d, Currency: c.cust.Currency, Cost: decimal.Zero}
	var bundleUse, credit int64
	if d > 0 {
		charge.Billed = c.tariff.Increment.Billed(d)
		bundleUse = min(charge.Billed, c.bundleSecs)
		credit = min(charge.Billed-bundleUse, c.creditPaid)
	}
	t := c.creditTariff()
	var bundleFrom int64
	for i := range c.chunks {
		ch := &c.chunks[i]
		var due decimal.Decimal
		if ch.bundle {
			size := ch.end - ch.start
			due = decimal.NewFromInt(max(min(bundleUse-bundleFrom, size), 0))
			bundleFrom += size
			charge.BundleUnits += due.IntPart()
		} else {
			due = decimal.Zero
			if credit > ch.cFrom {
				due = t.CostOf(min(credit, ch.cTo)).Sub(t.CostOf(ch.cFrom))
			}
			charge.Cost = charge.Cost.Add(due)
		}
		if ch.settled {
			continue
		}
		if err := c.settle(ctx, ch, due); err != nil {
			return Charge{}, err
		}
	}
	c.charge = &charge
	return charge, nil
}
