package media_test

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/media"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func listen(t *testing.T) *media.Session {
	t.Helper()
	s, err := media.Listen(loopback)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func start(t *testing.T, s *media.Session, remote netip.AddrPort, symmetric bool) {
	t.Helper()
	err := s.Start(media.Config{Codec: audio.PCMU{}, PayloadType: 0, TelephoneEvent: 101, PTime: 20 * time.Millisecond,
		Remote: remote, Symmetric: symmetric})
	if err != nil {
		t.Fatal(err)
	}
}

// pump plays a tone into s and records what s receives, frame by frame in
// real time, for d.
func pump(s *media.Session, freq float64, d time.Duration) []int16 {
	n := s.FrameSize()
	out := make([]int16, 0, int(d/time.Millisecond)*8)
	tone := make([]int16, n)
	in := make([]int16, n)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for k := 0; k < int(d/(20*time.Millisecond)); k++ {
		<-t.C
		audio.Sine(tone, freq, 8000, 12000, k*n)
		s.WriteFrame(tone)
		s.ReadFrame(in)
		out = append(out, in...)
	}
	return out
}

// both runs pump on two sessions at once.
func both(a, b *media.Session, fa, fb float64, d time.Duration) (recA, recB []int16) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); recA = pump(a, fa, d) }()
	go func() { defer wg.Done(); recB = pump(b, fb, d) }()
	wg.Wait()
	return
}

func TestToneBothWays(t *testing.T) {
	a, b := listen(t), listen(t)
	start(t, a, b.LocalAddr(), true)
	start(t, b, a.LocalAddr(), true)
	recA, recB := both(a, b, 440, 1000, time.Second)
	// Skip the first 200 ms (jitter buffer filling), then each side hears
	// the other's tone.
	if share := audio.BestShare(recB[1600:], 440, 8000, 250*time.Millisecond); share < 0.9 {
		t.Errorf("B hears 440 Hz at share %.2f", share)
	}
	if share := audio.BestShare(recA[1600:], 1000, 8000, 250*time.Millisecond); share < 0.9 {
		t.Errorf("A hears 1000 Hz at share %.2f", share)
	}
	if st := a.Stats(); st.Sent < 40 || st.Received < 40 {
		t.Errorf("A stats %+v", st)
	}
}

func TestDTMF(t *testing.T) {
	a, b := listen(t), listen(t)
	start(t, a, b.LocalAddr(), true)
	start(t, b, a.LocalAddr(), true)
	if err := a.SendDTMF("12#9", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := a.SendDTMF("1x", 100*time.Millisecond); err == nil {
		t.Error("a bad digit was accepted")
	}
	go both(a, b, 440, 440, 2*time.Second)
	var got []rune
	deadline := time.After(10 * time.Second)
	for len(got) < 4 {
		select {
		case d := <-b.Digits():
			got = append(got, d)
		case <-deadline:
			t.Fatalf("received %q before the deadline", string(got))
		}
	}
	if string(got) != "12#9" {
		t.Fatalf("received %q, want 12#9", string(got))
	}
}

// relay forwards UDP between two sessions, dropping a share of packets.
type relay struct {
	conn *net.UDPConn
	mu   sync.Mutex
	a, b netip.AddrPort
	drop float64
	r    *rand.Rand
}

func newRelay(t *testing.T, a, b netip.AddrPort, drop float64) *relay {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{conn: c, a: a, b: b, drop: drop, r: rand.New(rand.NewPCG(11, 12))}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 1600)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			r.mu.Lock()
			to := r.b
			if from == r.b {
				to = r.a
			}
			lose := r.r.Float64() < r.drop
			r.mu.Unlock()
			if !lose {
				c.WriteToUDPAddrPort(buf[:n], to)
			}
		}
	}()
	return r
}

