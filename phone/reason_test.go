package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tetherphone/tether/phone"
)

func TestParseReason(t *testing.T) {
	cases := []struct {
		in   string
		want []phone.Reason
	}{
		{`SIP;cause=402;text="Insufficient credit"`, []phone.Reason{{"SIP", 402, "Insufficient credit"}}},
		{`Q.850;cause=16;text="Terminated"`, []phone.Reason{{"Q.850", 16, "Terminated"}}},
		{`SIP ; cause = 200 ; text = "Call completed elsewhere"`, []phone.Reason{{"SIP", 200, "Call completed elsewhere"}}},
		{`SIP;cause=402;text="You have $0.00, add credits, then retry", Q.850;cause=21`,
			[]phone.Reason{{"SIP", 402, "You have $0.00, add credits, then retry"}, {"Q.850", 21, ""}}},
		{`SIP;text="a \"quoted\" word"`, []phone.Reason{{"SIP", 0, `a "quoted" word`}}},
		{`preemption;cause=1;text="UA preemption";flag`, []phone.Reason{{"preemption", 1, "UA preemption"}}},
		{`SIP;text=unquoted`, []phone.Reason{{"SIP", 0, "unquoted"}}},
	}
	for _, c := range cases {
		got, err := phone.ParseReason(c.in)
		if err != nil {
			t.Errorf("ParseReason(%q): %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("ParseReason(%q) = %+v", c.in, got)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("ParseReason(%q)[%d] = %+v, want %+v", c.in, i, got[i], c.want[i])
			}
		}
	}
	for _, bad := range []string{``, `;cause=1`, `SIP;cause=x`, `SIP;cause=99999999`, `SIP;text="open`, `SIP;text="a\`,
		`SIP;text="line` + "\r\n" + `break"`, `SIP,`, `SIP;`, `SIP;=1`, `SIP cause`, strings.Repeat("a", 5000)} {
		if _, err := phone.ParseReason(bad); !errors.Is(err, phone.ErrReasonSyntax) {
			t.Errorf("ParseReason(%q) err = %v, want ErrReasonSyntax", bad, err)
		}
	}
}

func TestReasonString(t *testing.T) {
	r := phone.Reason{Protocol: "SIP", Cause: 402, Text: `Add "credits"` + "\r\nnow"}
	s := r.String()
	if s != `SIP;cause=402;text="Add \"credits\"  now"` {
		t.Fatalf("String() = %s", s)
	}
	back, err := phone.ParseReason(s)
	if err != nil || back[0].Text != `Add "credits"  now` || back[0].Cause != 402 {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestResponseError(t *testing.T) {
	reasons, _ := phone.ParseReason(`Q.850;cause=21, SIP;cause=402;text="Your account has no credit available ($0.00)."`)
	err := error(phone.ResponseError(402, "Payment Required", reasons))
	var ce *phone.CallError
	if !errors.Is(err, phone.ErrInsufficientCredit) || !errors.As(err, &ce) || !strings.Contains(ce.Reason, "no credit available") {
		t.Fatalf("402: %v", err)
	}
	classes := map[int]error{403: phone.ErrForbidden, 486: phone.ErrBusy, 600: phone.ErrBusy, 603: phone.ErrDeclined,
		480: phone.ErrUnanswered, 487: phone.ErrUnanswered, 404: phone.ErrNotFound, 500: phone.ErrRefused}
	for code, want := range classes {
		if err := phone.ResponseError(code, "x", nil); !errors.Is(err, want) || err.Reason != "x" {
			t.Errorf("%d: %v, want %v", code, err, want)
		}
	}
}

func FuzzParseReason(f *testing.F) {
	for _, s := range []string{`SIP;cause=402;text="Insufficient credit"`, `Q.850;cause=16`, `SIP;text="a\"b", X`, `;;`, `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := phone.ParseReason(s)
		if err != nil {
			if !errors.Is(err, phone.ErrReasonSyntax) {
				t.Fatalf("unwrapped error %v", err)
			}
			return
		}
		for _, r := range rs {
			if r.Protocol == "" {
				t.Fatalf("empty protocol from %q", s)
			}
			back, err := phone.ParseReason(r.String())
			if err != nil || len(back) != 1 || back[0].Protocol != r.Protocol || back[0].Cause != r.Cause {
				t.Fatalf("%+v does not round-trip: %q -> %+v %v", r, r.String(), back, err)
			}
		}
	})
}
