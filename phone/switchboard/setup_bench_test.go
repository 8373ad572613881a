package switchboard_test

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/switchboard"
)

// BenchmarkCallSetup: from the caller's INVITE to the callee's audio
// arriving at the caller, through the switchboard on loopback: a UDP phone
// calling a UDP phone, and a WebRTC phone (ICE, DTLS-SRTP, over
// WebSocket) calling the same UDP phone. The callee answers at once and
// sends from the moment it answers. Reports the median and the slowest in
// ms.
func BenchmarkCallSetup(b *testing.B) {
	// The SIP stack's chatter would split the figures' lines.
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, k := range []struct{ name, transport, media string }{
		{"UDP", "udp", "rtp"},
		{"WebRTC", "ws", "webrtc"},
	} {
		b.Run(k.name, func(b *testing.B) {
			e := newEnvWith(b, 0, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}})
			caller := e.phoneWith("ann@acme.test", phone.Config{Transport: k.transport, Media: k.media})
			callee := e.phoneFor("bob@acme.test", "udp")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { // answer every call and talk until it ends
				for {
					select {
					case in := <-callee.Incoming():
						go func() {
							if in.Answer(ctx) != nil {
								return
							}
							frame := make([]int16, in.Media().FrameSize())
							for i := range frame {
								frame[i] = 3000
							}
							t := time.NewTicker(20 * time.Millisecond)
							defer t.Stop()
							for {
								in.Media().WriteFrame(frame)
								select {
								case <-t.C:
								case <-in.Done():
									return
								}
							}
						}()
					case <-ctx.Done():
						return
					}
				}
			}()
			var took []time.Duration
			b.ResetTimer()
			for range b.N {
				dctx, stop := context.WithTimeout(ctx, 30*time.Second)
				start := time.Now()
				call, err := caller.Dial(dctx, "102")
				if err != nil {
					b.Fatal(err)
				}
				for call.Media().Stats().Received == 0 && time.Since(start) < 20*time.Second {
					time.Sleep(200 * time.Microsecond)
				}
				took = append(took, time.Since(start))
				call.Hangup(dctx)
				stop()
			}
			b.StopTimer()
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "ms-max")
		})
	}
}
