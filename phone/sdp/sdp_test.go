package sdp_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/tetherphone/tether/phone/sdp"
)

// crlf turns a readable literal into SDP's line endings.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.TrimLeft(s, "\n"), "\n", "\r\n"))
}

// A baresip-style offer: Opus first, G.711, DTMF events, and a video
// stream we do not take.
var baresipOffer = crlf(`
v=0
o=- 1613478011 3021364624 IN IP4 192.0.2.10
s=-
c=IN IP4 192.0.2.10
t=0 0
m=audio 10000 RTP/AVP 96 0 8 101
b=AS:128
a=rtpmap:96 opus/48000/2
a=fmtp:96 stereo=1;sprop-stereo=1
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
m=video 10002 RTP/AVP 100
a=rtpmap:100 H264/90000
`)

var (
	pcmu  = sdp.Format{PayloadType: 0, Name: "PCMU", ClockRate: 8000}
	pcma  = sdp.Format{PayloadType: 8, Name: "PCMA", ClockRate: 8000}
	opus  = sdp.Format{PayloadType: 111, Name: "opus", ClockRate: 48000, Channels: 2, Fmtp: "useinbandfec=1"}
	event = sdp.Format{PayloadType: 101, Name: "telephone-event", ClockRate: 8000, Fmtp: "0-16"}
)

func local(formats ...sdp.Format) sdp.Local {
	return sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 40000, Formats: formats, Direction: sdp.SendRecv,
		PTime: 20, SessionID: 42, SessionVersion: 1}
}

func TestParseBaresip(t *testing.T) {
	d, err := sdp.Parse(baresipOffer)
	if err != nil {
		t.Fatal(err)
	}
	a := d.Audio
	if a.Addr != netip.MustParseAddr("192.0.2.10") || a.Port != 10000 || a.Proto != "RTP/AVP" || a.PTime != 20 || a.Direction != sdp.SendRecv {
		t.Fatalf("audio %+v", a)
	}
	if len(a.Formats) != 4 || a.Formats[0].Name != "opus" || a.Formats[0].Channels != 2 || a.Formats[0].Fmtp != "stereo=1;sprop-stereo=1" ||
		a.Formats[3].Name != "telephone-event" || a.Formats[3].Fmtp != "0-15" {
		t.Fatalf("formats %+v", a.Formats)
	}
	if d.OnHold() {
		t.Fatal("a sendrecv offer is not hold")
	}
}

func TestAnswerPicksOurPreference(t *testing.T) {
	offer, _ := sdp.Parse(baresipOffer)
	ans, n, err := sdp.Answer(offer, local(pcma, pcmu, event))
	if err != nil {
		t.Fatal(err)
	}
	if n.Codec.Name != "PCMA" || n.TelephoneEvent == nil || n.TelephoneEvent.PayloadType != 101 || n.Direction != sdp.SendRecv {
		t.Fatalf("negotiated %+v", n)
	}
	b, err := ans.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"m=audio 40000 RTP/AVP 8 101\r\n", "a=rtpmap:101 telephone-event/8000\r\n", "a=fmtp:101 0-15\r\n",
		"c=IN IP4 127.0.0.1\r\n", "a=sendrecv\r\n", "m=video 0 RTP/AVP 100\r\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("answer lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "m=audio") > strings.Index(s, "m=video") {
		t.Error("streams must keep the offer's order")
	}
	// Opus keeps the offer's dynamic payload type (96, not our 111).
	_, n, _ = sdp.Answer(offer, local(opus, pcmu, event))
	if n.Codec.Name != "opus" || n.Codec.PayloadType != 96 {
		t.Fatalf("opus negotiated as %+v", n.Codec)
	}
}

