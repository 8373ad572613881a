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

// TestMixer: three phones in a conference, each sending a tone of its own
// (two in PCMU, one in PCMA): each hears the other two tones and not its
// own, in its own codec.
func TestMixer(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	m := newMixer()
	type phone struct {
		conn  *net.UDPConn
		to    netip.AddrPort
		codec audio.Codec
		freq  float64
		mu    sync.Mutex
		heard []int16
	}
	codecs := []audio.Codec{audio.PCMU{}, audio.PCMU{}, audio.PCMA{}}
	freqs := []float64{500, 1100, 1700}
	var phones []*phone
	var sides []*side
	for i, codec := range codecs {
		r, c := must(listenUDP(lo)), must(listenUDP(lo))
		sd := &side{rtp: r, rtcp: c}
		sides = append(sides, sd)
		desc := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
			"m=audio 4000 RTP/AVP %d\r\na=rtpmap:%d %s/8000\r\n", codec.PayloadType(), codec.PayloadType(), codec.Name())
		if err := m.add(sd, []byte(desc)); err != nil {
			t.Fatal(err)
		}
		p := &phone{conn: must(listenUDP(lo)), to: r.LocalAddr().(*net.UDPAddr).AddrPort(), codec: codec, freq: freqs[i]}
		phones = append(phones, p)
	}
	m.start()
	t.Cleanup(func() {
		m.close()
		for i, sd := range sides {
			sd.rtp.Close()
			sd.rtcp.Close()
			phones[i].conn.Close()
		}
		m.wait()
	})

	var wg sync.WaitGroup
	for _, p := range phones {
		wg.Go(func() { // what the phone hears
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
					p.mu.Unlock()
				}
			}
		})
		wg.Go(func() { // what it says: its tone, 2 s
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			frame := make([]int16, 160)
			payload := make([]byte, 160)
			for i := range 100 {
				<-tick.C
				audio.Sine(frame, p.freq, 8000, 8000, i*160)
				n, _ := p.codec.Encode(frame, payload)
				pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: p.codec.PayloadType(), SequenceNumber: uint16(i),
					Timestamp: uint32(i * 160), SSRC: uint32(p.freq)}, Payload: payload[:n]}
				b, _ := pkt.Marshal()
				p.conn.WriteToUDPAddrPort(b, p.to)
			}
		})
	}
	heard := func(p *phone) []int16 {
		p.mu.Lock()
		defer p.mu.Unlock()
		return append([]int16(nil), p.heard...)
	}
	eventually.True(20*time.Second, func() bool {
		for _, p := range phones {
			if len(heard(p)) < 8000 { // a second
				return false
			}
		}
		return true
	})
	for i, p := range phones {
		pcm := heard(p)
		for j, q := range phones {
			share := audio.BestShare(pcm, q.freq, 8000, 200*time.Millisecond)
			switch {
			case i == j && share > 0.05:
				t.Errorf("phone %d (%s) hears its own %v Hz: share %.2f", i, p.codec.Name(), q.freq, share)
			case i != j && share < 0.3:
				t.Errorf("phone %d (%s) does not hear phone %d's %v Hz: share %.2f", i, p.codec.Name(), j, q.freq, share)
			}
		}
	}
	for _, p := range phones {
		p.conn.SetReadDeadline(time.Now())
	}
	wg.Wait()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
