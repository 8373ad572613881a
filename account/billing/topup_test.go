package billing_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
)

func TestAddCredits(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "0")
	if _, err := e.engine.AddCredits(e.ctx, "acme", dec("20"), "k1"); !errors.Is(err, payment.ErrNoCard) {
		t.Fatalf("no card: %v", err)
	}
	e.saveCard("acme", payment.CardSucceeds)
	a, err := e.engine.AddCredits(e.ctx, "acme", dec("20"), "k1")
	if err != nil || a.Status != billing.Succeeded {
		t.Fatalf("AddCredits = %+v, %v", a, err)
	}
	if b := e.balance("acme"); !b.Available.Equal(dec("20")) {
		t.Fatalf("credits not applied at once: %+v", b)
	}
	// The same key again: the same attempt, no second charge.
	again, err := e.engine.AddCredits(e.ctx, "acme", dec("20"), "k1")
	if err != nil || again.ID != a.ID || again.PaymentID != a.PaymentID {
		t.Fatalf("replay = %+v, %v", again, err)
	}
	if _, err := e.engine.AddCredits(e.ctx, "acme", dec("25"), "k1"); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("key reused for another amount: %v", err)
	}
	ps, _ := e.bank.Payments(e.ctx)
	ps = topUps(ps)
	if len(ps) != 1 || !payment.Total(ps).Equal(dec("20")) {
		t.Fatalf("the bank saw %d payments, total %s", len(ps), payment.Total(ps))
	}
	for _, bad := range []string{"0", "4.99", "10000.01", "10.001", "-5"} {
		if _, err := e.engine.AddCredits(e.ctx, "acme", dec(bad), "bad-"+bad); !errors.Is(err, billing.ErrInvalid) {
			t.Errorf("AddCredits(%s) = %v, want ErrInvalid", bad, err)
		}
	}
	e.saveCard("acme", payment.CardInsufficientFunds)
	_, err = e.engine.AddCredits(e.ctx, "acme", dec("20"), "k2")
	var decline *payment.DeclineError
	if !errors.As(err, &decline) || !strings.Contains(decline.Message, "insufficient funds") {
		t.Fatalf("declined card: %v", err)
	}
	if b := e.balance("acme"); !b.Available.Equal(dec("20")) {
		t.Fatalf("a decline changed the balance: %+v", b)
	}
	e.check()
}

func TestAutoTopUpSettingsValidation(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "50")
	s := billing.AutoTopUp{Enabled: true, Threshold: dec("10"), Amount: dec("25")}
	if err := e.engine.SetAutoTopUp(e.ctx, "acme", s); !errors.Is(err, payment.ErrNoCard) {
		t.Fatalf("enable without a card: %v", err)
	}
	e.saveCard("acme", payment.CardSucceeds)
	bad := []billing.AutoTopUp{
		{Enabled: true, Threshold: dec("30"), Amount: dec("25")}, // would stay below the threshold
		{Enabled: true, Threshold: dec("10"), Amount: dec("0")},  // nothing to add
		{Enabled: true, Threshold: dec("-1"), Amount: dec("25")}, // negative threshold
		{Enabled: true, Threshold: dec("10"), Amount: dec("2")},  // below the minimum
		{Enabled: true, Threshold: dec("10"), Amount: dec("25.555")},
		{Enabled: true, Threshold: dec("10"), Amount: dec("25"), DailyCount: 100},
		{Enabled: true, Threshold: dec("10"), Amount: dec("25"), MonthlyCap: dec("20")},
	}
	for _, b := range bad {
		if err := e.engine.SetAutoTopUp(e.ctx, "acme", b); !errors.Is(err, billing.ErrInvalid) {
			t.Errorf("SetAutoTopUp(%+v) = %v, want ErrInvalid", b, err)
		}
	}
	if err := e.engine.SetAutoTopUp(e.ctx, "acme", s); err != nil {
		t.Fatal(err)
	}
	got, err := e.engine.AutoTopUpSettings(e.ctx, "acme")
	if err != nil || !got.Enabled || !got.Threshold.Equal(dec("10")) || !got.Amount.Equal(dec("25")) || got.DailyCount != 3 {
		t.Fatalf("settings %+v %v", got, err)
	}
}

