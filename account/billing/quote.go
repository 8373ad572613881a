package billing

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/sms"
)

// Quote is what a call will cost, shown before dialling.
type Quote struct {
	Destination string
	Usage       rating.Usage
	PerMinute   decimal.Decimal
	Increment   rating.Increment
	ConnectFee  decimal.Decimal
	Currency    string
	InBundle    bool  // the bundle covers it now
	BundleLeft  int64 // seconds left in the bundle, when bundle-eligible
	MaxSeconds  int64 // the longest call available credit pays for (0: bundle or unlimited)
	Allowed     bool  // the gate would let it start
	Reason      string
}

// Quote prices a call from one of the account's numbers to another number
// without starting it.
func (e *Engine) Quote(ctx context.Context, account, from, to string) (Quote, error) {
	c, local, remote, err := e.parties(ctx, account, from, to)
	if err != nil {
		return Quote{}, err
	}
	t, err := e.rater.Load().RateCall(rating.CallSpec{Direction: rating.Outbound, Local: local, Remote: remote})
	if err != nil {
		return Quote{}, err
	}
	q := Quote{Destination: t.Destination, Usage: t.Usage, PerMinute: t.PerMinute, Increment: t.Increment,
		ConnectFee: t.ConnectFee, Currency: c.Currency, Allowed: true}
	left, _, err := e.bundleLeft(ctx, c, t.Pool, e.now())
	if err != nil {
		return Quote{}, err
	}
	q.BundleLeft, q.InBundle = left, left > 0
	b, err := e.Balance(ctx, account)
	if err != nil {
		return Quote{}, err
	}
	if c.Suspended != "" {
		q.Allowed, q.Reason = false, suspended(c).Reason
		return q, nil
	}
	if !b.Available.IsPositive() {
		q.Allowed, q.Reason = false, noCredit(b.Available, c.Currency).Reason
		return q, nil
	}
	if !q.InBundle {
		q.MaxSeconds = t.MaxSeconds(0, b.Available)
		if q.MaxSeconds == 0 {
			q.Allowed = false
			q.Reason = fmt.Sprintf("A call to %s needs %s for its first %d seconds.", t.Destination,
				Display(t.CostOf(t.Increment.Billed(1)), c.Currency), t.Increment.Initial)
		}
	}
	return q, nil
}

// MessageQuote is what a text will cost, shown as it is typed.
type MessageQuote struct {
	Destination string
	Encoding    string // "GSM-7" or "UCS-2"
	Segments    int
	PerSegment  decimal.Decimal
	Cost        decimal.Decimal // when paid from credits
	Currency    string
	InBundle    bool // the bundle covers it now
	Allowed     bool
	Reason      string
}

// QuoteMessage prices a text from one of the account's numbers without
// sending it.
func (e *Engine) QuoteMessage(ctx context.Context, account, from, to, text string) (MessageQuote, error) {
	c, local, remote, err := e.parties(ctx, account, from, to)
	if err != nil {
		return MessageQuote{}, err
	}
	enc, segments, _ := sms.Count(text)
	if segments > sms.MaxSegments {
		return MessageQuote{}, invalid("the message needs %d segments; the most is %d", segments, sms.MaxSegments)
	}
	t, err := e.rater.Load().RateSMS(rating.SMSSpec{Direction: rating.Outbound, Local: local, Remote: remote})
	if err != nil {
		return MessageQuote{}, err
	}
	q := MessageQuote{Destination: t.Destination, Encoding: string(enc), Segments: segments, PerSegment: t.PerSegment,
		Cost: t.Cost(segments), Currency: c.Currency, Allowed: true}
	left, _, err := e.bundleLeft(ctx, c, t.Pool, e.now())
	if err != nil {
		return MessageQuote{}, err
	}
	q.InBundle = left >= int64(segments)
	b, err := e.Balance(ctx, account)
	if err != nil {
		return MessageQuote{}, err
	}
	if c.Suspended != "" {
		q.Allowed, q.Reason = false, suspended(c).Reason
	} else if !b.Available.IsPositive() {
		q.Allowed, q.Reason = false, noCredit(b.Available, c.Currency).Reason
	} else if !q.InBundle && b.Available.LessThan(q.Cost) {
		q.Allowed, q.Reason = false, fmt.Sprintf("This text costs %s; %s is available.", Display(q.Cost, c.Currency), Display(b.Available, c.Currency))
	}
	return q, nil
}
