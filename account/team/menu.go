package team

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Menu is a number's phone menu (IVR): the caller hears the greeting and
// presses a key; each key routes the call; no key within Timeout seconds
// takes the timeout route.
type Menu struct {
	Greeting string           `json:"greeting"` // what the menu says, for people (the switchboard plays its prompt)
	Options  map[string]Route `json:"options"`  // "1".."9", "0", "*", "#"
	Timeout  int              `json:"timeout"`  // seconds, 3 to 60
	OnTime   Route            `json:"timeout_route"`
}

// RouteKind is where a menu choice sends the call.
type RouteKind string

// Menu routes.
const (
	ToUser      RouteKind = "user"      // Target: a teammate's email
	ToGroup     RouteKind = "group"     // Target: "" for the number's members, or emails joined by commas
	ToVoicemail RouteKind = "voicemail" // the number's voicemail
	ToExternal  RouteKind = "external"  // Target: an outside number (E.164), billed as forwarding
)

// Route is one menu destination.
type Route struct {
	Kind   RouteKind `json:"kind"`
	Target string    `json:"target,omitempty"`
}

var (
	menuKeyRE = regexp.MustCompile(`^[0-9*#]$`)
	e164RE    = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// Validate checks a route's shape (not whether its users exist).
func (r Route) Validate() error {
	switch r.Kind {
	case ToUser:
		if _, err := NormalizeEmail(r.Target); err != nil {
			return fmt.Errorf("%w: a user route needs a teammate's email", ErrInvalid)
		}
	case ToGroup:
		if r.Target == "" {
			return nil
		}
		for _, e := range strings.Split(r.Target, ",") {
			if _, err := NormalizeEmail(e); err != nil {
				return fmt.Errorf("%w: a group route lists teammates' emails separated by commas", ErrInvalid)
			}
		}
	case ToVoicemail:
		if r.Target != "" {
			return fmt.Errorf("%w: a voicemail route takes no target", ErrInvalid)
		}
	case ToExternal:
		if !e164RE.MatchString(r.Target) {
			return fmt.Errorf("%w: an external route needs a number in E.164 (+442071234567)", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: route kind %q (user, group, voicemail or external)", ErrInvalid, r.Kind)
	}
	return nil
}

// Emails lists the teammates a route rings.
func (r Route) Emails() []string {
	switch r.Kind {
	case ToUser:
		return []string{strings.ToLower(strings.TrimSpace(r.Target))}
	case ToGroup:
		var out []string
		for _, e := range strings.Split(r.Target, ",") {
			if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
				out = append(out, e)
			}
		}
		return out
	}
	return nil
}

// Validate checks a menu's shape.
func (m Menu) Validate() error {
	if len(m.Greeting) > 500 || strings.ContainsRune(m.Greeting, 0) {
		return fmt.Errorf("%w: a greeting is at most 500 bytes", ErrInvalid)
	}
	if len(m.Options) == 0 || len(m.Options) > 12 {
		return fmt.Errorf("%w: a menu needs 1 to 12 options", ErrInvalid)
	}
	for k, r := range m.Options {
		if !menuKeyRE.MatchString(k) {
			return fmt.Errorf("%w: menu key %q (one of 0-9, * and #)", ErrInvalid, k)
		}
		if err := r.Validate(); err != nil {
			return fmt.Errorf("key %s: %w", k, err)
		}
	}
	if m.Timeout < 3 || m.Timeout > 60 {
		return fmt.Errorf("%w: a menu waits 3 to 60 seconds for a key", ErrInvalid)
	}
	if err := m.OnTime.Validate(); err != nil {
		return fmt.Errorf("timeout route: %w", err)
	}
	return nil
}

// ParseMenu reads a menu kept as JSON ("" for none).
func ParseMenu(s string) (*Menu, error) {
	if s == "" {
		return nil, nil
	}
	var m Menu
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("%w: menu: %v", ErrInvalid, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}
