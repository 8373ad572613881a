// Package catalog is where an account's phone numbers come from: a
// Provider searches a carrier's inventory by country and type, orders a
// number and gives it back. Carriers plug in behind Provider; the Sandbox
// provider, built from libphonenumber's metadata, is what the demo and a
// switchboard without a carrier use. Its numbers are well-formed for their
// country and type, and reach nobody outside the switchboard.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"github.com/shopspring/decimal"
)

// Kind is a number's type.
type Kind string

// The kinds of numbers on offer.
const (
	Local    Kind = "local"     // a geographic landline number
	Mobile   Kind = "mobile"    // a mobile number (texts as well as calls)
	TollFree Kind = "toll-free" // free for callers
	National Kind = "national"  // a non-geographic national number (UK 03, universal access)
)

// Kinds lists them in order.
var Kinds = []Kind{Local, Mobile, TollFree, National}

// ParseKind reads a kind ("" is local).
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if k == "" {
		return Local, nil
	}
	if k == "tollfree" {
		k = TollFree
	}
	if !slices.Contains(Kinds, k) {
		return "", fmt.Errorf("%w: number type %q (local, mobile, toll-free or national)", ErrInvalid, s)
	}
	return k, nil
}

// Errors.
var (
	ErrInvalid     = errors.New("catalog: invalid")
	ErrUnavailable = errors.New("catalog: not available")
)

// Offer is a number on offer.
type Offer struct {
	E164     string          `json:"number"`
	Country  string          `json:"country"` // ISO 3166 alpha-2
	Kind     Kind            `json:"type"`
	Display  string          `json:"display"` // formatted for people
	Monthly  decimal.Decimal `json:"monthly"` // the monthly price, before the account's free numbers
	Currency string          `json:"currency"`
}

// Provider is a carrier's number inventory.
type Provider interface {
	// Search lists up to limit numbers of a kind in a country.
	Search(ctx context.Context, country string, kind Kind, limit int) ([]Offer, error)
	// Order takes a number from the inventory for the account.
	Order(ctx context.Context, e164 string) (Offer, error)
	// Release gives a number back.
	Release(ctx context.Context, e164 string) error
}

// Sandbox is a Provider with an endless inventory of well-formed numbers
// in every country libphonenumber knows, at sample prices.
type Sandbox struct{}

// phoneType maps a kind to libphonenumber's types, first choice first.
func phoneTypes(k Kind) []phonenumbers.PhoneNumberType {
	switch k {
	case Local:
		return []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE}
	case Mobile:
		return []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE}
	case TollFree:
		return []phonenumbers.PhoneNumberType{phonenumbers.TOLL_FREE}
	case National:
		return []phonenumbers.PhoneNumberType{phonenumbers.UAN, phonenumbers.SHARED_COST}
	}
	return nil
}

