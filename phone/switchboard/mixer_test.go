package switchboard

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
)

var lo = netip.MustParseAddr("127.0.0.1")

// tonePhone sends a tone of its own as RTP to a relay side and keeps what
// it hears.
type tonePhone struct {
	conn  *net.UDPConn
	to    netip.AddrPort
	codec audio.Codec
	freq  float64
	mu    sync.Mutex
	heard []int16
	ssrcs map[uint32]int // the streams heard, and how many packets of each
	seqs  int            // packets whose sequence number did not follow the last
	last  uint16
}

func newTonePhone(codec audio.Codec, freq float64, to *side) *tonePhone {
	return &tonePhone{conn: must(listenUDP(lo)), to: to.rtp.LocalAddr().(*net.UDPAddr).AddrPort(), codec: codec, freq: freq}
}

// addr is where the phone's media come from (its SDP's address).
func (p *tonePhone) addr() mediaAddr {
	a := p.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return mediaAddr{rtp: a, rtcp: netip.AddrPortFrom(a.Addr(), a.Port()+1)}
}

// sdp is an SDP offering the phone's codec.
func (p *tonePhone) sdp() []byte {
	pt := p.codec.PayloadType()
	return fmt.Appendf(nil, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio 4000 RTP/AVP %d\r\na=rtpmap:%d %s/8000\r\n", pt, pt, p.codec.Name())
}

// run sends the tone for d and listens until the connection closes.
func (p *tonePhone) run(wg *sync.WaitGroup, d time.Duration) {
	wg.Go(func() {
		buf := make([]byte, 2048)
		pcm := make([]int16, 1000)
		var pkt rtp.Packet
		for {
			n, err := p.conn.Read(buf)
			if err != nil {
				return
			}
			if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != p.codec.PayloadType() {
				continue
			}
			if k, err := p.codec.Decode(pkt.Payload, pcm); err == nil {
				p.mu.Lock()
				p.heard = append(p.heard, pcm[:k]...)
				if p.ssrcs == nil {
					p.ssrcs = map[uint32]int{}
				} else if pkt.SequenceNumber != p.last+1 {
					p.seqs++
				}
				p.ssrcs[pkt.SSRC]++
				p.last = pkt.SequenceNumber
				p.mu.Unlock()
			}
		}
	})
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		frame := make([]int16, 160)
		payload := make([]byte, 160)
		for i := range int(d / (20 * time.Millisecond)) {
			<-tick.C
			audio.Sine(frame, p.freq, 8000, 8000, i*160)
			n, _ := p.codec.Encode(frame, payload)
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: p.codec.PayloadType(), SequenceNumber: uint16(i),
				Timestamp: uint32(i * 160), SSRC: uint32(p.freq)}, Payload: payload[:n]}
			b, _ := pkt.Marshal()
			if _, err := p.conn.WriteToUDPAddrPort(b, p.to); err != nil {
				return
			}
		}
	})
}

// since is what the phone heard after its first n samples.
func (p *tonePhone) since(n int) []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int16(nil), p.heard[min(n, len(p.heard)):]...)
}

// hears checks that each phone hears the others' tones and not its own
// (nor those of its group, when groups are given), in what it heard after
// from[i] samples.
func hears(t *testing.T, phones []*tonePhone, from []int, groups ...int) {
	t.Helper()
	eventually.True(20*time.Second, func() bool {
		for i, p := range phones {
			if len(p.since(from[i])) < 8000 { // a second
				return false
			}
		}
		return true
	})
	for i, p := range phones {
		pcm := p.since(from[i])
		for j, q := range phones {
			share := audio.BestShare(pcm, q.freq, 8000, 200*time.Millisecond)
			together := i == j || groups != nil && groups[i] != 0 && groups[i] == groups[j]
			switch {
			case together && share > 0.05:
				t.Errorf("phone %d (%s) hears its own or its group's %v Hz: share %.2f", i, p.codec.Name(), q.freq, share)
			case !together && share < 0.2:
				t.Errorf("phone %d (%s) does not hear phone %d's %v Hz: share %.2f", i, p.codec.Name(), j, q.freq, share)
			}
		}
	}
}

