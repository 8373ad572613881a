// Package sms counts the segments a text message is sent in, as carriers
// bill them (3GPP TS 23.038 and 23.040).
//
// A message is sent in GSM-7 when every character is in the GSM 03.38 basic
// set or its extension table (extension characters take two septets, and a
// two-septet character is never split across segments); otherwise the whole
// message goes as UCS-2, where characters outside the Basic Multilingual
// Plane (most emoji) take two code units, kept together. A single segment
// holds 160 septets or 70 code units; a concatenated message 153 or 67 per
// segment, the rest of each being the concatenation header.
package sms

// Encoding is how a message is carried.
type Encoding string

// Encodings.
const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// Segment sizes, in septets (GSM-7) or UTF-16 code units (UCS-2).
const (
	gsmSingle  = 160
	gsmMulti   = 153
	ucs2Single = 70
	ucs2Multi  = 67
)

// MaxSegments is the longest message this system sends; longer texts are
// refused rather than split into a surprise bill.
const MaxSegments = 10

// gsmBasic is the GSM 03.38 default alphabet.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension holds the characters that need the escape septet.
const gsmExtension = "\f^{}\\[~]|€"

var basic, extension = runeSet(gsmBasic), runeSet(gsmExtension)

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

// Count returns the encoding a message needs, the number of segments, and
// the number of septets or code units it uses. An empty message is one
// segment.
func Count(text string) (enc Encoding, segments int, units int) {
	widths, gsm := unitWidths(text)
	enc, single, multi := GSM7, gsmSingle, gsmMulti
	if !gsm {
		enc, single, multi = UCS2, ucs2Single, ucs2Multi
	}
	for _, w := range widths {
		units += w
	}
	if units <= single {
		return enc, 1, units
	}
	// Fill segments greedily without splitting a character's units.
	segments, used := 1, 0
	for _, w := range widths {
		if used+w > multi {
			segments++
			used = 0
		}
		used += w
	}
	return enc, segments, units
}

// unitWidths returns each character's width in the encoding the message
// needs, and whether that encoding is GSM-7.
func unitWidths(text string) ([]int, bool) {
	widths := make([]int, 0, len(text))
	for _, r := range text {
		switch {
		case basic[r]:
			widths = append(widths, 1)
		case extension[r]:
			widths = append(widths, 2)
		default:
			return ucs2Widths(text, widths[:0]), false
		}
	}
	return widths, true
}

func ucs2Widths(text string, widths []int) []int {
	for _, r := range text {
		w := 1
		if r > 0xFFFF {
			w = 2 // a surrogate pair
		}
		widths = append(widths, w)
	}
	return widths
}
