package rating

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/money"
)

// Prices are the prices that do not come from a rate deck.
type Prices struct {
	TollFreeInboundPerMinute decimal.Decimal // callers ringing our toll-free numbers
	TollFreeInboundIncrement Increment
	DomesticSMSPerSegment    decimal.Decimal // US/CA texts beyond the bundle
	BulkSMSPerSegment        decimal.Decimal // campaigns, never in the bundle
	TranscriptionPerMinute   decimal.Decimal
	AIAgentPerMinute         decimal.Decimal // beyond the bundle's AI minutes
	PremiumMinimumPerMinute  decimal.Decimal // premium numbers never cost less than this
}

// DefaultPrices are the list prices the demo ships with.
func DefaultPrices() Prices {
	return Prices{
		TollFreeInboundPerMinute: decimal.RequireFromString("0.022"),
		TollFreeInboundIncrement: Increment{6, 6},
		DomesticSMSPerSegment:    decimal.RequireFromString("0.0083"),
		BulkSMSPerSegment:        decimal.RequireFromString("0.0100"),
		TranscriptionPerMinute:   decimal.RequireFromString("0.05"),
		AIAgentPerMinute:         decimal.RequireFromString("0.99"),
		PremiumMinimumPerMinute:  decimal.RequireFromString("1.50"),
	}
}

// Direction says which way a call or message goes from the account's side.
type Direction string

// Directions.
const (
	Outbound Direction = "outbound" // a user calls or texts out from Local to Remote
	Inbound  Direction = "inbound"  // Remote calls or texts the account's number Local
	Forward  Direction = "forward"  // an inbound call is forwarded to the external Remote
)

// Rater prices calls and messages. Domestic lists the regions whose calls
// and texts a plan's bundle covers (Caribbean NANP numbers such as +1 876 are
// region JM, so international). A nil Voice or SMS deck prices nothing from
// it: such calls and texts fail with ErrNoDeck (a server whose operator has
// imported no deck refuses them rather than guess a price).
type Rater struct {
	Voice    *Deck
	SMS      *SMSDeck
	Prices   Prices
	Domestic []string
}

// CallSpec describes a call to price.
type CallSpec struct {
	Direction Direction
	Local     Number // the account's number
	Remote    Number // the other party (for Forward, the external number)
}

// RateCall fixes the tariff of a call.
func (r *Rater) RateCall(c CallSpec) (Tariff, error) {
	switch c.Direction {
	case Inbound:
		if c.Local.Type == TollFree {
			return Tariff{
				Usage: TollFreeInbound, PerMinute: r.Prices.TollFreeInboundPerMinute,
				Increment: r.Prices.TollFreeInboundIncrement, Destination: "Toll-free inbound",
			}, nil
		}
		// Inbound calls draw on the bundle; beyond it they cost what a
		// domestic call to the number itself would.
		return r.fromDeck(DomesticCall, PoolVoice, c.Local)
	case Forward:
		if c.Remote.Premium() {
			return r.premium(c.Remote)
		}
		return r.fromDeck(ForwardedCall, PoolNone, c.Remote)
	case Outbound:
		switch {
		case c.Remote.Premium():
			return r.premium(c.Remote)
		case r.domestic(c.Remote):
			return r.fromDeck(DomesticCall, PoolVoice, c.Remote)
		default:
			return r.fromDeck(InternationalCall, PoolNone, c.Remote)
		}
	}
	return Tariff{}, fmt.Errorf("rating: unknown direction %q", c.Direction)
}

// AIAgentTariff prices AI voice agent minutes: the bundle first, then
// per second at the overage rate.
func (r *Rater) AIAgentTariff() Tariff {
	return Tariff{Usage: AIAgent, Pool: PoolAIAgent, PerMinute: r.Prices.AIAgentPerMinute,
		Increment: Increment{1, 1}, Destination: "AI voice agent"}
}

