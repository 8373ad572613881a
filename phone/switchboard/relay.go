package switchboard

import (
	"encoding/binary"
	"fmt"

	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/sdp"
)

// side is one leg's end of a media relay: an RTP and an RTCP socket the
// leg's phone sends to, and the address its packets go back to (first
// what its SDP said, then wherever its packets really come from).
type side struct {
	rtp, rtcp         *net.UDPConn
	peerRTP, peerRTCP atomic.Pointer[netip.AddrPort]
	// sent is the header of the last RTP packet relayed to the phone
	// (SSRC, sequence number, timestamp), so that a stream that takes
	// over (a conference's mix) carries on from it: some phones' jitter
	// buffers drop a stream whose numbers jump, SSRC change or not.
	sent atomic.Pointer[rtpMark]
}

// rtpMark is where an RTP stream has got to.
type rtpMark struct {
	ssrc, ts uint32
	seq      uint16
}

func (s *side) ports() (int, int) {
	return s.rtp.LocalAddr().(*net.UDPAddr).Port, s.rtcp.LocalAddr().(*net.UDPAddr).Port
}

// relay carries one call's media between two legs, packet by packet,
// without decoding: what comes in on one side goes out of the other.
type relay struct {
	ip      netip.Addr
	a, b    side
	packets atomic.Int64
	wg      sync.WaitGroup
	once    sync.Once
	// life orders start against close: a call hung up while it was being
	// connected closes the relay as start would begin (the race detector
	// caught wg.Add beside wg.Wait); closed relays start nothing.
	life   sync.Mutex
	closed bool

	// Announcements over the call (the low-credit warning, the recording
	// notice), each way; and the recorder, when the call is recorded.
	toCaller, toCallee overlay
	rec                *recorder
	// mix is the conference the relay's sides were handed to, if any
	// (toMixer): announcements go into it.
	mix atomic.Pointer[mixer]
}

func listenUDP(ip netip.Addr) (*net.UDPConn, error) {
	return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
}

// newRelay opens four sockets on ip.
func newRelay(ip netip.Addr) (*relay, error) {
	r := &relay{ip: ip}
	var conns []*net.UDPConn
	for range 4 {
		c, err := listenUDP(ip)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, fmt.Errorf("switchboard: media relay: %w", err)
		}
		conns = append(conns, c)
	}
	r.a.rtp, r.a.rtcp, r.b.rtp, r.b.rtcp = conns[0], conns[1], conns[2], conns[3]
	return r, nil
}

// setPeer sets where a side's packets go until its phone's own packets say
// otherwise.
func (s *side) setPeer(m mediaAddr) {
	if !m.rtp.IsValid() {
		return
	}
	rtp, rtcp := m.rtp, m.rtcp
	s.peerRTP.Store(&rtp)
	s.peerRTCP.Store(&rtcp)
}

// start forwards until close.
func (r *relay) start() {
	r.life.Lock()
	defer r.life.Unlock()
	if r.closed {
		return
	}
	r.wg.Add(4)
	go r.pipe(r.a.rtp, &r.a.peerRTP, r.b.rtp, &r.b.peerRTP, true, false)
	go r.pipe(r.b.rtp, &r.b.peerRTP, r.a.rtp, &r.a.peerRTP, true, true)
	go r.pipe(r.a.rtcp, &r.a.peerRTCP, r.b.rtcp, &r.b.peerRTCP, false, false)
	go r.pipe(r.b.rtcp, &r.b.peerRTCP, r.a.rtcp, &r.a.peerRTCP, false, true)
}

// pipe reads what a phone sends to in, latches onto its address (symmetric
// RTP: behind NAT the SDP's address is not the real one), and sends it on
// from out to the other phone.
func (r *relay) pipe(in *net.UDPConn, from *atomic.Pointer[netip.AddrPort], out *net.UDPConn, to *atomic.Pointer[netip.AddrPort], rtpPipe, toCaller bool) {
	defer r.wg.Done()
	buf := make([]byte, 2048)
	var pkt rtp.Packet
	for {
		n, src, err := in.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if p := from.Load(); p == nil || *p != src {
			from.Store(&src)
		}
		b := buf[:n]
		if rtpPipe {
			if r.rec != nil {
				r.rec.packet(toCaller, b, &pkt)
			}
			if toCaller {
				b = r.toCaller.apply(b, &pkt)
			} else {
				b = r.toCallee.apply(b, &pkt)
			}
		}
		if dst := to.Load(); dst != nil && dst.IsValid() {
			out.WriteToUDPAddrPort(b, *dst)
			r.packets.Add(1)
			if rtpPipe && len(b) >= 12 && !media.IsRTCP(b) {
				sent := &r.a.sent
				if !toCaller {
					sent = &r.b.sent
				}
				sent.Store(&rtpMark{seq: binary.BigEndian.Uint16(b[2:]), ts: binary.BigEndian.Uint32(b[4:]), ssrc: binary.BigEndian.Uint32(b[8:])})
			}
		}
	}
}

