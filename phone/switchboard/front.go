package switchboard

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The front door: every request that comes by UDP is read here before the
// SIP stack parses it. The stack drops what it cannot parse without a
// word, and takes some things RFC 3261 says a server must refuse; so this
// answers, from the request's own bytes, what RFC 3261 and RFC 4475 (the
// torture messages) ask:
//
//   - a malformed request gets 400 with a Warning that says what is wrong,
//     whenever there is a Via to answer along: a Request-Line that is not
//     METHOD SP URI SP SIP/2.0, required headers missing or given twice,
//     more than one Content-Length, a negative one or one longer than the
//     datagram, a CSeq out of range or naming another method, To or From
//     not a SIP URI, anything the stack's parser refuses;
//   - another SIP version gets 505, a Request-URI scheme it does not serve
//     416, an unknown method whose CSeq disagrees 501, Max-Forwards 0 on a
//     request it would pass on 483, an extension it does not support in
//     Require or Proxy-Require 420 with Unsupported, an offer that is not
//     SDP 415 with Accept, an INVITE that does not accept SDP 406;
//   - valid requests the stack would refuse are put in its terms: From and
//     To parameters written with spaces around = (RFC 3261 allows LWS
//     there), a From without a tag (RFC 2543 phones) gets one made from
//     the Call-ID, and trailing bytes beyond Content-Length are dropped.
//
// Under load (an eighth of Config.MaxPending new requests at work) the
// door steps aside: its checks cost a tenth of a REGISTER's price, which
// a saturated switchboard cannot spare.
//
// Answers go to the request's source address, at the Via's port (its own
// port with rport), as the stack's do; over WebSocket (a frame is a
// message, RFC 7118) back on the connection. TCP is a stream and the stack
// reads it in pieces: its requests go to the parser as they are.

// frontSupported are the option tags a Require may name.
var frontSupported = []string{"timer"}

// knownMethods are RFC 3261's and its extensions' methods: one of these
// the switchboard does not take gets 405; any other, 501.
var knownMethods = []string{"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE", "NOTIFY",
	"PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE"}

// compact maps the compact header forms to their full names (RFC 3261
// 7.3.3 and later RFCs), lower case.
var compact = map[string]string{"i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
	"c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to", "v": "via", "o": "event",
	"r": "refer-to", "u": "allow-events", "x": "session-expires", "b": "referred-by"}

// rawHeader is one header field as written: its name as the message
// spells it, its canonical lower-case name, and its value, unfolded.
type rawHeader struct {
	name, canon, value string
}

// rawRequest is a request read line by line, no further.
type rawRequest struct {
	method, uri, version string
	lineOK               bool // Request-Line exactly METHOD SP URI SP SIP/x.y
	headers              []rawHeader
	body                 []byte
	ended                bool // the header section ended with an empty line
}

// count is how many header fields named canon the request has.
func (r *rawRequest) count(canon string) int {
	n := 0
	for i := range r.headers {
		if r.headers[i].canon == canon {
			n++
		}
	}
	return n
}

func (r *rawRequest) all(canon string) []rawHeader {
	if r.count(canon) == 0 {
		return nil
	}
	var out []rawHeader
	for _, h := range r.headers {
		if h.canon == canon {
			out = append(out, h)
		}
	}
	return out
}

func (r *rawRequest) first(canon string) (string, bool) {
	for _, h := range r.headers {
		if h.canon == canon {
			return h.value, true
		}
	}
	return "", false
}