func (r *relay) addr() netip.AddrPort { return r.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// TestFivePercentLoss: with 5% of packets lost, the tone still comes
// through and no gap of silence is longer than 60 ms.
func TestFivePercentLoss(t *testing.T) {
	a, b := listen(t), listen(t)
	r := newRelay(t, a.LocalAddr(), b.LocalAddr(), 0.05)
	start(t, a, r.addr(), false)
	start(t, b, r.addr(), false)
	_, recB := both(a, b, 440, 1000, 3*time.Second)
	heard := recB[1600:]
	if share := audio.ToneShare(heard, 440, 8000); share < 0.85 {
		t.Errorf("440 Hz share %.2f under 5%% loss", share)
	}
	const win = 80 // 10 ms windows
	gap, longest := 0, 0
	for i := 0; i+win <= len(heard); i += win {
		if audio.Energy(heard[i:i+win]) < 1e-4 {
			gap += 10
			longest = max(longest, gap)
		} else {
			gap = 0
		}
	}
	if longest > 60 {
		t.Errorf("a silent gap of %d ms", longest)
	}
	st := b.Stats()
	t.Logf("B: %+v; longest gap %d ms", st, longest)
	if st.Jitter.Lost == 0 {
		t.Error("no loss was seen: the relay did not drop")
	}
}

// TestSymmetricRTP: B was told a wrong address for A (as behind a NAT);
// once A's packets arrive, B sends back to where they came from.
func TestSymmetricRTP(t *testing.T) {
	a, b := listen(t), listen(t)
	dead, _ := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	wrong := dead.LocalAddr().(*net.UDPAddr).AddrPort()
	dead.Close()
	start(t, a, b.LocalAddr(), true)
	start(t, b, wrong, true)
	recA, _ := both(a, b, 440, 1000, time.Second)
	if got := b.Stats().Latched; got != a.LocalAddr() {
		t.Fatalf("B sends to %s, want A at %s", got, a.LocalAddr())
	}
	if share := audio.BestShare(recA[4000:], 1000, 8000, 250*time.Millisecond); share < 0.9 {
		t.Errorf("A hears B at share %.2f after latching", share)
	}
}

func TestTimeout(t *testing.T) {
	a, b := listen(t), listen(t)
	start(t, a, b.LocalAddr(), true)
	start(t, b, a.LocalAddr(), true)
	fired := make(chan struct{})
	b.WatchTimeout(context.Background(), 300*time.Millisecond, func() { close(fired) })
	pump(a, 440, 200*time.Millisecond) // then A goes quiet
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("no timeout after the far end went quiet")
	}
	// While the far end holds the call, silence is expected: no timeout.
	c, d := listen(t), listen(t)
	start(t, c, d.LocalAddr(), true)
	start(t, d, c.LocalAddr(), true)
	d.SetExpectReceive(false)
	quiet := make(chan struct{}, 1)
	d.WatchTimeout(context.Background(), 200*time.Millisecond, func() { quiet <- struct{}{} })
	select {
	case <-quiet:
		t.Fatal("a held call timed out")
	case <-time.After(time.Second):
	}
}

// TestSRTP: with SDES keys both ways the tone passes; a receiver holding
// the wrong key hears nothing (every packet fails authentication).
func TestSRTP(t *testing.T) {
	ka, _ := media.NewKey()
	kb, _ := media.NewKey()
	a, b := listen(t), listen(t)
	startSRTP := func(s *media.Session, remote netip.AddrPort, keys *media.SRTP) {
		t.Helper()
		if err := s.Start(media.Config{Codec: audio.PCMU{}, PayloadType: 0, TelephoneEvent: 101, PTime: 20 * time.Millisecond,
			Remote: remote, Symmetric: true, SRTP: keys}); err != nil {
			t.Fatal(err)
		}
	}
	startSRTP(a, b.LocalAddr(), &media.SRTP{LocalKey: ka, RemoteKey: kb})
	startSRTP(b, a.LocalAddr(), &media.SRTP{LocalKey: kb, RemoteKey: ka})
	recA, recB := both(a, b, 440, 1000, time.Second)
	if s := audio.BestShare(recB[1600:], 440, 8000, 250*time.Millisecond); s < 0.9 {
		t.Errorf("B hears A over SRTP at share %.2f", s)
	}
	if s := audio.BestShare(recA[1600:], 1000, 8000, 250*time.Millisecond); s < 0.9 {
		t.Errorf("A hears B over SRTP at share %.2f", s)
	}
	// A third party with a wrong key for A's stream.
	wrong, _ := media.NewKey()
	c := listen(t)
	startSRTP(c, a.LocalAddr(), &media.SRTP{LocalKey: kb, RemoteKey: wrong})
	startSRTP(a, c.LocalAddr(), &media.SRTP{LocalKey: ka, RemoteKey: kb})
	_, recC := both(a, c, 440, 1000, 500*time.Millisecond)
	if e := audio.Energy(recC); e > 1e-6 {
		t.Errorf("a wrong key still decodes audio (energy %.4f)", e)
	}
}

