package catalog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/tetherphone/tether/account/catalog"
)

func TestCountries(t *testing.T) {
	for _, k := range []catalog.Kind{catalog.Local, catalog.Mobile} {
		if n := len(catalog.Countries(k)); n < 70 {
			t.Errorf("%s numbers in %d countries, want 70 or more", k, n)
		}
	}
	if n := len(catalog.Countries(catalog.TollFree)); n < 30 {
		t.Errorf("toll-free numbers in %d countries", n)
	}
}

func TestSearchGivesValidNumbersOfTheKind(t *testing.T) {
	ctx := context.Background()
	var p catalog.Sandbox
	want := map[catalog.Kind][]phonenumbers.PhoneNumberType{
		catalog.Local:    {phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE},
		catalog.Mobile:   {phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE},
		catalog.TollFree: {phonenumbers.TOLL_FREE},
	}
	for _, country := range []string{"US", "GB", "DE", "FR", "JP", "BR", "IN", "AU"} {
		for k, types := range want {
			offers, err := p.Search(ctx, country, k, 5)
			if err != nil {
				t.Errorf("%s %s: %v", country, k, err)
				continue
			}
			if len(offers) != 5 {
				t.Errorf("%s %s: %d offers", country, k, len(offers))
			}
			for _, o := range offers {
				n, err := phonenumbers.Parse(o.E164, "")
				if err != nil || !phonenumbers.IsValidNumberForRegion(n, country) {
					t.Errorf("%s %s: %s is not valid", country, k, o.E164)
					continue
				}
				typ := phonenumbers.GetNumberType(n)
				ok := false
				for _, w := range types {
					ok = ok || typ == w
				}
				if !ok || !o.Monthly.IsPositive() {
					t.Errorf("%s %s: %s has type %v, price %s", country, k, o.E164, typ, o.Monthly)
				}
				if _, err := p.Order(ctx, o.E164); err != nil {
					t.Errorf("order %s: %v", o.E164, err)
				}
			}
		}
	}
}

func TestBadSearches(t *testing.T) {
	ctx := context.Background()
	var p catalog.Sandbox
	if _, err := p.Search(ctx, "XX", catalog.Local, 5); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("country XX: %v", err)
	}
	if _, err := catalog.ParseKind("premium"); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("kind premium: %v", err)
	}
	for _, bad := range []string{"", "12345", "+1 415 555 0100", "+99912345678", "'; DROP TABLE numbers; --"} {
		if _, err := p.Order(ctx, bad); err == nil {
			t.Errorf("order %q: no error", bad)
		}
	}
}
