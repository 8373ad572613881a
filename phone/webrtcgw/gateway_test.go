package webrtcgw

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone/sdp"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// plainEnd is a plain RTP endpoint: a socket and the offer describing it.
func plainEnd(t *testing.T, formats []sdp.Format) (*net.UDPConn, *sdp.Description) {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
	return c, sdp.Offer(sdp.Local{Addr: ap.Addr(), Port: int(ap.Port()), Formats: formats, Direction: sdp.SendRecv, PTime: 20})
}

var phoneFormats = []sdp.Format{
	{PayloadType: 111, Name: "opus", ClockRate: 48000, Channels: 2, Fmtp: "useinbandfec=1"},
	{PayloadType: 0, Name: "PCMU", ClockRate: 8000},
	{PayloadType: 101, Name: "telephone-event", ClockRate: 8000, Fmtp: "0-16"},
}

// pair connects two gateways on loopback: a offers, b answers choosing
// choice; it returns both plain ends.
func pair(t *testing.T, cfgA, cfgB Config, choice []sdp.Format) (a, b *Gateway, aPlain, bPlain *net.UDPConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if a, err = New(cfgA); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = New(cfgB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	aPlain, aOffer := plainEnd(t, phoneFormats)
	offer, err := a.Offer(ctx, aOffer)
	if err != nil {
		t.Fatal(err)
	}
	if !IsWebRTC(offer) || !strings.Contains(string(offer), "a=candidate:") {
		t.Fatalf("the offer is not a complete WebRTC offer:\n%s", offer)
	}
	plainOffer, err := b.Receive(offer)
	if err != nil {
		t.Fatal(err)
	}
	if len(plainOffer.Audio.Formats) != 3 || plainOffer.Audio.Formats[0].Name != "opus" {
		t.Fatalf("the plain offer has formats %+v", plainOffer.Audio.Formats)
	}
	bPlain, bAnswer := plainEnd(t, choice)
	answer, err := b.Answer(ctx, bAnswer)
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.Answer(ctx, bAnswer)
	if err != nil || string(again) != string(answer) {
		t.Fatalf("a second Answer gave another answer (%v)", err)
	}
	plainAnswer, err := a.Accept(answer)
	if err != nil {
		t.Fatal(err)
	}
	if len(plainAnswer.Audio.Formats) == 0 || !plainAnswer.Audio.Formats[0].Same(choice[0]) {
		t.Fatalf("the plain answer has formats %+v, want %s first", plainAnswer.Audio.Formats, choice[0].Name)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !(a.Connected() && b.Connected()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !a.Connected() || !b.Connected() {
		t.Fatal("the gateways did not connect")
	}
	return a, b, aPlain, bPlain
}

// carry sends packets from one plain end to its gateway until the other
// plain end receives one of payload type pt, and returns it.
func carry(t *testing.T, from *net.UDPConn, via *Gateway, to *net.UDPConn, pt uint8, payload []byte) *rtp.Packet {
	t.Helper()
	buf := make([]byte, 1500)
	for i := range 100 { // a packet may go before the track is bound
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: uint16(i), Timestamp: uint32(160 * i), SSRC: 42},
			Payload: payload}
		b, _ := p.Marshal()
		if _, err := from.WriteToUDPAddrPort(b, via.PlainAddr()); err != nil {
			t.Fatal(err)
		}
		to.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		for {
			n, _, err := to.ReadFromUDPAddrPort(buf)
			if err != nil {
				break
			}
			var got rtp.Packet
			if got.Unmarshal(buf[:n]) == nil && got.PayloadType == pt {
				return &got
			}
		}
	}
	t.Fatalf("no packet of payload type %d came through", pt)
	return nil
}

// TestGatewaysCarryRTP: two gateways talk WebRTC to each other on
// loopback; plain RTP given to one comes out of the other, both ways,
// audio and telephone-events with their payload types, over DTLS-SRTP.
func TestGatewaysCarryRTP(t *testing.T) {
	cfg := Config{IPs: []netip.Addr{loopback}}
	pcmu := []sdp.Format{phoneFormats[1], phoneFormats[2]}
	a, b, aPlain, bPlain := pair(t, cfg, cfg, pcmu)
	audio := []byte(strings.Repeat("\xff", 160))
	if got := carry(t, aPlain, a, bPlain, 0, audio); string(got.Payload) != string(audio) {
		t.Errorf("a's audio arrived as %d bytes", len(got.Payload))
	}
	event := []byte{5, 0x8a, 0, 160} // digit 5, end, volume 10, 160 ticks
	if got := carry(t, bPlain, b, aPlain, 101, event); string(got.Payload) != string(event) {
		t.Errorf("b's key press arrived as %x", got.Payload)
	}
	if got := carry(t, bPlain, b, aPlain, 0, audio); len(got.Payload) != 160 {
		t.Errorf("b's audio arrived as %d bytes", len(got.Payload))
	}
	if p := a.SelectedPair(); !strings.HasPrefix(p, "host 127.0.0.1") {
		t.Errorf("a's candidate pair is %q, want host on loopback", p)
	}
	b.Close()
	select {
	case <-b.Failed():
	case <-time.After(10 * time.Second):
		t.Error("closing did not close Failed")
	}
}

// TestOpusIsChosen: an answer choosing Opus gives a plain answer with Opus.
func TestOpusIsChosen(t *testing.T) {
	cfg := Config{IPs: []netip.Addr{loopback}}
	a, _, aPlain, bPlain := pair(t, cfg, cfg, []sdp.Format{phoneFormats[0], phoneFormats[2]})
	if got := carry(t, aPlain, a, bPlain, 111, []byte{0xfc, 0xff, 0xfe}); len(got.Payload) != 3 {
		t.Errorf("opus packet arrived as %x", got.Payload)
	}
}

// TestGatheringIsBounded: a STUN server that never answers does not hold
// the offer back past the gathering time; the offer still has the host
// candidate.
func TestGatheringIsBounded(t *testing.T) {
	mute, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	g, err := New(Config{IPs: []netip.Addr{loopback}, GatherTimeout: 300 * time.Millisecond,
		ICEServers: []ICEServer{{URL: "stun:" + mute.LocalAddr().String()}}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	_, plain := plainEnd(t, phoneFormats)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	offer, err := g.Offer(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(offer), "typ host") {
		t.Errorf("the offer has no host candidate:\n%s", offer)
	}
	n, _, _ := mute.ReadFromUDP(make([]byte, 1500))
	if n == 0 {
		t.Error("the STUN server was never asked")
	}
}

// TestBadDescriptions: what is not a WebRTC audio offer is refused with
// ErrOffer, and the gateway keeps working.
func TestBadDescriptions(t *testing.T) {
	g, err := New(Config{IPs: []netip.Addr{loopback}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	plain, _ := sdp.Offer(sdp.Local{Addr: loopback, Port: 4000, Formats: phoneFormats, Direction: sdp.SendRecv}).Marshal()
	video := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AB\r\na=ice-ufrag:x\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
	g711only := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AB\r\na=ice-ufrag:x\r\nm=audio 9 UDP/TLS/RTP/SAVPF 9\r\na=rtpmap:9 G722/8000\r\n"
	for name, body := range map[string]string{"plain RTP": string(plain), "video only": video, "no common codec": g711only,
		"junk": "a=ice-ufrag:\x00a=fingerprint:"} {
		if _, err := g.Receive([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := g.Accept([]byte(video)); err == nil {
		t.Error("an answer with no offer was accepted")
	}
}

func TestParseICEServer(t *testing.T) {
	for in, want := range map[string]ICEServer{
		"stun:127.0.0.1:3478":                         {URL: "stun:127.0.0.1:3478"},
		"turn:127.0.0.1:3478?transport=udp":           {URL: "turn:127.0.0.1:3478?transport=udp"},
		"turn:alice:s3cr:et@127.0.0.1:3478":           {URL: "turn:127.0.0.1:3478", Username: "alice", Credential: "s3cr:et"},
		"turns:bob:pw@turn.example.com?transport=tcp": {URL: "turns:turn.example.com?transport=tcp", Username: "bob", Credential: "pw"},
	} {
		got, err := ParseICEServer(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:3478", "http://x", "stun:alice:pw@127.0.0.1", "turn::pw@h:1", "turn:h:99999"} {
		if _, err := ParseICEServer(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRelayOnlyThroughCoturn: a gateway allowed relay candidates alone
// (from Debian's coturn on loopback) still connects to a host-candidate
// gateway and carries RTP both ways, through the relay.
func TestRelayOnlyThroughCoturn(t *testing.T) {
	turn := peers.StartCoturn(t)
	srv, err := ParseICEServer(turn.TURN())
	if err != nil {
		t.Fatal(err)
	}
	a, b, aPlain, bPlain := pair(t, Config{IPs: []netip.Addr{loopback}, ICEServers: []ICEServer{srv}, RelayOnly: true},
		Config{IPs: []netip.Addr{loopback}}, []sdp.Format{phoneFormats[1], phoneFormats[2]})
	audio := []byte(strings.Repeat("\x7f", 160))
	carry(t, aPlain, a, bPlain, 0, audio)
	carry(t, bPlain, b, aPlain, 0, audio)
	if p := a.SelectedPair(); !strings.HasPrefix(p, "relay 127.0.0.1") {
		t.Errorf("the relay-only gateway's pair is %q", p)
	}
}

// TestServerReflexiveFromCoturn: with a STUN server (coturn on loopback)
// the offer carries a server-reflexive candidate beside the host one, and
// the call connects.
func TestServerReflexiveFromCoturn(t *testing.T) {
	turn := peers.StartCoturn(t)
	stun := ICEServer{URL: "stun:127.0.0.1:" + strconv.Itoa(turn.Port)}
	a, b, aPlain, bPlain := pair(t, Config{IPs: []netip.Addr{loopback}, ICEServers: []ICEServer{stun}}, Config{IPs: []netip.Addr{loopback}},
		[]sdp.Format{phoneFormats[1], phoneFormats[2]})
	a.mu.Lock()
	offer := string(a.local)
	a.mu.Unlock()
	if !strings.Contains(offer, "typ srflx") || !strings.Contains(offer, "typ host") {
		t.Fatalf("the offer lacks a server-reflexive or host candidate:\n%s", offer)
	}
	audio := []byte(strings.Repeat("\x7f", 160))
	carry(t, aPlain, a, bPlain, 0, audio)
	carry(t, bPlain, b, aPlain, 0, audio)
}