// Countries lists the countries the sandbox offers numbers of a kind in.
func Countries(k Kind) []string {
	var out []string
	for r := range phonenumbers.GetSupportedRegions() {
		if _, ok := example(r, k); ok {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

func example(region string, k Kind) (*phonenumbers.PhoneNumber, bool) {
	for _, t := range phoneTypes(k) {
		if n := phonenumbers.GetExampleNumberForType(region, t); n != nil {
			return n, true
		}
	}
	return nil, false
}

func kindOf(n *phonenumbers.PhoneNumber) (Kind, bool) {
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.FIXED_LINE:
		return Local, true
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return Local, true // offered as local; also matches mobile searches
	case phonenumbers.MOBILE:
		return Mobile, true
	case phonenumbers.TOLL_FREE:
		return TollFree, true
	case phonenumbers.UAN, phonenumbers.SHARED_COST:
		return National, true
	}
	return "", false
}

func matches(n *phonenumbers.PhoneNumber, k Kind) bool {
	return slices.Contains(phoneTypes(k), phonenumbers.GetNumberType(n))
}

// Price is the sandbox's sample monthly price for a kind in a country:
// US and Canadian local numbers $1.15, others $3.00; mobile $5.00 ($1.15
// in North America, where mobiles are ordinary local numbers); toll-free
// $2.15 in North America, $15.00 elsewhere; national $6.00.
func Price(country string, k Kind) decimal.Decimal {
	nanp := country == "US" || country == "CA"
	switch {
	case k == Local && nanp, k == Mobile && nanp:
		return decimal.RequireFromString("1.15")
	case k == Local:
		return decimal.RequireFromString("3.00")
	case k == Mobile:
		return decimal.RequireFromString("5.00")
	case k == TollFree && nanp:
		return decimal.RequireFromString("2.15")
	case k == TollFree:
		return decimal.RequireFromString("15.00")
	}
	return decimal.RequireFromString("6.00")
}

func offer(n *phonenumbers.PhoneNumber, region string, k Kind) Offer {
	return Offer{E164: phonenumbers.Format(n, phonenumbers.E164), Country: region, Kind: k,
		Display: phonenumbers.Format(n, phonenumbers.INTERNATIONAL), Monthly: Price(region, k), Currency: "USD"}
}

// Search implements Provider: numbers near the country's example number
// for the kind, varied in their last four digits, each valid for the
// country and of the kind asked for.
func (Sandbox) Search(ctx context.Context, country string, kind Kind, limit int) ([]Offer, error) {
	region := strings.ToUpper(strings.TrimSpace(country))
	if !phonenumbers.GetSupportedRegions()[region] {
		return nil, fmt.Errorf("%w: country %q (an ISO 3166 code such as US, GB, DE)", ErrInvalid, country)
	}
	ex, ok := example(region, kind)
	if !ok {
		return nil, fmt.Errorf("%w: no %s numbers in %s", ErrUnavailable, kind, region)
	}
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	national := strconv.FormatUint(ex.GetNationalNumber(), 10)
	h := fnv.New32a()
	h.Write([]byte(region + string(kind)))
	seed := int(h.Sum32() % 10000)
	var out []Offer
	seen := map[string]bool{}
	for i := 0; i < 2000 && len(out) < limit; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		suffix := fmt.Sprintf("%04d", (seed+i*7919)%10000)
		cand := national
		if len(cand) > 4 {
			cand = cand[:len(cand)-4] + suffix
		}
		n, err := phonenumbers.Parse("+"+strconv.Itoa(int(ex.GetCountryCode()))+cand, region)
		if err != nil || !phonenumbers.IsValidNumberForRegion(n, region) || !matches(n, kind) {
			continue
		}
		o := offer(n, region, kind)
		if !seen[o.E164] {
			seen[o.E164] = true
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no %s numbers in %s", ErrUnavailable, kind, region)
	}
	return out, nil
}

// Order implements Provider: any valid number of an offered kind.
func (Sandbox) Order(_ context.Context, e164 string) (Offer, error) {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil || !strings.HasPrefix(e164, "+") || phonenumbers.Format(n, phonenumbers.E164) != e164 {
		return Offer{}, fmt.Errorf("%w: %q is not a number in E.164 (+14155550123)", ErrInvalid, e164)
	}
	region := phonenumbers.GetRegionCodeForNumber(n)
	k, ok := kindOf(n)
	if region == "" || !phonenumbers.IsValidNumberForRegion(n, region) || !ok {
		return Offer{}, fmt.Errorf("%w: %s is not a local, mobile, toll-free or national number on offer", ErrUnavailable, e164)
	}
	return offer(n, region, k), nil
}

// Release implements Provider.
func (Sandbox) Release(context.Context, string) error { return nil }

// Display formats a number for people ("+1 415-555-0100") and names its
// country; an unparsable one comes back as given.
func Display(e164 string) (string, string) {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164, ""
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL), phonenumbers.GetRegionCodeForNumber(n)
}
