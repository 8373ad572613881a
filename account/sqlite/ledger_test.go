package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/sqlite"
	_ "modernc.org/sqlite"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

const usd = ledger.Unit("USD")

var (
	cust    = ledger.Customer("acme")
	revenue = ledger.Revenue("international-call", usd)
	clear   = ledger.PaymentClearing(usd)
)

func open(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.EnsureAccounts(ctx,
		ledger.Account{ID: cust, Unit: usd, Floor: true},
		ledger.Account{ID: revenue, Unit: usd},
		ledger.Account{ID: clear, Unit: usd},
	); err != nil {
		t.Fatal(err)
	}
	return db
}

func fund(t testing.TB, db *sqlite.DB, id, amount string) {
	t.Helper()
	err := db.Post(context.Background(), ledger.Transfer{ID: id, From: clear, To: cust, Amount: dec(amount), Unit: usd, Code: "payment", Ref: id})
	if err != nil {
		t.Fatal(err)
	}
}

func balance(t testing.TB, db *sqlite.DB, id ledger.AccountID) ledger.Balance {
	t.Helper()
	b, err := db.Balance(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func check(t testing.TB, db *sqlite.DB) {
	t.Helper()
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPostIsIdempotent(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	fund(t, db, "payment:pi_1", "10")
	fund(t, db, "payment:pi_1", "10") // replay: no-op
	if b := balance(t, db, cust); !b.Posted.Equal(dec("10")) {
		t.Fatalf("posted %s after a replay, want 10", b.Posted)
	}
	err := db.Post(ctx, ledger.Transfer{ID: "payment:pi_1", From: clear, To: cust, Amount: dec("11"), Unit: usd, Code: "payment", Ref: "payment:pi_1"})
	if !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("same key, other amount: err = %v, want ErrConflict", err)
	}
	check(t, db)
}

func TestPostRefusesOverdraft(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	fund(t, db, "p1", "1.00")
	charge := func(id, amount string) error {
		return db.Post(ctx, ledger.Transfer{ID: id, From: cust, To: revenue, Amount: dec(amount), Unit: usd, Code: "international-call"})
	}
	if err := charge("c1", "0.60"); err != nil {
		t.Fatal(err)
	}
	if err := charge("c2", "0.41"); !errors.Is(err, ledger.ErrInsufficient) {
		t.Fatalf("overdraft: err = %v, want ErrInsufficient", err)
	}
	if err := charge("c3", "0.40"); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, db, cust); !b.Posted.IsZero() {
		t.Fatalf("posted %s, want 0", b.Posted)
	}
	check(t, db)
}

func TestLinkedPostIsAllOrNothing(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	fund(t, db, "p1", "1")
	err := db.Post(ctx,
		ledger.Transfer{ID: "a", From: cust, To: revenue, Amount: dec("0.7"), Unit: usd, Code: "x"},
		ledger.Transfer{ID: "b", From: cust, To: revenue, Amount: dec("0.7"), Unit: usd, Code: "x"},
	)
	if !errors.Is(err, ledger.ErrInsufficient) {
		t.Fatalf("err = %v, want ErrInsufficient", err)
	}
	if b := balance(t, db, cust); !b.Posted.Equal(dec("1")) {
		t.Fatalf("posted %s: half a linked post went through", b.Posted)
	}
	ts, _ := db.Transfers(ctx, ledger.Filter{Account: cust})
	if len(ts) != 1 {
		t.Fatalf("%d transfers, want 1", len(ts))
	}
}

func TestReservationLifecycle(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	fund(t, db, "p1", "1.00")
	exp := time.Now().Add(time.Hour)
	res := func(id, amount string) error {
		return db.Reserve(ctx, ledger.Reservation{ID: id, Account: cust, Amount: dec(amount), Expires: exp})
	}
	if err := res("call:1:chunk:1", "0.60"); err != nil {
		t.Fatal(err)
	}
	if err := res("call:1:chunk:1", "0.60"); err != nil { // replay
		t.Fatal(err)
	}
	if err := res("call:1:chunk:1", "0.30"); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("reused key: %v", err)
	}
	if err := res("call:2:chunk:1", "0.50"); !errors.Is(err, ledger.ErrInsufficient) {
		t.Fatalf("reserve beyond available: %v", err)
	}
	if b := balance(t, db, cust); !b.Available().Equal(dec("0.40")) || !b.Reserved.Equal(dec("0.60")) {
		t.Fatalf("balance %+v", b)
	}
	settleT := ledger.Transfer{ID: "call:1:chunk:1:settle", From: cust, To: revenue, Amount: dec("0.45"), Unit: usd, Code: "international-call"}
	if err := db.Settle(ctx, "call:1:chunk:1", settleT); err != nil {
		t.Fatal(err)
	}
	if err := db.Settle(ctx, "call:1:chunk:1", settleT); err != nil { // replay
		t.Fatal(err)
	}
	over := settleT
	over.Amount = dec("0.50")
	if err := db.Settle(ctx, "call:1:chunk:1", over); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("settle again differently: %v", err)
	}
	b := balance(t, db, cust)
	if !b.Posted.Equal(dec("0.55")) || !b.Reserved.IsZero() {
		t.Fatalf("after settle: %+v", b)
	}
	// More than reserved is refused.
	if err := res("call:3:chunk:1", "0.10"); err != nil {
		t.Fatal(err)
	}
	big := ledger.Transfer{ID: "call:3:settle", From: cust, To: revenue, Amount: dec("0.11"), Unit: usd, Code: "x"}
	if err := db.Settle(ctx, "call:3:chunk:1", big); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("settle above reservation: %v", err)
	}
	if err := db.Void(ctx, "call:3:chunk:1"); err != nil {
		t.Fatal(err)
	}
	if err := db.Settle(ctx, "call:3:chunk:1", big); !errors.Is(err, ledger.ErrClosed) {
		t.Fatalf("settle a voided reservation: %v", err)
	}
	if err := db.Void(ctx, "nope"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("void unknown: %v", err)
	}
	check(t, db)
}

