package system

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/tetherphone/tether/account/rating"
)

// maxDeckBytes bounds a deck file (the deck reader bounds its lines too).
const maxDeckBytes = 64 << 20

// ImportRates checks a rate deck file line by line and, only if every line
// is good, makes it the deck of its kind (voice or SMS, told by the
// header) in one transaction: a bad file changes nothing. The running
// system rates with it at once; other processes on the same data pick it
// up at their next ReloadRates.
func (s *System) ImportRates(ctx context.Context, body []byte, source string) (rating.DeckFile, error) {
	if len(body) > maxDeckBytes {
		return rating.DeckFile{}, fmt.Errorf("%w: the file is larger than %d MB", rating.ErrDeck, maxDeckBytes>>20)
	}
	d := rating.DeckFile{Kind: rating.DetectKind(body), Body: body, Source: source, Imported: s.Parts.Clock()}
	switch d.Kind {
	case rating.VoiceDeck:
		deck, err := rating.ReadDeck(bytes.NewReader(body))
		if err != nil {
			return d, err
		}
		d.Entries = deck.Len()
	case rating.SMSDeckKind:
		deck, err := rating.ReadSMSDeck(bytes.NewReader(body))
		if err != nil {
			return d, err
		}
		d.Entries = deck.Len()
	default:
		return d, fmt.Errorf(`%w: the first line that is not a comment must be the header "prefix,destination,rate_per_minute,increment,connect_fee" (calls) or "prefix,destination,rate_per_segment" (texts)`, rating.ErrDeck)
	}
	if d.Entries == 0 {
		return d, fmt.Errorf("%w: the file has a header and no rates", rating.ErrDeck)
	}
	sum := sha256.Sum256(body)
	d.SHA256 = hex.EncodeToString(sum[:])
	if err := s.Store.SaveRateDeck(ctx, d); err != nil {
		return d, err
	}
	_, err := s.ReloadRates(ctx)
	return d, err
}

// Rates is what the system rates with: each kind's deck, and where it
// came from ("imported FILE", "sample", or "" when there is none).
type Rates struct {
	Rater              *rating.Rater
	VoiceFrom, SMSFrom string
	Voice, SMS         *rating.DeckFile // the imported files, when imported
}

// CurrentRates reads the imported decks and builds the rater: imported
// decks first, the sample decks (Parts.SampleRates) for a kind none was
// imported for, else no deck of that kind.
func (s *System) CurrentRates(ctx context.Context) (Rates, error) {
	files, err := s.Store.RateDecks(ctx)
	if err != nil {
		return Rates{}, err
	}
	return s.ratesFrom(files)
}

func (s *System) ratesFrom(files []rating.DeckFile) (Rates, error) {
	r := &rating.Rater{Prices: rating.DefaultPrices(), Domestic: s.Parts.Domestic}
	out := Rates{Rater: r}
	if sample := s.Parts.SampleRates; sample != nil {
		r.Voice, r.SMS, r.Prices, r.Domestic = sample.Voice, sample.SMS, sample.Prices, sample.Domestic
		out.VoiceFrom, out.SMSFrom = "sample", "sample"
	}
	var err error
	for i := range files {
		f := &files[i]
		// Checked on import; read again, so a damaged row is an error here
		// rather than a missing price later.
		switch f.Kind {
		case rating.VoiceDeck:
			if r.Voice, err = rating.ReadDeck(bytes.NewReader(f.Body)); err != nil {
				return Rates{}, fmt.Errorf("system: the imported voice deck: %w", err)
			}
			out.Voice, out.VoiceFrom = f, "imported "+f.Source
		case rating.SMSDeckKind:
			if r.SMS, err = rating.ReadSMSDeck(bytes.NewReader(f.Body)); err != nil {
				return Rates{}, fmt.Errorf("system: the imported SMS deck: %w", err)
			}
			out.SMS, out.SMSFrom = f, "imported "+f.Source
		}
	}
	return out, nil
}

// ReloadRates has the engine rate with the decks in the store when they
// changed since it last looked (or it never looked); it reports whether
// it loaded them.
func (s *System) ReloadRates(ctx context.Context) (bool, error) {
	s.ratesMu.Lock()
	defer s.ratesMu.Unlock()
	// Every sweep asks: the digests only, the decks (megabytes, parsed
	// again) only when they changed.
	stamp, err := s.Store.RateDeckStamp(ctx)
	if err != nil || stamp == s.rates {
		return false, err
	}
	r, err := s.CurrentRates(ctx)
	if err != nil {
		return false, err
	}
	s.Engine.SetRater(r.Rater)
	s.rates = stamp
	if r.VoiceFrom == "" {
		s.Parts.Log.Warn("system: no voice rate deck: calls to outside numbers are refused until the operator imports one (switchboard rates import)")
	} else {
		s.Parts.Log.Info("system: rating with", "voice", r.VoiceFrom, "sms", r.SMSFrom)
	}
	return true, nil
}