// readRaw splits a request into its Request-Line, header fields
// (unfolded) and body; ok is false when there is no Request-Line at all.
func readRaw(data []byte) (*rawRequest, bool) {
	headB, body, ended := bytes.Cut(data, []byte("\r\n\r\n"))
	head := string(headB)
	first, rest, _ := strings.Cut(head, "\r\n")
	if first == "" {
		return nil, false
	}
	r := &rawRequest{body: body, ended: ended, headers: make([]rawHeader, 0, 16)}
	f := strings.Split(first, " ")
	if len(f) >= 1 {
		r.method = f[0]
	}
	if len(f) == 3 && f[0] != "" && f[1] != "" && f[2] != "" {
		r.uri, r.version, r.lineOK = f[1], f[2], true
	}
	for rest != "" {
		var l string
		l, rest, _ = strings.Cut(rest, "\r\n")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(r.headers) > 0 {
			last := &r.headers[len(r.headers)-1]
			last.value += " " + strings.TrimSpace(l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			r.headers = append(r.headers, rawHeader{name: l, canon: "\x00malformed"})
			continue
		}
		canon := canonical(strings.TrimSpace(name))
		r.headers = append(r.headers, rawHeader{name: strings.TrimSpace(name), canon: canon, value: strings.TrimSpace(value)})
	}
	return r, true
}

// refusal is an answer the front door gives itself.
type refusal struct {
	code   int
	reason string
	extra  []string // header lines
}

func refuse(code int, reason string, extra ...string) *refusal {
	return &refusal{code: code, reason: reason, extra: extra}
}

// warn is a 400 with a Warning saying why.
func warn(why string) *refusal {
	return refuse(400, "Bad Request", fmt.Sprintf("Warning: 399 switchboard %q", why))
}

// uriScheme returns the scheme of a URI or name-addr's URI, and whether
// it is well formed enough to have one.
func uriScheme(v string) (string, bool) {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return "", false
		}
		v = v[i+1 : i+j]
	} else if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	scheme, _, ok := strings.Cut(strings.TrimSpace(v), ":")
	if !ok || scheme == "" {
		return "", false
	}
	for i, c := range scheme {
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", false
		}
	}
	return strings.ToLower(scheme), true
}

