package rating

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/money"
)

// Entry is one line of a voice rate deck.
type Entry struct {
	Prefix      string          // E.164 digits without "+", "44" or "447"
	Destination string          // "United Kingdom - Mobile"
	PerMinute   decimal.Decimal // price of 60 billed seconds
	Increment   Increment
	ConnectFee  decimal.Decimal
}

// Deck is a voice rate deck: destinations by E.164 prefix, matched longest
// first. A Deck is immutable once built and safe to share.
type Deck struct {
	byPrefix map[string]*Entry
	longest  int
	entries  []Entry
}

// Limits on what a deck file may hold.
const (
	maxDeckLines  = 500_000
	maxPrefixLen  = 15 // E.164 numbers are at most 15 digits
	maxDestLen    = 100
	maxPerMinute  = 100 // a rate above $100/min is a typo, not a tariff
	ratePlaces    = 6
	voiceDeckCols = "prefix,destination,rate_per_minute,increment,connect_fee"
	smsDeckCols   = "prefix,destination,rate_per_segment"
)

// ReadDeck imports a voice rate deck from CSV. The first non-comment line is
// the header "prefix,destination,rate_per_minute,increment,connect_fee";
// lines starting with "#" are comments. Every error names its line.
func ReadDeck(r io.Reader) (*Deck, error) {
	d := &Deck{byPrefix: map[string]*Entry{}}
	err := readCSV(r, voiceDeckCols, func(line int, f []string) error {
		e, err := parseEntry(f)
		if err != nil {
			return err
		}
		if _, dup := d.byPrefix[e.Prefix]; dup {
			return fmt.Errorf("prefix %s appears twice", e.Prefix)
		}
		d.entries = append(d.entries, e)
		d.byPrefix[e.Prefix] = &d.entries[len(d.entries)-1]
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The slice may have moved while growing: point the map at its final home.
	for i := range d.entries {
		d.byPrefix[d.entries[i].Prefix] = &d.entries[i]
		d.longest = max(d.longest, len(d.entries[i].Prefix))
	}
	return d, nil
}

func parseEntry(f []string) (Entry, error) {
	prefix, err := parsePrefix(f[0])
	if err != nil {
		return Entry{}, err
	}
	dest, err := parseDestination(f[1])
	if err != nil {
		return Entry{}, err
	}
	rate, err := parseRate(f[2], "rate_per_minute")
	if err != nil {
		return Entry{}, err
	}
	inc, err := ParseIncrement(f[3])
	if err != nil {
		return Entry{}, err
	}
	fee, err := parseRate(f[4], "connect_fee")
	if err != nil {
		return Entry{}, err
	}
	return Entry{Prefix: prefix, Destination: dest, PerMinute: rate, Increment: inc, ConnectFee: fee}, nil
}

// Match returns the entry with the longest prefix of the E.164 digits.
func (d *Deck) Match(digits string) (Entry, bool) {
	for n := min(len(digits), d.longest); n > 0; n-- {
		if e, ok := d.byPrefix[digits[:n]]; ok {
			return *e, true
		}
	}
	return Entry{}, false
}

// Len returns the number of entries.
func (d *Deck) Len() int { return len(d.entries) }

// Entries returns a copy of the deck's entries in file order.
func (d *Deck) Entries() []Entry { return append([]Entry(nil), d.entries...) }

// SMSEntry is one line of an SMS rate deck.
type SMSEntry struct {
	Prefix      string
	Destination string
	PerSegment  decimal.Decimal
}

// SMSDeck prices texts by destination prefix, per segment.
type SMSDeck struct {
	byPrefix map[string]SMSEntry
	longest  int
}

// ReadSMSDeck imports an SMS rate deck from CSV with the header
// "prefix,destination,rate_per_segment".
func ReadSMSDeck(r io.Reader) (*SMSDeck, error) {
	d := &SMSDeck{byPrefix: map[string]SMSEntry{}}
	err := readCSV(r, smsDeckCols, func(line int, f []string) error {
		prefix, err := parsePrefix(f[0])
		if err != nil {
			return err
		}
		dest, err := parseDestination(f[1])
		if err != nil {
			return err
		}
		rate, err := parseRate(f[2], "rate_per_segment")
		if err != nil {
			return err
		}
		if _, dup := d.byPrefix[prefix]; dup {
			return fmt.Errorf("prefix %s appears twice", prefix)
		}
		d.byPrefix[prefix] = SMSEntry{Prefix: prefix, Destination: dest, PerSegment: rate}
		d.longest = max(d.longest, len(prefix))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Match returns the entry with the longest prefix of the E.164 digits.
func (d *SMSDeck) Match(digits string) (SMSEntry, bool) {
	for n := min(len(digits), d.longest); n > 0; n-- {
		if e, ok := d.byPrefix[digits[:n]]; ok {
			return e, true
		}
	}
	return SMSEntry{}, false
}

// Len returns the number of entries.
func (d *SMSDeck) Len() int { return len(d.byPrefix) }

// readCSV checks the header and hands each data line to fn, wrapping every
// error with ErrDeck and the line number.
func readCSV(r io.Reader, header string, fn func(line int, fields []string) error) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	want := strings.Split(header, ",")
	cr.FieldsPerRecord = len(want)
	seenHeader := false
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrDeck, err)
		}
		line, _ := cr.FieldPos(0)
		if !seenHeader {
			for i := range rec {
				if strings.ToLower(strings.TrimSpace(rec[i])) != want[i] {
					return fmt.Errorf("%w: line %d: header must be %q", ErrDeck, line, header)
				}
			}
			seenHeader = true
			continue
		}
		if n++; n > maxDeckLines {
			return fmt.Errorf("%w: more than %d lines", ErrDeck, maxDeckLines)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if err := fn(line, rec); err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrDeck, line, err)
		}
	}
	if !seenHeader {
		return fmt.Errorf("%w: empty file, header %q missing", ErrDeck, header)
	}
	return nil
}

func parsePrefix(s string) (string, error) {
	s = strings.TrimPrefix(s, "+")
	if s == "" || len(s) > maxPrefixLen || s[0] == '0' {
		return "", fmt.Errorf("prefix %q must be 1 to %d digits of E.164, not starting with 0", s, maxPrefixLen)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("prefix %q must be digits", s)
		}
	}
	return s, nil
}

func parseDestination(s string) (string, error) {
	if s == "" || len(s) > maxDestLen {
		return "", fmt.Errorf("destination must be 1 to %d characters", maxDestLen)
	}
	return s, nil
}

func parseRate(s, field string) (decimal.Decimal, error) {
	r, err := money.Parse(s, ratePlaces, false)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%s: %v", field, err)
	}
	if r.GreaterThan(decimal.NewFromInt(maxPerMinute)) {
		return decimal.Zero, fmt.Errorf("%s: %s is above %d", field, s, maxPerMinute)
	}
	return r, nil
}
