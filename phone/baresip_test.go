package phone_test

import (
	"context"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
)

// TestHoldResumeWithBaresip: a real baresip answers our re-INVITEs: while
// held no audio comes, after resume its tone flows again.
func TestHoldResumeWithBaresip(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "carol": "carol-secret"}, "MD5")
	peers.StartBaresip(t, k, "carol", 440)
	alice := registered(t, k, "alice", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := alice.Dial(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	defer call.Hangup(context.Background())
	listen := func() []int16 {
		rec := talk(call.Media(), 1000, 1200*time.Millisecond, call.Done())
		return rec[len(rec)/2:]
	}
	if s := audio.ToneShare(listen(), 440, 8000); s < 0.8 {
		t.Fatalf("before hold: baresip's tone at share %.2f", s)
	}
	if err := call.Hold(ctx); err != nil {
		t.Fatalf("Hold: %v", err)
	}
	if e := audio.Energy(listen()); e > 1e-4 {
		t.Errorf("held, yet audio comes (energy %.4f)", e)
	}
	if err := call.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if s := audio.ToneShare(listen(), 440, 8000); s < 0.8 {
		t.Errorf("after resume: baresip's tone at share %.2f", s)
	}
}
