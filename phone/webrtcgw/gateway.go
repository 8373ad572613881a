// Package webrtcgw (WebRTC gateway) carries a call's audio over WebRTC, the way browsers and
// cloud phones send it (ICE with host, server-reflexive and relay
// candidates; DTLS-SRTP; Opus or PCMU; RFC 4733 key presses), and hands
// it on as plain RTP on a local socket. Whatever speaks plain RTP (the
// softphone's media session, the switchboard's relay) talks to a Gateway
// as to any RTP peer, and the Gateway talks WebRTC to the far end.
//
// SIP servers do not trickle candidates, so every description a Gateway
// writes holds all its candidates: gathering completes before an offer or
// answer is sent, within a bounded time (a STUN or TURN server that does
// not answer costs at most GatherTimeout, not a call).
package webrtcgw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	psdp "github.com/pion/sdp/v3"
	"github.com/pion/stun/v4"
	pion "github.com/pion/webrtc/v4"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/sdp"
)

// ErrOffer means a description is not a usable WebRTC audio offer or
// answer.
var ErrOffer = errors.New("webrtc: unusable session description")

// ICEServer is a STUN or TURN server.
type ICEServer struct {
	URL        string // "stun:host:port", "turn:host:port?transport=udp"
	Username   string // TURN only
	Credential string
}

// Config says how a Gateway reaches the far end.
type Config struct {
	// IPs are the local addresses host candidates may use. Empty: every
	// address of the machine but loopback ones.
	IPs []netip.Addr
	// ICEServers are the STUN and TURN servers to gather server-reflexive
	// and relay candidates from.
	ICEServers []ICEServer
	// RelayOnly uses relay (TURN) candidates alone: the far end never
	// learns this side's addresses.
	RelayOnly bool
	// GatherTimeout bounds candidate gathering: 2 s when zero. What was
	// gathered by then goes in the description.
	GatherTimeout time.Duration
	// PlainIP is where the plain RTP side listens: 127.0.0.1 when zero.
	PlainIP netip.Addr
	Log     *slog.Logger
}

// Gateway is one call's WebRTC leg, with its plain RTP socket.
type Gateway struct {
	cfg   Config
	plain *net.UDPConn
	peer  atomic.Pointer[netip.AddrPort] // the plain side's RTP address

	mu      sync.Mutex
	pc      *pion.PeerConnection
	track   *track
	offer   string       // the far end's offer, when it offered
	formats []sdp.Format // what the far end offered, as plain formats
	local   []byte       // the description written (offer or answer)
	chosen  []sdp.Format // the formats settled, as plain formats
	answer  string       // the far end's answer, once accepted
	plainA  *sdp.Description
	failed  chan struct{}
	failure sync.Once
	wg      sync.WaitGroup
	wgMu    sync.Mutex
	once    sync.Once
	closed  atomic.Bool
	pair    atomic.Pointer[string] // the candidate pair, once connected
	// plainSSRC is the plain side's RTP source, which the far end knows
	// as the track's: RTCP about one is RTCP about the other.
	plainSSRC atomic.Uint32
}

// New opens a Gateway's plain RTP socket.
func New(cfg Config) (*Gateway, error) {
	if !cfg.PlainIP.IsValid() {
		cfg.PlainIP = netip.MustParseAddr("127.0.0.1")
	}
	if cfg.GatherTimeout <= 0 {
		cfg.GatherTimeout = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	for _, s := range cfg.ICEServers {
		if _, err := stun.ParseURI(s.URL); err != nil {
			return nil, fmt.Errorf("webrtc: ICE server %q: %w", s.URL, err)
		}
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(cfg.PlainIP, 0)))
	if err != nil {
		return nil, fmt.Errorf("webrtc: plain RTP socket: %w", err)
	}
	return &Gateway{cfg: cfg, plain: conn, failed: make(chan struct{})}, nil
}

// IsWebRTC reports whether a session description is a WebRTC one (ICE
// credentials and a DTLS fingerprint), which a Gateway must terminate.
func IsWebRTC(body []byte) bool {
	return bytes.Contains(body, []byte("a=ice-ufrag:")) && bytes.Contains(body, []byte("a=fingerprint:"))
}

// PlainAddr is the Gateway's plain RTP address: where the plain side
// sends what should go over WebRTC.
func (g *Gateway) PlainAddr() netip.AddrPort { return g.plain.LocalAddr().(*net.UDPAddr).AddrPort() }

// Failed is closed when the WebRTC connection fails or closes: the far end
// is gone.
func (g *Gateway) Failed() <-chan struct{} { return g.failed }

