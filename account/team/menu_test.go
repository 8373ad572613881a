package team_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/tetherphone/tether/account/team"
)

func TestMenuValidate(t *testing.T) {
	good := `{"greeting": "Sales 1", "options": {"1": {"kind": "user", "target": "rep@demo.test"}, "#": {"kind": "group", "target": "a@x.test, b@x.test"},
		"0": {"kind": "external", "target": "+442071234567"}}, "timeout": 5, "timeout_route": {"kind": "voicemail"}}`
	m, err := team.ParseMenu(good)
	if err != nil || m.Options["#"].Emails()[1] != "b@x.test" {
		t.Fatalf("%+v %v", m, err)
	}
	for name, bad := range map[string]string{
		"no options":    `{"options": {}, "timeout": 5, "timeout_route": {"kind": "voicemail"}}`,
		"two-key":       `{"options": {"10": {"kind": "voicemail"}}, "timeout": 5, "timeout_route": {"kind": "voicemail"}}`,
		"short timeout": `{"options": {"1": {"kind": "voicemail"}}, "timeout": 1, "timeout_route": {"kind": "voicemail"}}`,
		"bad kind":      `{"options": {"1": {"kind": "pizza"}}, "timeout": 5, "timeout_route": {"kind": "voicemail"}}`,
		"bad email":     `{"options": {"1": {"kind": "user", "target": "nobody"}}, "timeout": 5, "timeout_route": {"kind": "voicemail"}}`,
		"bad external":  `{"options": {"1": {"kind": "external", "target": "0800 FLOWERS"}}, "timeout": 5, "timeout_route": {"kind": "voicemail"}}`,
		"no timeout":    `{"options": {"1": {"kind": "voicemail"}}, "timeout": 5, "timeout_route": {}}`,
		"not json":      `{"options"`,
	} {
		if _, err := team.ParseMenu(bad); !errors.Is(err, team.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseMenu: whatever the text, ParseMenu returns a valid menu or an
// ErrInvalid, and a valid menu survives a round trip through JSON.
func FuzzParseMenu(f *testing.F) {
	f.Add(`{"options": {"1": {"kind": "voicemail"}}, "timeout": 5, "timeout_route": {"kind": "group"}}`)
	f.Add(`{"options": {"*": {"kind": "user", "target": "a@b.c"}}, "timeout": 60, "timeout_route": {"kind": "external", "target": "+14155550100"}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := team.ParseMenu(s)
		if err != nil {
			if !errors.Is(err, team.ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if m == nil {
			if s != "" {
				t.Fatal("nil menu for non-empty text")
			}
			return
		}
		b, _ := json.Marshal(m)
		if _, err := team.ParseMenu(string(b)); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}
