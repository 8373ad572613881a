// Package media carries one call's audio over RTP: it sends encoded frames
// and RFC 4733 key presses to the far end, receives into a jitter buffer,
// decodes or conceals one frame per interval, latches onto the address the
// far end really sends from (symmetric RTP, for NAT), and notices when the
// far end goes silent on the network.
package media

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/audio/jitter"
	"github.com/tetherphone/tether/phone/dtmf"
)

// ErrClosed means the session was closed.
var ErrClosed = errors.New("media: session closed")

// Config describes the negotiated stream.
type Config struct {
	Codec          audio.Codec
	PayloadType    uint8 // as negotiated (dynamic codecs differ from the static type)
	TelephoneEvent uint8 // the telephone-event payload type; 0 when not negotiated
	PTime          time.Duration
	Remote         netip.AddrPort // where the far end said to send
	Symmetric      bool           // latch onto the address packets come from
	SRTP           *SRTP          // keys when the stream is SRTP (SDES); nil for plain RTP
	// RTCP goes to RemoteRTCP, or with the RTP when RTCPMux (RFC 5761).
	RemoteRTCP netip.AddrPort
	RTCPMux    bool
	// RTCPInterval is the mean time between reports: 5 s when zero (RFC
	// 3550's minimum); negative sends none.
	RTCPInterval time.Duration
	// PCMRate is the rate WriteFrame and ReadFrame exchange audio at (a
	// sound device's, a file's); the session resamples to and from the
	// codec's. Zero means the codec's own.
	PCMRate int
}

// Stats counts a session's packets.
type Stats struct {
	Sent, Received int
	Jitter         jitter.Stats
	Latched        netip.AddrPort // the address media is sent to now
	Quality        Quality
}

// queued is a key press packet waiting to go, or a frame of audio between
// presses.
type queued struct {
	pkt dtmf.Packet
	gap bool
}

// Session is one call's RTP stream.
type Session struct {
	conn     *net.UDPConn
	rtcpConn *net.UDPConn
	cname    string

	mu        sync.Mutex
	cfg       Config
	remote    netip.AddrPort
	seq       uint16
	ts        uint32
	ssrc      uint32
	sendBuf   []byte
	pcmBuf    []byte
	frame     int              // samples per frame at the PCM rate
	codecN    int              // samples per frame at the codec's rate
	toCodec   *audio.Resampler // PCM rate to codec rate; nil when they match
	fromCodec *audio.Resampler
	txCodec   []int16 // a frame resampled for the encoder
	rxCodec   []int16 // a frame decoded, before resampling
	started   bool
	dtmfQueue []queued
	dtmfTS    uint32
	paused    bool // on hold: send nothing
	muted     bool // send silence (key presses still go)
	noRecv    bool // the far end sends nothing (it holds us): no timeout

	remoteRTCP   netip.AddrPort
	octets       int64 // payload octets sent, for sender reports
	sentAtReport int64
	reportsSent  int

	rxMu    sync.Mutex // the receive-side SRTP context, shared by two readers
	statsMu sync.Mutex
	rx      recvStats
	q       Quality

	srtpTx   *srtp.Context // encrypts what we send; nil for plain RTP
	srtpRx   *srtp.Context
	encBuf   []byte
	jb       *jitter.Buffer
	conceal  *audio.Concealer
	popBuf   []byte
	lastRecv atomic.Int64 // unix nanos of the last packet
	sent     atomic.Int64
	received atomic.Int64

	digits chan rune
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// Listen opens an RTP socket on addr with a port the OS picks.
func Listen(addr netip.Addr) (*Session, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		return nil, fmt.Errorf("media: listen: %w", err)
	}
	rtcpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("media: listen for RTCP: %w", err)
	}
	var b [14]byte
	rand.Read(b[:])
	return &Session{conn: conn, rtcpConn: rtcpConn, ssrc: binary.BigEndian.Uint32(b[:4]), seq: binary.BigEndian.Uint16(b[4:]),
		cname: fmt.Sprintf("%x@tether", b[6:]), digits: make(chan rune, 32), done: make(chan struct{})}, nil
}

