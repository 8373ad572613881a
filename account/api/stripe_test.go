package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/internal/peers"
)

const webhookSecret = "whsec_test_tether"

// stripeEnv is the demo account paying through Stripe (stripe-mock whose
// payment intents end in piStatus), with the webhook endpoint served.
func stripeEnv(t *testing.T, piStatus string) *env {
	t.Helper()
	ctx := context.Background()
	mock := peers.StartStripeMock(t, piStatus)
	proc, err := payment.NewStripe(payment.StripeConfig{Key: "sk_test_tether", URL: mock.URL})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := demo.Parts(dir)
	p.Processor = proc
	sys, err := demo.OpenWith(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	hook := &payment.StripeWebhook{Secret: webhookSecret, Settle: sys.Engine.SettlePayment}
	a := api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether",
		Webhooks: map[string]http.Handler{"/v1/webhooks/stripe": hook}})
	e := &env{t: t, api: a, sys: sys, dir: dir, srv: httptest.NewServer(a), tokens: map[string]string{}, pw: map[string]string{}}
	t.Cleanup(e.srv.Close)
	if e.pw, err = demo.ReadCredentials(dir); err != nil {
		t.Fatal(err)
	}
	e.tokens["owner"] = e.signIn("owner@demo.test")
	return e
}

func (e *env) available() decimal.Decimal {
	e.t.Helper()
	b, err := e.sys.Engine.Balance(context.Background(), demo.Account)
	if err != nil {
		e.t.Fatal(err)
	}
	return b.Available
}

