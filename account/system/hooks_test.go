package system_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/internal/eventually"
)

// TestServerDeliversWebhooks: a running server delivers an account's
// events by itself: a call's record reaches the subscribed address.
func TestServerDeliversWebhooks(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), rating.SampleRater())
	if err := s.Engine.OpenAccount(ctx, billing.NewAccount{ID: "acme", Plan: "team", Verified: true}); err != nil {
		t.Fatal(err)
	}
	var got atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Tether-Event") == hooks.CallEnded && r.Header.Get(hooks.SignatureHeader) != "" {
			got.Add(1)
		}
	}))
	defer receiver.Close()
	r, err := s.Start(ctx, system.Serve{SIP: []string{"udp://127.0.0.1:0"}, HTTP: "127.0.0.1:0", HooksEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if err := s.Store.SaveWebhook(ctx, hooks.Webhook{ID: "wh_s", Account: "acme", URL: receiver.URL, Secret: "s",
		Events: []string{hooks.CallEnded}, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.Store.AddCall(ctx, records.Call{ID: "c1", Account: "acme", Direction: "outbound", From: "101", To: "+442071234567",
		Started: now, Ended: now, Cost: decimal.Zero, Currency: "USD", Disposition: records.Answered}); err != nil {
		t.Fatal(err)
	}
	eventually.Must(t, 10*time.Second, "the call's event delivered", func() bool { return got.Load() == 1 })
}
