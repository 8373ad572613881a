package billing_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/rating"
)

const (
	us      = "+14155552671"
	ca      = "+16045550100"
	ukMob   = "+447400123456"
	jamaica = "+18769271234"
)

// TestZeroBalanceBlocksEverything: the positive balance rule. With bundle
// minutes and texts left but no credit, nothing starts.
func TestZeroBalanceBlocksEverything(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "pro", "0")
	st, err := e.engine.Bundle(e.ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if st.Pools[rating.PoolVoice].Left == 0 || st.Pools[rating.PoolSMS].Left == 0 {
		t.Fatalf("the bundle should be full: %+v", st.Pools)
	}
	attempts := map[string]func() error{
		"domestic call": func() error {
			_, _, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c1", Direction: rating.Outbound, Local: us, Remote: ca})
			return err
		},
		"inbound call": func() error {
			_, _, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c2", Direction: rating.Inbound, Local: us, Remote: ca})
			return err
		},
		"international call": func() error {
			_, _, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c3", Direction: rating.Outbound, Local: us, Remote: ukMob})
			return err
		},
		"domestic text": func() error {
			_, err := e.engine.ChargeMessage(e.ctx, billing.Message{Account: "acme", MessageID: "m1", Direction: rating.Outbound, Local: us, Remote: ca, Text: "hi"})
			return err
		},
		"inbound text": func() error {
			_, err := e.engine.ChargeMessage(e.ctx, billing.Message{Account: "acme", MessageID: "m2", Direction: rating.Inbound, Local: us, Remote: ca, Text: "hi"})
			return err
		},
		"transcription": func() error {
			_, err := e.engine.ChargeTranscription(e.ctx, "acme", "vm1", 30)
			return err
		},
		"ai agent": func() error {
			_, _, err := e.engine.StartAIAgent(e.ctx, "acme", "s1")
			return err
		},
	}
	for name, try := range attempts {
		err := try()
		var ce *billing.CreditError
		if !errors.As(err, &ce) || !errors.Is(err, billing.ErrNoCredit) {
			t.Errorf("%s at zero balance: err = %v, want a CreditError", name, err)
			continue
		}
		if !strings.Contains(ce.Reason, "no credit") {
			t.Errorf("%s: reason %q does not say why", name, ce.Reason)
		}
	}
	// One cent opens the gate for bundled use.
	e.credit("acme", "0.01")
	call, g, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c9", Direction: rating.Outbound, Local: us, Remote: ca})
	if err != nil {
		t.Fatalf("with $0.01 and bundle left, a domestic call should start: %v", err)
	}
	ch, err := talk(e.ctx, call, g, 300)
	if err != nil || !ch.Cost.IsZero() || ch.BundleUnits != 300 {
		t.Fatalf("bundled call charge = %+v, %v", ch, err)
	}
	e.check()
}

// TestFirstIncrementMustBeAffordable: a credit-billed call needs its
// connection fee plus its first block.
func TestFirstIncrementMustBeAffordable(t *testing.T) {
	e := newEnv(t, withDeck("testdata/golden-deck.csv"))
	e.open("acme", "team", "0.25") // Jamaica: 0.05 fee + 0.21 for the first 60 s = 0.26
	_, _, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c1", Direction: rating.Outbound, Local: us, Remote: jamaica})
	var ce *billing.CreditError
	if !errors.As(err, &ce) || !ce.Needed.Equal(dec("0.26")) || !strings.Contains(ce.Reason, "$0.26") {
		t.Fatalf("err = %v (%+v), want a CreditError needing $0.26", err, ce)
	}
	e.credit("acme", "0.01")
	call, g, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c2", Direction: rating.Outbound, Local: us, Remote: jamaica})
	if err != nil {
		t.Fatal(err)
	}
	if g.PaidThrough != 60 || !g.Final {
		t.Fatalf("grant %+v, want 60 s and final", g)
	}
	if b := e.balance("acme"); !b.Available.IsZero() || !b.Reserved.Equal(dec("0.26")) {
		t.Fatalf("balance while calling: %+v", b)
	}
	ch, err := call.End(e.ctx, 75) // ran over: only the paid minute is charged
	if err != nil || !ch.Cost.Equal(dec("0.26")) || ch.Seconds != 60 {
		t.Fatalf("charge %+v, %v", ch, err)
	}
	if b := e.balance("acme"); !b.Posted.IsZero() {
		t.Fatalf("balance after: %+v", b)
	}
	e.check()
}

