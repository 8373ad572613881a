// Package system assembles a running Tether phone system from explicit
// parts: the store kept in a data directory, the rate decks, the payment
// processor, the number catalogue, the trunk and the clock. Open builds the
// billing side (what the operator's commands need); Start adds the
// switchboard, the trunk and the account API (what a server runs).
// cmd/switchboard and the desktop app's in-process demo both assemble here;
// account/demo only seeds the demo account's data on top.
package system

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/catalog"
	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/account/team"
)

// Parts are what a system is built from. Only Dir is required; every other
// part has the default its comment names.
type Parts struct {
	// Dir is the data directory: the database, voicemail, the sandbox
	// processor's records.
	Dir string
	// SampleRates is the rater used for what the operator has imported no
	// deck for: rating.SampleRater() for the demo. Nil for a real server,
	// which then refuses credit-billed calls and texts it has no deck for
	// (rating.ErrNoDeck) rather than guess a price. An imported deck always
	// wins over it.
	SampleRates *rating.Rater
	// Domestic lists the regions a plan's bundle covers, for imported
	// decks ("US", "CA" when nil: the plans are priced for them).
	Domestic []string
	// Processor charges cards; nil: the sandbox processor kept in Dir,
	// which moves no money.
	Processor payment.Processor
	// Catalog is where numbers are bought; nil: catalog.Sandbox.
	Catalog catalog.Provider
	// Clock is the time; nil: time.Now.
	Clock func() time.Time
	Log   *slog.Logger // nil: slog.Default
}

// System is an open billing system on one data directory.
type System struct {
	Store   *sqlite.DB
	Engine  *billing.Engine
	Catalog catalog.Provider
	Parts   Parts // as given, defaults filled in

	sandbox *payment.Sandbox // when Parts.Processor was nil

	ratesMu sync.Mutex
	rates   string // the imported decks the engine rates with (their digests)

	mail atomic.Pointer[mail.Sender] // where owners' notices are emailed, once serving
}

// emailOwner emails a notice for an account's owner (a failed
// subscription charge, a suspension), when the system sends email.
func (s *System) emailOwner(ctx context.Context, account, kind, message string) {
	m := s.mail.Load()
	if m == nil {
		return
	}
	us, err := s.Store.Users(ctx, account)
	if err != nil {
		return
	}
	c, _ := s.Engine.Customer(ctx, account)
	subjects := map[string]string{"subscription-failed": "We could not take your Tether subscription payment",
		"suspended": "Your Tether account is suspended", "reinstated": "Your Tether account is back on",
		"webhook-disabled": "A Tether webhook was turned off"}
	subject, ok := subjects[kind]
	if !ok {
		subject = "A notice about your Tether account"
	}
	for _, u := range us {
		if u.Role != team.Owner {
			continue
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			text := fmt.Sprintf("Hello,\n\n%s\n\n— Tether, for %s (%s)\n", message, c.Name, account)
			if err := (*m).Send(ctx, mail.Message{To: u.Email, Subject: subject, Text: text}); err != nil {
				s.Parts.Log.Warn("system: emailing the owner", "account", account, "err", err)
			}
		}()
	}
}

// Open opens the system kept in p.Dir (creating the directory and the
// database on first use) and settles what a previous run left open.
func Open(ctx context.Context, p Parts) (*System, error) {
	if p.Dir == "" {
		return nil, fmt.Errorf("system: no data directory")
	}
	if p.Log == nil {
		p.Log = slog.Default()
	}
	if p.Clock == nil {
		p.Clock = time.Now
	}
	if p.Catalog == nil {
		p.Catalog = catalog.Sandbox{}
	}
	if p.Domestic == nil {
		p.Domestic = []string{"US", "CA"}
	}
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, filepath.Join(p.Dir, "tether.db"))
	if err != nil {
		return nil, err
	}
	db.SetClock(p.Clock)
	s := &System{Store: db, Catalog: p.Catalog}
	if p.Processor == nil {
		if s.sandbox, err = payment.OpenSandbox(ctx, filepath.Join(p.Dir, "sandbox-payments.db")); err != nil {
			db.Close()
			return nil, err
		}
		p.Processor = s.sandbox
	}
	s.Parts = p
	s.Engine = billing.New(billing.Config{Store: db, Processor: p.Processor, Clock: p.Clock, Log: p.Log, Notify: s.emailOwner})
	if _, err := s.ReloadRates(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Engine.Sweep(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dir is the data directory.
func (s *System) Dir() string { return s.Parts.Dir }

// Close stops the engine and closes the files.
func (s *System) Close() {
	if s.Engine != nil {
		s.Engine.Close()
	}
	if s.sandbox != nil {
		s.sandbox.Close()
	}
	s.Store.Close()
}
