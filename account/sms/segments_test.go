package sms_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tetherphone/tether/account/sms"
)

func TestCount(t *testing.T) {
	cases := []struct {
		name     string
		text     string
		enc      sms.Encoding
		segments int
		units    int
	}{
		{"empty", "", sms.GSM7, 1, 0},
		{"short", "Hello", sms.GSM7, 1, 5},
		{"160 gsm", strings.Repeat("a", 160), sms.GSM7, 1, 160},
		{"161 gsm", strings.Repeat("a", 161), sms.GSM7, 2, 161},
		{"306 gsm", strings.Repeat("a", 306), sms.GSM7, 2, 306},
		{"307 gsm", strings.Repeat("a", 307), sms.GSM7, 3, 307},
		{"extension counts double", strings.Repeat("€", 80), sms.GSM7, 1, 160},
		{"extension over", strings.Repeat("€", 81), sms.GSM7, 2, 162},
		// 152 plain + "€" (2) would straddle the 153 boundary: the euro moves whole.
		{"extension not split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), sms.GSM7, 2, 164},
		{"gsm accents", "Ça coûte 5€", sms.UCS2, 1, 11}, // û is not GSM-7
		{"gsm specials", "Åß@£¥ΔΩ", sms.GSM7, 1, 7},
		{"70 ucs2", strings.Repeat("ж", 70), sms.UCS2, 1, 70},
		{"71 ucs2", strings.Repeat("ж", 71), sms.UCS2, 2, 71},
		{"134 ucs2", strings.Repeat("ж", 134), sms.UCS2, 2, 134},
		{"135 ucs2", strings.Repeat("ж", 135), sms.UCS2, 3, 135},
		{"emoji is a pair", "Hi 😀", sms.UCS2, 1, 5},
		{"35 emoji", strings.Repeat("😀", 35), sms.UCS2, 1, 70},
		// 66 units + an emoji (2) cannot share the first 67-unit segment.
		{"pair not split", strings.Repeat("ж", 66) + "😀" + strings.Repeat("ж", 10), sms.UCS2, 2, 78},
		{"one emoji switches all", strings.Repeat("a", 100) + "😀", sms.UCS2, 2, 102},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc, seg, units := sms.Count(c.text)
			if enc != c.enc || seg != c.segments || units != c.units {
				t.Errorf("Count = %s, %d segments, %d units; want %s, %d, %d", enc, seg, units, c.enc, c.segments, c.units)
			}
		})
	}
}

func FuzzCount(f *testing.F) {
	for _, s := range []string{"", "hello", "€€€", "Hi 😀", strings.Repeat("a", 161), "\xff\xfe", "ж"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		enc, seg, units := sms.Count(text)
		if seg < 1 {
			t.Fatalf("segments = %d", seg)
		}
		chars := utf8.RuneCountInString(text)
		single, multi := 160, 153
		if enc == sms.UCS2 {
			single, multi = 70, 67
		}
		if units < chars || units > 2*chars {
			t.Fatalf("units %d for %d characters", units, chars)
		}
		if units <= single && seg != 1 || units > single && (seg < (units+multi-1)/multi || seg > units) {
			t.Fatalf("%s: %d units in %d segments", enc, units, seg)
		}
		// A prefix never needs more segments than the whole.
		if len(text) > 0 {
			_, s2, _ := sms.Count(text[:len(text)/2])
			if enc == sms.GSM7 && s2 > seg {
				t.Fatalf("prefix needs %d segments, whole %d", s2, seg)
			}
		}
	})
}
