// Package sdp is the softphone's side of SDP offer/answer (RFC 3264) for
// one audio stream: it builds offers and answers, reads the far end's,
// picks the codec both sides speak, and tells hold from resume. Parsing and
// writing go through pion/sdp; this package adds the telephony rules.
package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

var (
	// ErrSDP means a session description is malformed.
	ErrSDP = errors.New("sdp: malformed session description")
	// ErrNoAudio means a description has no audio stream to answer.
	ErrNoAudio = errors.New("sdp: no audio stream")
	// ErrNoCommonCodec means the two sides share no codec: a call is
	// refused with 488 Not Acceptable Here.
	ErrNoCommonCodec = errors.New("sdp: no codec in common")
)

// maxSDPLen bounds a description this package parses.
const maxSDPLen = 64 << 10

// Direction is a stream's media direction (RFC 3264 section 5.1).
type Direction string

// Directions.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Reverse is the direction the other side of a stream takes: what answers
// sendonly is recvonly.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// Sends reports whether the side with this direction sends media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether the side with this direction receives media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// Format is one RTP payload format of a stream.
type Format struct {
	PayloadType uint8
	Name        string // "PCMU", "opus", "telephone-event"
	ClockRate   int
	Channels    int // 0 when not given (meaning 1)
	Fmtp        string
}

// Same reports whether two formats are the same codec, whatever their
// payload types.
func (f Format) Same(o Format) bool {
	return strings.EqualFold(f.Name, o.Name) && f.ClockRate == o.ClockRate && max(f.Channels, 1) == max(o.Channels, 1)
}

// Crypto is an SDES key offer (RFC 4568): `a=crypto:1
// AES_CM_128_HMAC_SHA1_80 inline:KEY`.
type Crypto struct {
	Tag       int
	Suite     string
	KeyParams string // "inline:base64key|2^20|1:4"
}

// Media is the audio stream of a description.
type Media struct {
	Addr      netip.Addr // where to send RTP; the zero address means hold (RFC 2543 style)
	Port      int        // 0: the stream is rejected
	Proto     string     // "RTP/AVP" or "RTP/SAVP"
	Formats   []Format   // in the order the description lists them
	Direction Direction
	PTime     int // packetization time in ms; 0 when not given
	Crypto    []Crypto
	// RTCP's address when given apart (a=rtcp, RFC 3605); otherwise it
	// is Port+1 on Addr, or the RTP port itself when RTCPMux (RFC 5761).
	RTCPAddr netip.Addr
	RTCPPort int
	RTCPMux  bool
}

// RTCP returns where the stream's RTCP goes: with RTP when muxed, the
// a=rtcp address when given, else the next port up.
func (m Media) RTCP(muxed bool) netip.AddrPort {
	switch {
	case m.Port == 0:
		return netip.AddrPort{}
	case muxed:
		return netip.AddrPortFrom(m.Addr, uint16(m.Port))
	case m.RTCPPort != 0 && m.RTCPAddr.IsValid():
		return netip.AddrPortFrom(m.RTCPAddr, uint16(m.RTCPPort))
	case m.RTCPPort != 0:
		return netip.AddrPortFrom(m.Addr, uint16(m.RTCPPort))
	case m.Port < 65535:
		return netip.AddrPortFrom(m.Addr, uint16(m.Port+1))
	}
	return netip.AddrPort{}
}

// Description is a session description as the softphone sees it: the
// first audio stream, and how many other streams to reject.
type Description struct {
	SessionID      uint64
	SessionVersion uint64
	Audio          Media
	audioIndex     int
	others         []psdp.MediaName // streams other than audio, rejected in answers
}

// OnHold reports whether the far end put the call on hold with this
// description: it no longer wants to receive, or it uses the old
// c=0.0.0.0 convention.
func (d *Description) OnHold() bool {
	return !d.Audio.Direction.Receives() || d.Audio.Addr.IsUnspecified()
}

