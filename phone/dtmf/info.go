package dtmf

import (
	"fmt"
	"strings"
)

// ParseInfo reads a key press carried in a SIP INFO body, as many PBXs
// and phones send it: application/dtmf-relay ("Signal=5\r\nDuration=160")
// or application/dtmf ("5").
func ParseInfo(contentType string, body []byte) (rune, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	if len(body) > 1024 {
		return 0, fmt.Errorf("dtmf: INFO body of %d bytes", len(body))
	}
	var signal string
	switch ct {
	case "application/dtmf-relay":
		for _, line := range strings.Split(string(body), "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				signal = strings.TrimSpace(v)
				break
			}
		}
	case "application/dtmf":
		signal = strings.TrimSpace(string(body))
	default:
		return 0, fmt.Errorf("dtmf: INFO of type %q carries no key press", contentType)
	}
	// Some senders write events by number: 10 for *, 11 for #.
	switch signal {
	case "10":
		signal = "*"
	case "11":
		signal = "#"
	}
	if len([]rune(signal)) != 1 {
		return 0, fmt.Errorf("dtmf: INFO signal %q is not one key", signal)
	}
	r := []rune(signal)[0]
	if _, ok := Code(r); !ok {
		return 0, fmt.Errorf("dtmf: INFO signal %q is not a keypad digit", signal)
	}
	if r >= 'a' && r <= 'd' {
		r -= 'a' - 'A'
	}
	return r, nil
}