// LocalAddr is the address to put in SDP.
func (s *Session) LocalAddr() netip.AddrPort { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// LocalRTCPAddr is where RTCP is received when it is not muxed with RTP
// (SDP's a=rtcp, RFC 3605).
func (s *Session) LocalRTCPAddr() netip.AddrPort {
	return s.rtcpConn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Start begins sending and receiving with the negotiated stream. Calling
// it again (after a re-INVITE) changes the stream in place.
func (s *Session) Start(cfg Config) error {
	if cfg.Codec == nil || !cfg.Remote.IsValid() {
		return fmt.Errorf("media: a stream needs a codec and a remote address")
	}
	if cfg.PTime <= 0 {
		cfg.PTime = 20 * time.Millisecond
	}
	ms := int(cfg.PTime / time.Millisecond)
	codecN := cfg.Codec.SampleRate() * ms / 1000
	if cfg.PCMRate == 0 {
		cfg.PCMRate = cfg.Codec.SampleRate()
	}
	frame := cfg.PCMRate * ms / 1000
	var toCodec, fromCodec *audio.Resampler
	if cfg.PCMRate != cfg.Codec.SampleRate() {
		var err error
		if toCodec, err = audio.NewResampler(cfg.PCMRate, cfg.Codec.SampleRate()); err != nil {
			return fmt.Errorf("media: %w", err)
		}
		if fromCodec, err = audio.NewResampler(cfg.Codec.SampleRate(), cfg.PCMRate); err != nil {
			return fmt.Errorf("media: %w", err)
		}
	}
	ticks := uint32(cfg.Codec.ClockRate() * ms / 1000)
	s.mu.Lock()
	defer s.mu.Unlock()
	var tx, rx *srtp.Context
	if cfg.SRTP != nil {
		var err error
		if tx, rx, err = cfg.SRTP.contexts(); err != nil {
			return err
		}
	}
	codecChanged := s.cfg.Codec == nil || s.cfg.Codec.Name() != cfg.Codec.Name() || s.frame != frame || s.codecN != codecN ||
		s.cfg.PCMRate != cfg.PCMRate
	if cfg.SRTP == nil || s.srtpTx == nil || !keysEqual(s.cfg.SRTP, cfg.SRTP) {
		s.srtpTx, s.srtpRx = tx, rx // new keys, new contexts; the same keys keep their state
	}
	s.cfg, s.remote, s.frame, s.codecN = cfg, cfg.Remote, frame, codecN
	s.remoteRTCP = cfg.RemoteRTCP
	s.encBuf = make([]byte, 1600)
	if codecChanged {
		s.jb = jitter.New(jitter.Config{FrameTicks: ticks, StartDelay: 1, MaxDelay: 10})
		s.conceal = audio.NewConcealer(cfg.Codec.SampleRate(), codecN)
		s.sendBuf = make([]byte, 12+4*codecN+64)
		s.pcmBuf = make([]byte, 4*codecN)
		s.toCodec, s.fromCodec = toCodec, fromCodec
		s.txCodec, s.rxCodec = make([]int16, codecN+1), make([]int16, codecN)
		s.popBuf = make([]byte, 1500)
	}
	if !s.started {
		s.started = true
		s.lastRecv.Store(time.Now().UnixNano())
		s.wg.Add(2)
		go s.readLoop()
		go s.rtcpReadLoop()
		if cfg.RTCPInterval >= 0 {
			s.wg.Add(1)
			go s.rtcpLoop(cmp.Or(cfg.RTCPInterval, 5*time.Second))
		}
	}
	return nil
}

// SetPaused stops (or resumes) sending, for hold.
func (s *Session) SetPaused(p bool) {
	s.mu.Lock()
	s.paused = p
	s.mu.Unlock()
}

// SetMuted sends silence instead of the microphone (or stops doing so).
// The stream keeps flowing, so the far end does not take the call for
// dead, and key presses still go.
func (s *Session) SetMuted(m bool) {
	s.mu.Lock()
	s.muted = m
	s.mu.Unlock()
}

// Muted reports whether the session sends silence.
func (s *Session) Muted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.muted
}

// SetExpectReceive says whether the far end is meant to send (not while it
// holds the call), so silence is not taken for a dead call.
func (s *Session) SetExpectReceive(expect bool) {
	s.mu.Lock()
	s.noRecv = !expect
	s.mu.Unlock()
	s.lastRecv.Store(time.Now().UnixNano())
}

// FrameSize returns the samples per frame of the current stream.
func (s *Session) FrameSize() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frame
}