// Parse reads a session description.
func Parse(b []byte) (*Description, error) {
	if len(b) > maxSDPLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrSDP, len(b))
	}
	var s psdp.SessionDescription
	if err := s.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSDP, err)
	}
	d := &Description{SessionID: s.Origin.SessionID, SessionVersion: s.Origin.SessionVersion, audioIndex: -1}
	sessionAddr, err := connAddr(s.ConnectionInformation)
	if err != nil {
		return nil, err
	}
	sessionDir := directionOf(s.Attributes, SendRecv)
	for i, m := range s.MediaDescriptions {
		if m.MediaName.Media != "audio" || d.audioIndex >= 0 {
			d.others = append(d.others, m.MediaName)
			continue
		}
		d.audioIndex = i
		a, err := parseMedia(m, sessionAddr, sessionDir)
		if err != nil {
			return nil, err
		}
		d.Audio = a
	}
	if d.audioIndex < 0 {
		return nil, ErrNoAudio
	}
	return d, nil
}

func connAddr(c *psdp.ConnectionInformation) (netip.Addr, error) {
	if c == nil || c.Address == nil {
		return netip.Addr{}, nil
	}
	host, _, _ := strings.Cut(c.Address.Address, "/") // multicast TTL
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: connection address %q", ErrSDP, c.Address.Address)
	}
	return a, nil
}

func directionOf(attrs []psdp.Attribute, def Direction) Direction {
	for _, a := range attrs {
		switch Direction(a.Key) {
		case SendRecv, SendOnly, RecvOnly, Inactive:
			return Direction(a.Key)
		}
	}
	return def
}

func parseMedia(m *psdp.MediaDescription, sessionAddr netip.Addr, sessionDir Direction) (Media, error) {
	out := Media{Port: m.MediaName.Port.Value, Proto: strings.Join(m.MediaName.Protos, "/"),
		Direction: directionOf(m.Attributes, sessionDir)}
	if out.Port < 0 || out.Port > 65535 {
		return out, fmt.Errorf("%w: port %d", ErrSDP, out.Port)
	}
	addr, err := connAddr(m.ConnectionInformation)
	if err != nil {
		return out, err
	}
	if !addr.IsValid() {
		addr = sessionAddr
	}
	if !addr.IsValid() && out.Port != 0 {
		return out, fmt.Errorf("%w: the audio stream has no connection address", ErrSDP)
	}
	out.Addr = addr
	if len(m.MediaName.Formats) == 0 {
		return out, fmt.Errorf("%w: an audio stream with no formats", ErrSDP)
	}
	rtpmap, fmtp := map[uint8]string{}, map[uint8]string{}
	for _, a := range m.Attributes {
		switch a.Key {
		case "rtpmap", "fmtp":
			pt, rest, ok := strings.Cut(a.Value, " ")
			n, err := strconv.ParseUint(pt, 10, 8)
			if !ok || err != nil || n > 127 {
				return out, fmt.Errorf("%w: a=%s:%s", ErrSDP, a.Key, a.Value)
			}
			if a.Key == "rtpmap" {
				rtpmap[uint8(n)] = strings.TrimSpace(rest)
			} else {
				fmtp[uint8(n)] = strings.TrimSpace(rest)
			}
		case "ptime":
			if p, err := strconv.Atoi(a.Value); err == nil && p > 0 && p <= 1000 {
				out.PTime = p
			}
		case "crypto":
			c, err := parseCrypto(a.Value)
			if err != nil {
				return out, err
			}
			out.Crypto = append(out.Crypto, c)
		case "rtcp-mux":
			out.RTCPMux = true
		case "rtcp":
			if out.RTCPPort, out.RTCPAddr, err = parseRTCP(a.Value); err != nil {
				return out, err
			}
		}
	}
	for _, f := range m.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 8)
		if err != nil || n > 127 {
			return out, fmt.Errorf("%w: payload type %q", ErrSDP, f)
		}
		format, ok := describe(uint8(n), rtpmap[uint8(n)])
		if !ok {
			continue // a dynamic type without rtpmap: unusable, skip it
		}
		format.Fmtp = fmtp[uint8(n)]
		out.Formats = append(out.Formats, format)
	}
	return out, nil
}

