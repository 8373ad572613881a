package system_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/account/team"
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

// TestSlackNotifications: a Slack subscription on one number gets a Slack
// message (a JSON "text", unsigned) for a missed call to that number and
// for a voicemail left on it, posted by the running server; a missed
// call to another number of the account posts nothing.
func TestSlackNotifications(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), rating.SampleRater())
	if err := s.Engine.OpenAccount(ctx, billing.NewAccount{ID: "acme", Plan: "team", Verified: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.CreateUser(ctx, team.User{Account: "acme", Email: "ann@acme.test", Role: team.Member, Extension: "101", Created: time.Now()}, ""); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"+14155550100", "+14155550199"} {
		if err := s.Store.SetNumber(ctx, team.Number{E164: n, Account: "acme", Members: []string{"ann@acme.test"}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var got []string
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]any
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &msg); err != nil || len(msg) != 1 || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("not a Slack message: %s (%s)", body, r.Header.Get("Content-Type"))
		}
		if r.Header.Get(hooks.SignatureHeader) != "" {
			t.Error("a Slack message went signed (with the subscription's secret)")
		}
		text, _ := msg["text"].(string)
		mu.Lock()
		got = append(got, text)
		mu.Unlock()
		io.WriteString(w, "ok") // as Slack answers
	}))
	defer slack.Close()
	r, err := s.Start(ctx, system.Serve{SIP: []string{"udp://127.0.0.1:0"}, HTTP: "127.0.0.1:0", HooksEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if err := s.Store.SaveWebhook(ctx, hooks.Webhook{ID: "wh_slack", Account: "acme", URL: slack.URL, Secret: "s", Format: hooks.FormatSlack,
		Number: "+14155550100", Events: []string{hooks.CallMissed, hooks.VoicemailCreated}, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	for _, c := range []records.Call{
		{ID: "m1", Account: "acme", Direction: "inbound", From: "+442071234567", To: "+14155550199", Started: at, Ended: at, Cost: decimal.Zero, Currency: "USD", Disposition: records.Missed},
		{ID: "m2", Account: "acme", Direction: "inbound", From: "+442071234567", To: "+14155550100", Started: at, Ended: at, Cost: decimal.Zero, Currency: "USD", Disposition: records.Missed},
	} {
		if err := s.Store.AddCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Store.AddVoicemail(ctx, team.Voicemail{ID: "v1", Account: "acme", Number: "+14155550100", From: "+442071234567", Seconds: 12,
		Path: "voicemail/v1.wav", Created: at}); err != nil {
		t.Fatal(err)
	}
	eventually.Must(t, 10*time.Second, "every delivery made", func() bool {
		ds, _ := s.Store.Deliveries(ctx, "acme", "wh_slack", 10)
		for _, d := range ds {
			if d.Status != "delivered" {
				return false
			}
		}
		return len(ds) == 3
	})
	mu.Lock()
	defer mu.Unlock()
	want := []string{":telephone_receiver: Missed call from +442071234567 to +14155550100, Mon 7 Dec 09:30 UTC.",
		":studio_microphone: New voicemail on +14155550100 from +442071234567 (12 s), Mon 7 Dec 09:30 UTC. Listen in Tether's Voicemail."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Slack got %q\nwant %q", got, want)
	}
}