// TranscriptionTariff prices voicemail transcription, per second of audio.
func (r *Rater) TranscriptionTariff() Tariff {
	return Tariff{Usage: Transcription, PerMinute: r.Prices.TranscriptionPerMinute,
		Increment: Increment{1, 1}, Destination: "Voicemail transcription"}
}

func (r *Rater) domestic(n Number) bool { return slices.Contains(r.Domestic, n.Region) }

func (r *Rater) fromDeck(u Usage, p Pool, n Number) (Tariff, error) {
	if r.Voice == nil {
		return Tariff{}, fmt.Errorf("%w: no voice deck to price %s", ErrNoDeck, n.E164)
	}
	e, ok := r.Voice.Match(n.Digits())
	if !ok {
		return Tariff{}, fmt.Errorf("%w: %s", ErrNoRate, n.E164)
	}
	return Tariff{Usage: u, Pool: p, PerMinute: e.PerMinute, Increment: e.Increment,
		ConnectFee: e.ConnectFee, Prefix: e.Prefix, Destination: e.Destination}, nil
}

func (r *Rater) premium(n Number) (Tariff, error) {
	t, err := r.fromDeck(PremiumCall, PoolNone, n)
	if err != nil {
		return Tariff{}, err
	}
	t.PerMinute = decimal.Max(t.PerMinute, r.Prices.PremiumMinimumPerMinute)
	return t, nil
}

// SMSTariff is the price of one message, per segment.
type SMSTariff struct {
	Usage       Usage
	Pool        Pool
	PerSegment  decimal.Decimal
	Prefix      string
	Destination string
}

// Cost returns the price of n segments, rounded once.
func (t SMSTariff) Cost(n int) decimal.Decimal {
	return money.RoundCharge(t.PerSegment.Mul(decimal.NewFromInt(int64(n))))
}

// SMSSpec describes a message to price.
type SMSSpec struct {
	Direction Direction
	Local     Number
	Remote    Number
	Bulk      bool // sent by a campaign or an automation, not typed by a person
}

// RateSMS fixes the per-segment price of a message.
func (r *Rater) RateSMS(s SMSSpec) (SMSTariff, error) {
	if s.Direction == Inbound {
		return SMSTariff{Usage: DomesticSMS, Pool: PoolSMS, PerSegment: r.Prices.DomesticSMSPerSegment,
			Destination: "Inbound"}, nil
	}
	if s.Direction != Outbound {
		return SMSTariff{}, fmt.Errorf("rating: a message cannot go %q", s.Direction)
	}
	if s.Remote.Premium() || s.Remote.Type == TollFree && !r.domestic(s.Remote) {
		return SMSTariff{}, fmt.Errorf("%w: texts to %s numbers", ErrBlocked, s.Remote.Type)
	}
	if r.domestic(s.Remote) {
		if s.Bulk {
			return SMSTariff{Usage: BulkSMS, PerSegment: r.Prices.BulkSMSPerSegment, Destination: s.Remote.Region}, nil
		}
		return SMSTariff{Usage: DomesticSMS, Pool: PoolSMS, PerSegment: r.Prices.DomesticSMSPerSegment,
			Destination: s.Remote.Region}, nil
	}
	if r.SMS == nil {
		return SMSTariff{}, fmt.Errorf("%w: no SMS deck to price texts to %s", ErrNoDeck, s.Remote.E164)
	}
	e, ok := r.SMS.Match(s.Remote.Digits())
	if !ok {
		return SMSTariff{}, fmt.Errorf("%w: texts to %s", ErrNoRate, s.Remote.E164)
	}
	// Bulk texts abroad cost the country rate: it is the higher of the two.
	t := SMSTariff{Usage: InternationalSMS, PerSegment: e.PerSegment, Prefix: e.Prefix, Destination: e.Destination}
	if s.Bulk {
		t.Usage, t.PerSegment = BulkSMS, decimal.Max(e.PerSegment, r.Prices.BulkSMSPerSegment)
	}
	return t, nil
}