// check finds what the front door must answer a request with itself, or
// returns the request as the stack should read it (nil refusal).
func (s *Server) check(data []byte) ([]byte, *refusal) {
	r, ok := readRaw(data)
	if !ok {
		return nil, warn("no Request-Line")
	}
	if !r.lineOK {
		return nil, warn("the Request-Line is not METHOD SP Request-URI SP SIP-Version")
	}
	if !strings.HasPrefix(r.version, "SIP/") {
		return nil, warn("no SIP-Version in the Request-Line")
	}
	if r.version != "SIP/2.0" {
		return nil, refuse(505, "Version Not Supported")
	}
	if !r.ended {
		return nil, warn("the header section does not end with an empty line")
	}
	for _, h := range r.headers {
		if h.canon == "\x00malformed" {
			return nil, warn("a header line without a colon")
		}
	}
	for _, name := range []string{"via", "call-id", "from", "to", "cseq"} {
		if r.count(name) == 0 {
			return nil, warn("no " + name + " header")
		}
	}
	for _, name := range []string{"call-id", "from", "to", "cseq", "max-forwards", "content-length", "content-type"} {
		if r.count(name) > 1 {
			return nil, warn("more than one " + name + " header")
		}
	}
	// CSeq: a 32-bit number and this request's method.
	cseq, _ := r.first("cseq")
	num, method, _ := strings.Cut(strings.TrimSpace(cseq), " ")
	if n, err := strconv.ParseUint(strings.TrimSpace(num), 10, 32); err != nil || n > 1<<32-1 {
		return nil, warn("CSeq number out of range")
	}
	if strings.TrimSpace(method) != r.method {
		if !slices.Contains(knownMethods, r.method) {
			return nil, refuse(501, "Not Implemented")
		}
		return nil, warn("the CSeq method is not the request's")
	}
	// Content-Length: digits, no more than the datagram holds; bytes
	// beyond it are not this request's.
	if cl, has := r.first("content-length"); has {
		n, err := strconv.ParseUint(cl, 10, 31)
		if err != nil {
			return nil, warn("Content-Length is not a length")
		}
		if int(n) > len(r.body) {
			return nil, warn("Content-Length larger than the message")
		}
		if int(n) < len(r.body) {
			data = data[:len(data)-len(r.body)+int(n)]
			r.body = r.body[:n]
		}
	}
	// Request-URI: sip, sips or tel; written bare.
	scheme, ok := uriScheme(r.uri)
	if !ok || strings.HasPrefix(r.uri, "<") {
		return nil, warn("the Request-URI is not a URI")
	}
	if scheme != "sip" && scheme != "sips" && scheme != "tel" {
		return nil, refuse(416, "Unsupported URI Scheme")
	}
	for _, name := range []string{"to", "from"} {
		v, _ := r.first(name)
		if sc, ok := uriScheme(v); !ok || sc != "sip" && sc != "sips" && sc != "tel" {
			return nil, warn(name + " is not a SIP URI")
		}
	}
	// Max-Forwards: a request passed on with none left is a loop.
	if mf, has := r.first("max-forwards"); has {
		n, err := strconv.ParseUint(mf, 10, 32)
		if err != nil {
			return nil, warn("Max-Forwards is not a number")
		}
		// (Not one for the switchboard itself: a REGISTER, or a request
		// to no user, such as a phone's OPTIONS ping.)
		if n == 0 && r.method != "REGISTER" && strings.Contains(r.uri, "@") {
			return nil, refuse(483, "Too Many Hops")
		}
	}
	// Extensions the request needs.
	var unsupported []string
	for _, name := range []string{"require", "proxy-require"} {
		for _, h := range r.all(name) {
			for _, tag := range strings.Split(h.value, ",") {
				if tag = strings.TrimSpace(tag); tag != "" && !slices.Contains(frontSupported, strings.ToLower(tag)) {
					unsupported = append(unsupported, tag)
				}
			}
		}
	}
	if len(unsupported) > 0 && r.method != "ACK" && r.method != "CANCEL" {
		return nil, refuse(420, "Bad Extension", "Unsupported: "+strings.Join(unsupported, ", "))
	}
	// An offer in anything but SDP, or an INVITE that does not take SDP.
	if r.method == "INVITE" || r.method == "UPDATE" {
		if ct, has := r.first("content-type"); has && len(r.body) > 0 {
			mt := strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
			if mt != "application/sdp" && !strings.HasPrefix(mt, "multipart/") {
				return nil, refuse(415, "Unsupported Media Type", "Accept: application/sdp")
			}
		}
		if accepts := r.all("accept"); len(accepts) > 0 {
			ok := false
			for _, a := range accepts {
				for _, t := range strings.Split(a.value, ",") {
					t = strings.ToLower(strings.TrimSpace(strings.Split(t, ";")[0]))
					if t == "application/sdp" || t == "application/*" || t == "*/*" || t == "" {
						ok = true
					}
				}
			}
			if !ok {
				return nil, refuse(406, "Not Acceptable", "Accept: application/sdp")
			}
		}
	}
	// What the SIP stack's parser would refuse, found without parsing
	// twice (the stack drops a request it cannot parse, unanswered).
	for _, name := range []string{"from", "to", "contact"} {
		for _, h := range r.all(name) {
			if unbalancedQuotes(h.value) {
				return nil, warn("an unterminated quoted string in " + name)
			}
			if i := strings.IndexByte(h.value, '<'); i >= 0 && i+1 < len(h.value) && (h.value[i+1] == ' ' || strings.Contains(h.value, " >")) {
				return nil, warn("spaces inside the <> of " + name)
			}
		}
	}
	for _, h := range r.all("via") {
		for _, bad := range []string{";;", ",,", ";,", ",;"} {
			if strings.Contains(h.value, bad) {
				return nil, warn("an empty Via parameter")
			}
		}
		if strings.HasSuffix(h.value, ";") || strings.HasSuffix(h.value, ",") {
			return nil, warn("an empty Via parameter")
		}
	}
	return normalize(data, r), nil
}

