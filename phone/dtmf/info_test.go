package dtmf_test

import (
	"testing"

	"github.com/tetherphone/tether/phone/dtmf"
)

func TestParseInfo(t *testing.T) {
	ok := []struct {
		ct, body string
		want     rune
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5'},
		{"application/dtmf-relay", "Signal= #\r\nDuration=100", '#'},
		{"Application/DTMF-Relay; charset=x", "signal=11\r\n", '#'},
		{"application/dtmf", "*", '*'},
		{"application/dtmf", "10", '*'},
		{"application/dtmf", "b\r\n", 'B'},
	}
	for _, c := range ok {
		got, err := dtmf.ParseInfo(c.ct, []byte(c.body))
		if err != nil || got != c.want {
			t.Errorf("ParseInfo(%q, %q) = %q, %v; want %q", c.ct, c.body, got, err, c.want)
		}
	}
	bad := []struct{ ct, body string }{
		{"text/plain", "5"}, {"application/dtmf-relay", "Duration=160"}, {"application/dtmf", "55"},
		{"application/dtmf", "x"}, {"application/dtmf-relay", "Signal=\r\n"},
	}
	for _, c := range bad {
		if _, err := dtmf.ParseInfo(c.ct, []byte(c.body)); err == nil {
			t.Errorf("ParseInfo(%q, %q) accepted", c.ct, c.body)
		}
	}
}

func FuzzParseInfo(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("application/dtmf", []byte("#"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		r, err := dtmf.ParseInfo(ct, body)
		if err == nil && !('0' <= r && r <= '9' || r == '*' || r == '#' || 'A' <= r && r <= 'D') {
			t.Fatalf("accepted %q", r)
		}
	})
}
