package payment

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// Stripe is a Processor on Stripe: a customer per account with the card
// saved as a payment method, and off-session PaymentIntents confirmed at
// once for top-ups, each under our idempotency key (sent as Stripe's
// Idempotency-Key and kept in the intent's metadata, where Find searches
// for it). An intent still processing comes back as ErrUnknownOutcome; its
// webhook (StripeWebhook) or reconciliation (Find) settles it later.
type Stripe struct {
	sc  *stripe.Client
	log *slog.Logger

	mu        sync.Mutex
	customers map[string]string // account -> Stripe customer ID
}

var _ Processor = (*Stripe)(nil)

// StripeConfig configures the Stripe processor.
type StripeConfig struct {
	Key  string       // the secret key, sk_live_... or sk_test_...
	URL  string       // the API's base URL; "" for Stripe's own (stripe-mock's in tests)
	HTTP *http.Client // nil for a client with a 30 s timeout
	Log  *slog.Logger
}

// NewStripe returns a Stripe processor.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if !strings.HasPrefix(cfg.Key, "sk_") && !strings.HasPrefix(cfg.Key, "rk_") {
		return nil, fmt.Errorf("payment: a Stripe secret key starts with sk_ or rk_")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	retries := int64(2)
	bc := &stripe.BackendConfig{HTTPClient: cfg.HTTP, MaxNetworkRetries: &retries,
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelError}}
	if cfg.URL != "" {
		bc.URL = stripe.String(strings.TrimRight(cfg.URL, "/"))
	}
	sc := stripe.NewClient(cfg.Key, stripe.WithBackends(stripe.NewBackendsWithConfig(bc)))
	return &Stripe{sc: sc, log: cfg.Log, customers: map[string]string{}}, nil
}

// customer finds or creates the account's Stripe customer.
func (s *Stripe) customer(ctx context.Context, account string) (string, error) {
	s.mu.Lock()
	id, ok := s.customers[account]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	for c, err := range s.sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{
		Query: fmt.Sprintf("metadata['account']:'%s'", account)}}) {
		if err != nil {
			return "", s.wrap(err)
		}
		if c.Metadata["account"] == account {
			id = c.ID
			break
		}
	}
	if id == "" {
		p := &stripe.CustomerCreateParams{Description: stripe.String("Tether account " + account)}
		p.AddMetadata("account", account)
		p.SetIdempotencyKey("customer:" + account)
		c, err := s.sc.V1Customers.Create(ctx, p)
		if err != nil {
			return "", s.wrap(err)
		}
		id = c.ID
	}
	s.mu.Lock()
	s.customers[account] = id
	s.mu.Unlock()
	return id, nil
}

// SaveCard implements Processor. card.Number is either a card number (test
// mode, or an account allowed raw card data) or a payment method or token
// the app's card form made with Stripe's own script ("pm_...", "tok_...").
func (s *Stripe) SaveCard(ctx context.Context, account string, card CardDetails) (Card, error) {
	cus, err := s.customer(ctx, account)
	if err != nil {
		return Card{}, err
	}
	var pmID string
	switch {
	case strings.HasPrefix(card.Number, "pm_"):
		pmID = card.Number
	default:
		p := &stripe.PaymentMethodCreateParams{Type: stripe.String("card"), Card: &stripe.PaymentMethodCreateCardParams{}}
		if strings.HasPrefix(card.Number, "tok_") {
			p.Card.Token = stripe.String(card.Number)
		} else {
			n, err := normalizeNumber(card.Number)
			if err != nil {
				return Card{}, err
			}
			if err := checkExpiry(card.ExpMonth, card.ExpYear, time.Now()); err != nil {
				return Card{}, err
			}
			p.Card.Number, p.Card.CVC = stripe.String(n), stripe.String(card.CVC)
			p.Card.ExpMonth, p.Card.ExpYear = stripe.Int64(int64(card.ExpMonth)), stripe.Int64(int64(card.ExpYear))
		}
		pm, err := s.sc.V1PaymentMethods.Create(ctx, p)
		if err != nil {
			return Card{}, s.wrap(err)
		}
		pmID = pm.ID
	}
	pm, err := s.sc.V1PaymentMethods.Attach(ctx, pmID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
	if err != nil {
		return Card{}, s.wrap(err)
	}
	out := Card{ID: cus + "/" + pm.ID}
	if pm.Card != nil {
		out.Brand, out.Last4, out.ExpMonth, out.ExpYear = string(pm.Card.Brand), pm.Card.Last4, int(pm.Card.ExpMonth), int(pm.Card.ExpYear)
	}
	return out, nil
}

// Charge implements Processor.
func (s *Stripe) Charge(ctx context.Context, req ChargeRequest) (Payment, error) {
	cus, pm, ok := strings.Cut(req.Card, "/")
	if !ok || !strings.HasPrefix(cus, "cus_") {
		return Payment{}, fmt.Errorf("%w: the card on file is not a Stripe card; save it again", ErrNoCard)
	}
	cents := req.Amount.Shift(2)
	if !cents.IsInteger() || !cents.IsPositive() {
		return Payment{}, fmt.Errorf("payment: %s is not a whole number of cents", req.Amount)
	}
	p := &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(cents.IntPart()), Currency: stripe.String(strings.ToLower(req.Currency)),
		Customer: stripe.String(cus), PaymentMethod: stripe.String(pm),
		OffSession: stripe.Bool(true), Confirm: stripe.Bool(true), Description: stripe.String(req.Description),
	}
	p.AddMetadata("idempotency_key", req.IdempotencyKey)
	p.AddMetadata("account", req.Customer)
	p.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := s.sc.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
			pay := Payment{IdempotencyKey: req.IdempotencyKey, Customer: req.Customer, Amount: req.Amount, Currency: req.Currency,
				Status: Failed, FailureCode: string(cmp.Or(string(se.DeclineCode), string(se.Code))), FailureMessage: se.Msg, Created: time.Now()}
			if se.PaymentIntent != nil {
				pay.ID = se.PaymentIntent.ID
			}
			return pay, &DeclineError{Code: pay.FailureCode, Message: pay.FailureMessage}
		}
		return Payment{}, s.wrap(err)
	}
	pay := paymentOf(pi)
	switch pay.Status {
	case Succeeded, Failed:
		return pay, pay.Err()
	}
	return pay, fmt.Errorf("%w: payment %s is %s", ErrUnknownOutcome, pi.ID, pi.Status)
}