// static holds the static audio payload types (RFC 3551) we may meet
// without an rtpmap.
var static = map[uint8]Format{
	0: {PayloadType: 0, Name: "PCMU", ClockRate: 8000},
	8: {PayloadType: 8, Name: "PCMA", ClockRate: 8000},
	9: {PayloadType: 9, Name: "G722", ClockRate: 8000},
}

func describe(pt uint8, rtpmap string) (Format, bool) {
	if rtpmap == "" {
		f, ok := static[pt]
		return f, ok
	}
	parts := strings.Split(rtpmap, "/")
	if len(parts) < 2 {
		return Format{}, false
	}
	rate, err := strconv.Atoi(parts[1])
	if err != nil || rate <= 0 {
		return Format{}, false
	}
	f := Format{PayloadType: pt, Name: parts[0], ClockRate: rate}
	if len(parts) > 2 {
		if ch, err := strconv.Atoi(parts[2]); err == nil && ch > 0 && ch <= 8 {
			f.Channels = ch
		}
	}
	return f, true
}

// parseRTCP reads `a=rtcp:PORT [IN IP4 ADDR]`.
func parseRTCP(v string) (int, netip.Addr, error) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0, netip.Addr{}, fmt.Errorf("%w: a=rtcp:%s", ErrSDP, v)
	}
	port, err := strconv.Atoi(f[0])
	if err != nil || port <= 0 || port > 65535 {
		return 0, netip.Addr{}, fmt.Errorf("%w: a=rtcp port %q", ErrSDP, f[0])
	}
	if len(f) < 4 {
		return port, netip.Addr{}, nil
	}
	addr, err := netip.ParseAddr(f[3])
	if err != nil {
		return 0, netip.Addr{}, fmt.Errorf("%w: a=rtcp address %q", ErrSDP, f[3])
	}
	return port, addr, nil
}

func parseCrypto(v string) (Crypto, error) {
	f := strings.Fields(v)
	if len(f) < 3 {
		return Crypto{}, fmt.Errorf("%w: a=crypto:%s", ErrSDP, v)
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return Crypto{}, fmt.Errorf("%w: crypto tag %q", ErrSDP, f[0])
	}
	return Crypto{Tag: tag, Suite: f[1], KeyParams: f[2]}, nil
}

// Local is what this side offers or answers with.
type Local struct {
	Addr           netip.Addr
	Port           int
	Formats        []Format // codecs in preference order, telephone-event included
	Direction      Direction
	PTime          int
	Crypto         []Crypto // SDES keys, offered when signalling is TLS
	RTCPPort       int      // our RTCP socket's port (a=rtcp); 0 to leave it implied
	RTCPMux        bool     // offer (or accept) RTCP on the RTP port
	SessionID      uint64
	SessionVersion uint64 // bump on every new offer or answer in a dialog
}

// Offer builds an offer for the local side.
func Offer(l Local) *Description {
	return &Description{SessionID: l.SessionID, SessionVersion: l.SessionVersion, Audio: l.media(l.Formats, l.Direction, l.Crypto, l.RTCPMux)}
}

func (l Local) media(formats []Format, dir Direction, crypto []Crypto, mux bool) Media {
	proto := "RTP/AVP"
	if len(crypto) > 0 {
		proto = "RTP/SAVP"
	}
	return Media{Addr: l.Addr, Port: l.Port, Proto: proto, Formats: formats, Direction: dir, PTime: l.PTime, Crypto: crypto,
		RTCPPort: l.RTCPPort, RTCPMux: mux}
}

// Negotiated is what a finished offer/answer exchange settled.
type Negotiated struct {
	Codec          Format // the codec to send and expect
	TelephoneEvent *Format
	Remote         Media     // where and how the far end receives
	Direction      Direction // this side's direction
	Crypto         *Crypto   // the far end's SDES key, when the stream is SRTP
	LocalCrypto    *Crypto   // this side's key for the chosen suite
	RTCPMux        bool      // RTCP shares the RTP port, both ways
}

func isTelephoneEvent(f Format) bool { return strings.EqualFold(f.Name, "telephone-event") }

