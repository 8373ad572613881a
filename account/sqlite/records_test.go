package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/sqlite"
)

// TestLiveCalls: a call noted in progress is listed until its record
// replaces it; checkpoints move its time and meter; finishing twice (a
// finish replayed after a crash) adds one record.
func TestLiveCalls(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateCustomer(ctx, billing.Customer{ID: "acme", Currency: "USD", Plan: "team", CycleAnchor: time.Now(), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveWebhook(ctx, hooks.Webhook{ID: "wh1", Account: "acme", URL: "https://hooks.example.com/x", Secret: "s",
		Events: []string{hooks.CallStarted, hooks.CallAnswered, hooks.CallEnded, hooks.CallNoted}, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	draft := records.Call{ID: "c1", Account: "acme", Direction: "outbound", From: "101", To: "+447911123456", Started: start}
	for range 2 { // (noted again before its answer: no second call.started)
		if err := db.BeginCall(ctx, records.Live{Call: draft, At: start}); err != nil {
			t.Fatal(err)
		}
	}
	draft.Answered = start.Add(3 * time.Second)
	for range 2 { // (noted again once answered: no second call.answered)
		if err := db.BeginCall(ctx, records.Live{Call: draft, Meter: []byte(`{"v":1}`), At: draft.Answered}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Checkpoint(ctx, []records.Live{{Call: records.Call{ID: "c1"}, Meter: []byte(`{"v":2}`), At: start.Add(10 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	ls, err := db.LiveCalls(ctx)
	if err != nil || len(ls) != 1 {
		t.Fatalf("live calls %+v %v", ls, err)
	}
	if l := ls[0]; !l.Call.Answered.Equal(draft.Answered) || l.Call.To != draft.To || string(l.Meter) != `{"v":2}` || !l.At.Equal(start.Add(10*time.Second)) {
		t.Fatalf("live call %+v", l)
	}
	done := draft
	done.Ended, done.Seconds, done.Cost, done.Currency, done.Disposition = start.Add(12*time.Second), 9, decimal.RequireFromString("0.0053"), "USD", records.Answered
	for range 2 {
		if err := db.FinishCall(ctx, done); err != nil {
			t.Fatal(err)
		}
	}
	if ls, _ := db.LiveCalls(ctx); len(ls) != 0 {
		t.Fatalf("still live after its record: %+v", ls)
	}
	cs, err := db.Calls(ctx, "acme", 10)
	if err != nil || len(cs) != 1 || cs[0].Seconds != 9 || !cs[0].Cost.Equal(done.Cost) {
		t.Fatalf("records %+v %v", cs, err)
	}
	if err := db.Tag(ctx, "c1", "Call back", "wants a quote"); err != nil {
		t.Fatal(err)
	}
	// Its webhooks: started, answered (with when), ended, once each; then
	// the disposition logged on it.
	ds, err := db.Deliveries(ctx, "acme", "wh1", 10)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i := len(ds) - 1; i >= 0; i-- {
		types = append(types, ds[i].Type)
		if ds[i].Type == hooks.CallAnswered && !strings.Contains(string(ds[i].Payload), `"answered":"2026-12-07T09:00:03Z"`) {
			t.Errorf("call.answered: %s", ds[i].Payload)
		}
	}
	if strings.Join(types, " ") != "call.started call.answered call.ended call.noted" {
		t.Errorf("the call's events: %v", types)
	}
	if p := string(ds[0].Payload); !strings.Contains(p, `"tag":"Call back"`) || !strings.Contains(p, `"notes":"wants a quote"`) || !strings.Contains(p, `"to":"+447911123456"`) {
		t.Errorf("call.noted: %s", p)
	}
}
