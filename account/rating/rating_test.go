package rating_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/rating"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func mustNumber(t *testing.T, s string) rating.Number {
	t.Helper()
	n, err := rating.ParseNumber(s, "US")
	if err != nil {
		t.Fatalf("ParseNumber(%q): %v", s, err)
	}
	return n
}

func TestParseNumber(t *testing.T) {
	cases := []struct {
		in     string
		e164   string
		region string
		typ    rating.NumberType
	}{
		{"(415) 555-2671", "+14155552671", "US", rating.FixedOrMobile},
		{"+1 876 927 1234", "+18769271234", "JM", rating.FixedLine},
		{"+44 20 7946 0958", "+442079460958", "GB", rating.FixedLine},
		{"+44 7400 123456", "+447400123456", "GB", rating.Mobile},
		{"+1 800 555 0199", "+18005550199", "US", rating.TollFree},
		{"+1 900 555 0199", "+19005550199", "US", rating.PremiumRate},
		{"+44 909 879 0000", "+449098790000", "GB", rating.PremiumRate},
		{"+49 30 901820", "+4930901820", "DE", rating.FixedLine},
		{"+1 604 555 0100", "+16045550100", "CA", rating.FixedOrMobile},
	}
	for _, c := range cases {
		n, err := rating.ParseNumber(c.in, "US")
		if err != nil {
			t.Errorf("ParseNumber(%q): %v", c.in, err)
			continue
		}
		if n.E164 != c.e164 || n.Region != c.region || n.Type != c.typ {
			t.Errorf("ParseNumber(%q) = %+v; want %s %s %s", c.in, n, c.e164, c.region, c.typ)
		}
	}
	for _, bad := range []string{"", "hello", "123", "+1 555", "+44 20 7946 0958 ext. 5", strings.Repeat("1", 70), "+999 1234567"} {
		if _, err := rating.ParseNumber(bad, "US"); !errors.Is(err, rating.ErrNumber) {
			t.Errorf("ParseNumber(%q) err = %v, want ErrNumber", bad, err)
		}
	}
}

func TestIncrement(t *testing.T) {
	cases := []struct {
		inc           string
		d, billed, fl int64
	}{
		{"60/60", 0, 0, 0}, {"60/60", 1, 60, 0}, {"60/60", 60, 60, 60}, {"60/60", 61, 120, 60},
		{"1/1", 7, 7, 7}, {"6/6", 8, 12, 6}, {"30/6", 10, 30, 0}, {"30/6", 31, 36, 30}, {"30/6", 36, 36, 36},
	}
	for _, c := range cases {
		in, err := rating.ParseIncrement(c.inc)
		if err != nil {
			t.Fatal(err)
		}
		if got := in.Billed(c.d); got != c.billed {
			t.Errorf("%s Billed(%d) = %d, want %d", c.inc, c.d, got, c.billed)
		}
		if got := in.Floor(c.d); got != c.fl {
			t.Errorf("%s Floor(%d) = %d, want %d", c.inc, c.d, got, c.fl)
		}
	}
	for _, bad := range []string{"", "60", "0/60", "60/0", "a/b", "-1/1", "3601/1", "60/60/60"} {
		if _, err := rating.ParseIncrement(bad); !errors.Is(err, rating.ErrIncrement) {
			t.Errorf("ParseIncrement(%q) err = %v", bad, err)
		}
	}
}

// TestMaxSeconds checks the research brief's worked examples: $1.00 of credit
// at $0.50/min.
func TestMaxSeconds(t *testing.T) {
	cases := []struct {
		inc, fee string
		want     int64
	}{
		{"60/60", "0", 120}, {"1/1", "0", 120}, {"6/6", "0", 120}, {"30/6", "0", 120}, {"60/1", "0.10", 108},
	}
	for _, c := range cases {
		in, _ := rating.ParseIncrement(c.inc)
		tr := rating.Tariff{PerMinute: dec("0.50"), Increment: in, ConnectFee: dec(c.fee)}
		if got := tr.MaxSeconds(0, dec("1.00")); got != c.want {
			t.Errorf("%s fee %s: MaxSeconds = %d, want %d", c.inc, c.fee, got, c.want)
		}
		// Paid from 60 s on, $0.50 more buys one more minute.
		if got := tr.MaxSeconds(60, dec("0.50")); got != 120 && c.fee == "0" {
			t.Errorf("%s: MaxSeconds(60, 0.50) = %d, want 120", c.inc, got)
		}
	}
	tr := rating.Tariff{PerMinute: dec("0.50"), Increment: rating.Increment{Initial: 60, Step: 60}}
	if got := tr.MaxSeconds(0, dec("0.49")); got != 0 {
		t.Errorf("cannot afford the first block: got %d, want 0", got)
	}
}

