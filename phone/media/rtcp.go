package media

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// Quality is what RTCP tells about a call's two streams: the far end's
// reports on what we send, and our own measure of what it sends.
type Quality struct {
	// Of the far end's stream, measured here (RFC 3550 A.1 and A.8).
	Expected, Lost int           // packets expected and lost so far
	Jitter         time.Duration // interarrival jitter
	// Of our stream, as the far end's last report told.
	Reports      int           // reports about our stream received
	RemoteLost   int           // cumulative packets it lost
	RemoteLoss   float64       // fraction lost in its last interval, 0..1
	RemoteJitter time.Duration // interarrival jitter it measures
	RTT          time.Duration // round trip from LSR/DLSR; 0 until known
	// Reports this side sent, and whether the far end said goodbye.
	Sent int
	Bye  bool
}

// recvStats follows the far end's stream for our reception reports.
type recvStats struct {
	ssrc                   uint32
	have                   bool
	base, max              uint16
	cycles                 uint32
	received               uint32
	expectedPrior, recvPri uint32
	jitter                 uint32 // RFC 3550 A.8, scaled by 16, in clock ticks
	lastTransit            int64
	haveTransit            bool
	lastSR                 uint32 // middle 32 bits of the NTP time in its last SR
	lastSRAt               time.Time
}

// epoch is the reference for arrival times in clock ticks.
var epoch = time.Now()

// packet counts one RTP packet from the far end; audio packets also feed
// the jitter estimate (event packets repeat their timestamps).
func (r *recvStats) packet(ssrc uint32, seq uint16, ts uint32, clock int, audio bool, at time.Time) {
	if !r.have || ssrc != r.ssrc {
		*r = recvStats{ssrc: ssrc, have: true, base: seq, max: seq, received: 1}
		return
	}
	r.received++
	if d := seq - r.max; d != 0 && d < 0x8000 { // ahead (late or duplicate packets change nothing)
		if seq < r.max {
			r.cycles += 1 << 16
		}
		r.max = seq
	}
	if !audio || clock <= 0 {
		return
	}
	arrival := at.Sub(epoch).Nanoseconds() * int64(clock) / int64(time.Second)
	transit := arrival - int64(ts)
	if r.haveTransit {
		d := transit - r.lastTransit
		if d < 0 {
			d = -d
		}
		if d < 1<<24 { // a timestamp jump (new talk spurt source) is not jitter
			r.jitter += uint32(d) - ((r.jitter + 8) >> 4)
		}
	}
	r.lastTransit, r.haveTransit = transit, true
}

// block writes the reception report about the far end's stream and starts
// a new interval.
func (r *recvStats) block(now time.Time) rtcp.ReceptionReport {
	ext := r.cycles + uint32(r.max)
	expected := ext - uint32(r.base) + 1
	lost := int64(expected) - int64(r.received)
	lost = max(min(lost, 0x7fffff), -0x800000)
	expInt := expected - r.expectedPrior
	recvInt := r.received - r.recvPri
	r.expectedPrior, r.recvPri = expected, r.received
	var fraction uint8
	if lostInt := int64(expInt) - int64(recvInt); expInt > 0 && lostInt > 0 {
		fraction = uint8(lostInt << 8 / int64(expInt))
	}
	rr := rtcp.ReceptionReport{SSRC: r.ssrc, FractionLost: fraction, TotalLost: uint32(lost) & 0xffffff,
		LastSequenceNumber: ext, Jitter: r.jitter >> 4, LastSenderReport: r.lastSR}
	if r.lastSR != 0 {
		rr.Delay = uint32(now.Sub(r.lastSRAt) * 65536 / time.Second)
	}
	return rr
}

// ntp converts a time to the 64-bit NTP format.
func ntp(t time.Time) uint64 {
	const unixToNTP = 2208988800
	secs := uint64(t.Unix()) + unixToNTP
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// middle32 is the compact NTP form used in LSR and for round trips.
func middle32(t time.Time) uint32 { return uint32(ntp(t) >> 16) }

// IsRTCP tells RTCP from RTP on a muxed port (RFC 5761 section 4).
func IsRTCP(b []byte) bool { return len(b) >= 2 && b[1] >= 192 && b[1] <= 223 }

// rtcpLoop sends a report every interval, randomised to between half and
// one and a half of it (RFC 3550 6.2), the first after half an interval.
// Close sends the goodbye.
func (s *Session) rtcpLoop(interval time.Duration) {
	defer s.wg.Done()
	wait := interval / 2
	for {
		select {
		case <-s.done:
			return
		case <-time.After(wait):
		}
		s.sendReport(false)
		wait = interval/2 + rand.N(interval)
	}
}

// sendReport sends one compound packet: a sender report if we sent since
// the last one (else a receiver report), our CNAME, and a goodbye if asked.
func (s *Session) sendReport(bye bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var blocks []rtcp.ReceptionReport
	s.statsMu.Lock()
	if s.rx.have {
		blocks = append(blocks, s.rx.block(now))
	}
	s.statsMu.Unlock()
	var report rtcp.Packet
	sent := s.sent.Load()
	if sent != s.sentAtReport {
		report = &rtcp.SenderReport{SSRC: s.ssrc, NTPTime: ntp(now), RTPTime: s.ts, PacketCount: uint32(sent),
			OctetCount: uint32(s.octets), Reports: blocks}
	} else {
		report = &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks}
	}
	s.sentAtReport = sent
	pkts := []rtcp.Packet{report, &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: s.ssrc,
		Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: s.cname}}}}}}
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{s.ssrc}})
	}
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return
	}
	if s.srtpTx != nil {
		if b, err = s.srtpTx.EncryptRTCP(nil, b, nil); err != nil {
			return
		}
	}
	conn, to := s.rtcpConn, s.remoteRTCP
	if s.cfg.RTCPMux {
		conn, to = s.conn, s.remote
	}
	if !to.IsValid() || s.paused && !bye {
		return
	}
	if _, err := conn.WriteToUDPAddrPort(b, to); err == nil {
		s.reportsSent++
	}
}

