package billing_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/sqlite"
)

// crashChildEnv names the directory a crash-test child works in.
const crashChildEnv = "TETHER_CRASH_CHILD_DIR"

// TestCrashRecovery kills a process doing top-ups and call settlements with
// SIGKILL at random instants, many times over, restarting it each time on
// the same files; then it checks the ledger's invariants and that every
// payment the processor took is credited exactly once, and that nothing
// the child saw acknowledged is missing.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	const cycles = 60
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	killedBusy := 0
	for i := range cycles {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, fmt.Sprintf("TETHER_CRASH_SEED=%d", i))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the child is working, then kill it at a random instant.
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			signalled := false
			for sc.Scan() {
				if !signalled && strings.Contains(sc.Text(), "child: working") {
					close(ready)
					signalled = true
				}
			}
			if !signalled {
				close(ready)
			}
		}()
		select {
		case <-ready:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("cycle %d: the child never started working", i)
		}
		time.Sleep(time.Duration(r.IntN(250)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err = cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
			killedBusy++
		} else {
			t.Fatalf("cycle %d: the child ended on its own before the kill: %v", i, err)
		}
	}
	if killedBusy != cycles {
		t.Fatalf("killed %d of %d children", killedBusy, cycles)
	}
	verifyAfterCrashes(t, dir)
}

func verifyAfterCrashes(t *testing.T, dir string) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "billing.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bank, err := payment.OpenSandbox(ctx, filepath.Join(dir, "bank.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer bank.Close()
	// Recovery as a restarted switchboard does it: expire what the dead
	// calls held, finish the top-ups whose outcome was unknown.
	e := billing.New(billing.Config{Store: db, Rater: rating.SampleRater(), Processor: bank,
		Clock: func() time.Time { return time.Now().Add(time.Hour) }})
	defer e.Close()
	if err := e.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("ledger invariants after %s: %v", dir, err)
	}
	if pending, _ := db.Attempts(ctx, "", true, 0); len(pending) != 0 {
		t.Fatalf("%d top-ups still pending after reconciliation", len(pending))
	}
	b, err := db.Balance(ctx, ledger.Customer("acme"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Posted.IsNegative() || !b.Reserved.IsZero() {
		t.Fatalf("balance %+v", b)
	}

	// Bank and ledger agree, payment by payment.
	succeeded := len(paymentsMatchCredits(t, ctx, db, bank, "acme"))

	// Nothing the child saw acknowledged was lost.
	acks, err := os.ReadFile(filepath.Join(dir, "acks.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(acks)), "\n")
	calls := 0
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue // torn last line from a kill mid-write
		}
		switch f[0] {
		case "payment":
			if tr, err := db.Transfer(ctx, "payment:"+f[1]); err != nil || !tr.Amount.Equal(dec(f[2])) {
				t.Errorf("acknowledged payment %s %s: %v %v", f[1], f[2], tr.Amount, err)
			}
		case "call":
			calls++
			got := decimal.Zero
			for n := 1; ; n++ {
				tr, err := db.Transfer(ctx, fmt.Sprintf("call:%s:chunk:%d:settle", f[1], n))
				if errors.Is(err, ledger.ErrNotFound) {
					r, rerr := db.Reservation(ctx, fmt.Sprintf("call:%s:chunk:%d", f[1], n))
					if rerr == nil && r.State != ledger.Expired {
						continue // released or zero: no transfer for this chunk
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = got.Add(tr.Amount)
			}
			if !got.Equal(dec(f[2])) {
				t.Errorf("acknowledged call %s cost %s, ledger has %s", f[1], f[2], got)
			}
		}
	}
	if succeeded == 0 || calls == 0 {
		t.Fatalf("the children did too little: %d payments, %d calls", succeeded, calls)
	}
	t.Logf("%d payments, %d acknowledged calls, balance %s", succeeded, calls, b.Posted)
}

// TestMain runs the crash child instead of the tests when
// TestCrashRecovery starts this binary as one.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Println("child:", err)
			os.Exit(2)
		}
		return
	}
	os.Exit(m.Run())
}

// crashChild is the process TestCrashRecovery kills: it tops up and
// settles calls until it is killed, logging what it saw acknowledged.
func crashChild(dir string) error {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "billing.db"))
	if err != nil {
		return err
	}
	bank, err := payment.OpenSandbox(ctx, filepath.Join(dir, "bank.db"))
	if err != nil {
		return err
	}
	e := billing.New(billing.Config{Store: db, Rater: rating.SampleRater(), Processor: bank,
		Limits: billing.Limits{DailyCount: 24, MonthlyCap: decimal.NewFromInt(1_000_000), RetryPendingAfter: time.Millisecond}})
	if err := e.OpenAccount(ctx, billing.NewAccount{ID: "acme", Plan: "team", Owner: "owner@acme", Verified: true}); err != nil {
		return err
	}
	// Recover what the previous child left.
	if _, err := db.Expire(ctx, time.Now().Add(time.Hour)); err != nil {
		return err
	}
	if _, err := e.Reconcile(ctx); err != nil {
		return err
	}
	acks, err := os.OpenFile(filepath.Join(dir, "acks.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	var seed int
	fmt.Sscan(os.Getenv("TETHER_CRASH_SEED"), &seed)
	r := rand.New(rand.NewPCG(uint64(seed), uint64(time.Now().UnixNano())))
	cards := []string{payment.CardSucceeds, payment.CardChargesThenTimesOut, payment.CardDeclined}
	if _, err := e.SaveCard(ctx, "acme", payment.CardDetails{Number: cards[seed%3], ExpMonth: 12, ExpYear: 2035, CVC: "123"}); err != nil {
		return err
	}
	if err := e.SetAutoTopUp(ctx, "acme", billing.AutoTopUp{Enabled: true, Threshold: decimal.NewFromInt(5), Amount: decimal.NewFromInt(10),
		DailyCount: 24, MonthlyCap: decimal.NewFromInt(1_000_000)}); err != nil {
		return err
	}
	fmt.Println("child: working")
	for i := 0; ; i++ {
		switch r.IntN(3) {
		case 0:
			a, err := e.AddCredits(ctx, "acme", decimal.NewFromInt(int64(5+r.IntN(20))), fmt.Sprintf("s%d-%d", seed, i))
			if err == nil {
				fmt.Fprintf(acks, "payment %s %s\n", a.PaymentID, a.Amount)
			}
		default:
			id := fmt.Sprintf("s%d-c%d", seed, i)
			call, g, err := e.StartCall(ctx, billing.CallStart{Account: "acme", CallID: id, Direction: rating.Outbound, Local: us, Remote: "+1 876 927 1234"})
			if err != nil {
				continue
			}
			ch, err := talk(ctx, call, g, int64(1+r.IntN(300)))
			if err != nil {
				return err
			}
			fmt.Fprintf(acks, "call %s %s\n", id, ch.Cost)
		}
		if i%7 == 0 {
			e.Reconcile(ctx)
		}
	}
}