func TestNoCommonCodec(t *testing.T) {
	offer, _ := sdp.Parse(crlf(`
v=0
o=- 1 1 IN IP4 192.0.2.10
s=-
c=IN IP4 192.0.2.10
t=0 0
m=audio 10000 RTP/AVP 18
a=rtpmap:18 G729/8000
`))
	if _, _, err := sdp.Answer(offer, local(pcmu, event)); !errors.Is(err, sdp.ErrNoCommonCodec) {
		t.Fatalf("err = %v", err)
	}
}

func TestHold(t *testing.T) {
	cases := []struct {
		name, dirLine, conn string
		hold                bool
		ours                sdp.Direction
	}{
		{"sendonly", "a=sendonly", "192.0.2.10", true, sdp.RecvOnly},
		{"inactive", "a=inactive", "192.0.2.10", true, sdp.Inactive},
		{"old style", "a=sendrecv", "0.0.0.0", true, sdp.RecvOnly},
		{"recvonly", "a=recvonly", "192.0.2.10", false, sdp.SendOnly},
		{"resume", "a=sendrecv", "192.0.2.10", false, sdp.SendRecv},
	}
	for _, c := range cases {
		offer, err := sdp.Parse(crlf(`
v=0
o=- 1 2 IN IP4 192.0.2.10
s=-
c=IN IP4 ` + c.conn + `
t=0 0
m=audio 10000 RTP/AVP 0
` + c.dirLine + `
`))
		if err != nil {
			t.Fatal(err)
		}
		if offer.OnHold() != c.hold {
			t.Errorf("%s: OnHold = %v", c.name, offer.OnHold())
		}
		_, n, err := sdp.Answer(offer, local(pcmu))
		if err != nil || n.Direction != c.ours {
			t.Errorf("%s: we answer %s (%v), want %s", c.name, n.Direction, err, c.ours)
		}
	}
}

func TestOfferAcceptRoundTrip(t *testing.T) {
	l := local(opus, pcmu, pcma, event)
	l.Crypto = []sdp.Crypto{{Tag: 1, Suite: "AES_CM_128_HMAC_SHA1_80", KeyParams: "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"}}
	b, err := sdp.Offer(l).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	offer, err := sdp.Parse(b)
	if err != nil {
		t.Fatalf("our own offer does not parse: %v\n%s", err, b)
	}
	if offer.Audio.Proto != "RTP/SAVP" || len(offer.Audio.Formats) != 4 || offer.Audio.Formats[0].Fmtp != "useinbandfec=1" {
		t.Fatalf("offer %+v", offer.Audio)
	}
	// The far end (offering only G.711) answers with its own key.
	far := local(pcmu, event)
	far.Addr, far.Port = netip.MustParseAddr("127.0.0.2"), 50000
	far.Crypto = []sdp.Crypto{{Tag: 9, Suite: "AES_CM_128_HMAC_SHA1_80", KeyParams: "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk"}}
	ans, fn, err := sdp.Answer(offer, far)
	if err != nil {
		t.Fatal(err)
	}
	if fn.Crypto == nil || fn.Crypto.Tag != 1 || fn.LocalCrypto.Tag != 1 {
		t.Fatalf("far end's crypto %+v %+v", fn.Crypto, fn.LocalCrypto)
	}
	ab, _ := ans.Marshal()
	answer, err := sdp.Parse(ab)
	if err != nil {
		t.Fatal(err)
	}
	n, err := sdp.Accept(l, answer)
	if err != nil {
		t.Fatal(err)
	}
	if n.Codec.Name != "PCMU" || n.TelephoneEvent == nil || n.Remote.Port != 50000 || n.Remote.Addr.String() != "127.0.0.2" ||
		n.Crypto == nil || n.Crypto.KeyParams != far.Crypto[0].KeyParams || n.LocalCrypto.KeyParams != l.Crypto[0].KeyParams {
		t.Fatalf("accepted %+v", n)
	}
	// An answer that drops SRTP we offered is refused.
	plain := far
	plain.Crypto = nil
	noSRTP := sdp.Offer(plain)
	if _, err := sdp.Accept(l, noSRTP); !errors.Is(err, sdp.ErrNoCommonCodec) {
		t.Fatalf("answer without SRTP: %v", err)
	}
}