// Offer writes a WebRTC offer for the formats of a plain offer (with its
// payload types) and sends what comes from the far end to the plain
// offer's address.
func (g *Gateway) Offer(ctx context.Context, plain *sdp.Description) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pc != nil {
		return nil, fmt.Errorf("webrtc: this gateway has made its description")
	}
	g.setPeer(plain.Audio)
	if err := g.newPeerConnection(supported(plain.Audio.Formats)); err != nil {
		return nil, err
	}
	o, err := g.pc.CreateOffer(nil)
	if err != nil {
		return nil, fmt.Errorf("webrtc: offer: %w", err)
	}
	return g.gather(ctx, o)
}

// Accept reads the far end's WebRTC answer to Offer and returns it as a
// plain answer: the formats chosen, at the Gateway's plain address.
func (g *Gateway) Accept(answer []byte) (*sdp.Description, error) {
	formats, dir, err := audioFormats(answer)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pc == nil {
		return nil, fmt.Errorf("webrtc: an answer with no offer")
	}
	if g.answer != "" {
		if g.answer == string(answer) { // the early answer, then the final one
			return g.plainA, nil
		}
		return nil, fmt.Errorf("%w: a second, different answer", ErrOffer)
	}
	if err := g.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOffer, err)
	}
	g.answer, g.chosen = string(answer), formats
	g.plainA = g.plainDescription(formats, dir)
	return g.plainA, nil
}

// Redescribe writes this side's description again with a new direction,
// for a re-INVITE (hold, resume) or the answer to one. ICE and DTLS go on
// as they are: only the direction and the version change.
func (g *Gateway) Redescribe(dir sdp.Direction) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.local == nil {
		return nil, fmt.Errorf("webrtc: no description yet")
	}
	var d psdp.SessionDescription
	if err := d.Unmarshal(g.local); err != nil {
		return nil, fmt.Errorf("webrtc: %w", err)
	}
	d.Origin.SessionVersion++
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "audio" {
			continue
		}
		attrs := m.Attributes[:0]
		for _, a := range m.Attributes {
			switch a.Key {
			case "sendrecv", "sendonly", "recvonly", "inactive":
				continue
			}
			attrs = append(attrs, a)
		}
		m.Attributes = append(attrs, psdp.Attribute{Key: string(dir)})
	}
	b, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("webrtc: %w", err)
	}
	g.local = b
	return b, nil
}

// Reread reads the far end's description in a re-INVITE or its answer (a
// new direction on the same connection) as a plain one.
func (g *Gateway) Reread(body []byte) (*sdp.Description, error) {
	_, dir, err := audioFormats(body)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.chosen == nil {
		return nil, fmt.Errorf("webrtc: no settled stream to change")
	}
	return g.plainDescription(g.chosen, dir), nil
}

// Receive reads the far end's WebRTC offer and returns it as a plain
// offer at the Gateway's plain address, for the plain side to answer
// (then Answer writes the WebRTC answer).
func (g *Gateway) Receive(offer []byte) (*sdp.Description, error) {
	formats, dir, err := audioFormats(offer)
	if err != nil {
		return nil, err
	}
	if len(formats) == 0 {
		return nil, fmt.Errorf("%w: no codec in common (Opus, PCMU, PCMA)", ErrOffer)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.offer, g.formats = string(offer), formats
	return g.plainDescription(formats, dir), nil
}

// Answer writes the WebRTC answer to the offer Receive read, with the
// formats the plain side's answer chose, and sends what comes from the far
// end to the plain answer's address. Asked again (an early answer, then
// the final one) it gives the same answer.
func (g *Gateway) Answer(ctx context.Context, plain *sdp.Description) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.local != nil {
		return g.local, nil
	}
	if g.offer == "" {
		return nil, fmt.Errorf("webrtc: an answer with no offer")
	}
	g.setPeer(plain.Audio)
	var chosen []sdp.Format
	for _, f := range supported(plain.Audio.Formats) {
		if slices.ContainsFunc(g.formats, func(o sdp.Format) bool { return o.PayloadType == f.PayloadType && o.Same(f) }) {
			chosen = append(chosen, f)
		}
	}
	if len(chosen) == 0 {
		return nil, fmt.Errorf("%w: the answer chose no offered codec", ErrOffer)
	}
	if err := g.newPeerConnection(chosen); err != nil {
		return nil, err
	}
	g.chosen = chosen
	if err := g.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: g.offer}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOffer, err)
	}
	a, err := g.pc.CreateAnswer(nil)
	if err != nil {
		return nil, fmt.Errorf("webrtc: answer: %w", err)
	}
	return g.gather(ctx, a)
}