// unbalancedQuotes reports whether a header value opens a quoted string
// it does not close.
func unbalancedQuotes(v string) bool {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\\' && quoted:
			i++
		case v[i] == '"':
			quoted = !quoted
		}
	}
	return quoted
}

// normalize rewrites From and To the way the SIP stack reads them, when
// they need it: no spaces around the = and ; of their parameters, and a
// From tag (made from the Call-ID) for a phone from before RFC 3261.
func normalize(data []byte, r *rawRequest) []byte {
	from, _ := r.first("from")
	to, _ := r.first("to")
	nf, nt := from, to
	if loose(from) {
		nf = tightParams(from)
	}
	if loose(to) {
		nt = tightParams(to)
	}
	if !hasParam(nf, "tag") {
		id, _ := r.first("call-id")
		nf += fmt.Sprintf(";tag=2543-%08x", fnv32(id))
	}
	if nf == from && nt == to {
		return data
	}
	var b bytes.Buffer
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	first, _, _ := bytes.Cut(head, []byte("\r\n"))
	b.Write(first)
	b.WriteString("\r\n")
	for _, h := range r.headers {
		v := h.value
		switch h.canon {
		case "from":
			v = nf
		case "to":
			v = nt
		}
		fmt.Fprintf(&b, "%s: %s\r\n", h.name, v)
	}
	b.WriteString("\r\n")
	b.Write(r.body)
	return b.Bytes()
}

// tightParams removes the spaces around the ; and = of a name-addr's or
// addr-spec's parameters (outside quotes and angle brackets).
func tightParams(v string) string {
	var b strings.Builder
	quoted, angled := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && quoted && i+1 < len(v):
			b.WriteByte(c)
			i++
			b.WriteByte(v[i])
			continue
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			angled = true
		case c == '>' && !quoted:
			angled = false
		case (c == ';' || c == '=') && !quoted && !angled:
			s := strings.TrimRight(b.String(), " \t")
			b.Reset()
			b.WriteString(s)
			b.WriteByte(c)
			for i+1 < len(v) && (v[i+1] == ' ' || v[i+1] == '\t') {
				i++
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// hasParam reports whether a header value (tightened) has the parameter
// name outside its URI.
func hasParam(v, name string) bool {
	if i := strings.LastIndexByte(v, '>'); i >= 0 {
		v = v[i+1:]
	} else if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i:]
	} else {
		return false
	}
	for _, p := range strings.Split(v, ";") {
		k, _, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return true
		}
	}
	return false
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// answer builds the front door's response to a request from its bytes.
func answer(data []byte, r *rawRequest, ref *refusal) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", ref.code, ref.reason)
	if r != nil {
		for _, name := range []string{"via", "from", "to", "call-id", "cseq"} {
			for _, h := range r.all(name) {
				v := h.value
				if name == "to" && !hasParam(tightParams(v), "tag") {
					v += ";tag=" + fmt.Sprintf("sb%08x", fnv32(string(data)))
				}
				fmt.Fprintf(&b, "%s: %s\r\n", h.name, v)
			}
		}
	}
	for _, l := range ref.extra {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

// answerTo is where a response to data goes: the source address, at the
// Via's port unless it asks for rport (RFC 3581), as the SIP stack does.
func answerTo(r *rawRequest, from netip.AddrPort) netip.AddrPort {
	if r == nil {
		return from
	}
	via, has := r.first("via")
	if !has {
		return from
	}
	via, _, _ = strings.Cut(via, ",")
	if strings.Contains(strings.ToLower(via), ";rport") {
		return from
	}
	f := strings.Fields(strings.ReplaceAll(via, "/", " / "))
	// SIP / 2.0 / UDP host[:port][;params]
	if len(f) < 6 {
		return from
	}
	hostport, _, _ := strings.Cut(f[5], ";")
	if _, port, err := net.SplitHostPort(hostport); err == nil {
		if p, err := strconv.Atoi(port); err == nil && p > 0 && p < 65536 {
			return netip.AddrPortFrom(from.Addr(), uint16(p))
		}
	}
	return netip.AddrPortFrom(from.Addr(), 5060)
}

// frontFilter is the SIP stack's read filter: requests by UDP pass the
// front door, which answers itself or hands on what the stack should read
// (an empty result: nothing to read).
func (s *Server) frontFilter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	ws := p.Transport == "WS" || p.Transport == "WSS"
	if p.Transport != "UDP" && !ws || len(bytes.Trim(data, "\r\n\x00")) == 0 || bytes.HasPrefix(data, []byte("SIP/")) {
		return data, nil
	}
	if level := s.busy(); level > stepAside {
		// Behind: what is not yet begun is turned away here, before it
		// costs a parse and a goroutine (admit.go).
		if r, ok := readRaw(data); ok && shedEarly(r, level) {
			s.shed.Add(1)
			s.reply(p, data, r, refuse(503, "Service Unavailable", "Retry-After: "+retryAfter))
			return nil, nil
		}
		return s.letIn(data), nil
	} else if level == stepAside {
		// Busy: checking costs capacity the switchboard has not got to
		// spare. The door steps aside until the load eases (the stack
		// still drops what it cannot parse).
		return s.letIn(data), nil
	}
	fixed, ref := s.check(data)
	if ref == nil {
		return s.letIn(fixed), nil
	}
	r, _ := readRaw(data) // (the refusal's answer copies the request's headers)
	s.frontRefused.Add(1)
	s.reply(p, data, r, ref)
	return nil, nil
}

