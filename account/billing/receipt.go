package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
)

// Receipt kinds: what was paid for.
const (
	ReceiptCredits      = "credits"      // a top-up: the card charged, credit added
	ReceiptSubscription = "subscription" // seats: the card charged
	ReceiptNumber       = "number"       // a number's month, paid from credits
)

// Receipt is one thing an account paid for.
type Receipt struct {
	ID          string
	Kind        string
	Description string
	Amount      decimal.Decimal
	Currency    string
	PaidWith    string // "Visa •••• 4242", "credits"
	PaymentID   string // the processor's, for card payments
	At          time.Time
}

func shortID(prefix, s string) string {
	h := sha256.Sum256([]byte(s))
	return prefix + hex.EncodeToString(h[:8])
}

// Receipts lists what an account paid for (top-ups, its subscription,
// numbers), newest first, at most limit.
func (e *Engine) Receipts(ctx context.Context, account string, limit int) ([]Receipt, error) {
	c, err := e.store.Customer(ctx, account)
	if err != nil {
		return nil, err
	}
	card, hasCard, err := e.store.Card(ctx, account)
	if err != nil {
		return nil, err
	}
	paidWith := func(cardID string) string {
		if hasCard && card.ID == cardID {
			return fmt.Sprintf("%s •••• %s", card.Brand, card.Last4)
		}
		return "card"
	}
	var out []Receipt
	as, err := e.store.Attempts(ctx, account, false, limit)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.Status == Succeeded {
			out = append(out, Receipt{ID: a.ID, Kind: ReceiptCredits, Description: fmt.Sprintf("Credits added (%s top-up)", a.Kind),
				Amount: a.Amount, Currency: a.Currency, PaidWith: paidWith(a.Card), PaymentID: a.PaymentID, At: a.Updated})
		}
	}
	scs, err := e.store.SubCharges(ctx, account, limit)
	if err != nil {
		return nil, err
	}
	for _, sc := range scs {
		if sc.Status == ChargePaid {
			out = append(out, Receipt{ID: shortID("sub_", sc.ID), Kind: ReceiptSubscription, Description: chargeText(sc),
				Amount: sc.Amount, Currency: sc.Currency, PaidWith: "card", PaymentID: sc.PaymentID, At: sc.Paid})
		}
	}
	ts, err := e.store.Transfers(ctx, ledger.Filter{Account: ledger.Customer(account), Codes: []string{NumberRental}})
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.From == ledger.Customer(account) {
			out = append(out, Receipt{ID: shortID("num_", t.ID), Kind: ReceiptNumber, Description: t.Memo,
				Amount: t.Amount, Currency: c.Currency, PaidWith: "credits", At: t.At})
		}
	}
	slices.SortFunc(out, func(a, b Receipt) int { return b.At.Compare(a.At) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ReceiptByID finds one of an account's receipts.
func (e *Engine) ReceiptByID(ctx context.Context, account, id string) (Receipt, error) {
	rs, err := e.Receipts(ctx, account, 0)
	if err != nil {
		return Receipt{}, err
	}
	for _, r := range rs {
		if r.ID == id {
			return r, nil
		}
	}
	return Receipt{}, fmt.Errorf("%w: receipt %s", ErrNotFound, id)
}
