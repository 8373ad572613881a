package payment_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/payment"
)

func open(t *testing.T) *payment.Sandbox {
	t.Helper()
	s, err := payment.OpenSandbox(context.Background(), filepath.Join(t.TempDir(), "bank.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSaveCardValidates(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	good := payment.CardDetails{Number: "4242 4242 4242 4242", ExpMonth: 12, ExpYear: 2099, CVC: "123"}
	c, err := s.SaveCard(ctx, "acme", good)
	if err != nil || c.Brand != "Visa" || c.Last4 != "4242" || c.ID == "" {
		t.Fatalf("SaveCard = %+v, %v", c, err)
	}
	bad := []payment.CardDetails{
		{Number: "4242 4242 4242 4241", ExpMonth: 12, ExpYear: 2099, CVC: "123"}, // check digit
		{Number: "4242", ExpMonth: 12, ExpYear: 2099, CVC: "123"},
		{Number: "4242-4242-4242-424x", ExpMonth: 12, ExpYear: 2099, CVC: "123"},
		{Number: good.Number, ExpMonth: 13, ExpYear: 2099, CVC: "123"},
		{Number: good.Number, ExpMonth: 1, ExpYear: 2001, CVC: "123"}, // expired
		{Number: good.Number, ExpMonth: 12, ExpYear: 2099, CVC: "1"},
	}
	for _, b := range bad {
		if _, err := s.SaveCard(ctx, "acme", b); !errors.Is(err, payment.ErrCard) {
			t.Errorf("SaveCard(%+v) = %v, want ErrCard", b, err)
		}
	}
}

func TestChargeBehaviours(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	charge := func(number, key, amount string) (payment.Payment, error) {
		c, err := s.SaveCard(ctx, "acme", payment.CardDetails{Number: number, ExpMonth: 12, ExpYear: 2099, CVC: "123"})
		if err != nil {
			t.Fatal(err)
		}
		return s.Charge(ctx, payment.ChargeRequest{IdempotencyKey: key, Customer: "acme", Card: c.ID,
			Amount: decimal.RequireFromString(amount), Currency: "USD"})
	}
	p, err := charge(payment.CardSucceeds, "k1", "20")
	if err != nil || p.Status != payment.Succeeded {
		t.Fatalf("good card: %+v %v", p, err)
	}
	again, err := charge(payment.CardSucceeds, "k1", "20")
	if err != nil || again.ID != p.ID {
		t.Fatalf("same key: %+v %v, want the same payment", again, err)
	}
	if _, err := charge(payment.CardSucceeds, "k1", "21"); !errors.Is(err, payment.ErrIdempotency) {
		t.Fatalf("same key, other amount: %v", err)
	}
	var d *payment.DeclineError
	if _, err := charge(payment.CardDeclined, "k2", "20"); !errors.As(err, &d) || d.Code != "card_declined" {
		t.Fatalf("declined: %v", err)
	}
	if _, err := charge(payment.CardInsufficientFunds, "k3", "20"); !errors.As(err, &d) || d.Code != "insufficient_funds" {
		t.Fatalf("insufficient funds: %v", err)
	}
	if _, err := charge(payment.CardChargesThenTimesOut, "k4", "20"); !errors.Is(err, payment.ErrUnknownOutcome) {
		t.Fatalf("timeout card: %v", err)
	}
	found, ok, err := s.Find(ctx, "k4")
	if err != nil || !ok || found.Status != payment.Succeeded {
		t.Fatalf("Find after a lost reply: %+v %v %v", found, ok, err)
	}
	if _, ok, _ := s.Find(ctx, "never"); ok {
		t.Fatal("Find invented a payment")
	}
	ps, _ := s.Payments(ctx)
	if len(ps) != 4 || !payment.Total(ps).Equal(decimal.NewFromInt(40)) {
		t.Fatalf("%d payments totalling %s", len(ps), payment.Total(ps))
	}
	if _, err := s.Charge(ctx, payment.ChargeRequest{IdempotencyKey: "k5", Customer: "acme", Card: "card_nope",
		Amount: decimal.NewFromInt(5), Currency: "USD"}); !errors.Is(err, payment.ErrNoCard) {
		t.Fatalf("unknown card: %v", err)
	}
}
