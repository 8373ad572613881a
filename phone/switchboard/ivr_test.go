package switchboard_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/switchboard"
)

// listen plays silence for d and returns what was heard.
func listen(m *media.Session, d time.Duration) []int16 { return talk(m, 0, d) }

// notesHeard counts the menu prompt's notes in pcm.
func notesHeard(pcm []int16, notes []float64) int {
	n := 0
	for _, f := range notes {
		best := 0.0
		for i := 0; i+800 <= len(pcm); i += 200 {
			best = max(best, audio.ToneShare(pcm[i:i+800], f, 8000))
		}
		if best >= 0.6 {
			n++
		}
	}
	return n
}

// TestMenu: the shared number answers with its menu; key 1 (an RFC 4733
// event) rings bob, who talks with the caller through the switchboard's
// bridge; key 2 (sent as SIP INFO) takes a voicemail; key 9 forwards to an
// outside number, billed as forwarding; no key takes the timeout route.
// The number records its calls, bridged ones included.
func TestMenu(t *testing.T) {
	e := newEnv(t)
	sim := e.withSim()
	n, err := e.db.Number(e.ctx, "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	n.Routing, n.Record = team.RouteMenu, true
	n.Menu = &team.Menu{Greeting: "Sales 1, messages 2, London office 9", Timeout: 3, OnTime: team.Route{Kind: team.ToVoicemail},
		Options: map[string]team.Route{"1": {Kind: team.ToUser, Target: "bob@acme.test"}, "2": {Kind: team.ToVoicemail},
			"9": {Kind: team.ToExternal, Target: "+442079460000"}}}
	if err := e.db.UpdateNumber(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// Key 1: bob.
	answered := make(chan *phone.Incoming, 1)
	go func() {
		select {
		case in := <-bob.Incoming():
			in.Answer(ctx)
			answered <- in
		case <-ctx.Done():
		}
	}()
	call, err := sim.Call(ctx, "+442071234567", "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	prompt := listen(call.Media(), 900*time.Millisecond)
	if k := notesHeard(prompt, switchboard.MenuNotes); k < 2 {
		t.Errorf("the caller heard %d of the menu's three notes", k)
	}
	if err := call.Media().SendDTMF("1", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	listen(call.Media(), 600*time.Millisecond) // the key goes out with the audio
	var in *phone.Incoming
	select {
	case in = <-answered:
	case <-time.After(20 * time.Second):
		t.Fatal("key 1 did not ring bob")
	}
	heardOutside, heardByBob := talkBoth(call.Media(), in.Media(), 440, 1000, 3500*time.Millisecond)
	// The number records its calls: both hear the notice first.
	if k := notesHeard(heardByBob[:12000], []float64{1200, 900}); k != 2 {
		t.Errorf("bob heard %d of the recording notice's two notes", k)
	}
	if s := quarterShare(heardByBob[4000:], 440); s < 0.8 {
		t.Errorf("bob hears the caller at share %.2f", s)
	}
	if s := quarterShare(heardOutside[4000:], 1000); s < 0.8 {
		t.Errorf("the caller hears bob at share %.2f", s)
	}
	call.Hangup(ctx)
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Error("bob's call did not end when the caller hung up")
	}
	recs := waitRecords(e, 1)
	if len(recs) != 1 || recs[0].Direction != "inbound" || recs[0].Disposition != records.Answered || recs[0].Seconds < 1 ||
		recs[0].From != "+442071234567" || recs[0].Recording == "" {
		t.Fatalf("record %+v", recs)
	}
	rec, err := audio.LoadWAV(filepath.Join(e.dir, recs[0].Recording))
	if err != nil || rec.Channels != 2 {
		t.Fatalf("the recording: %v", err)
	}
	left, right := make([]int16, len(rec.Samples)/2), make([]int16, len(rec.Samples)/2)
	for i := range left {
		left[i], right[i] = rec.Samples[2*i], rec.Samples[2*i+1]
	}
	if l, r := quarterShare(left, 440), quarterShare(right, 1000); l < 0.8 || r < 0.8 {
		t.Errorf("the recording: caller 440 Hz at %.2f on the left, bob 1000 Hz at %.2f on the right", l, r)
	}

	// Key 2, sent as SIP INFO: voicemail.
	vm, err := sim.Call(ctx, "+442071234567", "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	listen(vm.Media(), 700*time.Millisecond)
	if err := vm.SendDTMFInfo(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	heard := talk(vm.Media(), 0, 1500*time.Millisecond)
	beep := 0.0
	for i := 0; i+800 <= len(heard); i += 400 {
		beep = max(beep, audio.ToneShare(heard[i:i+800], switchboard.BeepHz, 8000))
	}
	if beep < 0.8 {
		t.Errorf("key 2 did not reach voicemail (beep share %.2f)", beep)
	}
	talk(vm.Media(), 440, 1500*time.Millisecond)
	vm.Hangup(ctx)
	var vms []team.Voicemail
	eventually.True(10*time.Second, func() bool { vms, _ = e.db.Voicemails(e.ctx, "+14155550101"); return len(vms) > 0 })
	if len(vms) != 1 || vms[0].Seconds < 1 {
		t.Fatalf("voicemails %+v", vms)
	}

	// Key 9: forwarded to London through the trunk; the simulator answers
	// with its prompt.
	fw, err := sim.Call(ctx, "+12125550123", "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	listen(fw.Media(), 700*time.Millisecond)
	fw.Media().SendDTMF("9", 100*time.Millisecond)
	// The number records its calls, so the notice plays over the far
	// end's prompt; then the simulator echoes the caller.
	heard = talk(fw.Media(), 440, 5*time.Second)
	if k := notesHeard(heard[:3*8000], []float64{1200, 900}); k != 2 {
		t.Errorf("key 9: the caller heard %d of the recording notice's notes", k)
	}
	if sh := quarterShare(heard[3*8000:], 440); sh < 0.8 {
		t.Errorf("key 9: the far end's echo at share %.2f", sh)
	}
	fw.Hangup(ctx)
	recs = waitRecords(e, 3)
	var fwd *records.Call
	for i := range recs {
		if recs[i].Direction == "forwarded" {
			fwd = &recs[i]
		}
	}
	if fwd == nil || fwd.To != "+442079460000" || fwd.Disposition != records.Answered || !fwd.Cost.IsPositive() || !strings.Contains(fwd.Destination, "United Kingdom") {
		t.Errorf("the forwarded call's record: %+v", fwd)
	}

	// No key: the timeout route (voicemail).
	quiet, err := sim.Call(ctx, "+442071234567", "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	heard = listen(quiet.Media(), 6*time.Second)
	quiet.Hangup(ctx)
	beep = 0
	for i := 0; i+800 <= len(heard); i += 400 {
		beep = max(beep, audio.ToneShare(heard[i:i+800], switchboard.BeepHz, 8000))
	}
	if beep < 0.8 {
		t.Errorf("no key: the timeout route did not reach voicemail (beep share %.2f)", beep)
	}
}

// TestMenuWithWebRTCPhones: a caller with WebRTC media reaches the shared
// number's menu, hears it, presses 1 (an RFC 4733 event through its
// WebRTC leg), and bob, whose phone is WebRTC too, rings and talks with
// the caller through the switchboard's bridge. Both legs are released
// when the call ends.
func TestMenuWithWebRTCPhones(t *testing.T) {
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}})
	n, err := e.db.Number(e.ctx, "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	n.Routing = team.RouteMenu
	n.Menu = &team.Menu{Greeting: "Sales 1", Timeout: 5, OnTime: team.Route{Kind: team.ToVoicemail},
		Options: map[string]team.Route{"1": {Kind: team.ToUser, Target: "bob@acme.test"}}}
	if err := e.db.UpdateNumber(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	webrtc := phone.Config{Transport: "ws", Media: "webrtc"}
	ann := e.phoneWith("ann@acme.test", webrtc)
	bob := e.phoneWith("bob@acme.test", webrtc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	answered := answerNext(ctx, t, bob)
	call, err := ann.Dial(ctx, "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	prompt := listen(call.Media(), 900*time.Millisecond)
	if k := notesHeard(prompt, switchboard.MenuNotes); k < 2 {
		t.Errorf("the WebRTC caller heard %d of the menu's three notes", k)
	}
	if err := call.Media().SendDTMF("1", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	listen(call.Media(), 600*time.Millisecond) // the key goes out with the audio
	var in *phone.Incoming
	select {
	case in = <-answered:
	case <-time.After(20 * time.Second):
		t.Fatal("key 1 did not ring bob's WebRTC phone")
	}
	hearEachOther(t, "through the menu", call, in.Call, 0.8)
	call.Hangup(ctx)
	waitEnded(t, in.Call, "bob's call, when ann hung up")
	noWebRTCLegsLeft(t, e)
}
