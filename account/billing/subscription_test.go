package billing_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
)

func (e *env) subPayments() []payment.Payment {
	e.t.Helper()
	ps, err := e.bank.Payments(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []payment.Payment
	for _, p := range ps {
		if strings.HasPrefix(p.IdempotencyKey, "sub:") && p.Status == payment.Succeeded {
			out = append(out, p)
		}
	}
	return out
}

func (e *env) revenue(code string) decimal.Decimal {
	e.t.Helper()
	b, err := e.db.Balance(e.ctx, ledger.Revenue(code, "USD"))
	if err != nil {
		return decimal.Zero
	}
	return b.Posted
}

func (e *env) charges(account string) []billing.SubCharge {
	e.t.Helper()
	cs, err := e.engine.SubCharges(e.ctx, account, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

// TestSubscriptionLifecycle: the subscription starts when the owner's
// address is verified; without a card the charge waits (the owner warned);
// a card pays it at once, from the card, never from credit; a seat added
// mid-cycle is charged prorated, a seat removed still counts until the
// billing day; each billing day charges the seats then; a card that fails
// is retried daily with a warning each time, and after the grace period
// the account is suspended (credit untouched) until a working card pays,
// which reinstates it. An operator's suspension is not lifted by paying.
func TestSubscriptionLifecycle(t *testing.T) {
	e := newEnv(t) // 5 November 2026, 09:00 UTC
	if err := e.engine.OpenAccount(e.ctx, billing.NewAccount{ID: "acme", Plan: "team", Owner: "owner@acme"}); err != nil {
		t.Fatal(err)
	}
	if err := e.engine.AddSeat(e.ctx, "acme", "ann@acme"); err != nil {
		t.Fatal(err)
	}
	if cs := e.charges("acme"); len(cs) != 0 {
		t.Fatalf("charges before verification: %+v", cs)
	}
	if err := e.engine.Verify(e.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	cs := e.charges("acme")
	if len(cs) != 1 || cs[0].Kind != billing.ChargeCycle || cs[0].Seats != 2 || !cs[0].Amount.Equal(dec("58")) || cs[0].Status != billing.ChargeDue ||
		cs[0].Failure != "there is no card on file" {
		t.Fatalf("the first charge: %+v", cs)
	}
	if ns, _ := e.engine.Notifications(e.ctx, "acme"); kinds(ns)["subscription-failed"] != 1 || !strings.Contains(ns[0].Message, "no card on file") {
		t.Errorf("the owner's warning: %+v", ns)
	}
	e.credit("acme", "10")
	e.saveCard("acme", payment.CardSucceeds)
	if cs := e.charges("acme"); cs[0].Status != billing.ChargePaid {
		t.Fatalf("a card saved: %+v", cs[0])
	}
	if ns, _ := e.engine.Notifications(e.ctx, "acme"); kinds(ns)["subscription-paid"] != 1 {
		t.Errorf("no word that the failed charge is paid: %+v", ns)
	}
	if got := e.subPayments(); len(got) != 1 || !got[0].Amount.Equal(dec("58")) {
		t.Fatalf("the bank: %+v", got)
	}
	if r := e.revenue(billing.SubscriptionRevenue); !r.Equal(dec("58")) {
		t.Errorf("subscription revenue %s", r)
	}
	if b := e.balance("acme"); !b.Posted.Equal(dec("10")) {
		t.Errorf("the subscription touched the credit: %s", b.Posted)
	}

	// Ten days in, a seat: 20 of the cycle's 30 days, $29 x 20/30 = $19.33.
	e.clock.Advance(10 * 24 * time.Hour)
	if err := e.engine.AddSeat(e.ctx, "acme", "bob@acme"); err != nil {
		t.Fatal(err)
	}
	cs = e.charges("acme")
	if cs[0].Kind != billing.ChargeSeat || cs[0].Ref != "bob@acme" || !cs[0].Amount.Equal(dec("19.33")) || cs[0].Status != billing.ChargePaid {
		t.Fatalf("a seat mid-cycle: %+v", cs[0])
	}
	// The same seat removed and added again: charged once.
	e.engine.RemoveSeat(e.ctx, "acme", "bob@acme")
	e.engine.AddSeat(e.ctx, "acme", "bob@acme")
	// Ann leaves: she still counts this cycle, not the next.
	if err := e.engine.RemoveSeat(e.ctx, "acme", "ann@acme"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.charges("acme")); n != 2 {
		t.Errorf("%d charges after seats came and went", n)
	}

	// The billing day, 5 December: owner and bob.
	e.clock.Advance(20 * 24 * time.Hour)
	if err := e.engine.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	cs = e.charges("acme")
	if cs[0].Cycle != "2026-12-05" || cs[0].Seats != 2 || !cs[0].Amount.Equal(dec("58")) || cs[0].Status != billing.ChargePaid {
		t.Fatalf("the billing day: %+v", cs[0])
	}
	if st, _ := e.engine.Bundle(e.ctx, "acme"); st.Pools[rating.PoolVoice].Allowance != 2*1000*60 {
		t.Errorf("the new cycle's bundle: %+v", st.Pools[rating.PoolVoice])
	}
	e.engine.Sweep(e.ctx) // again: nothing more
	if n := len(e.subPayments()); n != 3 {
		t.Errorf("%d subscription payments, want 3", n)
	}

	// The card starts failing. 5 January: declined, warned, not suspended.
	e.saveCard("acme", payment.CardDeclined)
	e.clock.Advance(31 * 24 * time.Hour)
	e.engine.Sweep(e.ctx)
	cs = e.charges("acme")
	if cs[0].Cycle != "2027-01-05" || cs[0].Status != billing.ChargeDue || cs[0].Attempts != 1 {
		t.Fatalf("a declined billing day: %+v", cs[0])
	}
	if err := e.engine.Gate(e.ctx, "acme"); err != nil {
		t.Errorf("suspended before the grace period: %v", err)
	}
	// Tried again each day; not before.
	e.clock.Advance(time.Hour)
	e.engine.Sweep(e.ctx)
	if cs := e.charges("acme"); cs[0].Attempts != 1 {
		t.Errorf("tried again within the day: %+v", cs[0])
	}
	for range 7 { // to 12 January, 10:00: past the 7 days' grace
		e.clock.Advance(24 * time.Hour)
		e.engine.Sweep(e.ctx)
	}
	cs = e.charges("acme")
	c, _ := e.engine.Customer(e.ctx, "acme")
	if cs[0].Attempts != 8 || !strings.HasPrefix(c.Suspended, billing.SubscriptionUnpaid) {
		t.Fatalf("seven days of declines: %d attempts, suspended %q", cs[0].Attempts, c.Suspended)
	}
	if err := e.engine.Gate(e.ctx, "acme"); !errors.Is(err, billing.ErrSuspended) {
		t.Errorf("the gate while unpaid: %v", err)
	}
	if b := e.balance("acme"); !b.Posted.Equal(dec("10")) {
		t.Errorf("suspension took credit: %s", b.Posted)
	}
	ns, _ := e.engine.Notifications(e.ctx, "acme")
	if k := kinds(ns); k["subscription-failed"] < 8 || k["suspended"] != 1 {
		t.Errorf("the owner's notifications: %v", k)
	}
	// A working card pays at once and lifts the suspension.
	e.saveCard("acme", payment.CardSucceeds)
	if c, _ := e.engine.Customer(e.ctx, "acme"); c.Suspended != "" {
		t.Fatalf("paid but still suspended: %q", c.Suspended)
	}
	if err := e.engine.Gate(e.ctx, "acme"); err != nil {
		t.Errorf("the gate once paid: %v", err)
	}
	// An operator's suspension stays whatever is paid.
	e.engine.Suspend(e.ctx, "acme", "fraud review")
	e.clock.Advance(30 * 24 * time.Hour)
	e.engine.Sweep(e.ctx)
	if c, _ := e.engine.Customer(e.ctx, "acme"); c.Suspended != "fraud review" || e.charges("acme")[0].Status != billing.ChargePaid {
		t.Errorf("an operator's suspension after a paid billing day: %q", c.Suspended)
	}
	e.check()
}

// TestPlanChange: an upgrade takes effect at once, charges the price
// difference for every seat for the rest of the cycle and grants the
// bundle difference likewise; a downgrade waits for the billing day, and
// asking for the current plan cancels it.
func TestPlanChange(t *testing.T) {
	e := newEnv(t)
	if err := e.engine.OpenAccount(e.ctx, billing.NewAccount{ID: "acme", Plan: "team", Owner: "owner@acme", Verified: true}); err != nil {
		t.Fatal(err)
	}
	e.saveCard("acme", payment.CardSucceeds)
	e.engine.AddSeat(e.ctx, "acme", "ann@acme")
	e.clock.Advance(15 * 24 * time.Hour) // 20 November: 15 of 30 days left
	c, err := e.engine.ChangePlan(e.ctx, "acme", "pro")
	if err != nil || c.Plan != "pro" {
		t.Fatalf("upgrade: %+v, %v", c, err)
	}
	cs := e.charges("acme")
	// ($49 - $29) x 2 seats x 15/30 = $20.00
	if cs[0].Kind != billing.ChargeUpgrade || !cs[0].Amount.Equal(dec("20")) || cs[0].Status != billing.ChargePaid {
		t.Fatalf("the upgrade's charge: %+v", cs[0])
	}
	st, _ := e.engine.Bundle(e.ctx, "acme")
	// 2 x 1000 min + 2 x 2000 x 15/30 min; AI agent 2 x 60 x 15/30 min.
	if st.Plan != "pro" || st.Pools[rating.PoolVoice].Allowance != (2*1000+2*1000)*60 || st.Pools[rating.PoolAIAgent].Allowance != 60*60 {
		t.Errorf("the bundle after upgrading: %+v", st)
	}
	// Down to starter: not before the billing day.
	if c, err = e.engine.ChangePlan(e.ctx, "acme", "starter"); err != nil || c.Plan != "pro" || c.NextPlan != "starter" {
		t.Fatalf("downgrade: %+v, %v", c, err)
	}
	if c, _ = e.engine.ChangePlan(e.ctx, "acme", "pro"); c.NextPlan != "" {
		t.Errorf("asking for the current plan kept the downgrade: %+v", c)
	}
	e.engine.ChangePlan(e.ctx, "acme", "starter")
	e.clock.Advance(15 * 24 * time.Hour) // 5 December
	e.engine.Sweep(e.ctx)
	c, _ = e.engine.Customer(e.ctx, "acme")
	cs = e.charges("acme")
	if c.Plan != "starter" || c.NextPlan != "" || cs[0].Plan != "starter" || !cs[0].Amount.Equal(dec("38")) {
		t.Errorf("the billing day after a downgrade: %+v, %+v", c, cs[0])
	}
	if st, _ := e.engine.Bundle(e.ctx, "acme"); st.Plan != "starter" || st.Pools[rating.PoolVoice].Allowance != 2*300*60 {
		t.Errorf("the bundle after the downgrade: %+v", st)
	}
	if _, err := e.engine.ChangePlan(e.ctx, "acme", "gold"); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("an unknown plan: %v", err)
	}
	e.check()
}

// TestSubscriptionWaitsForTheOwner: an account an operator opened has
// nobody until its Owner accepts the invitation: nothing is charged, nobody
// warned, nothing suspended; the Owner joining ten days into the cycle
// pays for the twenty days left.
func TestSubscriptionWaitsForTheOwner(t *testing.T) {
	e := newEnv(t)
	if err := e.engine.OpenAccount(e.ctx, billing.NewAccount{ID: "ops", Plan: "team", Verified: true}); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		e.clock.Advance(24 * time.Hour)
		e.engine.Sweep(e.ctx)
	}
	c, _ := e.engine.Customer(e.ctx, "ops")
	ns, _ := e.engine.Notifications(e.ctx, "ops")
	if cs := e.charges("ops"); len(cs) != 0 || c.Suspended != "" || len(ns) != 0 {
		t.Fatalf("an account with nobody in it: charges %+v, suspended %q, notices %+v", cs, c.Suspended, ns)
	}
	e.saveCard("ops", payment.CardSucceeds)
	if err := e.engine.AddSeat(e.ctx, "ops", "owner@ops"); err != nil {
		t.Fatal(err)
	}
	cs := e.charges("ops")
	// $29 x 20/30 = $19.33.
	if len(cs) != 1 || cs[0].Kind != billing.ChargeCycle || !cs[0].Amount.Equal(dec("19.33")) || cs[0].Status != billing.ChargePaid {
		t.Fatalf("the Owner joins: %+v", cs)
	}
	e.clock.Advance(20 * 24 * time.Hour) // the billing day: the whole cycle
	e.engine.Sweep(e.ctx)
	if cs := e.charges("ops"); !cs[0].Amount.Equal(dec("29")) {
		t.Errorf("the next billing day: %+v", cs[0])
	}
}