// TestRTCPAddress: RTCP goes where a=rtcp says, else to the next port up,
// or with RTP when both sides mux (RFC 5761).
func TestRTCPAddress(t *testing.T) {
	head := "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0\n"
	cases := []struct {
		attrs string
		mux   bool // we offer or accept mux
		want  string
	}{
		{"", true, "192.0.2.1:4001"},
		{"a=rtcp:5005\n", true, "192.0.2.1:5005"},
		{"a=rtcp:5005 IN IP4 192.0.2.9\n", true, "192.0.2.9:5005"},
		{"a=rtcp:5005\na=rtcp-mux\n", true, "192.0.2.1:4000"},
		{"a=rtcp-mux\n", false, "192.0.2.1:4001"},
	}
	for _, c := range cases {
		offer, err := sdp.Parse(crlf(head + c.attrs))
		if err != nil {
			t.Fatal(err)
		}
		l := local(pcmu)
		l.RTCPPort, l.RTCPMux = 40001, c.mux
		ans, n, err := sdp.Answer(offer, l)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Remote.RTCP(n.RTCPMux).String(); got != c.want {
			t.Errorf("%q (mux %v): RTCP to %s, want %s", c.attrs, c.mux, got, c.want)
		}
		out, _ := ans.Marshal()
		if muxed := strings.Contains(string(out), "a=rtcp-mux"); muxed != n.RTCPMux || !strings.Contains(string(out), "a=rtcp:40001") {
			t.Errorf("%q: answer says mux %v, negotiated %v:\n%s", c.attrs, muxed, n.RTCPMux, out)
		}
		// The offerer reads the same answer the same way.
		back, _ := sdp.Parse(out)
		if acc, err := sdp.Accept(sdp.Local{Formats: []sdp.Format{pcmu}, RTCPMux: true}, back); err != nil || acc.RTCPMux != n.RTCPMux {
			t.Errorf("%q: offerer settles mux %v (%v), answerer %v", c.attrs, acc.RTCPMux, err, n.RTCPMux)
		}
	}
}

func TestParseRejects(t *testing.T) {
	bad := map[string]string{
		"garbage":    "hello",
		"no audio":   "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=video 1 RTP/AVP 100\n",
		"bad addr":   "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 nowhere\nt=0 0\nm=audio 1 RTP/AVP 0\n",
		"no addr":    "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\n",
		"bad pt":     "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 1 RTP/AVP 300\n",
		"bad rtpmap": "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 1 RTP/AVP 96\na=rtpmap:x opus/48000\n",
		"bad rtcp":   "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 1 RTP/AVP 0\na=rtcp:70000\n",
		"rtcp addr":  "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 1 RTP/AVP 0\na=rtcp:9 IN IP4 x\n",
	}
	for name, s := range bad {
		if _, err := sdp.Parse(crlf(s)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(baresipOffer)
	f.Add(crlf("v=0\no=- 1 1 IN IP6 ::1\ns=-\nc=IN IP6 ::1\nt=0 0\nm=audio 9 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\na=inactive\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := sdp.Parse(b)
		if err != nil {
			return
		}
		out, err := d.Marshal()
		if err != nil {
			return // pion refuses to write some values it reads
		}
		again, err := sdp.Parse(out)
		if err != nil {
			t.Fatalf("our output does not parse: %v\n%s", err, out)
		}
		sameFormats := len(again.Audio.Formats) == len(d.Audio.Formats) || d.Audio.Port == 0 // a rejected stream names a placeholder format
		if again.Audio.Port != d.Audio.Port || !sameFormats || again.Audio.Direction != d.Audio.Direction {
			t.Fatalf("round trip changed the stream: %+v -> %+v", d.Audio, again.Audio)
		}
		// Answering never panics.
		sdp.Answer(d, local(pcmu, pcma, event))
	})
}
