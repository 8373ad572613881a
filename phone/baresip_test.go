package phone_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
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
	if s := audio.BestShare(listen(), 440, 8000, quarter); s < 0.8 {
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
	if s := audio.BestShare(listen(), 440, 8000, quarter); s < 0.8 {
		t.Errorf("after resume: baresip's tone at share %.2f", s)
	}
}

// TestRTCPWithBaresip: baresip's reports about our stream come back with
// our sender report's timestamp in them (so it parsed ours), giving a round
// trip; we measure its stream too.
func TestRTCPWithBaresip(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "carol": "carol-secret"}, "MD5")
	peers.StartBaresip(t, k, "carol", 440)
	alice := startUA(t, phone.Config{User: fmt.Sprintf("sip:alice@127.0.0.1:%d", k.Port), Password: "alice-secret",
		Transport: "udp", Expires: time.Minute, RTCPInterval: 500 * time.Millisecond})
	keepRegistered(t, alice)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := alice.Dial(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	defer call.Hangup(context.Background())
	var q media.Quality
	for range 8 { // baresip reports every 5 s or so; up to 24 s of talk
		talk(call.Media(), 1000, 3*time.Second, call.Done())
		if q = call.Media().Stats().Quality; q.Reports > 0 && q.RTT > 0 {
			break
		}
	}
	t.Logf("quality: %+v", q)
	if q.Sent == 0 {
		t.Error("we sent no RTCP")
	}
	if q.Reports == 0 || q.RTT <= 0 || q.RTT > time.Second {
		t.Errorf("no usable report from baresip about our stream: %+v", q)
	}
	if q.Expected < 100 || q.Lost > 5 {
		t.Errorf("baresip's stream as measured here: %d expected, %d lost", q.Expected, q.Lost)
	}
}