// WriteFrame encodes one frame of audio and sends it; while a key press is
// being sent, its event packets go instead.
func (s *Session) WriteFrame(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return fmt.Errorf("media: not started")
	}
	ticks := uint32(s.cfg.Codec.ClockRate() * int(s.cfg.PTime/time.Millisecond) / 1000)
	defer func() { s.ts += ticks }()
	if s.paused {
		return nil
	}
	if len(s.dtmfQueue) > 0 {
		q := s.dtmfQueue[0]
		s.dtmfQueue = s.dtmfQueue[1:]
		if !q.gap {
			if q.pkt.Marker {
				s.dtmfTS = s.ts // a press is stamped with the time it began
			}
			payload := q.pkt.Event.Marshal(s.pcmBuf[:0])
			return s.send(s.cfg.TelephoneEvent, s.dtmfTS, q.pkt.Marker, payload)
		}
	}
	if s.muted {
		clear(s.txCodec)
		pcm = s.txCodec[:s.codecN]
	} else if s.toCodec != nil {
		m := s.toCodec.Process(pcm, s.txCodec)
		clear(s.txCodec[m:]) // a short frame (the caller's odd size) is padded
		pcm = s.txCodec[:s.codecN]
	}
	n, err := s.cfg.Codec.Encode(pcm, s.pcmBuf)
	if err != nil {
		return err
	}
	return s.send(s.cfg.PayloadType, s.ts, false, s.pcmBuf[:n])
}

func (s *Session) send(pt uint8, ts uint32, marker bool, payload []byte) error {
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: s.seq, Timestamp: ts,
		SSRC: s.ssrc, Marker: marker}, Payload: payload}
	n, err := p.MarshalTo(s.sendBuf)
	if err != nil {
		return err
	}
	s.seq++
	s.octets += int64(len(payload))
	out := s.sendBuf[:n]
	if s.srtpTx != nil {
		if out, err = s.srtpTx.EncryptRTP(s.encBuf[:0], out, &p.Header); err != nil {
			return err
		}
	}
	if _, err := s.conn.WriteToUDPAddrPort(out, s.remote); err != nil {
		return err
	}
	s.sent.Add(1)
	return nil
}

// SendDTMF queues key presses as RFC 4733 events, each lasting press,
// with gap of silence between them; they go out with the next frames.
func (s *Session) SendDTMF(digits string, press time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.TelephoneEvent == 0 {
		return fmt.Errorf("media: the far end did not accept telephone-events")
	}
	if !dtmf.ValidDigits(digits) {
		return fmt.Errorf("media: %q holds a character that is not a keypad digit", digits)
	}
	ticksPerMs := uint32(s.cfg.Codec.ClockRate() / 1000)
	step := uint16(ticksPerMs * uint32(s.cfg.PTime/time.Millisecond))
	length := uint16(ticksPerMs * uint32(press/time.Millisecond))
	for _, d := range digits {
		ps, err := dtmf.Press(d, length, step, 10)
		if err != nil {
			return err
		}
		for _, p := range ps {
			s.dtmfQueue = append(s.dtmfQueue, queued{pkt: p})
		}
		for range 3 { // 60 ms of audio between presses
			s.dtmfQueue = append(s.dtmfQueue, queued{gap: true})
		}
	}
	return nil
}

// InjectDigit delivers a key press that came another way (SIP INFO) on
// Digits, beside the RTP events.
func (s *Session) InjectDigit(d rune) {
	select {
	case s.digits <- d:
	default:
	}
}

// Digits delivers key presses the far end sends as telephone-events.
func (s *Session) Digits() <-chan rune { return s.digits }

// ReadFrame fills pcm with the next frame of received audio: decoded,
// concealed when lost, silence while nothing has come. It returns the
// jitter buffer's verdict for the frame.
func (s *Session) ReadFrame(pcm []int16) jitter.Status {
	s.mu.Lock()
	jb, conceal, codec, buf := s.jb, s.conceal, s.cfg.Codec, s.popBuf
	from, decoded := s.fromCodec, s.rxCodec
	s.mu.Unlock()
	if jb == nil {
		clear(pcm)
		return jitter.Waiting
	}
	if from == nil {
		return s.readCodec(jb, conceal, codec, buf, pcm)
	}
	st := s.readCodec(jb, conceal, codec, buf, decoded)
	if n := from.Process(decoded, pcm); n < len(pcm) {
		clear(pcm[n:])
	}
	return st
}

