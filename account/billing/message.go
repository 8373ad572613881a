package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/sms"
)

// Message describes a text passing through the system.
type Message struct {
	Account   string
	MessageID string // unique per message: the charge's idempotency key
	Direction rating.Direction
	Local     string // the account's number
	Remote    string
	Text      string
	Bulk      bool // sent by a campaign or an automation
}

// ChargeMessage passes a message through the gate and charges it: bundle
// segments first where the tariff allows, credits for the rest, in one
// atomic posting. Charging the same message ID again returns its charge.
func (e *Engine) ChargeMessage(ctx context.Context, m Message) (Charge, error) {
	if err := validKey("message ID", m.MessageID); err != nil {
		return Charge{}, err
	}
	_, segments, _ := sms.Count(m.Text)
	if segments > sms.MaxSegments {
		return Charge{}, invalid("the message needs %d segments; the most is %d", segments, sms.MaxSegments)
	}
	_, local, remote, err := e.parties(ctx, m.Account, m.Local, m.Remote)
	if err != nil {
		return Charge{}, err
	}
	t, err := e.rater.Load().RateSMS(rating.SMSSpec{Direction: m.Direction, Local: local, Remote: remote, Bulk: m.Bulk})
	if err != nil {
		return Charge{}, err
	}
	if ch, ok, err := e.chargedMessage(ctx, m, t, segments); err != nil || ok {
		return ch, err
	}
	cust, _, err := e.gate(ctx, m.Account)
	if err != nil {
		return Charge{}, err
	}
	cur := ledger.Unit(cust.Currency)
	for range 5 {
		left, bundle, err := e.bundleLeft(ctx, cust, t.Pool, e.now())
		if err != nil {
			return Charge{}, err
		}
		fromBundle := min(int64(segments), left)
		cost := t.Cost(segments - int(fromBundle))
		ch := Charge{Usage: t.Usage, Destination: t.Destination, Prefix: t.Prefix, Segments: segments,
			BundleUnits: fromBundle, Cost: cost, Currency: cust.Currency}
		var ts []ledger.Transfer
		if fromBundle > 0 {
			ts = append(ts, ledger.Transfer{ID: "sms:" + m.MessageID + ":bundle", From: bundle, To: ledger.BundleUsed(string(t.Pool)),
				Amount: decimal.NewFromInt(fromBundle), Unit: ledger.Unit(t.Pool), Code: "bundle:" + string(t.Usage), Ref: m.MessageID})
		}
		if cost.IsPositive() {
			ts = append(ts, ledger.Transfer{ID: "sms:" + m.MessageID, From: ledger.Customer(m.Account),
				To: ledger.Revenue(string(t.Usage), cur), Amount: cost, Unit: cur, Code: string(t.Usage), Ref: m.MessageID,
				Memo: fmt.Sprintf("%d segments to %s", segments, t.Destination)})
		}
		if len(ts) == 0 {
			return ch, nil
		}
		err = e.store.Post(ctx, ts...)
		switch {
		case err == nil:
			if cost.IsPositive() {
				e.afterDebit(cust)
			}
			return ch, nil
		case errors.Is(err, ledger.ErrConflict):
			// Charged meanwhile under the same ID: report that charge.
			if ch, ok, err := e.chargedMessage(ctx, m, t, segments); err != nil || ok {
				return ch, err
			}
			return Charge{}, err
		case !errors.Is(err, ledger.ErrInsufficient):
			return Charge{}, err
		}
		b, berr := e.store.Balance(ctx, ledger.Customer(m.Account))
		if berr != nil {
			return Charge{}, berr
		}
		if b.Available().LessThan(cost) {
			return Charge{}, &CreditError{
				Reason: fmt.Sprintf("This message costs %s; %s is available.", money.Display(cost, cust.Currency),
					money.Display(b.Available(), cust.Currency)),
				Available: b.Available(), Needed: cost, Currency: cust.Currency,
			}
		}
		// The bundle moved under us: price it again.
	}
	return Charge{}, fmt.Errorf("billing: message %s: the balance kept changing; try again", m.MessageID)
}

// chargedMessage returns the charge already posted for a message, if any.
func (e *Engine) chargedMessage(ctx context.Context, m Message, t rating.SMSTariff, segments int) (Charge, bool, error) {
	ch := Charge{Usage: t.Usage, Destination: t.Destination, Prefix: t.Prefix, Segments: segments, Cost: decimal.Zero}
	found := false
	credit, err := e.store.Transfer(ctx, "sms:"+m.MessageID)
	switch {
	case err == nil:
		ch.Cost, ch.Currency, found = credit.Amount, string(credit.Unit), true
	case !errors.Is(err, ledger.ErrNotFound):
		return ch, false, err
	}
	bundle, err := e.store.Transfer(ctx, "sms:"+m.MessageID+":bundle")
	switch {
	case err == nil:
		ch.BundleUnits, found = bundle.Amount.IntPart(), true
	case !errors.Is(err, ledger.ErrNotFound):
		return ch, false, err
	}
	return ch, found, nil
}

// ChargeTranscription charges the transcription of a voicemail of the
// given length, before it is transcribed. id keys the charge.
func (e *Engine) ChargeTranscription(ctx context.Context, account, id string, seconds int64) (Charge, error) {
	if err := validKey("voicemail ID", id); err != nil {
		return Charge{}, err
	}
	if seconds <= 0 || seconds > 3600 {
		return Charge{}, invalid("a voicemail lasts 1 to 3600 seconds")
	}
	cust, b, err := e.gate(ctx, account)
	if err != nil {
		return Charge{}, err
	}
	t := e.rater.Load().TranscriptionTariff()
	cost := t.Cost(seconds)
	ch := Charge{Usage: t.Usage, Destination: t.Destination, Seconds: seconds, Billed: t.Increment.Billed(seconds),
		Cost: cost, Currency: cust.Currency}
	cur := ledger.Unit(cust.Currency)
	err = e.store.Post(ctx, ledger.Transfer{ID: "transcription:" + id, From: ledger.Customer(account),
		To: ledger.Revenue(string(t.Usage), cur), Amount: cost, Unit: cur, Code: string(t.Usage), Ref: id})
	if errors.Is(err, ledger.ErrInsufficient) {
		return Charge{}, &CreditError{Reason: fmt.Sprintf("Transcribing this voicemail costs %s; %s is available.",
			money.Display(cost, cust.Currency), money.Display(b.Available(), cust.Currency)),
			Available: b.Available(), Needed: cost, Currency: cust.Currency}
	}
	if err == nil {
		e.afterDebit(cust)
	}
	return ch, err
}