// TestCallLearnsWhenItEnds: when the next chunk cannot be paid in full, the
// grant is final and says when the call ends; settlement is exact.
func TestCallLearnsWhenItEnds(t *testing.T) {
	e := newEnv(t, withDeck("testdata/golden-deck.csv"))
	e.open("acme", "team", "1.00") // UK mobile: 0.05 fee, 0.035/min, 1/1
	call, g, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c1", Direction: rating.Outbound, Local: us, Remote: ukMob})
	if err != nil {
		t.Fatal(err)
	}
	if g.PaidThrough != 120 || g.Final {
		t.Fatalf("first grant %+v, want two chunks paid ahead", g)
	}
	// The switchboard extends a chunk before the paid end.
	elapsed := int64(0)
	for !g.Final {
		elapsed = g.PaidThrough - 60
		if g, err = call.Extend(e.ctx, elapsed); err != nil {
			t.Fatal(err)
		}
		if elapsed > 5000 {
			t.Fatal("never final")
		}
	}
	// $1.00 - $0.05 fee buys 0.95/0.035*60 = 1628.57 s: 1628 s, and the
	// call learns it a minute or more before.
	if g.PaidThrough != 1628 || g.PaidThrough-elapsed < 60 {
		t.Fatalf("final grant %+v at %d s, want 1628 s known 60 s ahead", g, elapsed)
	}
	if b := e.balance("acme"); b.Available.IsNegative() {
		t.Fatalf("available went negative: %+v", b)
	}
	ch, err := call.End(e.ctx, 1620)
	if err != nil {
		t.Fatal(err)
	}
	// 0.05 + 0.035*1620/60 = 0.995
	if !ch.Cost.Equal(dec("0.995")) {
		t.Fatalf("cost %s, want 0.995", ch.Cost)
	}
	if b := e.balance("acme"); !b.Posted.Equal(dec("0.005")) || !b.Reserved.IsZero() {
		t.Fatalf("balance after: %+v", b)
	}
	again, err := call.End(e.ctx, 1620)
	if err != nil || !again.Cost.Equal(ch.Cost) {
		t.Fatalf("End again: %+v, %v", again, err)
	}
	if _, err := call.Extend(e.ctx, 10); !errors.Is(err, billing.ErrEnded) {
		t.Fatalf("Extend after End: %v", err)
	}
	e.check()
}

// TestStaleReservationsExpire: a switchboard that dies mid-call leaves
// reservations that expire and release the credit.
func TestStaleReservationsExpire(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "5")
	if _, _, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c1", Direction: rating.Outbound, Local: us, Remote: ukMob}); err != nil {
		t.Fatal(err)
	}
	if b := e.balance("acme"); b.Reserved.IsZero() {
		t.Fatal("nothing reserved")
	}
	e.clock.Advance(13 * time.Minute) // two chunks ahead plus the 10-minute grace
	if err := e.engine.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	if b := e.balance("acme"); !b.Reserved.IsZero() || !b.Available.Equal(dec("5")) {
		t.Fatalf("after expiry: %+v", b)
	}
	e.check()
}

func TestMessages(t *testing.T) {
	plans := map[string]billing.Plan{"tiny": {ID: "tiny", PerSeat: map[rating.Pool]int64{rating.PoolSMS: 3}}}
	e := newEnv(t, withPlans(plans))
	e.open("acme", "tiny", "1")
	send := func(id, to, text string, bulk bool) (billing.Charge, error) {
		return e.engine.ChargeMessage(e.ctx, billing.Message{Account: "acme", MessageID: id, Direction: rating.Outbound,
			Local: us, Remote: to, Text: text, Bulk: bulk})
	}
	ch, err := send("m1", ca, strings.Repeat("a", 200), false) // 2 segments from the bundle of 3
	if err != nil || ch.Segments != 2 || ch.BundleUnits != 2 || !ch.Cost.IsZero() {
		t.Fatalf("m1 %+v %v", ch, err)
	}
	ch, err = send("m2", ca, strings.Repeat("ж", 100), false) // 2 UCS-2 segments: 1 bundle + 1 at 0.0083
	if err != nil || ch.BundleUnits != 1 || !ch.Cost.Equal(dec("0.0083")) {
		t.Fatalf("m2 %+v %v", ch, err)
	}
	again, err := send("m2", ca, strings.Repeat("ж", 100), false) // replay: the same charge, nothing new
	if err != nil || again.BundleUnits != 1 || !again.Cost.Equal(dec("0.0083")) {
		t.Fatalf("m2 replay %+v %v", again, err)
	}
	ch, err = send("m3", ukMob, "hello", false) // UK: 0.04 per segment, never bundled
	if err != nil || ch.Usage != rating.InternationalSMS || !ch.Cost.Equal(dec("0.04")) {
		t.Fatalf("m3 %+v %v", ch, err)
	}
	ch, err = send("m4", ca, "campaign", true)
	if err != nil || ch.Usage != rating.BulkSMS || !ch.Cost.Equal(dec("0.01")) {
		t.Fatalf("m4 %+v %v", ch, err)
	}
	if b := e.balance("acme"); !b.Posted.Equal(dec("0.9417")) {
		t.Fatalf("balance %s, want 0.9417", b.Posted)
	}
	if _, err := send("m5", ca, strings.Repeat("a", 153*10+1), false); !errors.Is(err, billing.ErrInvalid) {
		t.Fatalf("11 segments: %v", err)
	}
	e.check()
}

