package api_test

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

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/records"
)

// TestWebhooksAPI (issue 16): an admin subscribes an address to call
// events; the secret comes once; a call's record reaches the address
// signed with it; the delivery log shows the attempt and replays it; a rep
// may not subscribe; plain http and private addresses are refused unless
// the server allows them.
func TestWebhooksAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sys, err := demo.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	strict := newServer(t, api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir})
	open := newServer(t, api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, WebhooksAnywhere: true})
	pw := passwords(t, dir)

	var mu sync.Mutex
	var bodies []string
	var secret string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := hooks.Verify(secret, r.Header.Get(hooks.SignatureHeader), b, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("a delivery's signature: %v", err)
		}
		bodies = append(bodies, string(b))
	}))
	defer receiver.Close()

	admin, _ := api.NewClient(strict.URL)
	if _, err := admin.SignIn(ctx, "admin@demo.test", pw["admin@demo.test"]); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{receiver.URL, "https://127.0.0.1/x", "https://10.1.2.3/x", "https://localhost/x", "ftp://example.com/x", "not a url"} {
		if _, err := admin.CreateWebhook(ctx, bad, hooks.CallEnded); apiErr(err) == nil || apiErr(err).Status != 400 {
			t.Errorf("subscribing %q: %v", bad, err)
		}
	}
	if _, err := admin.CreateWebhook(ctx, "https://hooks.example.com/x", "call.exploded"); apiErr(err) == nil || apiErr(err).Status != 400 {
		t.Errorf("an unknown event: %v", err)
	}
	// Slack: its events only, on one of the account's numbers.
	for _, bad := range []api.WebhookRequest{
		{URL: "https://hooks.slack.com/services/T/B/x", Events: []string{hooks.CallEnded}, Format: "slack"},
		{URL: "https://hooks.slack.com/services/T/B/x", Events: []string{hooks.CallMissed}, Format: "teams"},
		{URL: "https://hooks.slack.com/services/T/B/x", Events: []string{hooks.CallMissed}, Format: "slack", Number: "+442079460000"},
		{URL: "https://hooks.slack.com/services/T/B/x", Events: []string{hooks.CallMissed}, Format: "slack", Number: "sales"},
	} {
		if _, err := admin.Subscribe(ctx, bad); apiErr(err) == nil || apiErr(err).Status != 400 {
			t.Errorf("subscribing %+v: %v", bad, err)
		}
	}
	sl, err := admin.Subscribe(ctx, api.WebhookRequest{URL: "https://hooks.slack.com/services/T/B/x", Events: []string{hooks.CallMissed, hooks.VoicemailCreated},
		Format: "slack", Number: "(415) 555-0100"})
	if err != nil || sl.Format != "slack" || sl.Number != "+14155550100" {
		t.Fatalf("a Slack subscription: %+v %v", sl, err)
	}
	if err := admin.DeleteWebhook(ctx, sl.ID); err != nil {
		t.Fatal(err)
	}
	admin.Base = open.URL
	wh, err := admin.CreateWebhook(ctx, receiver.URL+"/tether", hooks.CallEnded, hooks.CallMissed)
	if err != nil || !strings.HasPrefix(wh.Secret, "whsec_") || len(wh.Events) != 2 {
		t.Fatalf("subscribing: %+v %v", wh, err)
	}
	mu.Lock()
	secret = wh.Secret
	mu.Unlock()
	if ws, err := admin.Webhooks(ctx); err != nil || len(ws) != 1 || ws[0].Secret != "" || ws[0].URL != receiver.URL+"/tether" {
		t.Errorf("the list: %+v %v", ws, err)
	}
	rep, _ := api.NewClient(open.URL)
	if _, err := rep.SignIn(ctx, "rep@demo.test", pw["rep@demo.test"]); err != nil {
		t.Fatal(err)
	}
	if _, err := rep.CreateWebhook(ctx, receiver.URL, hooks.CallEnded); apiErr(err) == nil || apiErr(err).Status != 403 {
		t.Errorf("a rep subscribed: %v", err)
	}

	now := time.Now()
	if err := sys.Store.AddCall(ctx, records.Call{ID: "call-hook", Account: demo.Account, Direction: "outbound", From: "103", To: "+442071234567",
		Started: now.Add(-time.Minute), Answered: now.Add(-50 * time.Second), Ended: now, Seconds: 50, Cost: decimal.RequireFromString("0.042"),
		Currency: "USD", Disposition: records.Answered}); err != nil {
		t.Fatal(err)
	}
	d := &hooks.Deliverer{Store: sys.Store}
	if n, err := d.Once(ctx); err != nil || n != 1 {
		t.Fatalf("delivering: %d %v", n, err)
	}
	mu.Lock()
	got := strings.Join(bodies, "\n")
	mu.Unlock()
	for _, want := range []string{`"type":"call.ended"`, `"id":"call-hook"`, `"cost":"0.042"`, `"seconds":50`} {
		if !strings.Contains(got, want) {
			t.Errorf("the delivery lacks %s: %s", want, got)
		}
	}
	ds, err := admin.WebhookDeliveries(ctx, wh.ID)
	if err != nil || len(ds) != 1 || ds[0].Status != "delivered" || len(ds[0].Attempts) != 1 || ds[0].Attempts[0].Status != 200 {
		t.Fatalf("the delivery log: %+v %v", ds, err)
	}
	if err := admin.ReplayDelivery(ctx, wh.ID, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Once(ctx); n != 1 {
		t.Errorf("replayed: %d delivered", n)
	}
	if err := admin.DeleteWebhook(ctx, wh.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.WebhookDeliveries(ctx, wh.ID); apiErr(err) == nil || apiErr(err).Status != 404 {
		t.Errorf("a deleted webhook's log: %v", err)
	}
}
