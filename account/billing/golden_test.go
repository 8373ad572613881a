package billing_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
)

// TestGoldenRating prices every call in testdata/golden-calls.csv through
// the whole engine (gate, chunked reservations, bundle, settlement) on a
// real SQLite store, and compares with prices computed independently by
// testdata/golden_calls.py, to the fourth decimal.
func TestGoldenRating(t *testing.T) {
	f, err := os.Open("testdata/golden-calls.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 < 40 {
		t.Fatalf("only %d golden cases", len(rows)-1)
	}
	atoi := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, r := range rows[1:] {
		name, dir, local, remote := r[0], rating.Direction(r[1]), r[2], r[3]
		seconds, bundle, credit, usage := atoi(r[4]), atoi(r[5]), r[6], rating.Usage(r[7])
		wantCharged, wantBilled, wantBundle, wantCost := atoi(r[8]), atoi(r[9]), atoi(r[10]), dec(r[11])
		t.Run(name, func(t *testing.T) {
			plans := map[string]billing.Plan{"golden": {ID: "golden", PerSeat: map[rating.Pool]int64{rating.PoolVoice: bundle}}}
			e := newEnv(t, withPlans(plans), withDeck("testdata/golden-deck.csv"))
			acct := fmt.Sprintf("golden-%d", i)
			e.open(acct, "golden", credit)
			call, g, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: acct, CallID: "c1", Direction: dir, Local: local, Remote: remote})
			if err != nil {
				t.Fatal(err)
			}
			ch, err := talk(e.ctx, call, g, seconds)
			if err != nil {
				t.Fatal(err)
			}
			if ch.Usage != usage || ch.Seconds != wantCharged || ch.Billed != wantBilled || ch.BundleUnits != wantBundle || !ch.Cost.Equal(wantCost) {
				t.Errorf("got %s %ds billed %d bundle %d cost %s; want %s %ds billed %d bundle %d cost %s",
					ch.Usage, ch.Seconds, ch.Billed, ch.BundleUnits, ch.Cost, usage, wantCharged, wantBilled, wantBundle, wantCost)
			}
			b := e.balance(acct)
			if want := dec(credit).Sub(wantCost); !b.Posted.Equal(want) || !b.Reserved.IsZero() {
				t.Errorf("balance after the call %s (reserved %s), want %s and nothing held", b.Posted, b.Reserved, want)
			}
			e.check()
		})
	}
}