// toMixer stops forwarding and makes the relay's two sides members of
// m, each with the codec its SDP settled on (descA the caller's, descB
// the callee's): a call becoming a conference. The sockets stay the
// relay's, closed with it (which ends their part in the mix). groupA and
// groupB are the sides' groups in the mix (mixer.add).
func (r *relay) toMixer(m *mixer, descA, descB []byte, groupA, groupB int) error {
	if c, _ := codecForSDP(descA); c == nil {
		return errNoCodec
	}
	if c, _ := codecForSDP(descB); c == nil {
		return errNoCodec
	}
	socks := []*net.UDPConn{r.a.rtp, r.a.rtcp, r.b.rtp, r.b.rtcp}
	for _, c := range socks {
		c.SetReadDeadline(time.Now()) // (each pipe's next read fails: it returns)
	}
	r.wg.Wait()
	for _, c := range socks {
		c.SetReadDeadline(time.Time{})
	}
	if err := m.add(&r.a, descA, groupA); err != nil {
		return err
	}
	if err := m.add(&r.b, descB, groupB); err != nil {
		return err
	}
	r.mix.Store(m)
	return nil
}

func (r *relay) close() {
	r.once.Do(func() {
		r.life.Lock()
		r.closed = true
		r.life.Unlock()
		for _, c := range []*net.UDPConn{r.a.rtp, r.a.rtcp, r.b.rtp, r.b.rtcp} {
			c.Close()
		}
		r.wg.Wait()
	})
}

// mediaAddr is where an SDP says its audio (and RTCP) goes.
type mediaAddr struct{ rtp, rtcp netip.AddrPort }

// rewriteSDP points an SDP's audio at a relay side: connection address,
// audio port and RTCP port; everything else (codecs, keys, directions)
// passes untouched, end to end. It returns where the original pointed.
func rewriteSDP(body []byte, ip netip.Addr, rtpPort, rtcpPort int) ([]byte, mediaAddr, error) {
	text := string(body)
	nl := "\r\n"
	if !strings.Contains(text, "\r\n") {
		nl = "\n"
	}
	lines := strings.Split(strings.TrimRight(text, "\r\n"), nl)
	var sessionAddr, audioAddr netip.Addr
	audioPort, rtcpAt, inAudio, seenAudio, mux := 0, 0, false, false, false
	var rtcpAddr netip.Addr
	addrType := "IP4"
	if ip.Is6() {
		addrType = "IP6"
	}
	var out []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "m="):
			inAudio = false
			f := strings.Fields(l[2:])
			if len(f) >= 3 && f[0] == "audio" && !seenAudio {
				p, err := strconv.Atoi(f[1])
				if err != nil || p < 0 || p > 65535 {
					return nil, mediaAddr{}, fmt.Errorf("switchboard: SDP audio port %q", f[1])
				}
				inAudio, seenAudio, audioPort = true, true, p
				if p != 0 {
					f[1] = strconv.Itoa(rtpPort)
				}
				l = "m=" + strings.Join(f, " ")
			}
		case strings.HasPrefix(l, "c="):
			f := strings.Fields(l[2:])
			if len(f) == 3 {
				a, err := netip.ParseAddr(strings.Split(f[2], "/")[0])
				if err != nil {
					return nil, mediaAddr{}, fmt.Errorf("switchboard: SDP connection address %q", f[2])
				}
				if inAudio {
					audioAddr = a
				} else if !seenAudio {
					sessionAddr = a
				}
				if a.IsUnspecified() { // old-style hold: keep it so
					break
				}
				l = "c=IN " + addrType + " " + ip.String()
			}
		case inAudio && strings.HasPrefix(l, "a=rtcp:"):
			f := strings.Fields(l[len("a=rtcp:"):])
			if len(f) > 0 {
				rtcpAt, _ = strconv.Atoi(f[0])
				if len(f) == 4 {
					rtcpAddr, _ = netip.ParseAddr(f[3])
				}
			}
			l = "a=rtcp:" + strconv.Itoa(rtcpPort)
		case inAudio && l == "a=rtcp-mux":
			mux = true
		}
		out = append(out, l)
	}
	if !seenAudio {
		return nil, mediaAddr{}, fmt.Errorf("switchboard: the SDP has no audio stream")
	}
	addr := audioAddr
	if !addr.IsValid() {
		addr = sessionAddr
	}
	var m mediaAddr
	if addr.IsValid() && audioPort != 0 && !addr.IsUnspecified() {
		m.rtp = netip.AddrPortFrom(addr, uint16(audioPort))
		switch {
		case mux:
			m.rtcp = m.rtp
		case rtcpAt != 0 && rtcpAddr.IsValid():
			m.rtcp = netip.AddrPortFrom(rtcpAddr, uint16(rtcpAt))
		case rtcpAt != 0:
			m.rtcp = netip.AddrPortFrom(addr, uint16(rtcpAt))
		default:
			m.rtcp = netip.AddrPortFrom(addr, uint16(audioPort+1))
		}
	}
	// Say where RTCP goes when the offer left it implied (port+1 would be
	// wrong for the relay's sockets).
	if rtcpAt == 0 && audioPort != 0 {
		end, in := len(out), false
		for i, l := range out {
			if strings.HasPrefix(l, "m=") {
				if in {
					end = i
					break
				}
				in = strings.HasPrefix(l, "m=audio")
			}
		}
		out = append(out[:end], append([]string{"a=rtcp:" + strconv.Itoa(rtcpPort)}, out[end:]...)...)
	}
	return []byte(strings.Join(out, nl) + nl), m, nil
}

