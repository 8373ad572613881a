package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/payment"
)

// TestCompanyProfile: a new company's country sets its region and time
// zone; the owner changes name, country, zone and caller ID within the
// rules; bad input changes nothing.
func TestCompanyProfile(t *testing.T) {
	e := newEnv(t)
	if err := e.engine.OpenAccount(e.ctx, billing.NewAccount{ID: "brit", Name: "  Brit Ltd ", Region: "gb", Plan: "team", Owner: "o@brit.test"}); err != nil {
		t.Fatal(err)
	}
	c, err := e.engine.Customer(e.ctx, "brit")
	if err != nil || c.Name != "Brit Ltd" || c.Region != "GB" || c.Zone != "Europe/London" || !c.Verified.IsZero() || c.Suspended != "" {
		t.Fatalf("the new company: %+v, %v", c, err)
	}
	good := billing.Profile{Name: "Brit & Co", Region: "ie", Zone: "Europe/Dublin", CallerID: "+353151234567"}
	if err := e.engine.SetProfile(e.ctx, "brit", good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []billing.Profile{
		{Name: "", Region: "GB", Zone: "Europe/London"},
		{Name: "x\ny", Region: "GB", Zone: "Europe/London"},
		{Name: string(make([]rune, 101)), Region: "GB", Zone: "Europe/London"},
		{Name: "Brit", Region: "XX", Zone: "Europe/London"},
		{Name: "Brit", Region: "GB", Zone: "Mars/Olympus"},
		{Name: "Brit", Region: "GB", Zone: ""},
	} {
		if err := e.engine.SetProfile(e.ctx, "brit", bad); !errors.Is(err, billing.ErrInvalid) {
			t.Errorf("SetProfile(%+v) = %v", bad, err)
		}
	}
	c, _ = e.engine.Customer(e.ctx, "brit")
	if c.Name != "Brit & Co" || c.Region != "IE" || c.Zone != "Europe/Dublin" || c.CallerID != "+353151234567" {
		t.Errorf("after bad edits: %+v", c)
	}
	if err := e.engine.SetProfile(e.ctx, "nobody", good); !errors.Is(err, billing.ErrUnknownAccount) {
		t.Errorf("SetProfile on no account: %v", err)
	}
	e.clock.Advance(time.Minute)
	e.open("acme", "team", "0")
	all, err := e.engine.Customers(e.ctx)
	if err != nil || len(all) != 2 || all[0].ID != "brit" || all[1].ID != "acme" {
		t.Errorf("Customers = %+v, %v", all, err)
	}
}

// TestUnverifiedMovesNoMoney: until the owner verifies the email address,
// no card is saved, nothing is charged or bought; after, all of it works.
func TestUnverifiedMovesNoMoney(t *testing.T) {
	e := newEnv(t)
	if err := e.engine.OpenAccount(e.ctx, billing.NewAccount{ID: "new", Plan: "team", Owner: "o@new.test"}); err != nil {
		t.Fatal(err)
	}
	card := payment.CardDetails{Number: payment.CardSucceeds, ExpMonth: 12, ExpYear: 2030, CVC: "123"}
	if _, err := e.engine.SaveCard(e.ctx, "new", card); !errors.Is(err, billing.ErrUnverified) {
		t.Errorf("SaveCard unverified: %v", err)
	}
	if _, err := e.engine.AddCredits(e.ctx, "new", dec("20"), "k1"); !errors.Is(err, billing.ErrUnverified) {
		t.Errorf("AddCredits unverified: %v", err)
	}
	e.credit("new", "5") // an operator's adjustment is not the customer's money
	if err := e.engine.Purchase(e.ctx, "new", "n1", billing.NumberRental, dec("1.50"), "a number"); !errors.Is(err, billing.ErrUnverified) {
		t.Errorf("Purchase unverified: %v", err)
	}
	if got, _ := e.bank.Payments(e.ctx); len(got) != 0 {
		t.Errorf("charges before verification: %+v", got)
	}
	if err := e.engine.Verify(e.ctx, "new"); err != nil {
		t.Fatal(err)
	}
	c, _ := e.engine.Customer(e.ctx, "new")
	if c.Verified.IsZero() {
		t.Fatal("not verified after Verify")
	}
	first := c.Verified
	e.clock.Advance(1)
	if err := e.engine.Verify(e.ctx, "new"); err != nil {
		t.Fatal(err)
	}
	if c, _ = e.engine.Customer(e.ctx, "new"); !c.Verified.Equal(first) {
		t.Errorf("verifying again moved the date: %v -> %v", first, c.Verified)
	}
	if _, err := e.engine.SaveCard(e.ctx, "new", card); err != nil {
		t.Fatal(err)
	}
	if a, err := e.engine.AddCredits(e.ctx, "new", dec("20"), "k1"); err != nil || a.Status != billing.Succeeded {
		t.Errorf("AddCredits verified: %+v, %v", a, err)
	}
	if err := e.engine.Purchase(e.ctx, "new", "n1", billing.NumberRental, dec("1.50"), "a number"); err != nil {
		t.Errorf("Purchase verified: %v", err)
	}
}

// TestSuspendedGate: a suspended account is refused at the gate whatever
// its credit, its quotes say why, its balance stays; reinstated, it goes on.
func TestSuspendedGate(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "10")
	for _, bad := range []string{"", "  ", "a\nb"} {
		if err := e.engine.Suspend(e.ctx, "acme", bad); !errors.Is(err, billing.ErrInvalid) {
			t.Errorf("Suspend(%q) = %v", bad, err)
		}
	}
	if err := e.engine.Suspend(e.ctx, "acme", "chargeback"); err != nil {
		t.Fatal(err)
	}
	err := e.engine.Gate(e.ctx, "acme")
	var ce *billing.CreditError
	if !errors.Is(err, billing.ErrSuspended) || errors.Is(err, billing.ErrNoCredit) || !errors.As(err, &ce) || ce.Status() != 403 {
		t.Fatalf("gate while suspended: %v", err)
	}
	q, err := e.engine.Quote(e.ctx, "acme", "+14155550100", "+442071234567")
	if err != nil || q.Allowed || q.Reason != ce.Reason {
		t.Errorf("quote while suspended: %+v, %v", q, err)
	}
	mq, err := e.engine.QuoteMessage(e.ctx, "acme", "+14155550100", "+442071234567", "hi")
	if err != nil || mq.Allowed || mq.Reason != ce.Reason {
		t.Errorf("text quote while suspended: %+v, %v", mq, err)
	}
	if b := e.balance("acme"); !b.Posted.Equal(dec("10")) {
		t.Errorf("balance while suspended: %s", b.Posted)
	}
	c, _ := e.engine.Customer(e.ctx, "acme")
	if c.Suspended != "chargeback" || c.SuspendedAt.IsZero() {
		t.Errorf("the suspended account: %+v", c)
	}
	if err := e.engine.Reinstate(e.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := e.engine.Gate(e.ctx, "acme"); err != nil {
		t.Errorf("gate once reinstated: %v", err)
	}
	if c, _ := e.engine.Customer(e.ctx, "acme"); c.Suspended != "" || !c.SuspendedAt.IsZero() {
		t.Errorf("the reinstated account: %+v", c)
	}
}