// drain spends credit with a UK call of the given length.
func (e *env) drain(account, id string, seconds int64) {
	e.t.Helper()
	call, g, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: account, CallID: id, Direction: rating.Outbound, Local: us, Remote: ukMob})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := talk(e.ctx, call, g, seconds); err != nil {
		e.t.Fatal(err)
	}
}

func TestAutoTopUpFiresOnce(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "10.30")
	e.saveCard("acme", payment.CardSucceeds)
	if err := e.engine.SetAutoTopUp(e.ctx, "acme", billing.AutoTopUp{Enabled: true, Threshold: dec("10"), Amount: dec("20")}); err != nil {
		t.Fatal(err)
	}
	e.drain("acme", "c1", 600) // $0.35: below the threshold
	e.engine.Close()           // wait for the background top-up
	b := e.balance("acme")
	if !b.Posted.Equal(dec("29.95")) {
		t.Fatalf("balance %+v, want 10.30 - 0.35 + 20", b)
	}
	as, _ := e.engine.TopUps(e.ctx, "acme", 10)
	if len(as) != 1 || as[0].Kind != billing.Auto || as[0].Status != billing.Succeeded {
		t.Fatalf("attempts %+v", as)
	}
	// Above the threshold now: asking again does nothing.
	if _, err := e.engine.AutoTopUpNow(e.ctx, "acme"); !errors.Is(err, billing.ErrTopUpSkipped) {
		t.Fatalf("AutoTopUpNow above threshold = %v", err)
	}
	e.check()
}

// A call refused for want of credit is the clearest sign the balance is
// low: it starts an automatic top-up, so the rep's next try goes through.
func TestRefusedCallStartsAutoTopUp(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "10")
	e.saveCard("acme", payment.CardSucceeds)
	// Turned on above the threshold (turning it on below would top up at
	// once), then the balance is taken away by an adjustment, which starts
	// nothing by itself.
	if err := e.engine.SetAutoTopUp(e.ctx, "acme", billing.AutoTopUp{Enabled: true, Threshold: dec("5"), Amount: dec("20")}); err != nil {
		t.Fatal(err)
	}
	e.spendAll("acme", "drain")
	if as, _ := e.engine.TopUps(e.ctx, "acme", 10); len(as) != 0 {
		t.Fatalf("a top-up before the refusal: %+v", as)
	}
	_, _, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: "c1", Direction: rating.Outbound, Local: us, Remote: ukMob})
	if !errors.Is(err, billing.ErrNoCredit) {
		t.Fatalf("StartCall at zero = %v, want ErrNoCredit", err)
	}
	e.engine.Close() // wait for the background top-up
	if b := e.balance("acme"); !b.Posted.Equal(dec("20")) {
		t.Fatalf("balance %+v after the refusal, want the 20 top-up", b)
	}
	e.check()
}

// spendAll takes the whole balance away by an adjustment.
func (e *env) spendAll(account, id string) {
	e.t.Helper()
	b := e.balance(account)
	if b.Posted.IsZero() {
		return
	}
	if err := e.engine.Adjust(e.ctx, account, id, b.Posted.Neg(), "test spend"); err != nil {
		e.t.Fatal(err)
	}
}

func TestAutoTopUpDailyCap(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "0.01")
	e.saveCard("acme", payment.CardSucceeds)
	if err := e.engine.SetAutoTopUp(e.ctx, "acme", billing.AutoTopUp{Enabled: true, Threshold: dec("100"), Amount: dec("100"), DailyCount: 2}); err != nil {
		t.Fatal(err)
	}
	e.engine.Close() // enabling below the threshold fires one at once
	e.spendAll("acme", "spend-1")
	if _, err := e.engine.AutoTopUpNow(e.ctx, "acme"); err != nil {
		t.Fatalf("second top-up of the day: %v", err)
	}
	e.spendAll("acme", "spend-2")
	_, err := e.engine.AutoTopUpNow(e.ctx, "acme")
	if !errors.Is(err, billing.ErrTopUpSkipped) || !strings.Contains(err.Error(), "daily limit") {
		t.Fatalf("third top-up of the day: %v", err)
	}
	e.clock.Advance(25 * time.Hour)
	if _, err := e.engine.AutoTopUpNow(e.ctx, "acme"); err != nil {
		t.Fatalf("the next day: %v", err)
	}
	e.check()
}

