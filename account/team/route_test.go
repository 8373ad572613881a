package team_test

import (
	"testing"
	"time"

	"github.com/tetherphone/tether/account/team"
)

// TestRoute: where a number's call goes, in and out of business hours, for
// every setting.
func TestRoute(t *testing.T) {
	hours, err := team.ParseHours("Mon-Fri 09:00-17:00", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	open := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)   // a Monday, 10:00
	closed := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC) // a Sunday
	menu := &team.Menu{Timeout: 5, Options: map[string]team.Route{"1": {Kind: team.ToVoicemail}}, OnTime: team.Route{Kind: team.ToVoicemail}}
	for _, c := range []struct {
		name         string
		n            team.Number
		open, closed team.Routing
		inHours      team.Routing
	}{
		{"members", team.Number{Hours: hours}, team.RouteMembers, team.RouteVoicemail, team.RouteMembers},
		{"no hours: always open", team.Number{}, team.RouteMembers, team.RouteMembers, team.RouteMembers},
		{"routing unset is members", team.Number{Hours: hours, Routing: ""}, team.RouteMembers, team.RouteVoicemail, team.RouteMembers},
		{"menu", team.Number{Hours: hours, Routing: team.RouteMenu, Menu: menu}, team.RouteMenu, team.RouteVoicemail, team.RouteMenu},
		{"menu without one rings the members", team.Number{Hours: hours, Routing: team.RouteMenu}, team.RouteMembers, team.RouteVoicemail, team.RouteMembers},
		{"voicemail", team.Number{Hours: hours, Routing: team.RouteVoicemail}, team.RouteVoicemail, team.RouteVoicemail, team.RouteVoicemail},
		{"forwarded always", team.Number{Hours: hours, Forward: "+442071234567", Routing: team.RouteMenu, Menu: menu},
			team.RouteForward, team.RouteForward, team.RouteForward},
		{"forwarded after hours", team.Number{Hours: hours, Forward: "+442071234567", AfterHoursOnly: true, Routing: team.RouteMenu, Menu: menu},
			team.RouteMenu, team.RouteForward, team.RouteMenu},
		{"forwarded after hours, no hours", team.Number{Forward: "+442071234567", AfterHoursOnly: true},
			team.RouteMembers, team.RouteMembers, team.RouteMembers},
	} {
		if got := c.n.Route(open); got != c.open {
			t.Errorf("%s, open: %s, want %s", c.name, got, c.open)
		}
		if got := c.n.Route(closed); got != c.closed {
			t.Errorf("%s, closed: %s, want %s", c.name, got, c.closed)
		}
		if got := c.n.InHours(); got != c.inHours {
			t.Errorf("%s, in hours: %s, want %s", c.name, got, c.inHours)
		}
	}
}

func TestRouteWords(t *testing.T) {
	for _, c := range []struct {
		r       team.Routing
		members []string
		want    string
	}{
		{team.RouteMenu, nil, "phone menu"},
		{team.RouteForward, nil, "forwarded to +442071234567"},
		{team.RouteVoicemail, []string{"a@x.test"}, "straight to voicemail"},
		{team.RouteMembers, []string{"a@x.test", "b@x.test"}, "rings everyone"},
		{team.RouteMembers, []string{"a@x.test"}, "rings a@x.test"},
		{team.RouteMembers, nil, "rings nobody yet"},
	} {
		if got := c.r.Words(c.members, "+442071234567"); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.r, c.members, got, c.want)
		}
	}
}