// WarningTone is the low-credit warning: three short 1400 Hz beeps, twice.
func WarningTone(rate int) []int16 {
	var out []int16
	beep := make([]int16, rate*150/1000)
	audio.Sine(beep, 1400, rate, 12000, 0)
	gap := make([]int16, rate*150/1000)
	for range 2 {
		for range 3 {
			out = append(out, beep...)
			out = append(out, gap...)
		}
		out = append(out, make([]int16, rate*300/1000)...)
	}
	return out
}

// codecForSDP returns a fresh codec for the first audio format of an SDP
// this switchboard can encode, with its payload type; nil for encrypted
// streams (SRTP cannot be overlaid or recorded) and unknown codecs.
func codecForSDP(desc []byte) (audio.Codec, uint8) {
	d, err := sdp.Parse(desc)
	if err != nil || strings.Contains(d.Audio.Proto, "SAVP") {
		return nil, 0
	}
	for _, f := range d.Audio.Formats {
		switch {
		case strings.EqualFold(f.Name, "PCMU"):
			return audio.PCMU{}, f.PayloadType
		case strings.EqualFold(f.Name, "PCMA"):
			return audio.PCMA{}, f.PayloadType
		case strings.EqualFold(f.Name, "opus"):
			o, err := audio.NewOpus(16000)
			if err != nil {
				return nil, 0
			}
			return o, f.PayloadType
		case strings.EqualFold(f.Name, "telephone-event"):
			continue
		}
		return nil, 0
	}
	return nil, 0
}

// overlay plays encoded frames in place of the audio of packets going
// one way: announcements heard over the call.
type overlay struct {
	mu     sync.Mutex
	codec  audio.Codec
	pt     uint8
	frames [][]byte
	at     int
}

// prepare learns the stream's codec from its SDP.
func (o *overlay) prepare(desc []byte) {
	o.mu.Lock()
	o.codec, o.pt = codecForSDP(desc)
	o.mu.Unlock()
}

// play starts pcm (at the codec's rate, from tone) over the stream.
func (o *overlay) play(tone func(rate int) []int16) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.codec == nil {
		return false
	}
	pcm := tone(o.codec.SampleRate())
	frame := o.codec.SampleRate() / 50
	o.frames, o.at = nil, 0
	for i := 0; i+frame <= len(pcm); i += frame {
		buf := make([]byte, 4*frame)
		n, err := o.codec.Encode(pcm[i:i+frame], buf)
		if err != nil {
			return false
		}
		o.frames = append(o.frames, buf[:n])
	}
	return true
}

// apply replaces an audio packet's payload with the next frame while an
// announcement plays.
func (o *overlay) apply(b []byte, pkt *rtp.Packet) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.at >= len(o.frames) || len(b) < 12 || b[1]&0x7f != o.pt || media.IsRTCP(b) {
		return b
	}
	if err := pkt.Unmarshal(b); err != nil {
		return b
	}
	pkt.Payload = o.frames[o.at]
	pkt.Padding, pkt.PaddingSize = false, 0
	out, err := pkt.Marshal()
	if err != nil {
		return b
	}
	o.at++
	return out
}

// prepareOverlays learns the call's codec (from the answer) for both ways.
func (r *relay) prepareOverlays(answer []byte) {
	r.toCaller.prepare(answer)
	r.toCallee.prepare(answer)
}

// warn plays the low-credit warning to the caller (in a conference, into
// the mix, for the caller alone).
func (r *relay) warn() {
	if m := r.mix.Load(); m != nil {
		m.announce(&r.a, WarningTone(mixRate))
		return
	}
	r.toCaller.play(WarningTone)
}