func TestAutoTopUpMonthlyCap(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "0")
	e.saveCard("acme", payment.CardSucceeds)
	err := e.engine.SetAutoTopUp(e.ctx, "acme", billing.AutoTopUp{Enabled: true, Threshold: dec("50"), Amount: dec("50"), DailyCount: 24, MonthlyCap: dec("120")})
	if err != nil {
		t.Fatal(err)
	}
	e.engine.Close()
	for i := range 4 {
		e.spendAll("acme", fmt.Sprint("spend-", i))
		e.engine.AutoTopUpNow(e.ctx, "acme")
	}
	as, _ := e.engine.TopUps(e.ctx, "acme", 10)
	total := dec("0")
	for _, a := range as {
		total = total.Add(a.Amount)
	}
	if len(as) != 2 || !total.Equal(dec("100")) {
		t.Fatalf("%d top-ups totalling %s within a $120 monthly cap; want 2 and 100", len(as), total)
	}
	_, err = e.engine.AutoTopUpNow(e.ctx, "acme")
	if !errors.Is(err, billing.ErrTopUpSkipped) || !strings.Contains(err.Error(), "monthly cap") {
		t.Fatalf("over the cap: %v", err)
	}
	e.clock.Advance(31 * 24 * time.Hour)
	if _, err := e.engine.AutoTopUpNow(e.ctx, "acme"); err != nil {
		t.Fatalf("a month later: %v", err)
	}
}

func TestAutoTopUpTurnsItselfOff(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "1")
	e.saveCard("acme", payment.CardDeclined)
	if err := e.engine.SetAutoTopUp(e.ctx, "acme", billing.AutoTopUp{Enabled: true, Threshold: dec("10"), Amount: dec("20"), DailyCount: 10}); err != nil {
		t.Fatal(err)
	}
	e.engine.Close()
	for range 5 {
		e.engine.AutoTopUpNow(e.ctx, "acme")
	}
	s, _ := e.engine.AutoTopUpSettings(e.ctx, "acme")
	if s.Enabled || s.Failures != 3 || !strings.Contains(s.Disabled, "3 failed payments") {
		t.Fatalf("after repeated declines: %+v", s)
	}
	as, _ := e.engine.TopUps(e.ctx, "acme", 10)
	if len(as) != 3 {
		t.Fatalf("%d attempts, want exactly 3 before it stopped", len(as))
	}
	ns, _ := e.engine.Notifications(e.ctx, "acme")
	if len(ns) == 0 || ns[len(ns)-1].Kind != "auto-topup-disabled" || kinds(ns)["auto-topup-disabled"] != 1 {
		t.Fatalf("owner notifications %+v", ns)
	}
	// It never switches itself back on, whatever happens.
	e.clock.Advance(48 * time.Hour)
	e.drain("acme", "c1", 60)
	if _, err := e.engine.AutoTopUpNow(e.ctx, "acme"); !errors.Is(err, billing.ErrTopUpSkipped) {
		t.Fatalf("while off: %v", err)
	}
	if s, _ := e.engine.AutoTopUpSettings(e.ctx, "acme"); s.Enabled {
		t.Fatal("auto top-up switched itself back on")
	}
	// The owner turns it on again with a good card: the count restarts.
	e.saveCard("acme", payment.CardSucceeds)
	if err := e.engine.SetAutoTopUp(e.ctx, "acme", billing.AutoTopUp{Enabled: true, Threshold: dec("10"), Amount: dec("20"), DailyCount: 10}); err != nil {
		t.Fatal(err)
	}
	e.engine.Close()
	s, _ = e.engine.AutoTopUpSettings(e.ctx, "acme")
	if !s.Enabled || s.Failures != 0 || s.Disabled != "" {
		t.Fatalf("re-enabled: %+v", s)
	}
	e.check()
}