func TestKeyParams(t *testing.T) {
	k, param := media.NewKey()
	back, err := media.ParseKey(param + "|2^31|1:1")
	if err != nil || string(back) != string(k) {
		t.Fatalf("ParseKey(%q) = %x, %v", param, back, err)
	}
	for _, bad := range []string{"", "inline:", "inline:!!!", "uri:x", "inline:QUJD"} {
		if _, err := media.ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func startRTCP(t *testing.T, s *media.Session, remote, remoteRTCP netip.AddrPort, mux bool) {
	t.Helper()
	err := s.Start(media.Config{Codec: audio.PCMU{}, PayloadType: 0, TelephoneEvent: 101, PTime: 20 * time.Millisecond,
		Remote: remote, RemoteRTCP: remoteRTCP, RTCPMux: mux, Symmetric: true, RTCPInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRTCPReportsLoss: through a path that drops 10% of packets, RTCP muxed
// on the RTP port tells each side what the other lost and the round trip.
func TestRTCPReportsLoss(t *testing.T) {
	a, b := listen(t), listen(t)
	r := newRelay(t, a.LocalAddr(), b.LocalAddr(), 0.10)
	startRTCP(t, a, r.addr(), netip.AddrPort{}, true)
	startRTCP(t, b, r.addr(), netip.AddrPort{}, true)
	both(a, b, 440, 1000, 3*time.Second)
	qa, qb := a.Stats().Quality, b.Stats().Quality
	t.Logf("A: %+v", qa)
	t.Logf("B: %+v", qb)
	if qa.Sent == 0 || qa.Reports == 0 || qb.Reports == 0 {
		t.Fatalf("reports: A sent %d and got %d, B got %d", qa.Sent, qa.Reports, qb.Reports)
	}
	// 150 packets each way at 10%: B lost some of A's, and says so.
	if qb.Lost < 3 || qb.Lost > 45 || qb.Expected < 100 {
		t.Errorf("B measured %d lost of %d expected", qb.Lost, qb.Expected)
	}
	if qa.RemoteLost < 1 || qa.RemoteLost > qb.Lost {
		t.Errorf("A was told %d lost; B had lost %d by the end", qa.RemoteLost, qb.Lost)
	}
	if qa.RTT <= 0 || qa.RTT > time.Second {
		t.Errorf("A's round trip %v over loopback", qa.RTT)
	}
}

// TestRTCPSeparatePort: without rtcp-mux, reports go between the RTCP
// sockets (SDP's a=rtcp), and closing a session says goodbye.
func TestRTCPSeparatePort(t *testing.T) {
	a, b := listen(t), listen(t)
	startRTCP(t, a, b.LocalAddr(), b.LocalRTCPAddr(), false)
	startRTCP(t, b, a.LocalAddr(), a.LocalRTCPAddr(), false)
	both(a, b, 440, 1000, time.Second)
	if q := a.Stats().Quality; q.Reports == 0 || q.RTT <= 0 || q.RemoteLost != 0 {
		t.Errorf("A: %+v", q)
	}
	a.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !b.Stats().Quality.Bye && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !b.Stats().Quality.Bye {
		t.Error("B never saw A's RTCP goodbye")
	}
}

// pumpAt is pump at any PCM rate.
func pumpAt(s *media.Session, freq float64, rate int, d time.Duration) []int16 {
	n := s.FrameSize()
	var out []int16
	tone, in := make([]int16, n), make([]int16, n)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for k := 0; k < int(d/(20*time.Millisecond)); k++ {
		<-t.C
		audio.Sine(tone, freq, rate, 12000, k*n)
		s.WriteFrame(tone)
		s.ReadFrame(in)
		out = append(out, in...)
	}
	return out
}

// TestPCMRate: one side exchanges 16 kHz audio with its session, the other
// 8 kHz, over PCMU and over 16 kHz Opus: each hears the other's tone at
// its own rate.
func TestPCMRate(t *testing.T) {
	opus, err := audio.NewOpus(16000)
	if err != nil {
		t.Fatal(err)
	}
	opus2, _ := audio.NewOpus(16000)
	for _, c := range []struct {
		name   string
		a, b   audio.Codec
		pt     uint8
		rateA  int
		rateB  int
		frameA int
	}{
		{"PCMU", audio.PCMU{}, audio.PCMU{}, 0, 16000, 8000, 320},
		{"opus", opus, opus2, 111, 16000, 8000, 320},
	} {
		a, b := listen(t), listen(t)
		for _, x := range []struct {
			s      *media.Session
			codec  audio.Codec
			remote netip.AddrPort
			rate   int
		}{{a, c.a, b.LocalAddr(), c.rateA}, {b, c.b, a.LocalAddr(), c.rateB}} {
			if err := x.s.Start(media.Config{Codec: x.codec, PayloadType: c.pt, PTime: 20 * time.Millisecond, Remote: x.remote,
				Symmetric: true, PCMRate: x.rate}); err != nil {
				t.Fatal(err)
			}
		}
		if a.FrameSize() != c.frameA || b.FrameSize() != 160 {
			t.Fatalf("%s: frames of %d and %d", c.name, a.FrameSize(), b.FrameSize())
		}
		var recA, recB []int16
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); recA = pumpAt(a, 1000, c.rateA, time.Second) }()
		go func() { defer wg.Done(); recB = pumpAt(b, 440, c.rateB, time.Second) }()
		wg.Wait()
		if s := audio.BestShare(recB[len(recB)/4:], 1000, c.rateB, 250*time.Millisecond); s < 0.9 {
			t.Errorf("%s: the 8 kHz side hears 1 kHz at share %.2f", c.name, s)
		}
		if s := audio.BestShare(recA[len(recA)/4:], 440, c.rateA, 250*time.Millisecond); s < 0.9 {
			t.Errorf("%s: the 16 kHz side hears 440 Hz at share %.2f", c.name, s)
		}
	}
}

// TestWidebandOpus: between two 16 kHz ends, Opus carries a 6 kHz tone
// (wideband) and PCMU, bound to 8 kHz, cannot.
func TestWidebandOpus(t *testing.T) {
	for _, c := range []struct {
		name    string
		codec   func() audio.Codec
		pt      uint8
		carries bool
	}{
		{"opus", func() audio.Codec { o, _ := audio.NewOpus(16000); return o }, 111, true},
		{"PCMU", func() audio.Codec { return audio.PCMU{} }, 0, false},
	} {
		a, b := listen(t), listen(t)
		for _, x := range [][2]*media.Session{{a, b}, {b, a}} {
			if err := x[0].Start(media.Config{Codec: c.codec(), PayloadType: c.pt, PTime: 20 * time.Millisecond,
				Remote: x[1].LocalAddr(), Symmetric: true, PCMRate: 16000}); err != nil {
				t.Fatal(err)
			}
		}
		var recB []int16
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); pumpAt(a, 6000, 16000, time.Second) }()
		go func() { defer wg.Done(); recB = pumpAt(b, 0, 16000, time.Second) }()
		wg.Wait()
		heard := recB[len(recB)/4:]
		share := audio.ToneShare(heard, 6000, 16000)
		if c.carries && share < 0.8 {
			t.Errorf("%s: 6 kHz arrives at share %.2f", c.name, share)
		}
		if !c.carries && audio.Energy(heard) > 1e-4 {
			t.Errorf("%s: something arrives above its band (power %.5f)", c.name, audio.Energy(heard))
		}
	}
}

// TestMute: muted, the far end hears silence while packets keep flowing
// (and key presses still go); unmuted, the tone again.
func TestMute(t *testing.T) {
	a, b := listen(t), listen(t)
	start(t, a, b.LocalAddr(), true)
	start(t, b, a.LocalAddr(), true)
	both(a, b, 440, 1000, 400*time.Millisecond)
	a.SetMuted(true)
	if !a.Muted() {
		t.Fatal("not muted")
	}
	before := b.Stats().Received
	_, recB := both(a, b, 440, 1000, time.Second)
	if e := audio.Energy(recB[800:]); e > 1e-5 {
		t.Errorf("muted, the far end still hears power %.5f", e)
	}
	if got := b.Stats().Received - before; got < 40 {
		t.Errorf("muted, only %d packets flowed in a second", got)
	}
	if err := a.SendDTMF("7", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	both(a, b, 440, 1000, 400*time.Millisecond)
	select {
	case d := <-b.Digits():
		if d != '7' {
			t.Errorf("muted key press arrived as %q", d)
		}
	case <-time.After(5 * time.Second):
		t.Error("a key pressed while muted never arrived")
	}
	a.SetMuted(false)
	_, recB = both(a, b, 440, 1000, time.Second)
	if s := audio.BestShare(recB[1600:], 440, 8000, 250*time.Millisecond); s < 0.9 {
		t.Errorf("unmuted, the tone is back at share %.2f", s)
	}
}

// stalled is a sound device that never calls back (starting, or being
// replaced after a headset went away).
type stalled struct{}

func (stalled) ReadFrame(pcm []int16) bool { clear(pcm); return true }
func (stalled) WriteFrame([]int16)         {}
func (stalled) Wake() <-chan struct{}      { return nil }
func (stalled) Captured() int              { return 0 }
func (stalled) Queued() int                { return 1 << 20 }

// TestPumpDeviceStalled: while the device is silent the call keeps its
// clock: a frame goes out each interval, and what comes in is taken out of
// the jitter buffer rather than piling up as delay.
func TestPumpDeviceStalled(t *testing.T) {
	a, b := listen(t), listen(t)
	start(t, a, b.LocalAddr(), true)
	start(t, b, a.LocalAddr(), true)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	go pump(b, 440, 1500*time.Millisecond)
	media.PumpDevice(ctx, a, stalled{}, nil, nil, nil)
	st := a.Stats()
	if st.Sent < 45 { // 1.5 s: 75 frames, less the 80 ms before the timer takes over
		t.Errorf("only %d frames went out while the device was stalled", st.Sent)
	}
	if j := st.Jitter; j.Played+j.Lost < 45 || j.Dropped > 2 || j.Resyncs > 0 {
		t.Errorf("the jitter buffer was not drained while stalled: %+v", j)
	}
}