// rtcpReadLoop reads the RTCP socket (used when RTCP is not muxed).
func (s *Session) rtcpReadLoop() {
	defer s.wg.Done()
	buf := make([]byte, 1600)
	for {
		n, from, err := s.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		s.receiveRTCP(buf[:n], from, s.rtcpConn)
	}
}

// receiveRTCP reads a compound RTCP packet: the far end's sender report
// (kept for LSR), its report blocks about our stream, its goodbye.
func (s *Session) receiveRTCP(b []byte, from netip.AddrPort, via *net.UDPConn) {
	now := time.Now()
	s.mu.Lock()
	dec := s.srtpRx
	s.mu.Unlock()
	s.rxMu.Lock()
	if dec != nil {
		var err error
		b, err = dec.DecryptRTCP(nil, b, nil)
		if err != nil {
			s.rxMu.Unlock()
			return // unauthenticated: dropped unread
		}
	}
	s.rxMu.Unlock()
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return
	}
	s.mu.Lock()
	if via == s.rtcpConn && s.cfg.Symmetric && !s.cfg.RTCPMux {
		s.remoteRTCP = netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) // latch, as for RTP
	}
	ours := s.ssrc
	clock := 8000
	if s.cfg.Codec != nil {
		clock = s.cfg.Codec.ClockRate()
	}
	s.mu.Unlock()
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	for _, p := range pkts {
		var blocks []rtcp.ReceptionReport
		switch p := p.(type) {
		case *rtcp.SenderReport:
			if !s.rx.have || p.SSRC == s.rx.ssrc {
				s.rx.lastSR, s.rx.lastSRAt = uint32(p.NTPTime>>16), now
			}
			blocks = p.Reports
		case *rtcp.ReceiverReport:
			blocks = p.Reports
		case *rtcp.Goodbye:
			s.q.Bye = true
		}
		for _, r := range blocks {
			if r.SSRC != ours {
				continue
			}
			s.q.Reports++
			s.q.RemoteLoss = float64(r.FractionLost) / 256
			lost := int32(r.TotalLost<<8) >> 8 // 24-bit signed
			s.q.RemoteLost = int(lost)
			s.q.RemoteJitter = time.Duration(r.Jitter) * time.Second / time.Duration(clock)
			if rtt, ok := roundTrip(middle32(now), r.LastSenderReport, r.Delay); ok {
				s.q.RTT = rtt
			}
		}
	}
}

// roundTrip is the round trip a report block tells (RFC 3550 6.4.1), from
// the time it arrived, its LSR and its DLSR, all in NTP's middle 32 bits;
// false when it tells none (no sender report yet, or a clock that went
// back). A round trip under the format's resolution (1/65536 s, as on
// loopback) is that resolution: known, and not the 0 that means unknown.
func roundTrip(arrived, lsr, dlsr uint32) (time.Duration, bool) {
	if lsr == 0 {
		return 0, false
	}
	rtt := arrived - lsr - dlsr
	if rtt >= 1<<31 {
		return 0, false
	}
	return max(time.Duration(rtt)*time.Second/65536, time.Second/65536), true
}

// Quality returns what RTCP has told so far about the call's streams.
func (s *Session) Quality() Quality {
	s.mu.Lock()
	clock := 8000
	if s.cfg.Codec != nil {
		clock = s.cfg.Codec.ClockRate()
	}
	sent := s.reportsSent
	s.mu.Unlock()
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	q := s.q
	q.Sent = sent
	if s.rx.have {
		ext := s.rx.cycles + uint32(s.rx.max)
		q.Expected = int(ext - uint32(s.rx.base) + 1)
		q.Lost = max(q.Expected-int(s.rx.received), 0)
		q.Jitter = time.Duration(s.rx.jitter>>4) * time.Second / time.Duration(clock)
	}
	return q
}