// readCodec pops and decodes (or conceals) one frame at the codec's rate.
func (s *Session) readCodec(jb *jitter.Buffer, conceal *audio.Concealer, codec audio.Codec, buf []byte, pcm []int16) jitter.Status {
	n, st := jb.Pop(buf)
	switch st {
	case jitter.Frame:
		m, err := codec.Decode(buf[:n], pcm)
		if err != nil || m != len(pcm) {
			conceal.Conceal(pcm)
			return jitter.Lost
		}
		conceal.Good(pcm)
	case jitter.Lost:
		conceal.Conceal(pcm)
	default:
		clear(pcm)
	}
	return st
}

func (s *Session) readLoop() {
	defer s.wg.Done()
	buf := make([]byte, 1600)
	plain := make([]byte, 1600)
	var rx dtmf.Receiver
	var p rtp.Packet
	var h rtp.Header
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		b := buf[:n]
		if IsRTCP(b) {
			s.receiveRTCP(b, from, s.conn)
			continue
		}
		s.mu.Lock()
		dec := s.srtpRx
		s.mu.Unlock()
		if dec != nil {
			// Anything that does not authenticate is dropped unread.
			s.rxMu.Lock()
			b, err = dec.DecryptRTP(plain[:0], b, &h)
			s.rxMu.Unlock()
			if err != nil {
				continue
			}
		}
		s.receive(b, from, &p, &rx)
	}
}

func keysEqual(a, b *SRTP) bool {
	return a != nil && b != nil && string(a.LocalKey) == string(b.LocalKey) && string(a.RemoteKey) == string(b.RemoteKey)
}

// receive handles one datagram: RTP audio goes to the jitter buffer,
// telephone-events become digits, anything else is ignored.
func (s *Session) receive(b []byte, from netip.AddrPort, p *rtp.Packet, rx *dtmf.Receiver) {
	if err := p.Unmarshal(b); err != nil || p.Version != 2 {
		return // not RTP (RTCP on a muxed port, STUN, junk)
	}
	s.mu.Lock()
	cfg, jb := s.cfg, s.jb
	if cfg.Symmetric && from != s.remote && (p.PayloadType == cfg.PayloadType || p.PayloadType == cfg.TelephoneEvent) {
		s.remote = netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) // latch
	}
	s.mu.Unlock()
	now := time.Now()
	s.lastRecv.Store(now.UnixNano())
	s.received.Add(1)
	s.statsMu.Lock()
	s.rx.packet(p.SSRC, p.SequenceNumber, p.Timestamp, cfg.Codec.ClockRate(), p.PayloadType == cfg.PayloadType, now)
	s.statsMu.Unlock()
	switch {
	case p.PayloadType == cfg.PayloadType:
		jb.Push(p.Timestamp, p.Payload)
	case cfg.TelephoneEvent != 0 && p.PayloadType == cfg.TelephoneEvent:
		if e, err := dtmf.Parse(p.Payload); err == nil {
			if d, ok := rx.Packet(p.Timestamp, e); ok {
				select {
				case s.digits <- d:
				default: // nobody listening: drop rather than block the network
				}
			}
		}
	}
}

// Silence returns how long no packet has come from the far end.
func (s *Session) Silence() time.Duration {
	return time.Since(time.Unix(0, s.lastRecv.Load()))
}

// WatchTimeout calls onTimeout once if no packet arrives for d while the
// far end is meant to send, until ctx ends or the session closes.
func (s *Session) WatchTimeout(ctx context.Context, d time.Duration, onTimeout func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(min(d/4, time.Second))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.done:
				return
			case <-t.C:
				s.mu.Lock()
				quiet := s.noRecv
				s.mu.Unlock()
				if !quiet && s.Silence() > d {
					// Off this goroutine: onTimeout may close the session,
					// which waits for this goroutine.
					go onTimeout()
					return
				}
			}
		}
	}()
}

// Stats returns the session's counters.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	st := Stats{Sent: int(s.sent.Load()), Received: int(s.received.Load()), Latched: s.remote}
	if s.jb != nil {
		st.Jitter = s.jb.Stats()
	}
	s.mu.Unlock()
	st.Quality = s.Quality()
	return st
}

// Close stops the session and releases its socket.
func (s *Session) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		started, interval := s.started, s.cfg.RTCPInterval
		s.mu.Unlock()
		if started && interval >= 0 {
			s.sendReport(true) // RFC 3550 6.6: say goodbye
		}
		close(s.done)
		err = errors.Join(s.conn.Close(), s.rtcpConn.Close())
		s.wg.Wait()
	})
	return err
}
