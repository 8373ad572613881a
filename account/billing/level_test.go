package billing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/internal/eventually"
)

// TestCreditLevelEvents: crossing the low line ($5 without an auto top-up
// threshold) is one credits.low however many debits follow; a call that
// spends the rest is one credits.exhausted; credit added and spent below
// the line again is a new credits.low. Each names what is available.
func TestCreditLevelEvents(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "6")
	if err := e.db.SaveWebhook(e.ctx, hooks.Webhook{ID: "wh1", Account: "acme", URL: "https://hooks.example.com/x", Secret: "s",
		Events: []string{hooks.CreditsLow, hooks.CreditsExhausted}, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	step := func(what string, do func()) {
		t.Helper()
		e.clock.Advance(time.Minute) // (each step's event its own time: in order)
		do()
		eventually.Must(t, 10*time.Second, "the credit level measured after "+what, func() bool { return billing.Measuring(e.engine) == 0 })
	}
	adjust := func(id, amount string) {
		t.Helper()
		step(id, func() {
			if err := e.engine.Adjust(e.ctx, "acme", id, dec(amount), "test"); err != nil {
				t.Fatal(err)
			}
		})
	}
	adjust("a1", "-1.50")   // 4.50: low
	adjust("a2", "-0.50")   // 4.00: still low, nothing new
	step("a call", func() { // a UK mobile until the credit is spent: exhausted
		call, g, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c1", Direction: rating.Outbound, Local: us, Remote: ukMob})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := talk(e.ctx, call, g, 1_000_000); err != nil {
			t.Fatal(err)
		}
	})
	adjust("a3", "10")    // above the line: nothing said
	adjust("a4", "-7.50") // below it again: low
	ds, err := e.db.Deliveries(e.ctx, "acme", "wh1", 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(ds) - 1; i >= 0; i-- {
		got = append(got, ds[i].Type)
	}
	if strings.Join(got, " ") != "credits.low credits.exhausted credits.low" {
		t.Fatalf("events %v", got)
	}
	if p := string(ds[len(ds)-1].Payload); !strings.Contains(p, `"available":"4.5000"`) || !strings.Contains(p, `"low_line":"5.00"`) {
		t.Errorf("the first credits.low: %s", p)
	}
	if p := string(ds[len(ds)-2].Payload); !strings.Contains(p, `"available":"0.0001"`) {
		t.Errorf("credits.exhausted: %s", p)
	}
}