func TestReservationsExpire(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	fund(t, db, "p1", "1")
	now := time.Now()
	if err := db.Reserve(ctx, ledger.Reservation{ID: "r1", Account: cust, Amount: dec("1"), Expires: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Expire(ctx, now); err != nil || n != 0 {
		t.Fatalf("Expire before due = %d, %v", n, err)
	}
	if n, err := db.Expire(ctx, now.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("Expire when due = %d, %v", n, err)
	}
	if b := balance(t, db, cust); !b.Available().Equal(dec("1")) {
		t.Fatalf("expired reservation still held: %+v", b)
	}
	r, _ := db.Reservation(ctx, "r1")
	if r.State != ledger.Expired {
		t.Fatalf("state %s", r.State)
	}
	check(t, db)
}

// TestSchemaEnforcesFloor writes around the Go code, straight into the file:
// the schema alone must refuse a negative balance and edits to history.
func TestSchemaEnforcesFloor(t *testing.T) {
	db := open(t)
	fund(t, db, "p1", "1")
	raw, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	stmts := map[string]string{
		"overdraw by transfer": `INSERT INTO transfers (id, from_account, to_account, amount, unit, code, ref, memo, at)
			VALUES ('x', 'customer:acme', 'revenue:international-call:USD', 2000000, 'USD', 'x', '', '', 0)`,
		"overdraw by reservation": `INSERT INTO reservations (id, account, amount, state, expires_at, created_at)
			VALUES ('r', 'customer:acme', 1000001, 'open', 0, 0)`,
		"edit history":            `UPDATE transfers SET amount = 1 WHERE id = 'p1'`,
		"delete history":          `DELETE FROM transfers WHERE id = 'p1'`,
		"cross units":             `INSERT INTO ledger_accounts (id, unit, floor, created_at) VALUES ('sec', 'voice-seconds', 0, 0)`,
		"negative balance direct": `UPDATE ledger_accounts SET posted = -1 WHERE id = 'customer:acme'`,
	}
	for _, name := range []string{"overdraw by transfer", "overdraw by reservation", "edit history", "delete history", "negative balance direct"} {
		if _, err := raw.Exec(stmts[name]); err == nil {
			t.Errorf("%s: the schema allowed it", name)
		}
	}
	if _, err := raw.Exec(stmts["cross units"]); err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO transfers (id, from_account, to_account, amount, unit, code, ref, memo, at)
		VALUES ('y', 'sec', 'revenue:international-call:USD', 1, 'USD', 'x', '', '', 0)`)
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("cross-unit transfer: err = %v", err)
	}
	// Through the Go API the same mistake is a clear ErrInvalid.
	if err := db.Post(context.Background(), ledger.Transfer{ID: "z", From: "sec", To: revenue, Amount: dec("1"), Unit: usd, Code: "x"}); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("cross-unit Post: %v", err)
	}
	check(t, db)
}

func TestCheckFindsCorruption(t *testing.T) {
	db := open(t)
	fund(t, db, "p1", "1")
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+db.Path())
	if err != nil {
		t.Fatal(err)
	}
	// Bypass the triggers to simulate a bug: credit an account out of thin air.
	if _, err := raw.Exec(`UPDATE ledger_accounts SET posted = posted + 5 WHERE id = 'revenue:international-call:USD'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db2, err := sqlite.Open(context.Background(), db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	err = db2.Check(context.Background())
	if !errors.Is(err, sqlite.ErrInvariant) || !strings.Contains(err.Error(), "sums to") {
		t.Fatalf("Check = %v, want the imbalance reported", err)
	}
}

// TestConcurrentDrain runs many reservations at once against one balance:
// exactly as many succeed as the balance allows.
func TestConcurrentDrain(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	fund(t, db, "p1", "5.00")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("call:%d:chunk:1", i)
			err := db.Reserve(ctx, ledger.Reservation{ID: id, Account: cust, Amount: dec("0.10"), Expires: time.Now().Add(time.Hour)})
			if errors.Is(err, ledger.ErrInsufficient) {
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			err = db.Settle(ctx, id, ledger.Transfer{ID: id + ":settle", From: cust, To: revenue, Amount: dec("0.10"), Unit: usd, Code: "x"})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ok++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if ok != 50 {
		t.Fatalf("%d calls paid, want exactly 50", ok)
	}
	if b := balance(t, db, cust); !b.Posted.IsZero() || !b.Reserved.IsZero() {
		t.Fatalf("balance %+v", b)
	}
	check(t, db)
}

func TestReopenKeepsData(t *testing.T) {
	db := open(t)
	fund(t, db, "p1", "3.5")
	path := db.Path()
	db.Close()
	db2, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if b := balance(t, db2, cust); !b.Posted.Equal(dec("3.5")) {
		t.Fatalf("after reopen: %+v", b)
	}
}