func TestReadDeckErrors(t *testing.T) {
	head := "prefix,destination,rate_per_minute,increment,connect_fee\n"
	cases := map[string]string{
		"empty":         "",
		"no header":     "44,UK,0.01,60/60,0\n",
		"dup":           head + "44,UK,0.01,60/60,0\n44,UK2,0.01,60/60,0\n",
		"bad prefix":    head + "4a,UK,0.01,60/60,0\n",
		"zero prefix":   head + "044,UK,0.01,60/60,0\n",
		"neg rate":      head + "44,UK,-0.01,60/60,0\n",
		"float rate":    head + "44,UK,1e-2,60/60,0\n",
		"many places":   head + "44,UK,0.0000001,60/60,0\n",
		"huge rate":     head + "44,UK,1000,60/60,0\n",
		"bad increment": head + "44,UK,0.01,60,0\n",
		"no dest":       head + "44,,0.01,60/60,0\n",
		"short line":    head + "44,UK,0.01\n",
	}
	for name, in := range cases {
		if _, err := rating.ReadDeck(strings.NewReader(in)); !errors.Is(err, rating.ErrDeck) {
			t.Errorf("%s: err = %v, want ErrDeck", name, err)
		}
	}
	_, err := rating.ReadDeck(strings.NewReader(head + "44,UK,0.01,60/60,0\n33,FR,x,60/60,0\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error should name line 3: %v", err)
	}
}

// TestDeckErrorsEveryLine: an import names every bad line, so an operator
// fixes the file in one pass, and says nothing about the good ones.
func TestDeckErrorsEveryLine(t *testing.T) {
	head := "prefix,destination,rate_per_minute,increment,connect_fee\n"
	in := head + "44,UK,0.01,60/60,0\n33,FR,x,60/60,0\n49,DE,0.02,60/60,0\n34,ES,0.01\n39,IT,0.01,60,0\n"
	_, err := rating.ReadDeck(strings.NewReader(in))
	var de *rating.DeckError
	if !errors.As(err, &de) || !errors.Is(err, rating.ErrDeck) {
		t.Fatalf("err = %v, want a *DeckError wrapping ErrDeck", err)
	}
	if len(de.Problems) != 3 {
		t.Fatalf("problems %q, want lines 3, 5 and 6", de.Problems)
	}
	for i, line := range []string{"line 3: rate_per_minute", "line 5: 3 fields", "line 6: "} {
		if !strings.HasPrefix(de.Problems[i], line) {
			t.Errorf("problem %d = %q, want %q...", i, de.Problems[i], line)
		}
	}
	// A file of nothing but bad lines lists the first 20 and counts the rest.
	var b strings.Builder
	b.WriteString(head)
	for i := range 25 {
		fmt.Fprintf(&b, "%d,X,bad,60/60,0\n", 200+i)
	}
	_, err = rating.ReadDeck(strings.NewReader(b.String()))
	if !errors.As(err, &de) || len(de.Problems) != 20 || de.More != 5 || !strings.Contains(err.Error(), "and 5 more bad lines") {
		t.Errorf("25 bad lines: %v", err)
	}
}

