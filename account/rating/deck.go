package rating

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

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
	entries  []SMSEntry
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
		d.entries = append(d.entries, d.byPrefix[prefix])
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

// Entries returns a copy of the deck's entries in file order.
func (d *SMSDeck) Entries() []SMSEntry { return append([]SMSEntry(nil), d.entries...) }

// maxProblems bounds how many bad lines one error lists.
const maxProblems = 20

// DeckError lists what is wrong with a deck file, line by line (the first
// maxProblems lines found; More counts the rest). It wraps ErrDeck.
type DeckError struct {
	Problems []string // "line 7: rate_per_minute: ..."
	More     int
}

func (e *DeckError) Error() string {
	s := "rating: bad rate deck: " + strings.Join(e.Problems, "; ")
	if e.More > 0 {
		s += fmt.Sprintf("; and %d more bad lines", e.More)
	}
	return s
}

// Unwrap makes a DeckError an ErrDeck.
func (e *DeckError) Unwrap() error { return ErrDeck }

func (e *DeckError) add(line int, err error) {
	if len(e.Problems) < maxProblems {
		e.Problems = append(e.Problems, fmt.Sprintf("line %d: %v", line, err))
		return
	}
	e.More++
}

// readCSV checks the header and hands each data line to fn. It reads the
// whole file, so the error (a *DeckError) names every bad line, not only
// the first; a file that cannot be read as CSV stops at the line where
// reading failed.
func readCSV(r io.Reader, header string, fn func(line int, fields []string) error) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	want := strings.Split(header, ",")
	cr.FieldsPerRecord = -1 // counted below, so a short line is one problem among others
	seenHeader := false
	n := 0
	bad := &DeckError{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad.Problems = append(bad.Problems, err.Error())
			return bad
		}
		line, _ := cr.FieldPos(0)
		if !seenHeader {
			ok := len(rec) == len(want)
			for i := range rec {
				ok = ok && strings.ToLower(strings.TrimSpace(rec[i])) == want[i]
			}
			if !ok {
				bad.add(line, fmt.Errorf("header must be %q", header))
				return bad
			}
			seenHeader = true
			continue
		}
		if n++; n > maxDeckLines {
			bad.add(line, fmt.Errorf("more than %d lines", maxDeckLines))
			return bad
		}
		if len(rec) != len(want) {
			bad.add(line, fmt.Errorf("%d fields, want %d (%s)", len(rec), len(want), header))
			continue
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if err := fn(line, rec); err != nil {
			bad.add(line, err)
		}
	}
	if !seenHeader {
		bad.Problems = append(bad.Problems, fmt.Sprintf("empty file, header %q missing", header))
	}
	if len(bad.Problems) > 0 {
		return bad
	}
	return nil
}

// Kind is what a deck file prices.
type Kind string

// Kinds of deck.
const (
	VoiceDeck   Kind = "voice"
	SMSDeckKind Kind = "sms"
)

// DetectKind tells a voice deck from an SMS deck by its header (the first
// line that is not a comment); "" when it is neither.
func DetectKind(data []byte) Kind {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.ReplaceAll(line, " ", ""))
		switch h {
		case voiceDeckCols:
			return VoiceDeck
		case smsDeckCols:
			return SMSDeckKind
		}
		return ""
	}
	return ""
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

// DeckFile is a deck as an operator imported it: the file itself (the
// rater is rebuilt from it), where it came from and when.
type DeckFile struct {
	Kind     Kind
	Body     []byte
	Entries  int
	Source   string // the file's name as given to the import
	SHA256   string // of Body, hex
	Imported time.Time
}