// paymentOf reads a PaymentIntent: succeeded, failed (no payment method
// that works, or canceled), or neither yet (Status "").
func paymentOf(pi *stripe.PaymentIntent) Payment {
	p := Payment{ID: pi.ID, IdempotencyKey: pi.Metadata["idempotency_key"], Customer: pi.Metadata["account"],
		Amount: decimal.New(pi.Amount, -2), Currency: strings.ToUpper(string(pi.Currency)), Created: time.Unix(pi.Created, 0)}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		p.Status = Succeeded
	case stripe.PaymentIntentStatusRequiresPaymentMethod, stripe.PaymentIntentStatusCanceled:
		p.Status, p.FailureCode, p.FailureMessage = Failed, "declined", "The card was declined."
		if e := pi.LastPaymentError; e != nil {
			p.FailureCode, p.FailureMessage = cmp.Or(string(e.DeclineCode), string(e.Code)), cmp.Or(e.Msg, p.FailureMessage)
		}
	}
	return p
}

// Find implements Processor: the PaymentIntent whose metadata carries the
// key.
func (s *Stripe) Find(ctx context.Context, key string) (Payment, bool, error) {
	q := fmt.Sprintf("metadata['idempotency_key']:'%s'", strings.ReplaceAll(key, "'", ""))
	for pi, err := range s.sc.V1PaymentIntents.Search(ctx, &stripe.PaymentIntentSearchParams{SearchParams: stripe.SearchParams{Query: q}}) {
		if err != nil {
			return Payment{}, false, s.wrap(err)
		}
		if pi.Metadata["idempotency_key"] == key {
			p := paymentOf(pi)
			if p.Status == "" {
				return p, false, fmt.Errorf("%w: payment %s is %s", ErrUnknownOutcome, pi.ID, pi.Status)
			}
			return p, true, nil
		}
	}
	return Payment{}, false, nil
}

// wrap makes Stripe's answers ours: a network failure or a server error is
// an unknown outcome (retry with the same key); a refused request is an
// error that charged nothing.
func (s *Stripe) wrap(err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		if se.HTTPStatusCode >= 500 || se.HTTPStatusCode == 0 || se.Type == stripe.ErrorTypeAPI || se.Code == stripe.ErrorCodeIdempotencyKeyInUse {
			return fmt.Errorf("%w: stripe: %s", ErrUnknownOutcome, se.Msg)
		}
		if se.Type == stripe.ErrorTypeCard {
			return fmt.Errorf("%w: %s", ErrCard, se.Msg)
		}
		return fmt.Errorf("payment: stripe refused: %s (%s)", se.Msg, se.Code)
	}
	return fmt.Errorf("%w: stripe: %v", ErrUnknownOutcome, err)
}

// StripeWebhook receives Stripe's events at the account API
// (POST /v1/webhooks/stripe): it checks each event's signature and hands
// PaymentIntents that succeeded or failed to Settle with the idempotency
// key the charge was made under. Settle must be idempotent (Stripe sends
// an event more than once; the ledger's keys drop the repeats).
type StripeWebhook struct {
	Secret string // the endpoint's signing secret, whsec_...
	Settle func(ctx context.Context, key string, p Payment) error
	Log    *slog.Logger
}

// ServeHTTP implements http.Handler.
func (h *StripeWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 256<<10))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), h.Secret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "bad_signature", "message": "the event's signature does not check out"}})
		return
	}
	switch ev.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled":
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			http.Error(w, "not a payment intent", http.StatusBadRequest)
			return
		}
		p := paymentOf(&pi)
		if p.IdempotencyKey == "" || p.Status == "" {
			break // not one of ours, or not finished
		}
		if err := h.Settle(r.Context(), p.IdempotencyKey, p); err != nil {
			if h.Log != nil {
				h.Log.Error("stripe webhook: settle", "payment", p.ID, "err", err)
			}
			http.Error(w, "try again", http.StatusInternalServerError) // Stripe retries
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
