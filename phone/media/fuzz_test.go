package media

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
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

// FuzzReceiveRTCP feeds arbitrary datagrams to the RTCP path, muxed and
// not: nothing panics and Quality stays sane.
func FuzzReceiveRTCP(f *testing.F) {
	sr, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.SenderReport{SSRC: 1, NTPTime: 1 << 40, Reports: []rtcp.ReceptionReport{{SSRC: 2,
		FractionLost: 12, TotalLost: 0xfffff0, LastSenderReport: 77, Delay: 9}}}, &rtcp.Goodbye{Sources: []uint32{1}}})
	f.Add(sr)
	f.Add([]byte{0x80, 0xc9, 0, 1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Listen(netip.MustParseAddr("127.0.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Start(Config{Codec: audio.PCMU{}, PTime: 20 * time.Millisecond, RTCPInterval: -1,
			Remote: netip.MustParseAddrPort("127.0.0.1:9"), Symmetric: true}); err != nil {
			t.Fatal(err)
		}
		s.ssrc = 2
		from := netip.MustParseAddrPort("127.0.0.1:10")
		s.receiveRTCP(b, from, s.conn)
		s.receiveRTCP(b, from, s.rtcpConn)
		if q := s.Quality(); q.RTT < 0 || q.RemoteLoss < 0 || q.RemoteLoss >= 1 || q.RemoteJitter < 0 {
			t.Fatalf("quality %+v", q)
		}
	})
}