// setPeer notes where the plain side receives (its packets then say where
// it really is).
func (g *Gateway) setPeer(m sdp.Media) {
	if m.Port == 0 || !m.Addr.IsValid() {
		return
	}
	ap := netip.AddrPortFrom(m.Addr, uint16(m.Port))
	g.peer.Store(&ap)
}

// plainDescription describes the Gateway's plain side.
func (g *Gateway) plainDescription(formats []sdp.Format, dir sdp.Direction) *sdp.Description {
	ap := g.PlainAddr()
	l := sdp.Local{Addr: ap.Addr(), Port: int(ap.Port()), Formats: formats, Direction: dir, PTime: 20, RTCPMux: true,
		SessionID: uint64(ap.Port()), SessionVersion: 1}
	return sdp.Offer(l)
}

// gather sets the local description and waits (boundedly) for candidate
// gathering to end; the description then carries every candidate.
func (g *Gateway) gather(ctx context.Context, d pion.SessionDescription) ([]byte, error) {
	done := pion.GatheringCompletePromise(g.pc)
	if err := g.pc.SetLocalDescription(d); err != nil {
		return nil, fmt.Errorf("webrtc: %w", err)
	}
	t := time.NewTimer(g.cfg.GatherTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		g.cfg.Log.Warn("webrtc: candidate gathering cut short", "after", g.cfg.GatherTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	g.local = []byte(g.pc.LocalDescription().SDP)
	return g.local, nil
}

// newPeerConnection makes the connection, speaking exactly formats.
func (g *Gateway) newPeerConnection(formats []sdp.Format) error {
	if len(formats) == 0 {
		return fmt.Errorf("%w: no codec to speak", ErrOffer)
	}
	m := &pion.MediaEngine{}
	for _, f := range formats {
		c := pion.RTPCodecParameters{PayloadType: pion.PayloadType(f.PayloadType),
			RTPCodecCapability: pion.RTPCodecCapability{MimeType: "audio/" + f.Name, ClockRate: uint32(f.ClockRate),
				Channels: uint16(f.Channels), SDPFmtpLine: f.Fmtp}}
		if err := m.RegisterCodec(c, pion.RTPCodecTypeAudio); err != nil {
			return fmt.Errorf("webrtc: codec %s: %w", f.Name, err)
		}
	}
	var se pion.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled) // no mDNS: nothing goes to the LAN
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4, pion.NetworkTypeUDP6})
	se.SetICETimeouts(5*time.Second, 15*time.Second, 2*time.Second)
	if len(g.cfg.IPs) > 0 {
		ips := slices.Clone(g.cfg.IPs)
		se.SetIPFilter(func(ip net.IP) bool {
			a, ok := netip.AddrFromSlice(ip)
			return ok && slices.Contains(ips, a.Unmap())
		})
		se.SetIncludeLoopbackCandidate(slices.ContainsFunc(ips, netip.Addr.IsLoopback))
	}
	if g.cfg.RelayOnly {
		// Nothing better than a relay can come: take the first that
		// works rather than wait the 2 s ICE gives better candidates.
		se.SetRelayAcceptanceMinWait(0)
	}
	api := pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(se))
	cfg := pion.Configuration{BundlePolicy: pion.BundlePolicyMaxBundle, RTCPMuxPolicy: pion.RTCPMuxPolicyRequire}
	for _, s := range g.cfg.ICEServers {
		cfg.ICEServers = append(cfg.ICEServers, pion.ICEServer{URLs: []string{s.URL}, Username: s.Username, Credential: s.Credential})
	}
	if g.cfg.RelayOnly {
		cfg.ICETransportPolicy = pion.ICETransportPolicyRelay
	}
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return fmt.Errorf("webrtc: %w", err)
	}
	g.track = &track{}
	sender, err := pc.AddTrack(g.track)
	if err != nil {
		pc.Close()
		return fmt.Errorf("webrtc: %w", err)
	}
	g.pc = pc
	pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		g.cfg.Log.Debug("webrtc: connection", "state", s)
		if s == pion.PeerConnectionStateConnected {
			go func() { // kept: after the call, the connection is gone
				if p := g.selectedPair(pc); p != "" {
					g.pair.Store(&p)
				}
			}()
		}
		if s == pion.PeerConnectionStateFailed || s == pion.PeerConnectionStateClosed {
			g.failure.Do(func() { close(g.failed) })
		}
	})
	pc.OnTrack(func(t *pion.TrackRemote, r *pion.RTPReceiver) {
		g.wgMu.Lock() // no Add once Close waits
		if g.closed.Load() {
			g.wgMu.Unlock()
			return
		}
		g.wg.Add(2)
		g.wgMu.Unlock()
		go g.fromFarEnd(t)
		go func() { // the far end's sender reports (round trips are measured from them)
			defer g.wg.Done()
			for {
				pkts, _, err := r.ReadRTCP()
				if err != nil {
					return
				}
				g.rtcpToPlain(pkts, true)
			}
		}()
	})
	g.wg.Add(2)
	go g.toFarEnd(pc)
	go func() { // the far end's reports on what we send, to the plain side
		defer g.wg.Done()
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			g.rtcpToPlain(pkts, false)
		}
	}()
	return nil
}