// TestMixer: four phones in a conference, each sending a tone of its own
// (PCMU and PCMA): each hears the others' tones and not its own, in its
// own codec; the first and the last are one group (one person's two
// legs) and do not hear each other.
func TestMixer(t *testing.T) {
	m := newMixer()
	g := m.group()
	groups := []int{g, 0, 0, g}
	var phones []*tonePhone
	var sides []*side
	for i, codec := range []audio.Codec{audio.PCMU{}, audio.PCMU{}, audio.PCMA{}, audio.PCMA{}} {
		sd := &side{rtp: must(listenUDP(lo)), rtcp: must(listenUDP(lo))}
		p := newTonePhone(codec, []float64{500, 1100, 1700, 2300}[i], sd)
		if err := m.add(sd, p.sdp(), groups[i]); err != nil {
			t.Fatal(err)
		}
		sides, phones = append(sides, sd), append(phones, p)
	}
	m.start()
	var wg sync.WaitGroup
	t.Cleanup(func() {
		m.close()
		for i, sd := range sides {
			sd.rtp.Close()
			sd.rtcp.Close()
			phones[i].conn.Close()
		}
		m.wait()
		wg.Wait()
	})
	for _, p := range phones {
		p.run(&wg, 2*time.Second)
	}
	hears(t, phones, []int{0, 0, 0, 0}, groups...)
	if m.groupOf(sides[3]) != g || m.groupOf(sides[1]) != 0 {
		t.Errorf("groups: %d %d", m.groupOf(sides[3]), m.groupOf(sides[1]))
	}
}

// TestRelayBecomesConference: a call's relay carries two phones' audio to
// each other; handed to a mixer with a third phone's side, all three hear
// the other two, and the two hear the mix as the stream they were getting
// carried on (the same SSRC, sequence numbers following); the low-credit
// warning reaches the caller alone.
func TestRelayBecomesConference(t *testing.T) {
	r := must(newRelay(lo))
	third := &side{rtp: must(listenUDP(lo)), rtcp: must(listenUDP(lo))}
	a := newTonePhone(audio.PCMU{}, 500, &r.a)
	b := newTonePhone(audio.PCMU{}, 1100, &r.b)
	c := newTonePhone(audio.PCMU{}, 1700, third)
	r.a.setPeer(a.addr())
	r.b.setPeer(b.addr())
	r.start()
	m := newMixer()
	var wg sync.WaitGroup
	t.Cleanup(func() {
		m.close()
		r.close()
		third.rtp.Close()
		third.rtcp.Close()
		for _, p := range []*tonePhone{a, b, c} {
			p.conn.Close()
		}
		m.wait()
		wg.Wait()
	})
	a.run(&wg, 7*time.Second)
	b.run(&wg, 7*time.Second)
	// The relay passes packets as they are, each phone's stream to the
	// other.
	eventually.True(10*time.Second, func() bool { return r.packets.Load() > 50 })

	if err := r.toMixer(m, a.sdp(), b.sdp(), 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.add(third, c.sdp(), 0); err != nil {
		t.Fatal(err)
	}
	m.start()
	before := r.packets.Load()
	from := []int{len(a.since(0)), len(b.since(0)), 0}
	c.run(&wg, 6*time.Second)
	hears(t, []*tonePhone{a, b, c}, from)

	// The low-credit warning, in a conference: the caller (a) alone
	// hears it, over the mix.
	mark := []int{len(a.since(0)), len(b.since(0)), len(c.since(0))}
	r.warn()
	eventually.True(20*time.Second, func() bool { return len(a.since(mark[0])) >= 12000 && len(b.since(mark[1])) >= 12000 })
	for i, p := range []*tonePhone{a, b, c} {
		share := audio.BestShare(p.since(mark[i]), 1400, 8000, 100*time.Millisecond)
		if i == 0 && share < 0.3 {
			t.Errorf("the caller hears the warning at share %.2f", share)
		}
		if i > 0 && share > 0.05 {
			t.Errorf("the %v Hz phone hears the caller's warning: share %.2f", p.freq, share)
		}
	}
	if r.packets.Load() != before {
		t.Errorf("the relay still forwarded %d packets after the mixer took over", r.packets.Load()-before)
	}
	// The mix carries on the stream each phone was getting: one SSRC,
	// sequence numbers that follow (a few may cross on a busy machine).
	for _, p := range []*tonePhone{a, b} {
		p.mu.Lock()
		if len(p.ssrcs) != 1 || p.seqs > 3 {
			t.Errorf("the %v Hz phone got streams %v with %d jumps in sequence, want one stream carried on", p.freq, p.ssrcs, p.seqs)
		}
		p.mu.Unlock()
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
