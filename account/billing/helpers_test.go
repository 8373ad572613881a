package billing_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/sqlite"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t      testing.TB
	ctx    context.Context
	db     *sqlite.DB
	bank   *payment.Sandbox
	engine *billing.Engine
	clock  *clock
	dir    string
}

type envOption func(*billing.Config)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "billing.db"))
	if err != nil {
		t.Fatal(err)
	}
	bank, err := payment.OpenSandbox(ctx, filepath.Join(dir, "bank.db"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)}
	db.SetClock(clk.Now)
	cfg := billing.Config{Store: db, Rater: rating.SampleRater(), Processor: bank, Clock: clk.Now}
	for _, o := range opts {
		o(&cfg)
	}
	e := billing.New(cfg)
	t.Cleanup(func() {
		e.Close()
		bank.Close()
		db.Close()
	})
	return &env{t: t, ctx: ctx, db: db, bank: bank, engine: e, clock: clk, dir: dir}
}

func withPlans(p map[string]billing.Plan) envOption { return func(c *billing.Config) { c.Plans = p } }

func withDeck(path string) envOption {
	return func(c *billing.Config) {
		f, err := os.Open(path)
		if err != nil {
			panic(err)
		}
		defer f.Close()
		d, err := rating.ReadDeck(f)
		if err != nil {
			panic(err)
		}
		r := rating.SampleRater()
		r.Voice = d
		c.Rater = r
	}
}

// open opens an account on plan with a card on file and the given credit.
func (e *env) open(id, plan, credit string) {
	e.t.Helper()
	if err := e.engine.OpenAccount(e.ctx, billing.NewAccount{ID: id, Plan: plan, Owner: "owner@" + id, Verified: true}); err != nil {
		e.t.Fatal(err)
	}
	e.credit(id, credit)
}

// credit adds credit by an operator adjustment, bypassing cards.
func (e *env) credit(id, amount string) {
	e.t.Helper()
	if dec(amount).IsZero() {
		return
	}
	if err := e.engine.Adjust(e.ctx, id, "seed-"+amount+"-"+e.clock.Now().String(), dec(amount), "test credit"); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) saveCard(id, number string) {
	e.t.Helper()
	if _, err := e.engine.SaveCard(e.ctx, id, payment.CardDetails{Number: number, ExpMonth: 12, ExpYear: 2030, CVC: "123"}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) balance(id string) billing.Balance {
	e.t.Helper()
	b, err := e.engine.Balance(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) check() {
	e.t.Helper()
	if err := e.db.Check(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// talk runs a call the way the switchboard does: extend ahead of each
// chunk's end until the call has lasted seconds or its credit is spent,
// then end it.
func talk(ctx context.Context, c *billing.Call, g billing.Grant, seconds int64) (billing.Charge, error) {
	for g.PaidThrough <= seconds && !g.Final { // ahead of the end, as the switchboard does
		var err error
		if g, err = c.Extend(ctx, g.PaidThrough); err != nil {
			return billing.Charge{}, err
		}
	}
	return c.End(ctx, seconds)
}

// kinds counts notifications by kind.
func kinds(ns []billing.Notification) map[string]int {
	out := map[string]int{}
	for _, n := range ns {
		out[n.Kind]++
	}
	return out
}

// topUps keeps the payments that were credit top-ups (the rest are the
// subscription's, which never become credit).
func topUps(ps []payment.Payment) []payment.Payment {
	var out []payment.Payment
	for _, p := range ps {
		if strings.HasPrefix(p.IdempotencyKey, "topup:") {
			out = append(out, p)
		}
	}
	return out
}

// paymentsMatchCredits checks the bank against the ledger, payment by
// payment: every successful top-up payment is credited once, for its
// amount, and no credit lacks a payment; every successful subscription
// payment is subscription revenue, never credit. It returns the
// successful top-up payments.
func paymentsMatchCredits(t testing.TB, ctx context.Context, db *sqlite.DB, bank *payment.Sandbox, account string) []payment.Payment {
	t.Helper()
	all, err := bank.Payments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subs, err := db.Transfers(ctx, ledger.Filter{Account: ledger.Revenue(billing.SubscriptionRevenue, "USD")})
	if err != nil {
		t.Fatal(err)
	}
	paidSubs := map[string]bool{}
	for _, tr := range subs {
		paidSubs[strings.TrimPrefix(tr.ID, "subpay:")] = true
	}
	for _, p := range all {
		if strings.HasPrefix(p.IdempotencyKey, "sub:") && p.Status == payment.Succeeded && !paidSubs[p.ID] {
			t.Errorf("subscription payment %s of %s is not in the ledger", p.ID, p.Amount)
		}
	}
	ps := topUps(all)
	ts, err := db.Transfers(ctx, ledger.Filter{Account: ledger.Customer(account), Codes: []string{"payment"}})
	if err != nil {
		t.Fatal(err)
	}
	credited := map[string]decimal.Decimal{}
	for _, tr := range ts {
		if _, dup := credited[tr.Ref]; dup {
			t.Errorf("payment %s credited twice", tr.Ref)
		}
		credited[tr.Ref] = tr.Amount
	}
	var ok []payment.Payment
	for _, p := range ps {
		if p.Status != payment.Succeeded {
			continue
		}
		ok = append(ok, p)
		if a, found := credited[p.ID]; !found || !a.Equal(p.Amount) {
			t.Errorf("bank payment %s of %s credited as %v", p.ID, p.Amount, a)
		}
		delete(credited, p.ID)
	}
	if len(credited) > 0 {
		t.Errorf("credits with no payment behind them: %v", credited)
	}
	return ok
}