// Answer answers a far end's offer: the first of the local formats (in
// local preference) that the offer has, with the offer's payload types,
// plus telephone-event if both have it; other streams are rejected.
func Answer(offer *Description, l Local) (*Description, Negotiated, error) {
	var n Negotiated
	var formats []Format
	for _, want := range l.Formats {
		if isTelephoneEvent(want) {
			continue
		}
		if i := slices.IndexFunc(offer.Audio.Formats, want.Same); i >= 0 {
			n.Codec = offer.Audio.Formats[i]
			formats = append(formats, n.Codec)
			break
		}
	}
	if len(formats) == 0 || offer.Audio.Port == 0 {
		return nil, n, ErrNoCommonCodec
	}
	for _, f := range offer.Audio.Formats {
		if isTelephoneEvent(f) && f.ClockRate == n.Codec.ClockRate && slices.ContainsFunc(l.Formats, f.Same) {
			te := f
			n.TelephoneEvent = &te
			formats = append(formats, te)
			break
		}
	}
	// SRTP: answer with our key for the first suite we both have.
	var crypto []Crypto
	if strings.Contains(offer.Audio.Proto, "SAVP") {
		for _, theirs := range offer.Audio.Crypto {
			if i := slices.IndexFunc(l.Crypto, func(c Crypto) bool { return c.Suite == theirs.Suite }); i >= 0 {
				t, ours := theirs, l.Crypto[i]
				ours.Tag = theirs.Tag
				n.Crypto, n.LocalCrypto = &t, &ours
				crypto = []Crypto{ours}
				break
			}
		}
		if n.Crypto == nil {
			return nil, n, fmt.Errorf("%w: no SRTP suite in common", ErrNoCommonCodec)
		}
	}
	// RFC 3264 section 6.1: we send only what the offer will receive (and
	// not to the old-style hold address), receive only what it sends.
	send := l.Direction.Sends() && offer.Audio.Direction.Receives() && !offer.Audio.Addr.IsUnspecified()
	recv := l.Direction.Receives() && offer.Audio.Direction.Sends()
	n.Direction = directionFrom(send, recv)
	n.Remote = offer.Audio
	n.RTCPMux = offer.Audio.RTCPMux && l.RTCPMux
	ans := &Description{SessionID: l.SessionID, SessionVersion: l.SessionVersion,
		Audio: l.media(formats, n.Direction, crypto, n.RTCPMux), audioIndex: offer.audioIndex, others: offer.others}
	return ans, n, nil
}

// Accept reads the far end's answer to a local offer.
func Accept(offer Local, answer *Description) (Negotiated, error) {
	var n Negotiated
	if answer.Audio.Port == 0 {
		return n, fmt.Errorf("%w: the audio stream was rejected", ErrNoCommonCodec)
	}
	for _, f := range answer.Audio.Formats {
		if !isTelephoneEvent(f) && n.Codec.Name == "" && slices.ContainsFunc(offer.Formats, f.Same) {
			n.Codec = f
		}
	}
	if n.Codec.Name == "" {
		return n, ErrNoCommonCodec
	}
	// Events run on the codec's clock.
	for _, f := range answer.Audio.Formats {
		if isTelephoneEvent(f) && f.ClockRate == n.Codec.ClockRate && slices.ContainsFunc(offer.Formats, f.Same) {
			te := f
			n.TelephoneEvent = &te
			break
		}
	}
	if len(offer.Crypto) > 0 {
		if len(answer.Audio.Crypto) == 0 || !strings.Contains(answer.Audio.Proto, "SAVP") {
			return n, fmt.Errorf("%w: SRTP was offered, the answer has none", ErrNoCommonCodec)
		}
		theirs := answer.Audio.Crypto[0]
		i := slices.IndexFunc(offer.Crypto, func(c Crypto) bool { return c.Tag == theirs.Tag && c.Suite == theirs.Suite })
		if i < 0 {
			return n, fmt.Errorf("%w: the answer's SRTP key matches no offered suite", ErrSDP)
		}
		ours := offer.Crypto[i]
		n.Crypto, n.LocalCrypto = &theirs, &ours
	}
	n.Remote = answer.Audio
	n.RTCPMux = offer.RTCPMux && answer.Audio.RTCPMux
	n.Direction = answer.Audio.Direction.Reverse()
	if answer.Audio.Addr.IsUnspecified() {
		n.Direction = Inactive
	}
	return n, nil
}