// TestStripeAddCreditsAndAutoTopUp: with Stripe as the processor (stripe-
// mock answering), the owner saves a card, adds credits at once, and an
// automatic top-up charges off-session when a purchase takes the balance
// below the threshold.
func TestStripeAddCreditsAndAutoTopUp(t *testing.T) {
	e := stripeEnv(t, "succeeded")
	owner := e.tokens["owner"]
	status, code, body := e.do(owner, "PUT", "/v1/card", `{"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}`)
	if status != 200 || !strings.Contains(string(body), `"last4":"4242"`) {
		t.Fatalf("save card: %d %s %s", status, code, body)
	}
	status, code, body = e.do(owner, "POST", "/v1/credits", `{"amount": "10.00", "idempotency_key": "stripe-test-0001"}`)
	if status != 201 || !strings.Contains(string(body), `"status":"succeeded"`) {
		t.Fatalf("add credits: %d %s %s", status, code, body)
	}
	if got := e.available(); !got.Equal(decimal.NewFromInt(30)) {
		t.Fatalf("available after adding $10 to $20: %s", got)
	}
	if status, _, body := e.do(owner, "PUT", "/v1/topup", `{"enabled": true, "threshold": "25.00", "amount": "30.00"}`); status != 200 {
		t.Fatalf("auto top-up: %d %s", status, body)
	}
	if err := e.sys.Engine.Purchase(context.Background(), demo.Account, "drain", "number-rental", decimal.NewFromInt(10), "test"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !e.available().Equal(decimal.NewFromInt(50)) {
		if time.Now().After(deadline) {
			t.Fatalf("the automatic top-up did not land: available %s", e.available())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var hist api.TopUpHistory
	_, _, body = e.do(owner, "GET", "/v1/topup/history", "")
	json.Unmarshal(body, &hist)
	if len(hist.TopUps) != 2 || hist.TopUps[0].Kind != "auto" || hist.TopUps[0].Status != "succeeded" || hist.TopUps[0].Amount != "30.00" {
		t.Errorf("history: %s", body)
	}
}

// event signs a payment_intent event as Stripe would.
func event(t *testing.T, typ, piID, key string, cents int64, status, secret string) (string, []byte) {
	pi := map[string]any{"id": piID, "object": "payment_intent", "amount": cents, "currency": "usd", "status": status,
		"created": time.Now().Unix(), "metadata": map[string]string{"idempotency_key": key, "account": demo.Account}}
	ev := map[string]any{"id": "evt_" + piID, "object": "event", "api_version": stripe.APIVersion, "type": typ,
		"created": time.Now().Unix(), "data": map[string]any{"object": pi}}
	payload, _ := json.Marshal(ev)
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	return sp.Header, payload
}

// TestStripeWebhookCreditsOnce: a payment still processing leaves the
// top-up pending (202); its succeeded event, delivered twice, credits the
// account once; a forged event is refused and changes nothing.
func TestStripeWebhookCreditsOnce(t *testing.T) {
	e := stripeEnv(t, "processing")
	owner := e.tokens["owner"]
	status, code, body := e.do(owner, "POST", "/v1/credits", `{"amount": "10.00", "idempotency_key": "stripe-test-0002"}`)
	var tu api.TopUpInfo
	json.Unmarshal(body, &tu)
	if status != 202 || tu.Status != "pending" || tu.ID == "" {
		t.Fatalf("add credits while the payment processes: %d %s %s", status, code, body)
	}
	if got := e.available(); !got.Equal(decimal.NewFromInt(20)) {
		t.Fatalf("credited before the payment finished: %s", got)
	}
	post := func(sig string, payload []byte) int {
		req := httptest.NewRequest("POST", "/v1/webhooks/stripe", strings.NewReader(string(payload)))
		req.Header.Set("Stripe-Signature", sig)
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		return rec.Code
	}
	key := "topup:" + tu.ID
	forged, payload := event(t, "payment_intent.succeeded", "pi_forged", key, 1000, "succeeded", "whsec_someone_else")
	if code := post(forged, payload); code != 400 {
		t.Errorf("a forged event: %d, want 400", code)
	}
	if got := e.available(); !got.Equal(decimal.NewFromInt(20)) {
		t.Fatalf("a forged event credited: %s", got)
	}
	sig, payload := event(t, "payment_intent.succeeded", "pi_real", key, 1000, "succeeded", webhookSecret)
	for i := range 3 {
		if code := post(sig, payload); code != 200 {
			t.Fatalf("delivery %d: %d", i+1, code)
		}
	}
	// Another intent for the same top-up (should never happen) credits nothing more.
	sig2, payload2 := event(t, "payment_intent.succeeded", "pi_other", key, 1000, "succeeded", webhookSecret)
	post(sig2, payload2)
	if got := e.available(); !got.Equal(decimal.NewFromInt(30)) {
		t.Fatalf("after the succeeded event three times: %s, want 30 (credited once)", got)
	}
	var hist api.TopUpHistory
	_, _, body = e.do(owner, "GET", "/v1/topup/history", "")
	json.Unmarshal(body, &hist)
	if len(hist.TopUps) != 1 || hist.TopUps[0].Status != "succeeded" {
		t.Errorf("history: %s", body)
	}
	if err := e.sys.Store.Check(context.Background()); err != nil {
		t.Errorf("the ledger: %v", err)
	}
}

// TestStripeDecline: an intent that ends needing another payment method
// is a declined card: 402, nothing credited, the failure in the history.
func TestStripeDecline(t *testing.T) {
	e := stripeEnv(t, "requires_payment_method")
	status, code, _ := e.do(e.tokens["owner"], "POST", "/v1/credits", `{"amount": "10.00", "idempotency_key": "stripe-test-0003"}`)
	if status != 402 || code != "card_declined" {
		t.Fatalf("declined: %d %s", status, code)
	}
	if got := e.available(); !got.Equal(decimal.NewFromInt(20)) {
		t.Errorf("available after a decline: %s", got)
	}
}

// TestStripeSubscription: the seats are charged through Stripe (stripe-
// mock answering) as the demo account is set up, an upgrade is charged at
// once, each is a paid charge with Stripe's payment and a receipt, and
// none of it touched the credit.
func TestStripeSubscription(t *testing.T) {
	e := stripeEnv(t, "succeeded")
	ctx := context.Background()
	owner, _ := api.NewClient(e.srv.URL)
	owner.Token = e.tokens["owner"]
	before := e.available()
	sub, err := owner.ChangePlan(ctx, "pro")
	if err != nil || sub.Plan.ID != "pro" || sub.Due != "0.00" {
		t.Fatalf("upgrade through Stripe: %+v, %v", sub, err)
	}
	kinds := map[string]int{}
	for _, ch := range sub.Charges {
		if ch.Status != "paid" {
			t.Errorf("a charge not paid through Stripe: %+v", ch)
		}
		kinds[ch.Kind]++
	}
	if kinds["cycle"] != 1 || kinds["seat"] != 2 || kinds["upgrade"] != 1 {
		t.Errorf("the charges: %v", kinds)
	}
	rs, err := owner.Receipts(ctx)
	if err != nil || len(rs) != 4 {
		t.Fatalf("receipts: %+v, %v", rs, err)
	}
	for _, r := range rs {
		if r.Kind != "subscription" || !strings.HasPrefix(r.PaymentID, "pi_") {
			t.Errorf("a receipt without Stripe's payment: %+v", r)
		}
	}
	if after := e.available(); !after.Equal(before) {
		t.Errorf("the subscription moved the credit: %s -> %s", before, after)
	}
}