// TestTimeoutIsReconciledOnce: the processor charges but its reply is lost;
// the attempt stays pending, blocks further automatic top-ups, and
// reconciliation credits the payment exactly once.
func TestTimeoutIsReconciledOnce(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "0")
	e.saveCard("acme", payment.CardChargesThenTimesOut)
	_, err := e.engine.AddCredits(e.ctx, "acme", dec("15"), "k1")
	if !errors.Is(err, billing.ErrPaymentPending) {
		t.Fatalf("AddCredits with a lost reply = %v", err)
	}
	if b := e.balance("acme"); !b.Posted.IsZero() {
		t.Fatalf("credited before the outcome was known: %+v", b)
	}
	// Auto top-up with the same card: it stays in flight.
	if err := e.engine.SetAutoTopUp(e.ctx, "acme", billing.AutoTopUp{Enabled: true, Threshold: dec("10"), Amount: dec("20")}); err != nil {
		t.Fatal(err)
	}
	e.engine.Close()
	if _, err := e.engine.AutoTopUpNow(e.ctx, "acme"); !errors.Is(err, billing.ErrTopUpSkipped) {
		t.Fatalf("a second auto top-up while one is unknown: %v", err)
	}
	e.clock.Advance(time.Minute)
	n, err := e.engine.Reconcile(e.ctx)
	if err != nil || n != 2 {
		t.Fatalf("Reconcile = %d, %v; want both attempts finished", n, err)
	}
	if n, _ := e.engine.Reconcile(e.ctx); n != 0 {
		t.Fatalf("second Reconcile finished %d more", n)
	}
	ps, _ := e.bank.Payments(e.ctx)
	ps = topUps(ps)
	if b := e.balance("acme"); !b.Posted.Equal(payment.Total(ps)) || !b.Posted.Equal(dec("35")) {
		t.Fatalf("balance %s, bank charged %s over %d payments", b.Posted, payment.Total(ps), len(ps))
	}
	// The client retries its manual request: same attempt, no new charge.
	a, err := e.engine.AddCredits(e.ctx, "acme", dec("15"), "k1")
	if err != nil || a.Status != billing.Succeeded {
		t.Fatalf("retry after reconciliation: %+v %v", a, err)
	}
	if ps2, _ := e.bank.Payments(e.ctx); len(topUps(ps2)) != len(ps) {
		t.Fatal("the retry charged again")
	}
	e.check()
}

func TestSuggestThreshold(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "100")
	s, err := e.engine.SuggestThreshold(e.ctx, "acme")
	if err != nil || !s.Threshold.Equal(dec("10")) || !strings.Contains(s.Basis, "minimum") {
		t.Fatalf("new account: %+v %v", s, err)
	}
	// Ten days of $2.10 a day (a 60-minute UK mobile call at $0.035/min).
	for day := range 10 {
		e.drain("acme", fmt.Sprint("c", day), 3600)
		e.clock.Advance(24 * time.Hour)
	}
	s, err = e.engine.SuggestThreshold(e.ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	// Calendar days, today included (as the runway counts them): Nov 5
	// to Nov 15 is 11 days; 21.00 / 11 = 1.9091 a day; 3 days = 5.73 ->
	// the floor, 10.
	if !s.DailyAverage.Equal(dec("1.9091")) || s.Days != 11 || !s.Threshold.Equal(dec("10")) {
		t.Fatalf("after 10 days: %+v", s)
	}
	for day := range 10 {
		for k := range 3 {
			e.drain("acme", fmt.Sprint("d", day, "-", k), 3600)
		}
		e.clock.Advance(24 * time.Hour)
	}
	s, _ = e.engine.SuggestThreshold(e.ctx, "acme")
	// Nov 5 to Nov 25: 21 days; 10*2.10 + 10*6.30 = 84; 4.00 a day; 3
	// days = 12.
	if !s.DailyAverage.Equal(dec("4")) || s.Days != 21 || !s.Threshold.Equal(dec("12")) || !strings.Contains(s.Basis, "3 days") {
		t.Fatalf("after 20 days: %+v", s)
	}
}

// TestSuggestionAfterMidnight: the average is over UTC calendar days,
// today included, as the app's usage and runway count them: just after
// midnight, a spend on the first of the last 30 days counts 30 days (a
// rolling 24-hour count said 29, and the suggestion and the runway named
// two different daily spends: CI at 00:25 UTC).
func TestSuggestionAfterMidnight(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(-8 * time.Hour) // 2026-11-05 01:00
	e.open("acme", "team", "100")
	e.drain("acme", "c1", 3600)                       // $2.10 on Nov 5
	e.clock.Advance(29*24*time.Hour - 30*time.Minute) // 2026-12-04 00:30: 29 days later, the rolling count says 29
	s, err := e.engine.SuggestThreshold(e.ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if s.Days != 30 || !s.DailyAverage.Equal(dec("0.07")) {
		t.Errorf("%+v: want 30 calendar days (Nov 5 to Dec 4) at $0.07", s)
	}
}
