package media

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/dtmf"
)

// FuzzReceive feeds arbitrary datagrams to a started session's receive
// path, then reads frames: nothing panics, and every frame read has the
// stream's size.
func FuzzReceive(f *testing.F) {
	good, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, Timestamp: 160}, Payload: make([]byte, 160)}).Marshal()
	event, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Timestamp: 320, Marker: true}, Payload: []byte{5, 0x8a, 3, 0x20}}).Marshal()
	f.Add(good)
	f.Add(event)
	f.Add([]byte{0x80, 0xc8, 0, 6}) // an RTCP sender report's start
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Listen(netip.MustParseAddr("127.0.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Start(Config{Codec: audio.PCMU{}, TelephoneEvent: 101, PTime: 20 * time.Millisecond,
			Remote: netip.MustParseAddrPort("127.0.0.1:9"), Symmetric: true}); err != nil {
			t.Fatal(err)
		}
		var p rtp.Packet
		var rx dtmf.Receiver
		from := netip.MustParseAddrPort("127.0.0.1:10")
		s.receive(good, from, &p, &rx)
		s.receive(b, from, &p, &rx)
		s.receive(b, from, &p, &rx)
		pcm := make([]int16, s.FrameSize())
		for range 5 {
			s.ReadFrame(pcm)
		}
	})
}
