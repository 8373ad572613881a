package main_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/softphone"
)

// TestKilledWithCallsUp: the switchboard is killed (SIGKILL) with calls
// answered, twenty times over. After each restart every call it cut off
// has its record ("ended: server restart", the time it was last known to
// be up), was charged for that time (the balance moved by exactly the
// records' costs), and holds no reservation any more (nothing is left
// reserved, so a low balance is not blocked for minutes); at the end the
// ledger's invariants hold.
func TestKilledWithCallsUp(t *testing.T) {
	const cycles, perCycle = 20, 2
	const checkpoint = 300 * time.Millisecond
	data := t.TempDir()
	ctx := context.Background()
	pw := ""
	var err error
	var seen int // records cut off by a restart so far
	var prev *api.BalanceInfo
	var prevCost decimal.Decimal
	var live *sql.DB // the switchboard's database, read beside it
	for cycle := range cycles + 1 {
		s := startServerArgs(t, data, "--demo", "--checkpoint", checkpoint.String())
		if pw == "" {
			pw = s.accounts["owner@demo.test"]
			if live, err = sql.Open("sqlite", "file:"+filepath.Join(data, "tether.db")+"?mode=ro"); err != nil {
				t.Fatal(err)
			}
			defer live.Close()
		}
		owner, _ := api.NewClient(s.api)
		if _, err := owner.SignIn(ctx, "owner@demo.test", pw); err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		// What the last run's calls came to.
		bal, err := owner.Balance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if bal.Reserved != "0.0000" {
			t.Fatalf("cycle %d: %s still reserved after the restart, want nothing", cycle, bal.Reserved)
		}
		calls, err := owner.Calls(ctx, 500)
		if err != nil {
			t.Fatal(err)
		}
		var cut []api.CallInfo
		cost := decimal.Zero
		for _, c := range calls {
			if c.Cause == "ended: server restart" {
				cut = append(cut, c)
				cost = cost.Add(decimal.RequireFromString(c.Cost))
			}
		}
		if len(cut) != seen+perCycle*min(cycle, 1) {
			t.Fatalf("cycle %d: %d calls recorded as cut off by a restart, want %d", cycle, len(cut), seen+perCycle*min(cycle, 1))
		}
		if cycle > 0 {
			for _, c := range cut[:perCycle] { // newest first
				if c.Disposition != "answered" || c.Seconds < 1 || c.Seconds > 4 || !decimal.RequireFromString(c.Cost).IsPositive() {
					t.Errorf("cycle %d: a cut-off call's record %+v (want answered, 1-4 s, charged)", cycle, c)
				}
			}
			spent := decimal.RequireFromString(prev.Posted).Sub(decimal.RequireFromString(bal.Posted))
			if want := cost.Sub(prevCost); !spent.Equal(want) {
				t.Errorf("cycle %d: the balance moved by %s; the records say %s", cycle, spent, want)
			}
		}
		seen, prev, prevCost = len(cut), &bal, cost
		if cycle == cycles {
			s.cmd.Process.Signal(syscall.SIGTERM)
			s.cmd.Wait()
			break
		}

		// Calls up, then the kill.
		rep := signInPhone(t, s, "rep@demo.test")
		var wg sync.WaitGroup
		answered := make(chan error, perCycle)
		for i := range perCycle {
			wg.Go(func() {
				_, err := rep.Dial(ctx, fmt.Sprintf("+4479111%05d", cycle*10+i))
				answered <- err
			})
		}
		wg.Wait()
		for range perCycle {
			if err := <-answered; err != nil {
				t.Fatalf("cycle %d: a call abroad: %v", cycle, err)
			}
		}
		// Talk, until the switchboard has noted both calls up for over a
		// second (it checkpoints every 300 ms).
		eventually.Must(t, 30*time.Second, "checkpoints of both calls a second into them", func() bool {
			rows, err := live.Query(`SELECT draft, at FROM live_calls`)
			if err != nil {
				return false
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var draft string
				var at int64
				var c struct{ Answered time.Time }
				if rows.Scan(&draft, &at) != nil || json.Unmarshal([]byte(draft), &c) != nil {
					return false
				}
				if !c.Answered.IsZero() && time.Unix(0, at).Sub(c.Answered) >= time.Second {
					n++
				}
			}
			return n == perCycle
		})
		s.cmd.Process.Kill()
		s.cmd.Wait()
		rep.Close()
	}
	db, err := sqlite.Open(ctx, filepath.Join(data, "tether.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatalf("the ledger after %d kills: %v", cycles, err)
	}
}

// signInPhone signs a demo user in through the API, with SIP credentials
// of their own, and registers a phone with them.
func signInPhone(t *testing.T, s *server, email string) *phone.UA {
	t.Helper()
	ctx := context.Background()
	a, err := softphone.SignIn(ctx, s.api, email, s.accounts[email], "crash test")
	if err != nil {
		t.Fatal(err)
	}
	route, err := a.Route("udp", "rtp")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := a.PhoneConfig(route)
	if err != nil {
		t.Fatal(err)
	}
	cfg.KeepAlive = -1
	u, err := phone.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	rctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go u.Register(rctx)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-u.Events():
			if ev.State == phone.Registered {
				return u
			}
		case <-deadline:
			t.Fatal("the phone never registered")
		}
	}
}
