package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/rating"
)

// A call's meter can be written down (Snapshot) and taken up again
// (Resume) by another process: after a crash, the switchboard resumes
// each call it had noted and ends it for the time it was last known to
// be up, so the used part is charged and the rest of its reservations
// freed at once rather than when they expire.

type snapshot struct {
	Version    int             `json:"v"`
	ID         string          `json:"id"`
	Account    string          `json:"account"`
	Tariff     rating.Tariff   `json:"tariff"`
	Over       rating.Tariff   `json:"over"`
	Chunks     []chunkSnapshot `json:"chunks"`
	Paid       int64           `json:"paid"`
	BundleSecs int64           `json:"bundle_secs"`
	CreditPaid int64           `json:"credit_paid"`
	Overflow   bool            `json:"overflow"`
	Final      bool            `json:"final"`
}

type chunkSnapshot struct {
	N       int              `json:"n"`
	ID      string           `json:"id"`
	Bundle  bool             `json:"bundle"`
	Account ledger.AccountID `json:"account"`
	Start   int64            `json:"start"`
	End     int64            `json:"end"`
	CFrom   int64            `json:"c_from"`
	CTo     int64            `json:"c_to"`
	Amount  decimal.Decimal  `json:"amount"`
	Settled bool             `json:"settled"`
}

// Snapshot writes down the call's meter.
func (c *Call) Snapshot() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := snapshot{Version: 1, ID: c.id, Account: c.cust.ID, Tariff: c.tariff, Over: c.over, Paid: c.paid,
		BundleSecs: c.bundleSecs, CreditPaid: c.creditPaid, Overflow: c.overflow, Final: c.final}
	for _, ch := range c.chunks {
		s.Chunks = append(s.Chunks, chunkSnapshot{N: ch.n, ID: ch.id, Bundle: ch.bundle, Account: ch.account, Start: ch.start,
			End: ch.end, CFrom: ch.cFrom, CTo: ch.cTo, Amount: ch.amount, Settled: ch.settled})
	}
	b, _ := json.Marshal(s) // plain values: cannot fail
	return b
}

// Resume takes up a call from its Snapshot. End it: it reserves nothing
// more. A chunk settled after the snapshot was taken is found settled in
// the ledger and not charged again.
func (e *Engine) Resume(ctx context.Context, snap []byte) (*Call, error) {
	var s snapshot
	if err := json.Unmarshal(snap, &s); err != nil || s.Version != 1 || s.ID == "" {
		return nil, fmt.Errorf("%w: not a call's meter: %v", ErrInvalid, err)
	}
	cust, err := e.store.Customer(ctx, s.Account)
	if err != nil {
		return nil, err
	}
	c := &Call{e: e, cust: cust, id: s.ID, tariff: s.Tariff, over: s.Over, paid: s.Paid, bundleSecs: s.BundleSecs,
		creditPaid: s.CreditPaid, overflow: s.Overflow, final: true}
	for _, ch := range s.Chunks {
		// A chunk the dead run settled after the snapshot was settled in
		// full (it had ended): the ledger says so.
		if !ch.Settled && ch.ID != "" {
			r, err := e.store.Reservation(ctx, ch.ID)
			if err != nil {
				return nil, err
			}
			ch.Settled = r.State == ledger.Settled
		}
		c.chunks = append(c.chunks, chunk{n: ch.N, id: ch.ID, bundle: ch.Bundle, account: ch.Account, start: ch.Start,
			end: ch.End, cFrom: ch.CFrom, cTo: ch.CTo, amount: ch.Amount, settled: ch.Settled})
	}
	// Chunks reserved after the snapshot: their reservations are found by
	// their IDs and released (the call never got to use them, as far as
	// anyone can tell).
	for n := len(s.Chunks) + 1; ; n++ {
		id := reservationID(s.ID, n)
		if _, err := e.store.Reservation(ctx, id); errors.Is(err, ledger.ErrNotFound) {
			break
		} else if err != nil {
			return nil, err
		}
		if err := e.store.Void(ctx, id); err != nil && !errors.Is(err, ledger.ErrClosed) {
			return nil, err
		}
	}
	return c, nil
}
