package team

import "time"

// RouteForward is where a forwarded number's calls go: its Forward number.
// It is never stored in Number.Routing (forwarding is Number.Forward); Route
// and InHours return it.
const RouteForward Routing = "forward"

// Routings lists the routes a number can be set to, in the order shown.
var Routings = []Routing{RouteMembers, RouteMenu, RouteForward, RouteVoicemail}

// Route is where a call to the number goes at now: the one rule the
// switchboard routes by, the API reports and the app shows.
//
//   - forwarded: always, or outside business hours when AfterHoursOnly;
//   - outside business hours (not forwarded): voicemail;
//   - in hours: voicemail, the menu (when it has one) or the members, as
//     Routing says.
//
// RouteVoicemail means the caller is offered voicemail: whether the number
// takes messages (Voicemail) is the switchboard's next question.
func (n Number) Route(now time.Time) Routing {
	open := n.Hours.OpenAt(now)
	switch {
	case n.Forward != "" && (!n.AfterHoursOnly || !open):
		return RouteForward
	case !open, n.Routing == RouteVoicemail:
		return RouteVoicemail
	case n.Routing == RouteMenu && n.Menu != nil:
		return RouteMenu
	}
	return RouteMembers
}

// InHours is where the number's calls go in business hours: its setting,
// as Route reads it.
func (n Number) InHours() Routing {
	n.Hours = Hours{} // always open
	return n.Route(time.Time{})
}

// Words says a route as the app shows it; members names who rings.
func (r Routing) Words(members []string, forward string) string {
	switch r {
	case RouteMenu:
		return "phone menu"
	case RouteForward:
		return "forwarded to " + forward
	case RouteVoicemail:
		return "straight to voicemail"
	}
	if len(members) > 1 {
		return "rings everyone"
	}
	if len(members) == 1 {
		return "rings " + members[0]
	}
	return "rings nobody yet"
}
