package phone_test

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone"
)

// lossyMapping puts, in front of each call's RTP socket, a relay that
// loses a share of the packets both ways: the phone advertises the relay
// (as it would a NAT mapping) and symmetric RTP sends back through it.
func lossyMapping(t *testing.T, loss float64) func(netip.AddrPort) (netip.AddrPort, error) {
	return func(phoneAddr netip.AddrPort) (netip.AddrPort, error) {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
		if err != nil {
			return netip.AddrPort{}, err
		}
		t.Cleanup(func() { c.Close() })
		r := rand.New(rand.NewPCG(uint64(phoneAddr.Port()), 5))
		var mu sync.Mutex
		var peer netip.AddrPort
		go func() {
			buf := make([]byte, 1600)
			for {
				n, from, err := c.ReadFromUDPAddrPort(buf)
				if err != nil {
					return
				}
				mu.Lock()
				to := phoneAddr
				if from == phoneAddr {
					to = peer
				} else {
					peer = from
				}
				drop := r.Float64() < loss
				mu.Unlock()
				if !drop && to.IsValid() {
					c.WriteToUDPAddrPort(buf[:n], to)
				}
			}
		}()
		return c.LocalAddr().(*net.UDPAddr).AddrPort(), nil
	}
}

// readWAV reads a recording (its first channel) and its rate.
func readWAV(t *testing.T, path string) ([]int16, int) {
	t.Helper()
	p, err := audio.LoadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	return p.Mono(), p.Rate
}

// longestGap is the longest run of silence in s, in 10 ms windows.
func longestGap(s []int16, rate int) time.Duration {
	gap, longest := 0, 0
	w := rate / 100
	for i := 0; i+w <= len(s); i += w {
		if audio.Energy(s[i:i+w]) < 1e-4 {
			gap += 10
			longest = max(longest, gap)
		} else {
			gap = 0
		}
	}
	return time.Duration(longest) * time.Millisecond
}

// TestFivePercentLossWithBaresip: a call to a real baresip with 5% of the
// packets lost each way: both ends still hear the other's tone, with no
// silent gap longer than 60 ms.
func TestFivePercentLossWithBaresip(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "carol": "carol-secret"}, "MD5")
	b := peers.StartBaresip(t, k, "carol", 440)
	alice := startUA(t, phone.Config{User: "sip:alice@127.0.0.1:" + itoa(k.Port), Password: "alice-secret",
		MediaMapping: lossyMapping(t, 0.05)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := alice.Dial(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	heard := talk(call.Media(), 1000, 4*time.Second, call.Done())
	call.Hangup(ctx)
	st := call.Media().Stats()
	if st.Jitter.Lost == 0 {
		t.Fatal("nothing was lost: the relay is not in the path")
	}
	heard = heard[8000:] // after the first second
	if s := audio.ToneShare(heard, 440, 8000); s < 0.8 {
		t.Errorf("we heard baresip's tone at share %.2f under 5%% loss", s)
	}
	if g := longestGap(heard, 8000); g > 60*time.Millisecond {
		t.Errorf("a silent gap of %s in what we heard", g)
	}
	// baresip closes its recording as the call ends: wait until it reads
	// whole.
	eventually.True(10*time.Second, func() bool {
		for _, f := range b.Recordings() {
			if p, err := audio.LoadWAV(f); strings.Contains(f, "dec") && err == nil && len(p.Samples) >= 2*p.Rate {
				return true
			}
		}
		return false
	})
	for _, f := range b.Recordings() {
		if !strings.Contains(f, "dec") {
			continue
		}
		got, rate := readWAV(t, f)
		if len(got) < 2*rate {
			t.Fatalf("baresip recorded %d samples at %d Hz", len(got), rate)
		}
		got = got[rate:]
		if s := audio.ToneShare(got, 1000, rate); s < 0.8 {
			t.Errorf("baresip heard our tone at share %.2f under 5%% loss", s)
		}
		if g := longestGap(got, rate); g > 60*time.Millisecond {
			t.Errorf("a silent gap of %s in what baresip heard", g)
		}
		t.Logf("lost %d of our received frames; longest gaps: ours %s, baresip's %s", st.Jitter.Lost, longestGap(heard, 8000), longestGap(got, rate))
		return
	}
	t.Fatalf("baresip made no recording: %v", b.Recordings())
}
