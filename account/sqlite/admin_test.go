package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/account/team"
)

// TestAuditLog: an audited change and its audit line commit together; a
// refused change leaves no line; the log refuses updates and deletes.
func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateCustomer(ctx, billing.Customer{ID: "acme", Currency: "USD", Plan: "team", CycleAnchor: time.Now(), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []team.User{
		{Account: "acme", Email: "ann@acme.test", Role: team.Owner, Extension: "101", Created: time.Now()},
		{Account: "acme", Email: "bob@acme.test", Role: team.Member, Extension: "102", Created: time.Now()},
	} {
		if err := db.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	line := func(action string) context.Context {
		return team.WithAudit(ctx, team.AuditEntry{Account: "acme", At: time.Now(), Actor: "ann@acme.test", Action: action, Target: "bob@acme.test", Source: "127.0.0.1"})
	}
	if err := db.SetRole(line("team.role"), "bob@acme.test", team.Admin); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRole(line("refused"), "bob@acme.test", "no-such-role"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("unknown role: %v", err)
	}
	if err := db.RemoveUser(line("refused"), "ann@acme.test"); !errors.Is(err, team.ErrInvalid) {
		t.Fatalf("removing the owner: %v", err)
	}
	// Money: a posted transfer carries its audit line; a refused one and a
	// replay of one already posted write none.
	usd := ledger.Unit("USD")
	credit := ledger.Transfer{ID: "adjustment:acme:t1", From: ledger.Adjustments(usd), To: ledger.Customer("acme"),
		Amount: decimal.NewFromInt(5), Unit: usd, Code: "adjustment", Ref: "t1", Memo: "goodwill"}
	if err := db.EnsureAccounts(ctx, ledger.Account{ID: ledger.Adjustments(usd), Unit: usd}, ledger.Account{ID: ledger.Customer("acme"), Unit: usd, Floor: true}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := db.Post(line("credits.adjust"), credit); err != nil {
			t.Fatal(err)
		}
	}
	debit := ledger.Transfer{ID: "adjustment:acme:t2", From: ledger.Customer("acme"), To: ledger.Adjustments(usd),
		Amount: decimal.NewFromInt(50), Unit: usd, Code: "adjustment", Ref: "t2", Memo: "too much"}
	if err := db.Post(line("refused"), debit); !errors.Is(err, ledger.ErrInsufficient) {
		t.Fatalf("taking $50 of $5: %v", err)
	}
	log, err := db.AuditLog(ctx, "acme", 0, 10)
	if err != nil || len(log) != 2 || log[0].Action != "credits.adjust" || log[1].Action != "team.role" {
		t.Fatalf("log %+v %v", log, err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{`UPDATE audit_log SET actor = 'mallory'`, `DELETE FROM audit_log`} {
		if _, err := raw.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	if u, _ := db.User(ctx, "bob@acme.test"); u.Role != team.Admin {
		t.Errorf("bob is %s", u.Role)
	}
	// Transfer keeps exactly one owner.
	if err := db.TransferOwnership(ctx, "acme", "bob@acme.test"); err != nil {
		t.Fatal(err)
	}
	a, _ := db.User(ctx, "ann@acme.test")
	b, _ := db.User(ctx, "bob@acme.test")
	if a.Role != team.Admin || b.Role != team.Owner {
		t.Errorf("after transfer: ann %s, bob %s", a.Role, b.Role)
	}
}
