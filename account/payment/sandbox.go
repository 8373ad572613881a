package payment

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/money"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Sandbox test cards. Any other valid number succeeds.
const (
	CardSucceeds          = "4242424242424242"
	CardDeclined          = "4000000000000002"
	CardInsufficientFunds = "4000000000009995"
	CardExpiredAtCharge   = "4000000000000069"
	// CardChargesThenTimesOut is charged, but the reply is lost: the caller
	// sees ErrUnknownOutcome and must find out with the same key.
	CardChargesThenTimesOut = "4000000000000259"
)

var sandboxDeclines = map[string]DeclineError{
	CardDeclined:          {Code: "card_declined", Message: "Your card was declined."},
	CardInsufficientFunds: {Code: "insufficient_funds", Message: "Your card has insufficient funds."},
	CardExpiredAtCharge:   {Code: "expired_card", Message: "Your card has expired."},
}

// Sandbox is a payment processor that moves no money: it records charges
// in its own SQLite file, as a bank would, and answers like a card network
// for the test cards above. The demo uses it; so do the tests that check no
// payment is lost or doubled.
type Sandbox struct {
	db  *sql.DB
	mu  sync.Mutex // one charge decision at a time
	now func() time.Time
}

var _ Processor = (*Sandbox)(nil)

// OpenSandbox opens (creating if needed) a sandbox processor's records.
func OpenSandbox(ctx context.Context, path string) (*Sandbox, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `
CREATE TABLE IF NOT EXISTS cards (
	id TEXT PRIMARY KEY, customer TEXT NOT NULL, number TEXT NOT NULL,
	brand TEXT NOT NULL, exp_month INTEGER NOT NULL, exp_year INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
	id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, customer TEXT NOT NULL,
	card TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
	failure_code TEXT NOT NULL, failure_message TEXT NOT NULL, created_at INTEGER NOT NULL);`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("payment: sandbox %s: %w", path, err)
	}
	return &Sandbox{db: db, now: time.Now}, nil
}

// Close closes the sandbox's file.
func (s *Sandbox) Close() error { return s.db.Close() }

func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// SaveCard implements Processor.
func (s *Sandbox) SaveCard(ctx context.Context, customer string, c CardDetails) (Card, error) {
	n, err := normalizeNumber(c.Number)
	if err != nil {
		return Card{}, err
	}
	if err := checkExpiry(c.ExpMonth, c.ExpYear, s.now()); err != nil {
		return Card{}, err
	}
	if len(c.CVC) < 3 || len(c.CVC) > 4 {
		return Card{}, fmt.Errorf("%w: the security code has 3 or 4 digits", ErrCard)
	}
	card := Card{ID: newID("card_"), Brand: brand(n), Last4: n[len(n)-4:], ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
	_, err = s.db.ExecContext(ctx, `INSERT INTO cards (id, customer, number, brand, exp_month, exp_year) VALUES (?, ?, ?, ?, ?, ?)`,
		card.ID, customer, n, card.Brand, card.ExpMonth, card.ExpYear)
	return card, err
}

// Charge implements Processor.
func (s *Sandbox) Charge(ctx context.Context, req ChargeRequest) (Payment, error) {
	if req.IdempotencyKey == "" || !req.Amount.IsPositive() {
		return Payment{}, fmt.Errorf("payment: a charge needs an idempotency key and a positive amount")
	}
	amount, err := money.ToUnits(req.Amount)
	if err != nil {
		return Payment{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok, err := s.find(ctx, req.IdempotencyKey); err != nil {
		return Payment{}, err
	} else if ok {
		if p.Customer != req.Customer || !p.Amount.Equal(req.Amount) || p.Currency != req.Currency {
			return Payment{}, fmt.Errorf("%w: %s", ErrIdempotency, req.IdempotencyKey)
		}
		return p, p.Err()
	}
	var number string
	err = s.db.QueryRowContext(ctx, `SELECT number FROM cards WHERE id = ? AND customer = ?`, req.Card, req.Customer).Scan(&number)
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, fmt.Errorf("%w: %s", ErrNoCard, req.Card)
	} else if err != nil {
		return Payment{}, err
	}
	p := Payment{ID: newID("pay_"), IdempotencyKey: req.IdempotencyKey, Customer: req.Customer,
		Amount: req.Amount, Currency: req.Currency, Status: Succeeded, Created: s.now()}
	if d, ok := sandboxDeclines[number]; ok {
		p.Status, p.FailureCode, p.FailureMessage = Failed, d.Code, d.Message
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO payments (id, idempotency_key, customer, card, amount, currency, status,
		failure_code, failure_message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.IdempotencyKey, p.Customer, req.Card, amount, p.Currency, p.Status, p.FailureCode, p.FailureMessage, p.Created.UnixNano())
	if err != nil {
		return Payment{}, fmt.Errorf("%w: %v", ErrUnknownOutcome, err)
	}
	if number == CardChargesThenTimesOut {
		return Payment{}, fmt.Errorf("%w: the processor did not answer in time", ErrUnknownOutcome)
	}
	return p, p.Err()
}

// Err returns the *DeclineError of a failed payment, nil for a successful one.
func (p Payment) Err() error {
	if p.Status == Failed {
		return &DeclineError{Code: p.FailureCode, Message: p.FailureMessage}
	}
	return nil
}

// Find implements Processor.
func (s *Sandbox) Find(ctx context.Context, key string) (Payment, bool, error) {
	return s.find(ctx, key)
}

func (s *Sandbox) find(ctx context.Context, key string) (Payment, bool, error) {
	var p Payment
	var amount, created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, idempotency_key, customer, amount, currency, status, failure_code,
		failure_message, created_at FROM payments WHERE idempotency_key = ?`, key).
		Scan(&p.ID, &p.IdempotencyKey, &p.Customer, &amount, &p.Currency, &p.Status, &p.FailureCode, &p.FailureMessage, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, false, nil
	}
	if err != nil {
		return Payment{}, false, err
	}
	p.Amount, p.Created = money.FromUnits(amount), time.Unix(0, created)
	return p, true, nil
}

// Payments lists every payment the sandbox recorded, oldest first: what
// the "bank" says happened.
func (s *Sandbox) Payments(ctx context.Context) ([]Payment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT idempotency_key FROM payments ORDER BY created_at`)
	if err != nil {
		return nil, err
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	out := make([]Payment, 0, len(keys))
	for _, k := range keys {
		p, _, err := s.find(ctx, k)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Total returns the sum of successful payments.
func Total(ps []Payment) decimal.Decimal {
	sum := decimal.Zero
	for _, p := range ps {
		if p.Status == Succeeded {
			sum = sum.Add(p.Amount)
		}
	}
	return sum
}