// Marshal writes the description.
func (d *Description) Marshal() ([]byte, error) {
	ip4 := !d.Audio.Addr.IsValid() || d.Audio.Addr.Is4()
	addrType, addr := "IP4", "0.0.0.0"
	if d.Audio.Addr.IsValid() {
		addr = d.Audio.Addr.String()
	}
	if !ip4 {
		addrType = "IP6"
	}
	s := psdp.SessionDescription{
		Origin: psdp.Origin{Username: "-", SessionID: d.SessionID, SessionVersion: d.SessionVersion,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: addr},
		SessionName:           "tether",
		ConnectionInformation: &psdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &psdp.Address{Address: addr}},
		TimeDescriptions:      []psdp.TimeDescription{{}},
	}
	audio := &psdp.MediaDescription{MediaName: psdp.MediaName{Media: "audio", Port: psdp.RangedPort{Value: d.Audio.Port},
		Protos: strings.Split(d.Audio.Proto, "/")}}
	for _, f := range d.Audio.Formats {
		audio.MediaName.Formats = append(audio.MediaName.Formats, strconv.Itoa(int(f.PayloadType)))
		rtpmap := fmt.Sprintf("%d %s/%d", f.PayloadType, f.Name, f.ClockRate)
		if f.Channels > 1 {
			rtpmap += "/" + strconv.Itoa(f.Channels)
		}
		audio.Attributes = append(audio.Attributes, psdp.NewAttribute("rtpmap", rtpmap))
		if f.Fmtp != "" {
			audio.Attributes = append(audio.Attributes, psdp.NewAttribute("fmtp", fmt.Sprintf("%d %s", f.PayloadType, f.Fmtp)))
		}
	}
	if len(d.Audio.Formats) == 0 {
		if d.Audio.Port != 0 {
			return nil, fmt.Errorf("%w: an audio stream with no formats", ErrSDP)
		}
		audio.MediaName.Formats = []string{"0"} // a rejected stream still names a format
	}
	if d.Audio.PTime > 0 {
		audio.Attributes = append(audio.Attributes, psdp.NewAttribute("ptime", strconv.Itoa(d.Audio.PTime)))
	}
	if d.Audio.RTCPPort != 0 && d.Audio.Port != 0 {
		audio.Attributes = append(audio.Attributes, psdp.NewAttribute("rtcp", strconv.Itoa(d.Audio.RTCPPort)))
	}
	if d.Audio.RTCPMux && d.Audio.Port != 0 {
		audio.Attributes = append(audio.Attributes, psdp.NewPropertyAttribute("rtcp-mux"))
	}
	for _, c := range d.Audio.Crypto {
		audio.Attributes = append(audio.Attributes, psdp.NewAttribute("crypto", fmt.Sprintf("%d %s %s", c.Tag, c.Suite, c.KeyParams)))
	}
	if d.Audio.Direction != "" {
		audio.Attributes = append(audio.Attributes, psdp.NewPropertyAttribute(string(d.Audio.Direction)))
	}
	// Streams are answered in the offer's order; all but audio rejected.
	idx := max(d.audioIndex, 0)
	for i := 0; i < len(d.others)+1; i++ {
		if i == idx {
			s.MediaDescriptions = append(s.MediaDescriptions, audio)
			continue
		}
		other := d.others[i-boolInt(i > idx)]
		other.Port = psdp.RangedPort{Value: 0}
		s.MediaDescriptions = append(s.MediaDescriptions, &psdp.MediaDescription{MediaName: other})
	}
	return s.Marshal()
}

func directionFrom(send, recv bool) Direction {
	switch {
	case send && recv:
		return SendRecv
	case send:
		return SendOnly
	case recv:
		return RecvOnly
	}
	return Inactive
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
