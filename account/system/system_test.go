package system_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/company"
	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/internal/mailbox"
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
	if err := s.Engine.OpenAccount(ctx, billing.NewAccount{ID: "acme", Plan: "team", Verified: true}); err != nil {
		t.Fatal(err)
	}
	q, err := s.Engine.Quote(ctx, "acme", "+14155550100", "+442079460958")
	if err != nil || q.PerMinute.String() != "0.01" {
		t.Errorf("a call to London quoted %+v %v, want 0.01 a minute", q, err)
	}
}

// TestAPIConnections: one address holds at most HTTPPerAddr connections
// to the API; a request trickled a byte at a time is cut off after
// HTTPRead however long it keeps trickling.
func TestAPIConnections(t *testing.T) {
	s := open(t, t.TempDir(), rating.SampleRater())
	r, err := s.Start(context.Background(), system.Serve{SIP: []string{"udp://127.0.0.1:0"}, HTTP: "127.0.0.1:0", HTTPRead: 3 * time.Second, HTTPPerAddr: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	host := strings.TrimPrefix(r.API, "http://")
	dial := func(from string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	open := func(c net.Conn, within time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(within))
		_, err := c.Read(make([]byte, 1))
		ne, ok := err.(net.Error)
		return ok && ne.Timeout()
	}
	var held []net.Conn
	for range 5 {
		held = append(held, dial("127.0.0.30"))
	}
	if sixth := dial("127.0.0.30"); open(sixth, 2*time.Second) {
		t.Fatal("a sixth connection from one address was kept")
	}
	if !open(held[0], 100*time.Millisecond) {
		t.Fatal("a connection within the limit was closed at once")
	}
	trickle := dial("127.0.0.31")
	fmt.Fprintf(trickle, "POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
	start := time.Now()
	for i := 0; ; i++ {
		if _, err := trickle.Write([]byte(" ")); err != nil {
			break // cut off
		}
		if !open(trickle, 200*time.Millisecond) {
			break // answered (408) or closed
		}
		if i == 100 {
			t.Fatalf("a trickled request still open after %v", time.Since(start))
		}
	}
}

// TestOwnerEmailed: a running system emails the owner what it tells them
// in the app: here, that the first subscription charge failed for want of
// a card, sent through a real SMTP server.
func TestOwnerEmailed(t *testing.T) {
	box := mailbox.Start(t)
	s := open(t, t.TempDir(), rating.SampleRater())
	r, err := s.Start(context.Background(), system.Serve{SIP: []string{"udp://127.0.0.1:0"}, HTTP: "127.0.0.1:0",
		Mail: mail.SMTP{Addr: box.Addr, Username: box.Username, Password: box.Password, From: "t@tether.test", RootCAs: box.RootCAs}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	ctx := context.Background()
	hash, _ := team.HashPassword("a long password")
	o, err := company.Open(ctx, company.Stores{Users: s.Store, Billing: s.Engine}, company.New{Name: "Mailed Co", Country: "US", Plan: "starter",
		Owner: "owner@mailed.test", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Engine.Verify(ctx, o.Account); err != nil {
		t.Fatal(err)
	}
	m := box.WaitFor(t, "owner@mailed.test", 10*time.Second)
	if m.Subject != "We could not take your Tether subscription payment" || !strings.Contains(m.Text, "no card on file") || !strings.Contains(m.Text, "Mailed Co") {
		t.Errorf("the owner's email: %q\n%s", m.Subject, m.Text)
	}
}