func TestDetectKind(t *testing.T) {
	for in, want := range map[string]rating.Kind{
		"# carrier X\nprefix,destination,rate_per_minute,increment,connect_fee\n44,UK,0.01,60/60,0\n": rating.VoiceDeck,
		"Prefix, Destination, Rate_per_segment\n44,UK,0.04\n":                                         rating.SMSDeckKind,
		"prefix,destination,rate\n": "",
		"":                          "",
	} {
		if got := rating.DetectKind([]byte(in)); got != want {
			t.Errorf("DetectKind(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoDeck: a rater without decks refuses what it would price from them
// (ErrNoDeck), and still prices what needs no deck.
func TestNoDeck(t *testing.T) {
	r := &rating.Rater{Prices: rating.DefaultPrices(), Domestic: []string{"US", "CA"}}
	us, _ := rating.ParseNumber("+1 415 555 0100", "US")
	uk, _ := rating.ParseNumber("+44 20 7946 0958", "US")
	if _, err := r.RateCall(rating.CallSpec{Direction: rating.Outbound, Local: us, Remote: uk}); !errors.Is(err, rating.ErrNoDeck) {
		t.Errorf("call abroad: %v, want ErrNoDeck", err)
	}
	if _, err := r.RateSMS(rating.SMSSpec{Direction: rating.Outbound, Local: us, Remote: uk}); !errors.Is(err, rating.ErrNoDeck) {
		t.Errorf("text abroad: %v, want ErrNoDeck", err)
	}
	if _, err := r.RateSMS(rating.SMSSpec{Direction: rating.Inbound, Local: us, Remote: uk}); err != nil {
		t.Errorf("text in: %v", err)
	}
}

func TestSampleDeck(t *testing.T) {
	d := rating.SampleDeck()
	countries := map[string]bool{}
	for _, e := range d.Entries() {
		countries[strings.Split(e.Destination, " - ")[0]] = true
	}
	if len(countries) < 70 {
		t.Errorf("sample deck covers %d destinations, want 70+", len(countries))
	}
	cases := map[string]string{"447400123456": "447", "442079460958": "44", "18769271234": "1876", "14155552671": "1", "4915112345678": "4915"}
	for digits, prefix := range cases {
		e, ok := d.Match(digits)
		if !ok || e.Prefix != prefix {
			t.Errorf("Match(%s) = %q, want prefix %s", digits, e.Prefix, prefix)
		}
	}
	if _, ok := d.Match("999"); ok {
		t.Error("Match(999) should find nothing")
	}
}

func TestRateCallUsage(t *testing.T) {
	r := rating.SampleRater()
	us := mustNumber(t, "+1 415 555 2671")
	tf := mustNumber(t, "+1 800 555 0199")
	cases := []struct {
		name   string
		dir    rating.Direction
		local  rating.Number
		remote string
		usage  rating.Usage
		pool   rating.Pool
		rate   string
	}{
		{"domestic", rating.Outbound, us, "+1 604 555 0100", rating.DomesticCall, rating.PoolVoice, "0.013"},
		{"jamaica is international", rating.Outbound, us, "+1 876 927 1234", rating.InternationalCall, rating.PoolNone, "0.21"},
		{"uk mobile", rating.Outbound, us, "+44 7400 123456", rating.InternationalCall, rating.PoolNone, "0.035"},
		{"us premium", rating.Outbound, us, "+1 900 555 0199", rating.PremiumCall, rating.PoolNone, "2"},
		{"uk premium gets the floor", rating.Outbound, us, "+44 909 879 0000", rating.PremiumCall, rating.PoolNone, "1.8"},
		{"forward domestic", rating.Forward, us, "+1 604 555 0100", rating.ForwardedCall, rating.PoolNone, "0.013"},
		{"inbound", rating.Inbound, us, "+44 7400 123456", rating.DomesticCall, rating.PoolVoice, "0.013"},
		{"inbound toll-free", rating.Inbound, tf, "+1 604 555 0100", rating.TollFreeInbound, rating.PoolNone, "0.022"},
	}
	for _, c := range cases {
		tr, err := r.RateCall(rating.CallSpec{Direction: c.dir, Local: c.local, Remote: mustNumber(t, c.remote)})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if tr.Usage != c.usage || tr.Pool != c.pool || !tr.PerMinute.Equal(dec(c.rate)) {
			t.Errorf("%s: got %s %q %s; want %s %q %s", c.name, tr.Usage, tr.Pool, tr.PerMinute, c.usage, c.pool, c.rate)
		}
	}
	// A destination missing from the deck fails closed.
	small, _ := rating.ReadDeck(strings.NewReader("prefix,destination,rate_per_minute,increment,connect_fee\n1,US,0.01,6/6,0\n"))
	r.Voice = small
	if _, err := r.RateCall(rating.CallSpec{Direction: rating.Outbound, Local: us, Remote: mustNumber(t, "+44 7400 123456")}); !errors.Is(err, rating.ErrNoRate) {
		t.Errorf("unrated destination: err = %v, want ErrNoRate", err)
	}
}

func TestRateSMS(t *testing.T) {
	r := rating.SampleRater()
	us := mustNumber(t, "+1 415 555 2671")
	cases := []struct {
		name   string
		remote string
		bulk   bool
		usage  rating.Usage
		pool   rating.Pool
		price  string
	}{
		{"domestic", "+1 604 555 0100", false, rating.DomesticSMS, rating.PoolSMS, "0.0083"},
		{"bulk domestic", "+1 604 555 0100", true, rating.BulkSMS, rating.PoolNone, "0.01"},
		{"uk", "+44 7400 123456", false, rating.InternationalSMS, rating.PoolNone, "0.04"},
		{"jamaica", "+1 876 927 1234", false, rating.InternationalSMS, rating.PoolNone, "0.09"},
		{"bulk colombia is at least the bulk rate", "+57 321 1234567", true, rating.BulkSMS, rating.PoolNone, "0.01"},
	}
	for _, c := range cases {
		tr, err := r.RateSMS(rating.SMSSpec{Direction: rating.Outbound, Local: us, Remote: mustNumber(t, c.remote), Bulk: c.bulk})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if tr.Usage != c.usage || tr.Pool != c.pool || !tr.PerSegment.Equal(dec(c.price)) {
			t.Errorf("%s: got %s %q %s", c.name, tr.Usage, tr.Pool, tr.PerSegment)
		}
	}
	if _, err := r.RateSMS(rating.SMSSpec{Direction: rating.Outbound, Local: us, Remote: mustNumber(t, "+1 900 555 0199")}); !errors.Is(err, rating.ErrBlocked) {
		t.Errorf("text to premium: err = %v, want ErrBlocked", err)
	}
}

func FuzzReadDeck(f *testing.F) {
	f.Add("prefix,destination,rate_per_minute,increment,connect_fee\n44,UK,0.01,60/60,0\n447,UK Mobile,0.035,1/1,0.05\n")
	f.Add("# comment\nprefix,destination,rate_per_minute,increment,connect_fee\n1,\"US, CA\",0.013,6/6,0\n")
	f.Add("prefix,destination,rate_per_minute,increment,connect_fee\n44,UK,1e9,0/0,-1\n")
	f.Fuzz(func(t *testing.T, in string) {
		d, err := rating.ReadDeck(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, rating.ErrDeck) {
				t.Fatalf("error not wrapped in ErrDeck: %v", err)
			}
			return
		}
		for _, e := range d.Entries() {
			if e.PerMinute.IsNegative() || e.ConnectFee.IsNegative() || e.Increment.Initial < 1 || e.Increment.Step < 1 {
				t.Fatalf("accepted a bad entry: %+v", e)
			}
			got, ok := d.Match(e.Prefix + "123")
			if !ok || len(got.Prefix) < len(e.Prefix) {
				t.Fatalf("Match(%s123) = %+v, %v", e.Prefix, got, ok)
			}
		}
	})
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"+14155552671", "(415) 555-2671", "+1 876 927 1234", "+44 909 879 0000", "00 33 1 42 68 53 00", "+", "++1", "1-800-FLOWERS"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := rating.ParseNumber(s, "US")
		if err != nil {
			if !errors.Is(err, rating.ErrNumber) {
				t.Fatalf("error not wrapped in ErrNumber: %v", err)
			}
			return
		}
		again, err := rating.ParseNumber(n.E164, "ZZ")
		if err != nil || again != n {
			t.Fatalf("E.164 %s does not parse back to itself: %+v %v", n.E164, again, err)
		}
	})
}
