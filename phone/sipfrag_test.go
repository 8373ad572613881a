package phone

import "testing"

func TestParseSipfrag(t *testing.T) {
	cases := map[string]int{"SIP/2.0 200 OK\r\n": 200, "SIP/2.0 100 Trying": 100, "SIP/2.0 486 Busy Here\r\nVia: x": 486}
	for in, want := range cases {
		if got, ok := parseSipfrag([]byte(in)); !ok || got != want {
			t.Errorf("parseSipfrag(%q) = %d %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "HTTP/1.1 200 OK", "SIP/2.0 abc", "SIP/2.0 99 Low", "SIP/2.0 700 High"} {
		if _, ok := parseSipfrag([]byte(bad)); ok {
			t.Errorf("parseSipfrag(%q) accepted", bad)
		}
	}
}

func FuzzParseSipfrag(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if code, ok := parseSipfrag(b); ok && (code < 100 || code > 699) {
			t.Fatalf("code %d accepted", code)
		}
	})
}
