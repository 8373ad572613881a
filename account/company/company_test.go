package company_test

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/company"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/account/team"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func stores(t *testing.T) (company.Stores, *sqlite.DB, *clock) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	bank, err := payment.OpenSandbox(ctx, filepath.Join(t.TempDir(), "bank.db"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	e := billing.New(billing.Config{Store: db, Processor: bank, Clock: clk.now})
	t.Cleanup(func() { e.Close(); bank.Close(); db.Close() })
	return company.Stores{Users: db, Billing: e, Now: clk.now}, db, clk
}

// TestOpenBySignUp: a sign-up opens the company in its country's region
// and zone with its Owner created, unverified; the same address cannot
// sign up twice; bad input opens nothing.
func TestOpenBySignUp(t *testing.T) {
	s, db, _ := stores(t)
	ctx := context.Background()
	hash, _ := team.HashPassword("correct horse battery")
	o, err := company.Open(ctx, s, company.New{Name: "Zoë's Café & Co.", Country: "fr", Plan: "team", Owner: "Zoe@Example.test", OwnerName: "Zoë", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^zoe-s-cafe-co-[a-z2-7]{6}$`).MatchString(o.Account) {
		t.Errorf("account ID %q", o.Account)
	}
	c, _ := s.Billing.Customer(ctx, o.Account)
	if c.Name != "Zoë's Café & Co." || c.Region != "FR" || c.Zone != "Europe/Paris" || c.Plan != "team" || !c.Verified.IsZero() {
		t.Errorf("the company: %+v", c)
	}
	u, err := db.User(ctx, "zoe@example.test")
	if err != nil || u.Role != team.Owner || u.Account != o.Account || u.Name != "Zoë" || u.Extension != "101" {
		t.Errorf("the owner: %+v, %v", u, err)
	}
	if seats, _ := db.Seats(ctx, o.Account); len(seats) != 1 {
		t.Errorf("seats: %+v", seats)
	}
	if log, _ := db.AuditLog(ctx, o.Account, 0, 10); len(log) != 1 || log[0].Action != "account.open" {
		t.Errorf("audit: %+v", log)
	}
	if _, err := company.Open(ctx, s, company.New{Name: "Again", Country: "FR", Plan: "team", Owner: "zoe@example.test", PasswordHash: hash}); !errors.Is(err, team.ErrExists) {
		t.Errorf("the same address again: %v", err)
	}
	for _, bad := range []company.New{
		{Name: "", Country: "FR", Plan: "team", Owner: "a@b.test", PasswordHash: hash},
		{Name: "X", Country: "ZZ", Plan: "team", Owner: "a@b.test", PasswordHash: hash},
		{Name: "X", Country: "FR", Plan: "gold", Owner: "a@b.test", PasswordHash: hash},
		{Name: "X", Country: "FR", Plan: "team", Owner: "not-an-address", PasswordHash: hash},
		{Name: "X", Country: "FR", Plan: "team", Owner: "a@b.test", OwnerName: "two\nlines", PasswordHash: hash},
	} {
		if _, err := company.Open(ctx, s, bad); err == nil {
			t.Errorf("Open(%+v) accepted", bad)
		}
	}
	if all, _ := s.Billing.Customers(ctx); len(all) != 1 {
		t.Errorf("%d accounts after refusals", len(all))
	}
}

// TestOpenByOperator: an operator's company is verified, has no user yet,
// and invites its Owner; the invitation makes them the Owner.
func TestOpenByOperator(t *testing.T) {
	s, db, clk := stores(t)
	ctx := context.Background()
	o, err := company.Open(ctx, s, company.New{Name: "Acme", Country: "US", Plan: "starter", Owner: "boss@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.Billing.Customer(ctx, o.Account)
	if c.Verified.IsZero() || c.Zone != "America/New_York" || o.Invitation == "" || !o.Expires.Equal(clk.now().Add(7*24*time.Hour)) {
		t.Errorf("the company %+v, opened %+v", c, o)
	}
	if _, err := company.Open(ctx, s, company.New{Name: "Other", Country: "US", Plan: "starter", Owner: "boss@acme.test"}); !errors.Is(err, team.ErrExists) {
		t.Errorf("an owner already invited elsewhere: %v", err)
	}
	if us, _ := db.Users(ctx, o.Account); len(us) != 0 {
		t.Errorf("users before the invitation is accepted: %+v", us)
	}
	in, err := db.Invitation(ctx, company.HashToken(o.Invitation))
	if err != nil || in.Role != team.Owner || in.Email != "boss@acme.test" || in.Account != o.Account {
		t.Fatalf("the invitation: %+v, %v", in, err)
	}
	u := team.User{Account: o.Account, Email: in.Email, Role: team.Owner, Extension: "101", Created: clk.now()}
	if err := db.AcceptInvitation(ctx, in.TokenHash, u, "x"); err != nil {
		t.Fatal(err)
	}
}

func TestAccountIDs(t *testing.T) {
	s, _, _ := stores(t)
	for name, want := range map[string]string{
		"ACME Inc.":                `^acme-inc-[a-z2-7]{6}$`,
		"株式会社":                     `^company-[a-z2-7]{6}$`,
		"   Ångström  ":            `^angstrom-[a-z2-7]{6}$`,
		strings.Repeat("abc ", 20): `^abc-abc-abc-abc-abc-abc-[a-z2-7]{6}$`,
	} {
		o, err := company.Open(context.Background(), s, company.New{Name: name, Country: "US", Plan: "team", Owner: "o" + string(rune('a'+len(name)%26)) + "@x.test"})
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if !regexp.MustCompile(want).MatchString(o.Account) {
			t.Errorf("%q -> %q, want %s", name, o.Account, want)
		}
	}
}

// TestCodes: a code is good once, for 30 minutes, for five guesses; a
// new one replaces it, at most one a minute.
func TestCodes(t *testing.T) {
	s, _, clk := stores(t)
	ctx := context.Background()
	const email = "zoe@example.test"
	code, err := company.NewCode(ctx, s, email)
	if err != nil || !regexp.MustCompile(`^\d{6}$`).MatchString(code) {
		t.Fatalf("code %q, %v", code, err)
	}
	if _, err := company.NewCode(ctx, s, email); !errors.Is(err, company.ErrTooSoon) {
		t.Errorf("a second code at once: %v", err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if err := company.CheckCode(ctx, s, email, wrong); !errors.Is(err, company.ErrCodeWrong) || !strings.Contains(err.Error(), "4 more tries") {
		t.Errorf("a wrong code: %v", err)
	}
	if err := company.CheckCode(ctx, s, email, code[:3]+" "+code[3:]); err != nil {
		t.Errorf("the right code, typed with a space: %v", err)
	}
	if err := company.CheckCode(ctx, s, email, code); !errors.Is(err, company.ErrCodeSpent) {
		t.Errorf("the code again: %v", err)
	}
	// Five wrong guesses spend it, even for the right code after.
	clk.add(company.ResendAfter)
	code, _ = company.NewCode(ctx, s, email)
	for range company.CodeTries {
		company.CheckCode(ctx, s, email, wrong)
	}
	if err := company.CheckCode(ctx, s, email, code); !errors.Is(err, company.ErrCodeSpent) {
		t.Errorf("after five wrong guesses: %v", err)
	}
	// Expired.
	clk.add(company.ResendAfter)
	code, _ = company.NewCode(ctx, s, email)
	clk.add(company.CodeTTL + time.Second)
	if err := company.CheckCode(ctx, s, email, code); !errors.Is(err, company.ErrCodeSpent) {
		t.Errorf("an expired code: %v", err)
	}
	if err := company.CheckCode(ctx, s, "never@example.test", code); !errors.Is(err, company.ErrCodeSpent) {
		t.Errorf("no code sent: %v", err)
	}
}
