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
	if share := audio.ToneShare(recB[1600:], 440, 8000); share < 0.9 {
		t.Errorf("B hears 440 Hz at share %.2f", share)
	}
	if share := audio.ToneShare(recA[1600:], 1000, 8000); share < 0.9 {
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
	if share := audio.ToneShare(recA[4000:], 1000, 8000); share < 0.9 {
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
	if s := audio.ToneShare(recB[1600:], 440, 8000); s < 0.9 {
		t.Errorf("B hears A over SRTP at share %.2f", s)
	}
	if s := audio.ToneShare(recA[1600:], 1000, 8000); s < 0.9 {
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
