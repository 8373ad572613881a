package rating

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// NumberType is what libphonenumber says a number is.
type NumberType string

// Number types, from libphonenumber's PhoneNumberType.
const (
	FixedLine     NumberType = "fixed-line"
	Mobile        NumberType = "mobile"
	FixedOrMobile NumberType = "fixed-line-or-mobile"
	TollFree      NumberType = "toll-free"
	PremiumRate   NumberType = "premium-rate"
	SharedCost    NumberType = "shared-cost"
	VoIP          NumberType = "voip"
	Personal      NumberType = "personal"
	Pager         NumberType = "pager"
	UAN           NumberType = "uan"
	Voicemail     NumberType = "voicemail"
	UnknownType   NumberType = "unknown"
)

var numberTypes = map[phonenumbers.PhoneNumberType]NumberType{
	phonenumbers.FIXED_LINE:           FixedLine,
	phonenumbers.MOBILE:               Mobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: FixedOrMobile,
	phonenumbers.TOLL_FREE:            TollFree,
	phonenumbers.PREMIUM_RATE:         PremiumRate,
	phonenumbers.SHARED_COST:          SharedCost,
	phonenumbers.VOIP:                 VoIP,
	phonenumbers.PERSONAL_NUMBER:      Personal,
	phonenumbers.PAGER:                Pager,
	phonenumbers.UAN:                  UAN,
	phonenumbers.VOICEMAIL:            Voicemail,
}

// Number is a phone number parsed and classified.
type Number struct {
	E164        string     // "+14155550123"
	Region      string     // ISO 3166 region, "US"; "" for non-geographic numbers
	CountryCode int        // 1
	Type        NumberType // what kind of line it is
}

// Digits returns the E.164 number without its "+".
func (n Number) Digits() string { return strings.TrimPrefix(n.E164, "+") }

// Premium reports whether calls to the number are charged at a premium:
// premium-rate, shared-cost and universal access numbers.
func (n Number) Premium() bool {
	return n.Type == PremiumRate || n.Type == SharedCost || n.Type == UAN
}

// maxNumberLen bounds the text a caller may hand to ParseNumber.
const maxNumberLen = 64

// DefaultRegion is the region of an account that chose none: the plans
// and the sample decks are priced for North America.
const DefaultRegion = "US"

// ValidRegion reports whether region is a country libphonenumber numbers
// ("US", "GB"), as an account's region must be.
func ValidRegion(region string) bool {
	return len(region) == 2 && phonenumbers.GetCountryCodeForRegion(region) != 0
}

// ParseNumber parses a phone number as a person typed or pasted it ("+44 20
// 7946 0958", "(415) 555-0123", "00 33 1 42 68 53 00") and classifies it.
// defaultRegion is used when the number has no country code. A number that
// libphonenumber cannot validate is refused.
func ParseNumber(text, defaultRegion string) (Number, error) {
	if len(text) > maxNumberLen {
		return Number{}, fmt.Errorf("%w: too long", ErrNumber)
	}
	for _, r := range text {
		if !unicode.IsDigit(r) && !strings.ContainsRune("+()-. /", r) && !unicode.IsSpace(r) {
			return Number{}, fmt.Errorf("%w: %q has %q", ErrNumber, text, r)
		}
	}
	pn, err := phonenumbers.Parse(text, defaultRegion)
	if err != nil {
		return Number{}, fmt.Errorf("%w: %q: %v", ErrNumber, text, err)
	}
	if !phonenumbers.IsValidNumber(pn) {
		return Number{}, fmt.Errorf("%w: %q is not a valid number", ErrNumber, text)
	}
	t, ok := numberTypes[phonenumbers.GetNumberType(pn)]
	if !ok {
		t = UnknownType
	}
	region := phonenumbers.GetRegionCodeForNumber(pn)
	if region == "001" || region == "ZZ" {
		region = ""
	}
	return Number{
		E164:        phonenumbers.Format(pn, phonenumbers.E164),
		Region:      region,
		CountryCode: int(pn.GetCountryCode()),
		Type:        t,
	}, nil
}