func TestMessageTooExpensive(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "0.05")
	_, err := e.engine.ChargeMessage(e.ctx, billing.Message{Account: "acme", MessageID: "m1", Direction: rating.Outbound,
		Local: us, Remote: ukMob, Text: strings.Repeat("a", 400)}) // 3 segments x 0.04
	var ce *billing.CreditError
	if !errors.As(err, &ce) || !ce.Needed.Equal(dec("0.12")) {
		t.Fatalf("err = %v", err)
	}
	if b := e.balance("acme"); !b.Posted.Equal(dec("0.05")) {
		t.Fatalf("a refused message changed the balance: %+v", b)
	}
}

func TestAIAgentOverage(t *testing.T) {
	plans := map[string]billing.Plan{"ai": {ID: "ai", PerSeat: map[rating.Pool]int64{rating.PoolAIAgent: 60}}}
	e := newEnv(t, withPlans(plans))
	e.open("acme", "ai", "10")
	call, g, err := e.engine.StartAIAgent(e.ctx, "acme", "s1")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := talk(e.ctx, call, g, 150)
	if err != nil {
		t.Fatal(err)
	}
	// 60 s from the bundle, 90 s at $0.99/min = 1.485.
	if ch.BundleUnits != 60 || !ch.Cost.Equal(dec("1.485")) {
		t.Fatalf("charge %+v", ch)
	}
	if ts, _ := e.db.Transfers(e.ctx, ledger.Filter{Account: ledger.Revenue(string(rating.AIAgent), "USD")}); len(ts) == 0 {
		t.Fatal("no revenue posted to the AI agent account")
	}
	e.check()
}

func TestAdjust(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "3")
	if err := e.engine.Adjust(e.ctx, "acme", "refund-1", dec("2.50"), "refund for a dropped call"); err != nil {
		t.Fatal(err)
	}
	if err := e.engine.Adjust(e.ctx, "acme", "refund-1", dec("2.50"), "refund for a dropped call"); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if err := e.engine.Adjust(e.ctx, "acme", "fix-1", dec("-6"), "correction"); !errors.Is(err, billing.ErrInvalid) {
		t.Fatalf("below zero: %v", err)
	}
	if err := e.engine.Adjust(e.ctx, "acme", "fix-2", dec("-5.50"), "correction"); err != nil {
		t.Fatal(err)
	}
	if b := e.balance("acme"); !b.Posted.IsZero() {
		t.Fatalf("balance %+v", b)
	}
	for _, bad := range []struct{ amount, reason string }{{"0", "x"}, {"1", ""}, {"0.00001", "x"}} {
		if err := e.engine.Adjust(e.ctx, "acme", "bad", dec(bad.amount), bad.reason); !errors.Is(err, billing.ErrInvalid) {
			t.Errorf("Adjust(%s, %q) = %v", bad.amount, bad.reason, err)
		}
	}
	e.check()
}

