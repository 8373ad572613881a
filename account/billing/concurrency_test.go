package billing_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
)

// TestConcurrentDrainWithAutoTopUp runs 500 calls at once against one
// balance while auto top-up fires and people press Add credits, and checks
// that available credit never went negative, the books balance, and every
// payment the processor took was credited exactly once.
func TestConcurrentDrainWithAutoTopUp(t *testing.T) {
	e := newEnv(t)
	e.open("acme", "team", "5")
	e.saveCard("acme", payment.CardSucceeds)
	// The threshold is above anything the account can hold before an
	// automatic top-up lands (5 + 10 presses of 5), so the first reservation
	// must start one whatever order the goroutines run in.
	if err := e.engine.SetAutoTopUp(e.ctx, "acme", billing.AutoTopUp{Enabled: true, Threshold: dec("60"), Amount: dec("60"),
		DailyCount: 5, MonthlyCap: dec("10000")}); err != nil {
		t.Fatal(err)
	}

	var negative atomic.Bool
	stop := make(chan struct{})
	var monitor sync.WaitGroup
	monitor.Add(1)
	go func() {
		defer monitor.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			b, err := e.db.Balance(e.ctx, ledger.Customer("acme"))
			if err == nil && (b.Available().IsNegative() || b.Posted.IsNegative()) {
				negative.Store(true)
			}
		}
	}()

	const callers = 500
	var wg sync.WaitGroup
	var answered, refused atomic.Int64
	charged := make([]decimal.Decimal, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			remote := ukMob
			if i%2 == 0 {
				remote = "+1 876 927 1234" // Jamaica: 60/60, pricier
			}
			call, g, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: fmt.Sprint("call-", i),
				Direction: rating.Outbound, Local: us, Remote: remote})
			if errors.Is(err, billing.ErrNoCredit) {
				refused.Add(1)
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			ch, err := talk(e.ctx, call, g, r.Int64N(1200)+1)
			if err != nil {
				t.Error(err)
				return
			}
			answered.Add(1)
			charged[i] = ch.Cost
		}()
	}
	// People pressing Add credits, some twice with the same key.
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.engine.AddCredits(e.ctx, "acme", dec("5"), fmt.Sprint("press-", i%10))
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	e.engine.Close() // let the last top-up finish
	close(stop)
	monitor.Wait()

	if negative.Load() {
		t.Error("available credit went negative during the run")
	}
	e.check()

	// Every payment the bank took is credited once, and nothing else is.
	ps := paymentsMatchCredits(t, e.ctx, e.db, e.bank, "acme")
	manual, auto := 0, 0
	for _, p := range ps {
		if p.Amount.Equal(dec("5")) {
			manual++
		} else {
			auto++
		}
	}
	if manual != 10 {
		t.Errorf("%d manual payments for 10 distinct keys", manual)
	}
	if auto == 0 {
		t.Error("auto top-up never fired")
	}

	// The balance is what was paid in minus what calls cost.
	spent := decimal.Zero
	for _, c := range charged {
		spent = spent.Add(c)
	}
	b := e.balance("acme")
	want := dec("5").Add(payment.Total(ps)).Sub(spent)
	if !b.Posted.Equal(want) || !b.Reserved.IsZero() {
		t.Errorf("balance %s (reserved %s), want 5 + %s paid - %s spent = %s", b.Posted, b.Reserved, payment.Total(ps), spent, want)
	}
	t.Logf("%d calls answered, %d refused, %d auto top-ups, spent %s", answered.Load(), refused.Load(), auto, spent)
}
