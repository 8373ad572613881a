// Package demo seeds the demo account that `make run` and the
// switchboard's --demo start on, on top of a system assembled by
// account/system: a team on the US plan with a bundle, $20.00 of credit, a
// sandbox card on file, a month of sample history; the demo's parts are
// the sample rate decks and the sandbox payment processor. Nothing in it
// moves real money.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/account/team"
)

// Account is the demo account's ID.
const Account = "demo"

// Users are the demo account's seats.
var Users = []string{"owner@demo.test", "admin@demo.test", "rep@demo.test"}

// Numbers are the demo account's two free numbers: the first dedicated to
// the rep, the second the main line, shared by the owner, the admin and
// the rep.
var Numbers = []string{"+14155550100", "+14155550101"}

// StartingCredit is what the demo account starts with.
var StartingCredit = decimal.NewFromInt(20)

// CredentialsFile is where the demo users' passwords are written, in the
// data directory: one "EMAIL PASSWORD" per line, readable by the owner
// only.
const CredentialsFile = "demo-credentials.txt"

// Extensions are the demo users' extensions, in the order of Users.
var Extensions = []string{"101", "102", "103"}

// Parts are the demo's parts on dir: the sample rate decks (for what the
// operator has imported no deck for) and, by default, the sandbox
// processor and number catalogue.
func Parts(dir string) system.Parts {
	return system.Parts{Dir: dir, SampleRates: rating.SampleRater()}
}

// Open opens the system kept in dir on the demo's parts and seeds the demo
// account on first start.
func Open(ctx context.Context, dir string) (*system.System, error) { return OpenWith(ctx, Parts(dir)) }

// OpenWith opens the system on p and seeds the demo account on first start.
func OpenWith(ctx context.Context, p system.Parts) (*system.System, error) {
	sys, err := system.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := Seed(ctx, sys); err != nil {
		sys.Close()
		return nil, err
	}
	return sys, nil
}

// Seed creates the demo account on sys, once: the account with its
// credit, card and a month of sample history, its users (passwords written
// to the data directory's CredentialsFile) and its two numbers.
func Seed(ctx context.Context, sys *system.System) error {
	s := seeder{sys}
	if err := s.ensureDemo(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := s.ensureTeam(ctx, sys.Dir()); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

type seeder struct{ *system.System }

func (s seeder) ensureDemo(ctx context.Context) error {
	if _, err := s.Store.Customer(ctx, Account); err == nil {
		return nil
	}
	e := s.Engine
	if err := e.OpenAccount(ctx, billing.NewAccount{ID: Account, Name: "Demo Company", Plan: "team", Verified: true}); err != nil {
		return err
	}
	// The card first: the seats' subscription is charged to it (in the
	// sandbox) as they are added.
	exp := time.Now().AddDate(3, 0, 0)
	if _, err := e.SaveCard(ctx, Account, payment.CardDetails{Number: payment.CardSucceeds, ExpMonth: int(exp.Month()), ExpYear: exp.Year(), CVC: "123"}); err != nil {
		return err
	}
	for _, u := range Users {
		if err := e.AddSeat(ctx, Account, u); err != nil {
			return err
		}
	}
	if err := e.Adjust(ctx, Account, "welcome", StartingCredit, "demo starting credit"); err != nil {
		return err
	}
	return s.sampleHistory(ctx, time.Now())
}

// sampleHistory gives the demo account a month of sample spending (calls
// abroad, texts, forwarding), paid for by a sample credit of the same
// amount, so its spend chart, runway and suggested threshold have
// something to show; the balance is unchanged. It is all before today.
func (s seeder) sampleHistory(ctx context.Context, now time.Time) error {
	cur := ledger.Unit("USD")
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	start := day.AddDate(0, 0, -30)
	var spends []ledger.Transfer
	total := decimal.Zero
	for i := 1; i <= 29; i++ {
		at := start.AddDate(0, 0, i).Add(10 * time.Hour)
		if at.Weekday() == time.Saturday || at.Weekday() == time.Sunday {
			continue
		}
		for j, k := range []struct {
			code  string
			cents int64
		}{{"international-call", 18 + int64(i*7%23)}, {"international-sms", 4 + int64(i%5)}, {"forwarded-call", int64(i % 3 * 6)}} {
			if k.cents == 0 {
				continue
			}
			amt := decimal.New(k.cents, -2)
			total = total.Add(amt)
			spends = append(spends, ledger.Transfer{ID: fmt.Sprintf("sample:%s:%d:%d", Account, i, j), From: ledger.Customer(Account),
				To: ledger.Revenue(k.code, cur), Amount: amt, Unit: cur, Code: k.code, Ref: fmt.Sprintf("sample-%d-%d", i, j),
				Memo: "sample history", At: at.Add(time.Duration(j) * time.Hour)})
		}
	}
	credit := ledger.Transfer{ID: "sample:" + Account + ":credit", From: ledger.Adjustments(cur), To: ledger.Customer(Account),
		Amount: total, Unit: cur, Code: "adjustment", Ref: "sample-history", Memo: "demo: credit for the sample history", At: start}
	if err := s.Store.EnsureAccounts(ctx, ledger.Account{ID: ledger.Revenue("number-rental", cur), Unit: cur}); err != nil {
		return err
	}
	return s.Store.Post(ctx, append([]ledger.Transfer{credit}, spends...)...)
}

// ensureTeam creates the demo users with fresh passwords, once, and
// writes the passwords to dir's CredentialsFile.
func (s seeder) ensureTeam(ctx context.Context, dir string) error {
	users, err := s.Store.Users(ctx, Account)
	if err != nil || len(users) > 0 {
		return err
	}
	roles := []team.Role{team.Owner, team.Admin, team.Member}
	var lines strings.Builder
	for i, email := range Users {
		pw := newPassword()
		hash, err := team.HashPassword(pw)
		if err != nil {
			return err
		}
		u := team.User{Account: Account, Email: email, Role: roles[i], Extension: Extensions[i], Created: time.Now()}
		if err := s.Store.CreateUser(ctx, u, hash); err != nil {
			return err
		}
		fmt.Fprintf(&lines, "%s %s\n", email, pw)
	}
	// The rep's dedicated line, and the main line everyone shares.
	for _, n := range []team.Number{
		{E164: Numbers[0], Account: Account, Members: []string{Users[2]}},
		{E164: Numbers[1], Account: Account, Members: []string{Users[0], Users[1], Users[2]}},
	} {
		if err := s.Store.SetNumber(ctx, n); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, CredentialsFile), []byte(lines.String()), 0o600)
}

// newPassword returns 16 random characters (80 bits).
func newPassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// ReadCredentials reads the demo users' passwords from dir's
// CredentialsFile: email -> password.
func ReadCredentials(dir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, CredentialsFile))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		email, pw, ok := strings.Cut(line, " ")
		if !ok || email == "" || pw == "" {
			return nil, fmt.Errorf("demo: %s is damaged", CredentialsFile)
		}
		out[email] = pw
	}
	return out, nil
}