// rtcpToPlain hands the far end's RTCP to the plain side, its reports on
// the track as reports on the plain side's own source. From the
// receiver, only sender reports with no report on us go (the rest came
// through the sender already: the connection hands a compound packet to
// every stream it names).
func (g *Gateway) rtcpToPlain(pkts []rtcp.Packet, fromReceiver bool) {
	track, plain := g.track.ssrcNow(), g.plainSSRC.Load()
	var out []rtcp.Packet
	for _, p := range pkts {
		var blocks []rtcp.ReceptionReport
		switch p := p.(type) {
		case *rtcp.SenderReport:
			blocks = p.Reports
		case *rtcp.ReceiverReport:
			if fromReceiver {
				continue
			}
			blocks = p.Reports
		case *rtcp.Goodbye:
		default:
			continue // feedback for video, extended reports: not the plain side's
		}
		aboutUs := false
		for i := range blocks {
			if blocks[i].SSRC == track && plain != 0 {
				blocks[i].SSRC, aboutUs = plain, true
			}
		}
		if fromReceiver && aboutUs {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return
	}
	b, err := rtcp.Marshal(out)
	if err != nil {
		return
	}
	if p := g.peer.Load(); p != nil {
		g.plain.WriteToUDPAddrPort(b, *p)
	}
}

// rtcpToFarEnd sends the plain side's RTCP over WebRTC, from the track's
// source rather than the plain side's.
func (g *Gateway) rtcpToFarEnd(pc *pion.PeerConnection, b []byte) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return
	}
	track := g.track.ssrcNow()
	if track == 0 {
		return // not connected yet
	}
	var out []rtcp.Packet
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			p.SSRC = track
		case *rtcp.ReceiverReport:
			p.SSRC = track
		case *rtcp.SourceDescription:
			for i := range p.Chunks {
				p.Chunks[i].Source = track
			}
		case *rtcp.Goodbye:
			for i := range p.Sources {
				p.Sources[i] = track
			}
		default:
			continue
		}
		out = append(out, p)
	}
	if len(out) > 0 {
		pc.WriteRTCP(out)
	}
}

// toFarEnd sends what the plain side sends over WebRTC.
func (g *Gateway) toFarEnd(pc *pion.PeerConnection) {
	defer g.wg.Done()
	buf := make([]byte, 1600)
	var p rtp.Packet
	for {
		n, from, err := g.plain.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		b := buf[:n]
		if len(b) < 8 {
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if media.IsRTCP(b) { // muxed (RFC 5761)
			g.rtcpToFarEnd(pc, b)
			continue
		}
		if p := g.peer.Load(); p == nil || *p != from {
			g.peer.Store(&from)
		}
		if err := p.Unmarshal(b); err != nil {
			continue
		}
		g.plainSSRC.Store(p.SSRC)
		g.track.write(&p)
	}
}

// fromFarEnd hands what comes over WebRTC to the plain side, key presses
// and all (they share the stream, with their own payload type).
func (g *Gateway) fromFarEnd(t *pion.TrackRemote) {
	defer g.wg.Done()
	buf := make([]byte, 1600)
	for {
		n, _, err := t.Read(buf)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || g.closed.Load():
			return
		case err != nil && n == 0:
			return
		case err != nil:
			continue // a payload type not negotiated: dropped
		}
		if p := g.peer.Load(); p != nil {
			g.plain.WriteToUDPAddrPort(buf[:n], *p)
		}
	}
}

// SelectedPair describes the candidate pair ICE chose ("relay
// 127.0.0.1:50000 <-> host 127.0.0.1:40000"), or "" before it has.
func (g *Gateway) SelectedPair() string {
	if p := g.pair.Load(); p != nil {
		return *p
	}
	g.mu.Lock()
	pc := g.pc
	g.mu.Unlock()
	if pc == nil {
		return ""
	}
	return g.selectedPair(pc)
}

