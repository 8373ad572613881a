package switchboard_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/switchboard"
)

// leaveMessage listens for the greeting's beep on an answered call, then
// speaks 440 Hz for about two seconds and hangs up; it returns the beep's
// best share in what was heard.
func leaveMessage(ctx context.Context, call *phone.Call) float64 {
	beep, _ := leaveMessageHearing(ctx, call)
	return beep
}

// leaveMessageHearing is leaveMessage, also returning what was heard.
func leaveMessageHearing(ctx context.Context, call *phone.Call) (float64, []int16) {
	var heard []int16
	n := call.Media().FrameSize()
	tone, in := make([]int16, n), make([]int16, n)
	tick := time.NewTicker(20 * time.Millisecond)
	for k := 0; k < 200; k++ { // 4 s
		<-tick.C
		if k >= 90 {
			audio.Sine(tone, 440, 8000, 12000, k*n)
		}
		call.Media().WriteFrame(tone)
		call.Media().ReadFrame(in)
		heard = append(heard, in...)
	}
	tick.Stop()
	call.Hangup(ctx)
	beep := 0.0
	for i := 0; i+800 <= len(heard); i += 400 {
		beep = max(beep, audio.ToneShare(heard[i:i+800], switchboard.BeepHz, 8000))
	}
	return beep, heard
}

