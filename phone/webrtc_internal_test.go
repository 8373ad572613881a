package phone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone/webrtc"
)

// TestWebRTCConnectionFails: a WebRTC call whose media can find no path
// (relay-only, through a TURN server that never answers, so no candidate
// is gathered) is answered, then ends by itself: the side whose
// connection fails first hangs up with ErrMediaFailed (the other hears its
// BYE), rather than both staying silent until the RTP timeout.
func TestWebRTCConnectionFails(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	mute, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	start := func(user string, cfg Config) *UA {
		cfg.User, cfg.Password = fmt.Sprintf("sip:%s@127.0.0.1:%d", user, k.WSPort), user+"-secret"
		cfg.Transport, cfg.WSPath, cfg.Media, cfg.Listen, cfg.Expires = "ws", "/ws", "webrtc", "127.0.0.1:0", time.Minute
		u, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { u.Close() })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { u.Register(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		for deadline := time.After(20 * time.Second); u.State() != Registered; {
			select {
			case <-u.Events():
			case <-deadline:
				t.Fatalf("%s never registered", user)
			}
		}
		return u
	}
	alice := start("alice", Config{ICERelayOnly: true, ICEServers: []webrtc.ICEServer{{URL: "turn:" + mute.LocalAddr().String(),
		Username: "u", Credential: "p"}}, RTPTimeout: 5 * time.Minute})
	bob := start("bob", Config{RTPTimeout: 5 * time.Minute})
	answered := make(chan *Incoming, 1)
	go func() {
		in := <-bob.Incoming()
		in.Answer(context.Background())
		answered <- in
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := alice.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	in := <-answered
	for _, c := range []*Call{call, in.Call} {
		select {
		case <-c.Done():
		case <-time.After(90 * time.Second):
			t.Fatal("the call with no media path did not end")
		}
	}
	if !errors.Is(call.Err(), ErrMediaFailed) && !errors.Is(in.Err(), ErrMediaFailed) {
		t.Errorf("the calls ended with %v and %v, want ErrMediaFailed on one side", call.Err(), in.Err())
	}
}