func (g *Gateway) selectedPair(pc *pion.PeerConnection) string {
	for _, tr := range pc.GetTransceivers() {
		if s := tr.Sender(); s != nil && s.Transport() != nil {
			pair, err := s.Transport().ICETransport().GetSelectedCandidatePair()
			if err != nil || pair == nil {
				return ""
			}
			return fmt.Sprintf("%s %s:%d <-> %s %s:%d", pair.Local.Typ, pair.Local.Address, pair.Local.Port,
				pair.Remote.Typ, pair.Remote.Address, pair.Remote.Port)
		}
	}
	return ""
}

// Connected reports whether ICE and DTLS are up.
func (g *Gateway) Connected() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pc != nil && g.pc.ConnectionState() == pion.PeerConnectionStateConnected
}

// Close ends the WebRTC connection and the plain socket.
func (g *Gateway) Close() error {
	var err error
	g.once.Do(func() {
		g.wgMu.Lock()
		g.closed.Store(true)
		g.wgMu.Unlock()
		g.mu.Lock()
		pc := g.pc
		g.mu.Unlock()
		if pc != nil {
			err = pc.Close()
		}
		err = errors.Join(err, g.plain.Close())
		g.wg.Wait()
		g.failure.Do(func() { close(g.failed) })
	})
	return err
}

// supported keeps the formats a Gateway carries: Opus, PCMU, PCMA and
// telephone-events.
func supported(formats []sdp.Format) []sdp.Format {
	var out []sdp.Format
	for _, f := range formats {
		switch strings.ToLower(f.Name) {
		case "opus", "pcmu", "pcma", "telephone-event":
			out = append(out, f)
		}
	}
	return out
}

// audioFormats reads a WebRTC description's first audio stream: its
// formats (those a Gateway carries, in its order) and direction.
func audioFormats(b []byte) ([]sdp.Format, sdp.Direction, error) {
	if !IsWebRTC(b) {
		return nil, "", fmt.Errorf("%w: not a WebRTC description (no ICE credentials or fingerprint)", ErrOffer)
	}
	var d psdp.SessionDescription
	if err := d.UnmarshalString(string(b)); err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrOffer, err)
	}
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		var formats []sdp.Format
		for _, pt := range m.MediaName.Formats {
			c, err := d.GetCodecForPayloadType(parsePT(pt))
			if err != nil || c.Name == "" {
				continue
			}
			f := sdp.Format{PayloadType: c.PayloadType, Name: c.Name, ClockRate: int(c.ClockRate), Fmtp: c.Fmtp}
			if ch := c.EncodingParameters; ch != "" && ch != "1" {
				fmt.Sscan(ch, &f.Channels)
			}
			formats = append(formats, f)
		}
		dir := sdp.SendRecv
		for _, a := range m.Attributes {
			switch a.Key {
			case "sendrecv", "sendonly", "recvonly", "inactive":
				dir = sdp.Direction(a.Key)
			}
		}
		return supported(formats), dir, nil
	}
	return nil, "", fmt.Errorf("%w: no audio stream", ErrOffer)
}

func parsePT(s string) uint8 {
	var pt uint8
	if _, err := fmt.Sscan(s, &pt); err != nil || pt > 127 {
		return 255
	}
	return pt
}

// ParseICEServer reads a STUN or TURN server as a flag gives it: a URL as
// RFC 7064 and 7065 write them ("stun:host:port",
// "turn:host:port?transport=udp", "turns:host:port"), with TURN
// credentials, when needed, before the host: "turn:USER:PASSWORD@host:port".
func ParseICEServer(s string) (ICEServer, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return ICEServer{}, fmt.Errorf("webrtc: ICE server %q: want stun:HOST:PORT or turn:[USER:PASSWORD@]HOST:PORT", s)
	}
	var srv ICEServer
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		user, pass, ok := strings.Cut(rest[:at], ":")
		if !ok || user == "" {
			return ICEServer{}, fmt.Errorf("webrtc: ICE server %q: credentials go as USER:PASSWORD@", s)
		}
		srv.Username, srv.Credential, rest = user, pass, rest[at+1:]
	}
	srv.URL = scheme + ":" + rest
	u, err := stun.ParseURI(srv.URL)
	if err != nil {
		return ICEServer{}, fmt.Errorf("webrtc: ICE server %q: %w", s, err)
	}
	if u.Port <= 0 || u.Port > 65535 {
		return ICEServer{}, fmt.Errorf("webrtc: ICE server %q: port out of range", s)
	}
	if srv.Username != "" && u.Scheme != stun.SchemeTypeTURN && u.Scheme != stun.SchemeTypeTURNS {
		return ICEServer{}, fmt.Errorf("webrtc: ICE server %q: only TURN servers take credentials", s)
	}
	return srv, nil
}