// messageKept waits for the one voicemail on number and checks it holds
// the caller's 440 Hz, and that the call's record says voicemail.
func messageKept(t *testing.T, e *env, number string) {
	t.Helper()
	var vms []team.Voicemail
	eventually.True(10*time.Second, func() bool { vms, _ = e.db.Voicemails(e.ctx, number); return len(vms) > 0 })
	if len(vms) != 1 || vms[0].Seconds < 1 {
		t.Fatalf("voicemails on %s: %+v", number, vms)
	}
	rec, err := audio.LoadWAV(filepath.Join(e.dir, vms[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	if best := quarterShare(rec.Mono(), 440); best < 0.9 {
		t.Errorf("the message holds the caller's 440 Hz at best share %.2f", best)
	}
	if recs := waitRecords(e, 1); len(recs) != 1 || recs[0].Disposition != records.Voicemail || recs[0].To != number || recs[0].Cost.Sign() != 0 {
		t.Errorf("the call's record: %+v", recs)
	}
}

// TestNoAnswerToVoicemail (issue 15, defect 4): a call to a shared number
// that nobody answers rings its members for NoAnswer (on the
// switchboard's clock), then the caller hears the greeting and leaves a
// message, kept on the number; the members' phones stop ringing. It used
// to ring for two minutes and end in 480.
func TestNoAnswerToVoicemail(t *testing.T) {
	const noAnswer = 20 * time.Second
	clock := clockwork.NewFakeClock()
	e := newEnvWith(t, 0, switchboard.Config{NoAnswer: noAnswer, Clock: clock, Now: time.Now})
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	cy := e.phoneFor("cy@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type dialled struct {
		c   *phone.Call
		err error
	}
	result := make(chan dialled, 1)
	go func() {
		c, err := ann.Dial(ctx, "+14155550101") // bob and cy share it
		result <- dialled{c, err}
	}()
	var rang []*phone.Incoming
	for _, p := range []*phone.UA{bob, cy} {
		select {
		case in := <-p.Incoming():
			rang = append(rang, in)
		case <-ctx.Done():
			t.Fatal("a member's phone never rang")
		}
	}
	if err := clock.BlockUntilContext(ctx, 1); err != nil { // the ring-all's deadline
		t.Fatal(err)
	}
	clock.Advance(noAnswer - time.Second)
	select {
	case r := <-result:
		t.Fatalf("the call was answered or ended before NoAnswer: %v", r.err)
	case <-time.After(200 * time.Millisecond):
	}
	clock.Advance(time.Second)
	var r dialled
	select {
	case r = <-result:
	case <-ctx.Done():
		t.Fatal("no answer after NoAnswer")
	}
	if r.err != nil {
		t.Fatalf("after NoAnswer the caller got %v, want voicemail", r.err)
	}
	if beep := leaveMessage(ctx, r.c); beep < 0.8 {
		t.Errorf("no beep heard (best share %.2f)", beep)
	}
	for _, in := range rang {
		eventually.Must(t, 10*time.Second, "the members' phones stop ringing", func() bool { return in.State() == phone.Ended })
	}
	messageKept(t, e, "+14155550101")
}

// TestBusyToVoicemail (issue 15, defect 4): when every member of a number
// declines, the caller reaches its voicemail at once.
func TestBusyToVoicemail(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	cy := e.phoneFor("cy@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, p := range []*phone.UA{bob, cy} {
		go func() {
			select {
			case in := <-p.Incoming():
				in.Decline(486)
			case <-ctx.Done():
			}
		}()
	}
	call, err := ann.Dial(ctx, "+14155550101")
	if err != nil {
		t.Fatalf("both members busy: %v, want voicemail", err)
	}
	if beep := leaveMessage(ctx, call); beep < 0.8 {
		t.Errorf("no beep heard (best share %.2f)", beep)
	}
	messageKept(t, e, "+14155550101")
}

// TestNoVoicemailRingsOn: a number that takes no voicemail still rings
// until RingTimeout and ends in 480, not NoAnswer.
func TestNoVoicemailRingsOn(t *testing.T) {
	clock := clockwork.NewFakeClock()
	e := newEnvWith(t, 0, switchboard.Config{NoAnswer: 10 * time.Second, RingTimeout: time.Minute, Clock: clock, Now: time.Now})
	n, err := e.db.Number(e.ctx, "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	n.Voicemail = false
	if err := e.db.UpdateNumber(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	result := make(chan error, 1)
	go func() {
		_, err := ann.Dial(ctx, "+14155550101")
		result <- err
	}()
	select {
	case <-bob.Incoming():
	case <-ctx.Done():
		t.Fatal("bob's phone never rang")
	}
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	select {
	case err := <-result:
		t.Fatalf("the call ended at %v, before RingTimeout: %v", 30*time.Second, err)
	case <-time.After(200 * time.Millisecond):
	}
	clock.Advance(30 * time.Second)
	select {
	case err := <-result:
		if ce := (*phone.CallError)(nil); !errors.As(err, &ce) || ce.Code != 480 {
			t.Errorf("unanswered, no voicemail: %v, want 480", err)
		}
	case <-ctx.Done():
		t.Fatal("the ring-all outlived RingTimeout")
	}
}

// TestTeammateCallRecord (issue 15, defect 4): a teammate called by name
// ("bob") is named by extension in the call's record, as bob's history
// looks for it (it said "bob", and the call was missing from it).
func TestTeammateCallRecord(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	answered := answerNext(ctx, t, bob)
	call, err := ann.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	<-answered
	call.Hangup(ctx)
	u, err := e.db.User(e.ctx, "bob@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if recs := waitRecords(e, 1); len(recs) != 1 || recs[0].To != u.Extension || recs[0].From != "101" {
		t.Errorf("the call's record: %+v, want to %s", recs, u.Extension)
	}
}

// TestCallerHangsUpWhileRinging: a caller who gives up while the callee
// rings cancels the call at the switchboard: the callee's phone stops
// ringing at once and the call is recorded as missed. The phone's CANCEL
// used to go to its account's domain on port 5060, not to the
// switchboard: the callee rang on for two minutes and no record was
// written until then.
func TestCallerHangsUpWhileRinging(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dctx, giveUp := context.WithCancel(ctx)
	result := make(chan error, 1)
	go func() {
		_, err := ann.Dial(dctx, "bob")
		result <- err
	}()
	var in *phone.Incoming
	select {
	case in = <-bob.Incoming():
	case <-ctx.Done():
		t.Fatal("bob's phone never rang")
	}
	giveUp()
	select {
	case err := <-result:
		if ce := (*phone.CallError)(nil); !errors.As(err, &ce) || ce.Code != 487 {
			t.Errorf("the caller gave up: %v, want 487", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the caller's Dial did not return after giving up")
	}
	eventually.Must(t, 10*time.Second, "bob's phone stops ringing", func() bool { return in.State() == phone.Ended })
	if recs := waitRecords(e, 1); len(recs) != 1 || recs[0].Disposition != records.Missed || recs[0].To != "102" {
		t.Errorf("the call's record: %+v", recs)
	}
}

// TestOwnGreeting (issue 15, defect 7): a number with its own greeting (a
// recording kept under the data directory) plays it, then the beep, in
// place of the standard chime; one whose file is gone falls back to the
// standard greeting.
func TestOwnGreeting(t *testing.T) {
	e := newEnv(t)
	tone := make([]int16, 8000)
	audio.Sine(tone, 700, 8000, 10000, 0)
	rel := filepath.Join(team.GreetingDir, "own.wav")
	if err := os.MkdirAll(filepath.Join(e.dir, team.GreetingDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := audio.SaveWAV(filepath.Join(e.dir, rel), &audio.PCM{Rate: 8000, Channels: 1, Samples: tone}); err != nil {
		t.Fatal(err)
	}
	n, err := e.db.Number(e.ctx, "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	n.Greeting = rel
	if err := e.db.UpdateNumber(e.ctx, n); err != nil {
		t.Fatal(err)
	}
	ann := e.phoneFor("ann@acme.test", "udp") // bob and cy are offline: voicemail at once
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := ann.Dial(ctx, "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	beep, heard := leaveMessageHearing(ctx, call)
	if own := audio.BestShare(heard, 700, 8000, 250*time.Millisecond); own < 0.8 || beep < 0.8 {
		t.Errorf("the number's own greeting at best share %.2f, the beep %.2f", own, beep)
	}
	messageKept(t, e, "+14155550101")

	os.Remove(filepath.Join(e.dir, rel))
	call, err = ann.Dial(ctx, "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	if beep, _ := leaveMessageHearing(ctx, call); beep < 0.8 {
		t.Errorf("with the greeting's file gone, no standard greeting (beep %.2f)", beep)
	}
}
