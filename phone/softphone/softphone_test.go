package softphone_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/softphone"
)

// speaker keeps what is played on it.
type speaker struct {
	mu  sync.Mutex
	pcm []int16
}

func (s *speaker) WriteFrame(pcm []int16) {
	s.mu.Lock()
	s.pcm = append(s.pcm, pcm...)
	s.mu.Unlock()
}

func (s *speaker) SampleRate() int { return 8000 }

func (s *speaker) heard() []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int16(nil), s.pcm...)
}

// pair starts two phones on loopback that call each other directly (each
// names the other as its server).
func pair(t *testing.T) (alice, bob *phone.UA, bobURI string) {
	t.Helper()
	var err error
	bob, err = phone.New(phone.Config{User: "sip:bob@127.0.0.1:9", Listen: "127.0.0.1:0", KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bob.Close() })
	bobURI = "sip:bob@" + bob.LocalAddr().String()
	alice, err = phone.New(phone.Config{User: "sip:alice@" + bob.LocalAddr().String(), Listen: "127.0.0.1:0", KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alice.Close() })
	return alice, bob, bobURI
}

// TestPlaceBusy: while the call rings the caller hears ringback
// (440+480 Hz); refused busy, the busy tone (480+620 Hz) for BusyFor; the
// caller's own OnRinging runs as well.
func TestPlaceBusy(t *testing.T) {
	alice, bob, bobURI := pair(t)
	rang := make(chan struct{})
	go func() {
		in := <-bob.Incoming()
		<-rang
		time.AfterFunc(1500*time.Millisecond, func() { in.Decline(486) }) // a stretch of ringback first
	}()
	spk := &speaker{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err := softphone.Place(ctx, alice, bobURI, spk, phone.OnRinging(func() { close(rang) }))
	if !errors.Is(err, phone.ErrBusy) {
		t.Fatalf("Place: %v, want busy", err)
	}
	if took := time.Since(start); took < softphone.BusyFor {
		t.Errorf("Place returned after %v, before the busy tone's %v", took, softphone.BusyFor)
	}
	pcm := spk.heard()
	if len(pcm) < 8000 {
		t.Fatalf("%d samples played", len(pcm))
	}
	split := len(pcm) - int(softphone.BusyFor.Seconds()*8000)
	if sh := audio.BestShare(pcm[:split], 440, 8000, 250*time.Millisecond); sh < 0.3 {
		t.Errorf("ringback's 440 Hz at share %.2f", sh)
	}
	if sh := audio.BestShare(pcm[split:], 620, 8000, 250*time.Millisecond); sh < 0.3 {
		t.Errorf("busy's 620 Hz at share %.2f", sh)
	}
	if sh := audio.BestShare(pcm[:split], 620, 8000, 250*time.Millisecond); sh > 0.05 {
		t.Errorf("620 Hz while ringing, at share %.2f", sh)
	}
}

// TestPlaceEarlyMedia: the far end's own audio before the answer plays in
// place of ringback; once answered, Place returns the call and the
// speaker is left alone.
func TestPlaceEarlyMedia(t *testing.T) {
	alice, bob, bobURI := pair(t)
	answered := make(chan *phone.Incoming, 1)
	go func() {
		in := <-bob.Incoming()
		if err := in.Progress(context.Background()); err != nil {
			t.Error(err)
			return
		}
		tone := make([]int16, 8000*2)
		audio.Sine(tone, 1000, 8000, 9000, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		playInto(ctx, in.Call, tone)
		in.Answer(context.Background())
		answered <- in
		media.Pump(context.Background(), in.Media(), nil, nil, false, in.Done()) // silence from here
	}()
	spk := &speaker{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := softphone.Place(ctx, alice, bobURI, spk)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Hangup(context.Background())
	in := <-answered
	answered <- in
	pcm := spk.heard()
	if sh := audio.BestShare(pcm, 1000, 8000, 250*time.Millisecond); sh < 0.6 {
		t.Errorf("the early media's 1000 Hz at share %.2f", sh)
	}
	if sh := audio.BestShare(pcm, 440, 8000, 250*time.Millisecond); sh > 0.05 {
		t.Errorf("ringback over the early media, 440 Hz at share %.2f", sh)
	}
	n := len(pcm)
	if eventually.True(300*time.Millisecond, func() bool { return len(spk.heard()) != n }) {
		t.Error("the speaker still plays after the answer")
	}
	// A key sent in the call goes as an RFC 4733 event, and sounds
	// (770+1336 Hz for 5) in what the call plays to the speaker.
	in = <-answered
	// A second of the call first, so the early media's tail has drained.
	pctx, stop := context.WithTimeout(ctx, time.Second)
	media.Pump(pctx, c.Media(), nil, nil, false, c.Done())
	stop()
	n = len(spk.heard())
	sink, err := softphone.SendKeys(c, "5", spk)
	if err != nil {
		t.Fatal(err)
	}
	// The call's audio for a second, as the app runs it: what bob sends
	// (silence) plays through the sink, the key mixed in.
	pctx, stop = context.WithTimeout(ctx, time.Second)
	media.Pump(pctx, c.Media(), nil, sink, false, c.Done())
	stop()
	after := spk.heard()[n:]
	if len(after) < 800 {
		t.Fatalf("%d samples played after the key", len(after))
	}
	// The key's 100 ms: its two tones, each half of what is heard.
	if lo, hi := audio.ToneShare(after[:800], 770, 8000), audio.ToneShare(after[:800], 1336, 8000); lo < 0.4 || hi < 0.4 {
		t.Errorf("the key's tones at shares %.2f (770 Hz) and %.2f (1336 Hz)", lo, hi)
	}
	select {
	case d := <-in.Media().Digits():
		if d != '5' {
			t.Errorf("bob got key %q", d)
		}
	case <-time.After(10 * time.Second):
		t.Error("bob got no key")
	}
}

// playInto sends pcm in the call, in real time, until ctx ends.
func playInto(ctx context.Context, c *phone.Call, pcm []int16) {
	frame := c.Media().FrameSize()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for i := 0; i+frame <= len(pcm); i += frame {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.Media().WriteFrame(pcm[i : i+frame])
	}
}

// TestWithProgress: the desktop app's dialer opens its speaker for the
// time a call is being placed, plays the call's progress on it and closes
// it; without a speaker the call is placed all the same.
func TestWithProgress(t *testing.T) {
	alice, bob, bobURI := pair(t)
	go func() {
		for in := range bob.Incoming() {
			time.AfterFunc(time.Second, func() { in.Decline(486) })
		}
	}()
	spk := &speaker{}
	closed := 0
	d := softphone.WithProgress{Dialer: alice, Open: func() (softphone.Speaker, func(), error) {
		return spk, func() { closed++ }, nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := d.Dial(ctx, bobURI); !errors.Is(err, phone.ErrBusy) {
		t.Fatalf("Dial: %v, want busy", err)
	}
	if closed != 1 {
		t.Errorf("the speaker was closed %d times", closed)
	}
	if sh := audio.BestShare(spk.heard(), 620, 8000, 250*time.Millisecond); sh < 0.3 {
		t.Errorf("no busy tone on the app's speaker (620 Hz at share %.2f)", sh)
	}
	silent := softphone.WithProgress{Dialer: alice, Open: func() (softphone.Speaker, func(), error) {
		return nil, nil, errors.New("no sound device")
	}}
	if _, err := silent.Dial(ctx, bobURI); !errors.Is(err, phone.ErrBusy) {
		t.Errorf("Dial without a speaker: %v, want busy", err)
	}
}
