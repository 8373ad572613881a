package hooks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/system"
)

// receiver is a customer's webhook endpoint: it checks each delivery's
// signature, fails the first failFirst deliveries of each event, and keeps
// the events it accepted.
type receiver struct {
	t         *testing.T
	secret    string
	now       func() time.Time
	failFirst int
	mu        sync.Mutex
	tries     map[string]int
	accepted  []string // event IDs, in order
	types     []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := hooks.Verify(rc.secret, r.Header.Get(hooks.SignatureHeader), body, rc.now(), 5*time.Minute); err != nil {
		rc.t.Errorf("a delivery failed its signature check: %v", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	id := between(string(body), `"id":"`, `"`)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.tries[id]++
	if rc.tries[id] <= rc.failFirst {
		http.Error(w, "not now", http.StatusServiceUnavailable)
		return
	}
	rc.accepted = append(rc.accepted, id)
	rc.types = append(rc.types, r.Header.Get("Tether-Event"))
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.at = c.at.Add(d); c.mu.Unlock() }
func missedCall(id string, at time.Time) records.Call {
	return records.Call{ID: id, Account: demo.Account, Direction: "inbound", From: "+442071234567", To: "+14155550100",
		Started: at.Add(-30 * time.Second), Ended: at, Cost: decimal.Zero, Currency: "USD", Disposition: records.Missed, Cause: "480 no answer"}
}

func open(t *testing.T, dir string) *system.System {
	t.Helper()
	sys, err := demo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// TestDeliveries: a missed call makes two events (call.ended, call.missed)
// for a subscription to both; its receiver fails each three times, then
// takes it: each event arrives once, signed, after retries 30 s, 1 min and
// 2 min apart, and the log shows the four attempts.
func TestDeliveries(t *testing.T) {
	ctx := context.Background()
	sys := open(t, t.TempDir())
	defer sys.Close()
	clk := &clock{at: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	rc := &receiver{t: t, secret: "whsec-test", now: clk.now, failFirst: 3, tries: map[string]int{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	if err := sys.Store.SaveWebhook(ctx, hooks.Webhook{ID: "wh_1", Account: demo.Account, URL: srv.URL, Secret: rc.secret,
		Events: []string{hooks.CallEnded, hooks.CallMissed}, Created: clk.now()}); err != nil {
		t.Fatal(err)
	}
	if err := sys.Store.AddCall(ctx, missedCall("call-1", clk.now())); err != nil {
		t.Fatal(err)
	}
	d := &hooks.Deliverer{Store: sys.Store, Now: clk.now}
	for i, wait := range []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute} {
		clk.add(wait - time.Second) // not yet due
		if n, err := d.Once(ctx); err != nil || n != 0 {
			t.Fatalf("round %d a second early: %d delivered, %v", i, n, err)
		}
		clk.add(time.Second)
		n, err := d.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 2, false: 0}[i == 3]; n != want {
			t.Fatalf("round %d: %d delivered, want %d", i, n, want)
		}
	}
	if n, _ := d.Once(ctx); n != 0 {
		t.Errorf("%d delivered again", n)
	}
	if len(rc.accepted) != 2 || rc.accepted[0] == rc.accepted[1] || strings.Join(rc.types, " ") != "call.ended call.missed" && strings.Join(rc.types, " ") != "call.missed call.ended" {
		t.Fatalf("accepted %v (%v)", rc.accepted, rc.types)
	}
	ds, err := sys.Store.Deliveries(ctx, demo.Account, "wh_1", 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("the delivery log: %+v %v", ds, err)
	}
	for _, dl := range ds {
		var codes []int
		for _, a := range dl.Attempts {
			codes = append(codes, a.Status)
		}
		if dl.Status != "delivered" || len(codes) != 4 || codes[0] != 503 || codes[3] != 200 || !strings.Contains(string(dl.Payload), `"id":"call-1"`) {
			t.Errorf("delivery %s: %s, attempts %v, payload %s", dl.ID, dl.Status, codes, dl.Payload)
		}
	}
	// Replayed, the event comes again, with the same ID for the receiver
	// to know it.
	if err := sys.Store.Replay(ctx, demo.Account, "wh_1", ds[0].ID, clk.now()); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Once(ctx); n != 1 || rc.accepted[2] != ds[0].Event {
		t.Errorf("replayed: %d delivered, accepted %v", n, rc.accepted)
	}
	if err := sys.Store.Replay(ctx, "someone-else", "wh_1", ds[0].ID, clk.now()); err == nil {
		t.Error("another account replayed the delivery")
	}
}

// TestDeliveriesOutliveARestart: the event is kept with the call's record;
// the server stopped before delivering it delivers it after it starts.
func TestDeliveriesOutliveARestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sys := open(t, dir)
	rc := &receiver{t: t, secret: "whsec-restart", now: time.Now, tries: map[string]int{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	if err := sys.Store.SaveWebhook(ctx, hooks.Webhook{ID: "wh_r", Account: demo.Account, URL: srv.URL, Secret: rc.secret,
		Events: []string{hooks.CallEnded}, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := sys.Store.AddCall(ctx, missedCall("call-r", time.Now())); err != nil {
		t.Fatal(err)
	}
	sys.Close() // before any delivery
	sys = open(t, dir)
	defer sys.Close()
	if n, err := (&hooks.Deliverer{Store: sys.Store}).Once(ctx); err != nil || n != 1 || len(rc.accepted) != 1 {
		t.Fatalf("after the restart: %d delivered (%v), accepted %v", n, err, rc.accepted)
	}
}

// TestFailingWebhookDisabled: a receiver that never takes anything: the
// deliveries are tried for three days, then given up; the subscription is
// disabled and the owner told.
func TestFailingWebhookDisabled(t *testing.T) {
	ctx := context.Background()
	sys := open(t, t.TempDir())
	defer sys.Close()
	clk := &clock{at: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }))
	defer srv.Close()
	if err := sys.Store.SaveWebhook(ctx, hooks.Webhook{ID: "wh_f", Account: demo.Account, URL: srv.URL, Secret: "s",
		Events: []string{hooks.CallEnded}, Created: clk.now()}); err != nil {
		t.Fatal(err)
	}
	var told []string
	d := &hooks.Deliverer{Store: sys.Store, Now: clk.now, Disabled: func(_ context.Context, x hooks.Due) { told = append(told, x.Webhook) }}
	for i := range 3 {
		if err := sys.Store.AddCall(ctx, missedCall("call-f"+string(rune('a'+i)), clk.now())); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Once(ctx); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Hour)
	}
	tries := 0
	for range 200 { // every 10 minutes for 4 days at most
		if _, err := d.Once(ctx); err != nil {
			t.Fatal(err)
		}
		ws, _ := sys.Store.Webhooks(ctx, demo.Account)
		if !ws[0].Disabled.IsZero() {
			break
		}
		tries++
		clk.add(30 * time.Minute)
	}
	ws, _ := sys.Store.Webhooks(ctx, demo.Account)
	if ws[0].Disabled.IsZero() || len(told) != 1 {
		t.Fatalf("after %d rounds: disabled %v, told %v", tries, ws[0].Disabled, told)
	}
	if failed := ws[0].Disabled.Sub(ws[0].FailingSince); failed < 72*time.Hour || failed > 80*time.Hour {
		t.Errorf("disabled after failing for %s", failed)
	}
	ds, _ := sys.Store.Deliveries(ctx, demo.Account, "wh_f", 10)
	for _, dl := range ds {
		if dl.Status != "failed" && dl.Status != "pending" || len(dl.Attempts) < 10 {
			t.Errorf("delivery %s: %s after %d attempts", dl.ID, dl.Status, len(dl.Attempts))
		}
	}
}

// TestVerify: a signature holds for its body and time only.
func TestVerify(t *testing.T) {
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt_1"}`)
	sig := hooks.Sign("k", at, body)
	if err := hooks.Verify("k", sig, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("a good signature: %v", err)
	}
	for name, c := range map[string]struct {
		secret, sig string
		body        string
		now         time.Time
	}{
		"another secret": {"x", sig, string(body), at},
		"another body":   {"k", sig, `{"id":"evt_2"}`, at},
		"too old":        {"k", sig, string(body), at.Add(6 * time.Minute)},
		"no header":      {"k", "", string(body), at},
		"garbled":        {"k", "t=abc,v1=00", string(body), at},
	} {
		if err := hooks.Verify(c.secret, c.sig, []byte(c.body), c.now, 5*time.Minute); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestTopUpEvent: credits bought reach a subscription to credits.topped_up
// with the amount, once the payment has gone through.
func TestTopUpEvent(t *testing.T) {
	ctx := context.Background()
	sys := open(t, t.TempDir())
	defer sys.Close()
	rc := &receiver{t: t, secret: "whsec-topup", now: time.Now, tries: map[string]int{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	if err := sys.Store.SaveWebhook(ctx, hooks.Webhook{ID: "wh_t", Account: demo.Account, URL: srv.URL, Secret: rc.secret,
		Events: []string{hooks.CreditsToppedUp}, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Engine.AddCredits(ctx, demo.Account, decimal.RequireFromString("25"), "topup-hook-1"); err != nil {
		t.Fatal(err)
	}
	if n, err := (&hooks.Deliverer{Store: sys.Store}).Once(ctx); err != nil || n != 1 {
		t.Fatalf("delivering: %d %v", n, err)
	}
	ds, _ := sys.Store.Deliveries(ctx, demo.Account, "wh_t", 1)
	if len(ds) != 1 || !strings.Contains(string(ds[0].Payload), `"amount":"25"`) || ds[0].Type != hooks.CreditsToppedUp {
		t.Errorf("the top-up's event: %+v", ds)
	}
}

// TestNumberAssignedEvent: who answers a number, when it is set.
func TestNumberAssignedEvent(t *testing.T) {
	ctx := context.Background()
	sys := open(t, t.TempDir())
	defer sys.Close()
	if err := sys.Store.SaveWebhook(ctx, hooks.Webhook{ID: "wh_n", Account: demo.Account, URL: "https://hooks.example.com/n", Secret: "s",
		Events: []string{hooks.NumberAssigned}, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	n, err := sys.Store.Number(ctx, "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	n.Members = []string{"admin@demo.test", "rep@demo.test"}
	if err := sys.Store.SetNumber(ctx, n); err != nil {
		t.Fatal(err)
	}
	ds, _ := sys.Store.Deliveries(ctx, demo.Account, "wh_n", 5)
	if len(ds) != 1 || !strings.Contains(string(ds[0].Payload), `"members":["admin@demo.test","rep@demo.test"]`) ||
		!strings.Contains(string(ds[0].Payload), `"number":"+14155550101"`) {
		t.Errorf("the number's event: %+v", ds)
	}
}
