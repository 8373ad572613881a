package system_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/system"
)

const (
	voiceHead = "prefix,destination,rate_per_minute,increment,connect_fee\n"
	smsHead   = "prefix,destination,rate_per_segment\n"
)

func open(t *testing.T, dir string, sample *rating.Rater) *system.System {
	t.Helper()
	s, err := system.Open(context.Background(), system.Parts{Dir: dir, SampleRates: sample, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestImportRates: a good deck is in force at once and kept; a bad one is
// refused whole, naming its lines, and changes nothing; a deck of each
// kind stands alone; the sample decks stand in only for a kind not
// imported.
func TestImportRates(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, nil)
	r, err := s.CurrentRates(ctx)
	if err != nil || r.Rater.Voice != nil || r.VoiceFrom != "" {
		t.Fatalf("a new system rates with %+v %v, want no deck", r, err)
	}
	if _, err := s.ImportRates(ctx, []byte(voiceHead+"44,United Kingdom,0.0200,60/60,0\n"), "v1.csv"); err != nil {
		t.Fatal(err)
	}
	bad := voiceHead + "44,United Kingdom,0.0300,60/60,0\n33,France,x,60/60,0\n"
	_, err = s.ImportRates(ctx, []byte(bad), "v2.csv")
	var de *rating.DeckError
	if !errors.As(err, &de) || len(de.Problems) != 1 {
		t.Fatalf("a bad deck: %v", err)
	}
	if _, err := s.ImportRates(ctx, []byte("name,price\nx,1\n"), "what.csv"); !errors.Is(err, rating.ErrDeck) {
		t.Errorf("a file that is no deck: %v", err)
	}
	if _, err := s.ImportRates(ctx, []byte(voiceHead), "empty.csv"); !errors.Is(err, rating.ErrDeck) {
		t.Errorf("a deck with no rates: %v", err)
	}
	uk, _ := rating.ParseNumber("+44 20 7946 0958", "GB")
	check := func(s *system.System, want string) {
		t.Helper()
		r, err := s.CurrentRates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := r.Rater.Voice.Match(uk.Digits())
		if !ok || e.PerMinute.String() != want || r.VoiceFrom != "imported v1.csv" {
			t.Errorf("UK at %v (%v) from %q, want %s from v1.csv", e.PerMinute, ok, r.VoiceFrom, want)
		}
	}
	check(s, "0.02")
	s.Close()
	// Kept across a restart, beside the sample decks for texts.
	s = open(t, dir, rating.SampleRater())
	check(s, "0.02")
	r, _ = s.CurrentRates(ctx)
	if r.SMSFrom != "sample" || r.Rater.SMS == nil {
		t.Errorf("texts rate from %q", r.SMSFrom)
	}
	if _, err := s.ImportRates(ctx, []byte(smsHead+"44,United Kingdom,0.0400\n"), "sms.csv"); err != nil {
		t.Fatal(err)
	}
	r, _ = s.CurrentRates(ctx)
	if r.SMSFrom != "imported sms.csv" || r.VoiceFrom != "imported v1.csv" {
		t.Errorf("after an SMS deck: voice from %q, sms from %q", r.VoiceFrom, r.SMSFrom)
	}
	// Another process imported a deck: ReloadRates picks it up, once.
	other := open(t, dir, nil)
	if _, err := other.ImportRates(ctx, []byte(voiceHead+"44,United Kingdom,0.0100,1/1,0\n"), "v3.csv"); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.ReloadRates(ctx); err != nil || !changed {
		t.Errorf("reload after another import: %v %v", changed, err)
	}
	if changed, _ := s.ReloadRates(ctx); changed {
		t.Error("a second reload with nothing new reloaded")
	}
	// The engine prices with it.
	if err := s.Engine.OpenAccount(ctx, billing.NewAccount{ID: "acme", Plan: "team"}); err != nil {
		t.Fatal(err)
	}
	q, err := s.Engine.Quote(ctx, "acme", "+14155550100", "+442079460958")
	if err != nil || q.PerMinute.String() != "0.01" {
		t.Errorf("a call to London quoted %+v %v, want 0.01 a minute", q, err)
	}
}