func TestQuote(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "1")
	q, err := e.engine.Quote(e.ctx, "acme", us, ca)
	if err != nil || !q.InBundle || !q.Allowed || q.Usage != rating.DomesticCall {
		t.Fatalf("domestic quote %+v %v", q, err)
	}
	q, err = e.engine.Quote(e.ctx, "acme", us, "+1 876 927 1234")
	if err != nil || q.InBundle || !q.PerMinute.Equal(dec("0.21")) || q.Increment.String() != "60/60" || !q.ConnectFee.Equal(dec("0.05")) {
		t.Fatalf("jamaica quote %+v %v", q, err)
	}
	if q.MaxSeconds != 240 { // 0.05 + 0.21*4 = 0.89 <= 1.00 < 1.10
		t.Fatalf("max seconds %d, want 240", q.MaxSeconds)
	}
	if _, err := e.engine.Quote(e.ctx, "acme", us, "not a number"); !errors.Is(err, billing.ErrInvalid) {
		t.Fatalf("bad number: %v", err)
	}
}

// TestAccountRegion: numbers written without a country code are read in
// the account's region: "020 7946 0958" is London for a British account
// and no number at all for an American one.
func TestAccountRegion(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "1")
	if err := e.engine.OpenAccount(e.ctx, billing.NewAccount{ID: "brit", Plan: "team", Region: "gb", Owner: "owner@brit", Verified: true}); err != nil {
		t.Fatal(err)
	}
	if c, err := e.engine.Customer(e.ctx, "brit"); err != nil || c.Region != "GB" {
		t.Fatalf("region %q %v, want GB", c.Region, err)
	}
	if c, err := e.engine.Customer(e.ctx, "acme"); err != nil || c.Region != rating.DefaultRegion {
		t.Fatalf("default region %q %v", c.Region, err)
	}
	q, err := e.engine.Quote(e.ctx, "brit", "+44 20 7946 0000", "020 7946 0958")
	if err != nil || q.Destination != "United Kingdom" {
		t.Errorf("a British account dials 020 7946 0958: %+v %v", q, err)
	}
	if _, err := e.engine.Quote(e.ctx, "acme", us, "020 7946 0958"); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("an American account dials 020 7946 0958: %v, want ErrInvalid", err)
	}
	if err := e.engine.OpenAccount(e.ctx, billing.NewAccount{ID: "nowhere", Plan: "team", Region: "XX"}); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("region XX: %v", err)
	}
}

// TestResumeAfterCrash: a call's meter written down at some point and
// taken up by another engine (the switchboard restarted) ends for the
// seconds given: exactly their cost is charged, a chunk the dead run
// settled after the snapshot is not charged twice, chunks it reserved
// after the snapshot are released, and nothing stays reserved.
func TestResumeAfterCrash(t *testing.T) {
	e := newEnv(t, withDeck("testdata/golden-deck.csv"))
	e.open("acme", "team", "10.00") // UK mobile: 0.05 fee, 0.035/min, 1/1
	call, _, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c1", Direction: rating.Outbound, Local: us, Remote: ukMob})
	if err != nil {
		t.Fatal(err)
	}
	snap := call.Snapshot() // chunks 1-2 reserved, nothing settled
	// The dead run went on: chunk 1 settled, chunk 3 reserved.
	if _, err := call.Extend(e.ctx, 70); err != nil {
		t.Fatal(err)
	}
	if b := e.balance("acme"); b.Reserved.IsZero() {
		t.Fatal("nothing reserved mid-call")
	}
	other := billing.New(billing.Config{Store: e.db, Rater: rating.SampleRater(), Clock: e.clock.Now})
	defer other.Close()
	if _, err := other.Resume(e.ctx, []byte("{junk")); !errors.Is(err, billing.ErrInvalid) {
		t.Fatalf("a junk snapshot: %v", err)
	}
	resumed, err := other.Resume(e.ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	// Ended at 30 s by the snapshot's reckoning, but the first minute was
	// settled already: it stands, charged once.
	twin, err := other.Resume(e.ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := twin.End(e.ctx, 30); err != nil || !ch.Cost.Equal(dec("0.085")) || ch.Seconds != 60 {
		t.Fatalf("ended inside a chunk settled already: %+v %v, want its 60 s for 0.085", ch, err)
	}
	ch, err := resumed.End(e.ctx, 90)
	if err != nil {
		t.Fatal(err)
	}
	// 0.05 + 0.035*90/60 = 0.1025 in all (the twin's End settled the
	// second chunk for nothing: what this one reckons for it is not
	// charged, the settlement stands)
	if ch.Seconds != 90 {
		t.Fatalf("charge %+v, want 90 s", ch)
	}
	if b := e.balance("acme"); !b.Posted.Equal(dec("9.915")) || !b.Reserved.IsZero() {
		t.Fatalf("balance after: %+v, want 9.915 posted (the first minute, once) and nothing reserved", b)
	}
	e.check()
}
