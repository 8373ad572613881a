package phone

import (
	"fmt"
	"strconv"
	"strings"
)

// Reason is one value of a Reason header (RFC 3326): why a request was
// refused or a call ended, e.g. `SIP;cause=402;text="Insufficient credit"`.
type Reason struct {
	Protocol string // "SIP", "Q.850", or another token
	Cause    int    // the protocol's cause code; 0 when absent
	Text     string // for people; may be empty
}

// maxReasonLen bounds a header value this package will parse.
const maxReasonLen = 4096

// String writes the reason as a header value.
func (r Reason) String() string {
	var b strings.Builder
	b.WriteString(r.Protocol)
	if r.Cause > 0 {
		fmt.Fprintf(&b, ";cause=%d", r.Cause)
	}
	if r.Text != "" {
		b.WriteString(`;text="`)
		for _, c := range r.Text {
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			if c == '\r' || c == '\n' {
				c = ' ' // a header value is one line
			}
			b.WriteRune(c)
		}
		b.WriteByte('"')
	}
	return b.String()
}

// ParseReason parses a Reason header value, which may hold several reasons
// separated by commas (commas inside quoted text do not separate).
func ParseReason(value string) ([]Reason, error) {
	if len(value) > maxReasonLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrReasonSyntax, maxReasonLen)
	}
	var out []Reason
	p := &reasonParser{s: value}
	for {
		p.skipSpace()
		r, err := p.reason()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		p.skipSpace()
		if p.done() {
			return out, nil
		}
		if !p.accept(',') {
			return nil, p.errorf("expected ',' or the end")
		}
	}
}

type reasonParser struct {
	s string
	i int
}

func (p *reasonParser) done() bool { return p.i >= len(p.s) }

func (p *reasonParser) skipSpace() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *reasonParser) accept(c byte) bool {
	if !p.done() && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *reasonParser) errorf(format string, a ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrReasonSyntax, p.i, fmt.Sprintf(format, a...))
}

// isToken reports whether c may appear in an RFC 3261 token.
func isToken(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-.!%*_+`'~", c) >= 0
}

func (p *reasonParser) token() string {
	start := p.i
	for !p.done() && isToken(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *reasonParser) reason() (Reason, error) {
	var r Reason
	if r.Protocol = p.token(); r.Protocol == "" {
		return r, p.errorf("expected a protocol")
	}
	for {
		p.skipSpace()
		if !p.accept(';') {
			return r, nil
		}
		p.skipSpace()
		name := strings.ToLower(p.token())
		if name == "" {
			return r, p.errorf("expected a parameter name")
		}
		p.skipSpace()
		if !p.accept('=') {
			continue // a flag parameter: allowed, ignored
		}
		p.skipSpace()
		var val string
		if !p.done() && p.s[p.i] == '"' {
			v, err := p.quoted()
			if err != nil {
				return r, err
			}
			val = v
		} else if val = p.token(); val == "" {
			return r, p.errorf("expected a value for %q", name)
		}
		switch name {
		case "cause":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 65535 {
				return r, p.errorf("cause %q is not a number up to 65535", val)
			}
			r.Cause = n
		case "text":
			r.Text = val
		}
	}
}

// quoted reads an RFC 3261 quoted-string, undoing backslash escapes.
func (p *reasonParser) quoted() (string, error) {
	p.i++ // the opening quote
	var b strings.Builder
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return b.String(), nil
		case c == '\\':
			if p.done() || p.s[p.i] == '\r' || p.s[p.i] == '\n' {
				return "", p.errorf("a backslash at the end of quoted text")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c == '\r' || c == '\n':
			return "", p.errorf("a line break in quoted text")
		default:
			b.WriteByte(c)
		}
	}
	return "", p.errorf("quoted text is not closed")
}