// letIn hands a request on to the stack, following it to admit now and
// then if it is a new one (admit.go).
func (s *Server) letIn(data []byte) []byte {
	s.backlog.follow(time.Now(), func() string {
		r, ok := readRaw(data)
		if !ok || withinDialog(r) {
			return ""
		}
		id, _ := r.first("call-id")
		cseq, _ := r.first("cseq")
		return traceKey(id, cseq)
	})
	return data
}

// reply answers a request the front door read, back the way it came.
func (s *Server) reply(p sip.TransportReadProps, data []byte, r *rawRequest, ref *refusal) {
	if p.Transport == "WS" || p.Transport == "WSS" {
		conn, err := s.ua.TransportLayer().GetConnection(strings.ToLower(p.Transport), p.RemoteAddr.String())
		if err == nil && conn != nil {
			if m, err := s.parser.ParseSIP(answer(data, r, ref)); err == nil {
				conn.WriteMsg(m)
			}
		}
		return
	}
	from, err := netip.ParseAddrPort(p.RemoteAddr.String())
	if err != nil {
		return
	}
	s.mu.Lock()
	pc := s.udpConn
	s.mu.Unlock()
	if pc != nil {
		to := answerTo(r, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()))
		pc.WriteTo(answer(data, r, ref), net.UDPAddrFromAddrPort(to))
	}
}

// common are the header names most requests carry, as written most
// often: found without lower-casing.
var common = map[string]string{"Via": "via", "From": "from", "To": "to", "Call-ID": "call-id", "CSeq": "cseq",
	"Contact": "contact", "Max-Forwards": "max-forwards", "Content-Length": "content-length", "Content-Type": "content-type",
	"Expires": "expires", "User-Agent": "user-agent", "Authorization": "authorization", "Proxy-Authorization": "proxy-authorization",
	"Allow": "allow", "Supported": "supported", "Route": "route", "Record-Route": "record-route"}

// canonical is a header name in lower case, compact forms expanded.
func canonical(name string) string {
	if c, ok := common[name]; ok {
		return c
	}
	c := strings.ToLower(name)
	if full, ok := compact[c]; ok {
		return full
	}
	return c
}

// loose reports whether a header value may have spaces around the ; or =
// of its parameters (tightParams would change it).
func loose(v string) bool {
	return strings.Contains(v, " ;") || strings.Contains(v, "; ") || strings.Contains(v, " =") || strings.Contains(v, "= ") || strings.ContainsRune(v, '\t')
}
