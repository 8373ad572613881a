// Tests of the switchboard's dealings with the telephone network and its
// numbers: billed calls out, texts, calls in, voicemail, forwarding,
// recording, trunks.

package switchboard_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/netsim"
	"github.com/tetherphone/tether/phone/switchboard"
)

// promptNotes is how many of the simulator's prompt notes are heard (at
// share 0.6 or better in some 100 ms) in the first samples of heard.
func promptNotes(heard []int16, samples int) int {
	notes := 0
	for _, f := range netsim.Prompt {
		best := 0.0
		for i := 0; i+800 <= min(samples, len(heard)); i += 200 {
			best = max(best, audio.ToneShare(heard[i:i+800], f, 8000))
		}
		if best >= 0.6 {
			notes++
		}
	}
	return notes
}

// TestBilledCallRunsOutOfCredit: ann calls a London number through the
// network simulator with credit for ten seconds; she hears its prompt,
// then her own voice echoed, then the low-credit warning; the call ends at
// the end of its paid time with a Reason, and the ledger shows exactly the
// rated cost. (Chunks of 4 s and a warning 3 s ahead stand in for 60 s
// and a minute.)
func TestBilledCallRunsOutOfCredit(t *testing.T) {
	e := newEnvWith(t, 4, switchboard.Config{WarnBefore: 3 * time.Second, MeterEvery: 500 * time.Millisecond})
	udp, _ := e.sb.Addr("udp")
	sim, err := netsim.Start(netsim.Config{Switchboard: udp})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	e.sb.SetTrunk(sim.Addr())
	// $0.015/min to a London landline, per second: $0.0025 buys 10 s.
	b, _ := e.engine.Balance(e.ctx, "acme")
	if err := e.engine.Adjust(e.ctx, "acme", "leave-10s", b.Available.Sub(decimal.RequireFromString("0.0025")).Neg(), "test"); err != nil {
		t.Fatal(err)
	}
	ann := e.phoneFor("ann@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := ann.Dial(ctx, "+44 20 7123 4567")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	heard := talk(call.Media(), 440, 20*time.Second, call.Done()) // until the switchboard ends it
	took := time.Since(start)
	select {
	case <-call.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the call was not ended when its credit ran out")
	}
	if took < 9*time.Second || took > 13*time.Second {
		t.Errorf("the call lasted %v; 10 s were paid", took)
	}
	// The prompt's first note in the first half second; the echo of the
	// 440 Hz tone after it; the 1400 Hz warning in the last seconds.
	// (The call's first packets may go to filling the jitter buffer, so
	// two of the prompt's three notes are enough.)
	if notes := promptNotes(heard, 12000); notes < 2 {
		t.Errorf("%d of the prompt's notes heard in the first 1.5 s", notes)
	}
	if sh := quarterShare(heard[3*8000:5*8000], 440); sh < 0.8 {
		t.Errorf("the echo at share %.2f", sh)
	}
	warnAt := -1
	for i := 0; i+800 <= len(heard); i += 400 {
		if audio.ToneShare(heard[i:i+800], 1400, 8000) > 0.5 {
			warnAt = i
			break
		}
	}
	if warnAt < 0 {
		t.Error("no warning before the credit ran out")
	} else if at := time.Duration(warnAt) * time.Second / 8000; at < 5*time.Second || at > 9*time.Second {
		t.Errorf("the warning came %v into the call (3 s before the 10 s paid)", at)
	}
	// The switchboard settles as it hangs up: wait for it (bounded).
	var after billing.Balance
	eventually.True(5*time.Second, func() bool { after, _ = e.engine.Balance(e.ctx, "acme"); return after.Reserved.IsZero() })
	if !after.Posted.IsZero() || !after.Reserved.IsZero() {
		t.Errorf("after the call: %+v, want exactly the $0.0025 spent", after)
	}
	if err := e.db.Check(e.ctx); err != nil {
		t.Error(err)
	}
	// Its record: outbound, answered, 10 s, the rated cost, why it ended.
	recs := waitRecords(e, 1)
	if len(recs) != 1 {
		t.Fatalf("%d call records", len(recs))
	}
	r := recs[0]
	if r.Direction != "outbound" || r.To != "+442071234567" || r.From != "101" || r.Disposition != records.Answered ||
		r.Seconds != 10 || !r.Cost.Equal(decimal.RequireFromString("0.0025")) || r.Destination != "United Kingdom" ||
		!strings.Contains(r.Cause, "credit ran out") || r.Answered.IsZero() {
		t.Errorf("record %+v", r)
	}
}

func waitText(t *testing.T, u *phone.UA, within time.Duration) phone.Message {
	t.Helper()
	select {
	case m := <-u.Messages():
		return m
	case <-time.After(within):
		t.Fatal("no text arrived")
	}
	return phone.Message{}
}

// TestTexts: a text between teammates arrives at once; one to a teammate
// with no phone online waits and arrives when a phone registers; one to
// the shared number reaches both members; one to a London number is
// charged per segment, and the simulator's reply comes back to the number
// it was sent from. At zero credit a text is refused with 402.
func TestTexts(t *testing.T) {
	e := newEnv(t)
	udp, _ := e.sb.Addr("udp")
	sim, err := netsim.Start(netsim.Config{Switchboard: udp})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	e.sb.SetTrunk(sim.Addr())
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "tcp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if err := ann.SendMessage(ctx, "102", "Lunch? 🍜"); err != nil {
		t.Fatal(err)
	}
	if m := waitText(t, bob, 10*time.Second); m.Text != "Lunch? 🍜" || !strings.Contains(m.From, "101") {
		t.Errorf("bob got %+v", m)
	}
	// Cy is offline: kept, then delivered when his phone registers.
	if err := ann.SendMessage(ctx, "cy", "Call me back"); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.db.Pending(ctx, "cy@acme.test"); len(p) != 1 {
		t.Fatalf("%d texts waiting for cy", len(p))
	}
	cy := e.phoneFor("cy@acme.test", "udp")
	if m := waitText(t, cy, 10*time.Second); m.Text != "Call me back" {
		t.Errorf("cy got %+v", m)
	}
	if !eventually.True(5*time.Second, func() bool { p, _ := e.db.Pending(ctx, "cy@acme.test"); return len(p) == 0 }) {
		t.Error("a delivered text is still waiting")
	}
	// The shared number +14155550101: bob and cy both get it.
	if err := ann.SendMessage(ctx, "+1 415 555 0101", "Shared line test"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*phone.UA{bob, cy} {
		if m := waitText(t, u, 10*time.Second); m.Text != "Shared line test" {
			t.Errorf("shared number: %+v", m)
		}
	}
	// London: charged, and the simulator replies to ann's number.
	before, _ := e.engine.Balance(ctx, "acme")
	if err := ann.SendMessage(ctx, "+442071234567", "Hello London"); err != nil {
		t.Fatal(err)
	}
	after, _ := e.engine.Balance(ctx, "acme")
	if !after.Posted.LessThan(before.Posted) {
		t.Errorf("a text to London cost nothing: %s -> %s", before.Posted, after.Posted)
	}
	m := waitText(t, ann, 10*time.Second)
	if m.Text != netsim.Reply("Hello London") || !strings.Contains(m.From, "+442071234567") {
		t.Errorf("the reply: %+v", m)
	}
	// At zero: 402.
	b, _ := e.engine.Balance(ctx, "acme")
	if err := e.engine.Adjust(ctx, "acme", "drain", b.Available.Neg(), "test"); err != nil {
		t.Fatal(err)
	}
	if err := ann.SendMessage(ctx, "+442071234567", "hi"); !errors.Is(err, phone.ErrInsufficientCredit) {
		t.Errorf("a text at zero credit: %v", err)
	}
	if err := ann.SendMessage(ctx, "102", "hi"); !errors.Is(err, phone.ErrInsufficientCredit) {
		t.Errorf("a text to a teammate at zero credit: %v", err)
	}
	// Records: three internal (one queued), one outbound with its cost,
	// one inbound (the reply).
	// (The reply's record is written once it is delivered: wait for it.)
	var count map[string]int
	var msgs []records.Message
	eventually.True(5*time.Second, func() bool {
		msgs, _ = e.db.Messages(ctx, "acme", 20)
		count = map[string]int{}
		for _, m := range msgs {
			count[m.Direction+"/"+m.Status]++
		}
		return count["inbound/delivered"] == 1
	})
	for _, m := range msgs {
		if m.Direction == "outbound" && !m.Cost.IsPositive() {
			t.Errorf("outbound text record without its cost: %+v", m)
		}
	}
	if count["internal/delivered"] != 2 || count["internal/queued"] != 1 || count["outbound/sent"] != 1 || count["inbound/delivered"] != 1 {
		t.Errorf("message records %v", count)
	}
}

// TestVoicemailAfterHours: outside its business hours, ann's dedicated
// number does not ring her phone; the caller hears the greeting and the
// beep, leaves a message, and it is kept as a recording listed on the
// number. The same for a caller with WebRTC media, whose WebRTC leg is
// released when the call ends.
func TestVoicemailAfterHours(t *testing.T) {
	t.Run("udp", func(t *testing.T) { voicemailAfterHours(t, phone.Config{Transport: "udp"}) })
	t.Run("webrtc", func(t *testing.T) { voicemailAfterHours(t, phone.Config{Transport: "ws", Media: "webrtc"}) })
}

func voicemailAfterHours(t *testing.T, callerCfg phone.Config) {
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}})
	// Open only on a day that is not today: closed now.
	day := strings.ToLower(time.Now().UTC().AddDate(0, 0, 2).Weekday().String()[:3])
	h, err := team.ParseHours(day+" 09:00-10:00", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetHours(e.ctx, "+14155550100", h); err != nil {
		t.Fatal(err)
	}
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneWith("bob@acme.test", callerCfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := bob.Dial(ctx, "+1 (415) 555-0100")
	if err != nil {
		t.Fatal(err)
	}
	// Listen for the greeting (about 1.4 s), then speak for two seconds.
	beep := leaveMessage(ctx, call)
	if beep < 0.8 {
		t.Errorf("no beep heard (best share %.2f)", beep)
	}
	select {
	case in := <-ann.Incoming():
		t.Errorf("ann's phone rang after hours: %v", in.Remote())
	default:
	}
	var vms []team.Voicemail
	eventually.True(10*time.Second, func() bool { vms, _ = e.db.Voicemails(e.ctx, "+14155550100"); return len(vms) > 0 })
	if len(vms) != 1 || vms[0].Heard || vms[0].Seconds < 1 || vms[0].From != "102" {
		t.Fatalf("voicemails %+v", vms)
	}
	rec, err := audio.LoadWAV(filepath.Join(e.dir, vms[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	// The caller's tone, in the best half second of the message (its
	// edges hold the moments before speaking and after hanging up).
	if best := quarterShare(rec.Mono(), 440); best < 0.9 {
		t.Errorf("the message holds the caller's 440 Hz at best share %.2f", best)
	}
	noWebRTCLegsLeft(t, e)
	if recs := waitRecords(e, 1); len(recs) != 1 || recs[0].Disposition != records.Voicemail || recs[0].To != "+14155550100" {
		t.Errorf("the call's record: %+v", recs)
	}
}

// withSim starts the network simulator as the switchboard's trunk.
func (e *env) withSim() *netsim.Network {
	e.t.Helper()
	udp, _ := e.sb.Addr("udp")
	sim, err := netsim.Start(netsim.Config{Switchboard: udp})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { sim.Close() })
	e.sb.SetTrunk(sim.Addr())
	return sim
}

// TestInboundCalls: a call from the telephone network to the shared
// number rings its members and the one who answers talks to the caller; at
// zero credit the caller hears the special information tone and the call
// is hung up; with nobody online the caller reaches voicemail.
func TestInboundCalls(t *testing.T) {
	e := newEnv(t)
	sim := e.withSim()
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	answered := make(chan *phone.Incoming, 1)
	go func() {
		in := <-bob.Incoming()
		in.Answer(ctx)
		answered <- in
	}()
	call, err := sim.Call(ctx, "+442071234567", "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	in := <-answered
	if !strings.Contains(in.Remote(), "+442071234567") || in.Line() != "+14155550101" {
		t.Errorf("bob sees the call from %q on line %q", in.Remote(), in.Line())
	}
	heardOutside, heardByBob := talkBoth(call.Media(), in.Media(), 440, 1000, 1500*time.Millisecond)
	if s := quarterShare(heardByBob[4000:], 440); s < 0.9 {
		t.Errorf("bob hears the caller at share %.2f", s)
	}
	if s := quarterShare(heardOutside[4000:], 1000); s < 0.9 {
		t.Errorf("the caller hears bob at share %.2f", s)
	}
	call.Hangup(ctx)
	if recs := waitRecords(e, 1); len(recs) != 1 || recs[0].Direction != "inbound" || recs[0].From != "+442071234567" ||
		recs[0].To != "+14155550101" || recs[0].Disposition != records.Answered || recs[0].Seconds < 1 || recs[0].Answered.IsZero() {
		t.Errorf("record %+v", recs)
	}

	// Nobody answers ann's dedicated line (ann has no phone): voicemail.
	vm, err := sim.Call(ctx, "+442071234567", "+14155550100")
	if err != nil {
		t.Fatal(err)
	}
	heard := talk(vm.Media(), 440, 1500*time.Millisecond)
	vm.Hangup(ctx)
	beep := 0.0
	for i := 0; i+800 <= len(heard); i += 400 {
		beep = max(beep, audio.ToneShare(heard[i:i+800], switchboard.BeepHz, 8000))
	}
	if beep < 0.8 {
		t.Errorf("with nobody online the caller did not reach voicemail (beep share %.2f)", beep)
	}

	// At zero: the information tone, then the switchboard hangs up.
	b, _ := e.engine.Balance(ctx, "acme")
	if err := e.engine.Adjust(ctx, "acme", "drain", b.Available.Neg(), "test"); err != nil {
		t.Fatal(err)
	}
	zero, err := sim.Call(ctx, "+442071234567", "+14155550101")
	if err != nil {
		t.Fatal(err)
	}
	sit := talk(zero.Media(), 0, 6*time.Second, zero.Done())
	select {
	case <-zero.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the switchboard did not hang up after the announcement")
	}
	found := map[float64]bool{}
	for i := 0; i+800 <= len(sit); i += 400 {
		for _, f := range []float64{950, 1400, 1800} {
			if audio.ToneShare(sit[i:i+800], f, 8000) > 0.6 {
				found[f] = true
			}
		}
	}
	if len(found) != 3 {
		t.Errorf("the caller heard %v of the information tone's three notes", found)
	}
	select {
	case in := <-bob.Incoming():
		t.Errorf("bob's phone rang for an account at zero: %v", in.Remote())
	default:
	}
}

// TestForwarding: a number forwarded to an outside number sends its calls
// through the trunk, billed per minute to the number's account; forwarded
// after hours only, it rings its members while open.
func TestForwarding(t *testing.T) {
	e := newEnv(t)
	e.withSim()
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	if err := e.db.SetForward(e.ctx, "+14155550100", "+442079460000", false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	before, _ := e.engine.Balance(ctx, "acme")
	call, err := bob.Dial(ctx, "+14155550100")
	if err != nil {
		t.Fatal(err)
	}
	heard := talk(call.Media(), 440, 3*time.Second)
	call.Hangup(ctx)
	if sh := quarterShare(heard[len(heard)/2:], 440); sh < 0.8 {
		t.Errorf("the forwarded call does not reach the far end's echo (share %.2f)", sh)
	}
	recs := waitRecords(e, 1)
	if len(recs) != 1 || recs[0].Direction != "forwarded" || recs[0].To != "+442079460000" || !recs[0].Cost.IsPositive() {
		t.Fatalf("record %+v", recs)
	}
	after, _ := e.engine.Balance(ctx, "acme")
	if !after.Posted.Equal(before.Posted.Sub(recs[0].Cost)) {
		t.Errorf("balance %s -> %s for a call costing %s", before.Posted, after.Posted, recs[0].Cost)
	}
	select {
	case <-ann.Incoming():
		t.Error("ann's phone rang for a forwarded number")
	default:
	}
	// Forwarded after hours only, and open now: ann's phone rings.
	if err := e.db.SetForward(e.ctx, "+14155550100", "+442079460000", true); err != nil {
		t.Fatal(err)
	}
	go func() {
		if in := <-ann.Incoming(); in != nil {
			in.Answer(ctx)
		}
	}()
	c2, err := bob.Dial(ctx, "+14155550100")
	if err != nil {
		t.Fatalf("open hours with after-hours forwarding: %v", err)
	}
	c2.Hangup(ctx)
	if err := e.db.SetForward(e.ctx, "+14155550100", "4420", false); !errors.Is(err, team.ErrInvalid) {
		t.Errorf("forwarding to a non-E.164 number: %v", err)
	}
}

// TestRecording: a call to a number with recording on: both sides hear the
// notice when it connects, and the call is kept as a stereo recording
// (the caller left, the callee right) named in its record.
func TestRecording(t *testing.T) {
	e := newEnv(t)
	if err := e.db.SetRecording(e.ctx, "+14155550100", true); err != nil {
		t.Fatal(err)
	}
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	answered := make(chan *phone.Incoming, 1)
	go func() {
		in := <-ann.Incoming()
		in.Answer(ctx)
		answered <- in
	}()
	call, err := bob.Dial(ctx, "+14155550100")
	if err != nil {
		t.Fatal(err)
	}
	in := <-answered
	heardByBob, heardByAnn := talkBoth(call.Media(), in.Media(), 440, 1000, 3*time.Second)
	call.Hangup(ctx)
	for who, heard := range map[string][]int16{"bob": heardByBob, "ann": heardByAnn} {
		notice := 0.0
		for i := 0; i+800 <= 8000*2 && i+800 <= len(heard); i += 400 {
			notice = max(notice, audio.ToneShare(heard[i:i+800], 1200, 8000))
		}
		if notice < 0.6 {
			t.Errorf("%s did not hear the recording notice (share %.2f)", who, notice)
		}
	}
	var recs []records.Call
	eventually.True(5*time.Second, func() bool { recs = waitRecords(e, 1); return len(recs) > 0 && recs[0].Recording != "" })
	if len(recs) != 1 || recs[0].Recording == "" {
		t.Fatalf("record %+v", recs)
	}
	p, err := audio.LoadWAV(filepath.Join(e.dir, recs[0].Recording))
	if err != nil {
		t.Fatal(err)
	}
	if p.Channels != 2 || len(p.Samples) < 2*8000*2 {
		t.Fatalf("recording: %d channels, %d samples", p.Channels, len(p.Samples))
	}
	left, right := make([]int16, len(p.Samples)/2), make([]int16, len(p.Samples)/2)
	for i := range left {
		left[i], right[i] = p.Samples[2*i], p.Samples[2*i+1]
	}
	tail := len(left) / 2 // after the notice
	if sh := quarterShare(left[tail:], 440); sh < 0.8 {
		t.Errorf("the caller's side holds 440 Hz at share %.2f", sh)
	}
	if sh := quarterShare(right[tail:], 1000); sh < 0.8 {
		t.Errorf("the callee's side holds 1000 Hz at share %.2f", sh)
	}
}

// TestRegisteredTrunk: a carrier that wants registration (Kamailio here,
// with its own subscribers): the switchboard registers as the trunk's
// account and signs its calls with it; ann's call to a London number goes
// through the carrier to a phone registered there (baresip) and she hears
// it.
func TestRegisteredTrunk(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"tether": "trunk-secret", "+442071234567": "london-secret"}, "MD5")
	peers.StartBaresipAccount(t, peers.SIPAccount{Registrar: fmt.Sprintf("127.0.0.1:%d", k.Port), User: "+442071234567",
		Password: "london-secret"}, 440)
	carrier := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(k.Port))
	e := newEnvWith(t, 0, switchboard.Config{Trunk: carrier, TrunkAuth: &switchboard.TrunkAuth{User: "tether", Password: "trunk-secret"}})
	if !eventually.True(20*time.Second, e.sb.TrunkRegistered) {
		t.Fatal("the switchboard did not register with the carrier")
	}
	ann := e.phoneFor("ann@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := ann.Dial(ctx, "+44 20 7123 4567")
	if err != nil {
		t.Fatal(err)
	}
	heard := talk(call.Media(), 1000, 2*time.Second)
	call.Hangup(ctx)
	if sh := quarterShare(heard[8000:], 440); sh < 0.8 {
		t.Errorf("ann hears the London phone at share %.2f", sh)
	}
	if recs := waitRecords(e, 1); len(recs) != 1 || recs[0].Direction != "outbound" || !recs[0].Cost.IsPositive() {
		t.Errorf("record %+v", recs)
	}
}

// TestCallerID: a caller with several numbers picks which one an outside
// call shows (P-Preferred-Identity); a number that is not theirs is not
// shown, their first (dedicated) number is.
func TestCallerID(t *testing.T) {
	e := newEnv(t)
	sim := e.withSim()
	if err := e.db.SetNumber(e.ctx, team.Number{E164: "+14155550102", Account: "acme", Members: []string{"bob@acme.test"}}); err != nil {
		t.Fatal(err)
	}
	bob := e.phoneFor("bob@acme.test", "udp")
	for _, k := range []struct{ ask, shown string }{
		{"+14155550101", "+14155550101"}, // the shared line
		{"", "+14155550102"},             // by default, the dedicated line
		{"+14155550100", "+14155550102"}, // ann's: not his to show
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var opts []phone.DialOption
		if k.ask != "" {
			opts = append(opts, phone.CallerID(k.ask))
		}
		call, err := bob.Dial(ctx, "+442071234567", opts...)
		if err != nil {
			cancel()
			t.Fatalf("asking for %q: %v", k.ask, err)
		}
		call.Hangup(ctx)
		cancel()
		if got := sim.LastCaller(); !strings.Contains(got, k.shown) {
			t.Errorf("asking for %q the network saw %q, want %s", k.ask, got, k.shown)
		}
	}
	// The company's caller ID (the shared line) is shown unless the caller
	// chooses, also for someone who answers no number of their own.
	if err := e.engine.SetProfile(e.ctx, "acme", billing.Profile{Name: "Acme", Region: "US", Zone: "America/New_York", CallerID: "+14155550101"}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateUser(e.ctx, team.User{Account: "acme", Email: "dee@acme.test", Role: team.Member, Extension: "104", Created: time.Now()}, ""); err != nil {
		t.Fatal(err)
	}
	dee := e.phoneFor("dee@acme.test", "udp")
	for who, p := range map[string]*phone.UA{"bob": bob, "dee (no number of her own)": dee} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		call, err := p.Dial(ctx, "+442071234567")
		if err != nil {
			cancel()
			t.Fatalf("%s with the company's caller ID: %v", who, err)
		}
		call.Hangup(ctx)
		cancel()
		if got := sim.LastCaller(); !strings.Contains(got, "+14155550101") {
			t.Errorf("%s: the network saw %q, want the company's caller ID", who, got)
		}
	}
}

// TestWebSocketPhone: a phone speaking SIP over WebSocket (RFC 7118, on a
// path) registers with the switchboard, is called by a UDP phone over the
// connection it opened, and calls back; audio both ways.
func TestWebSocketPhone(t *testing.T) {
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}})
	ann := e.phoneFor("ann@acme.test", "ws")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bob := e.phoneFor("bob@acme.test", "udp")
	answered := make(chan *phone.Incoming, 1)
	go func() {
		in := <-ann.Incoming()
		in.Answer(ctx)
		answered <- in
	}()
	call, err := bob.Dial(ctx, "101")
	if err != nil {
		t.Fatalf("calling the WebSocket phone: %v", err)
	}
	in := <-answered
	heardByBob, heardByAnn := talkBoth(call.Media(), in.Media(), 440, 1000, 1500*time.Millisecond)
	if s := quarterShare(heardByAnn[4000:], 440); s < 0.9 {
		t.Errorf("ann (ws) hears bob at share %.2f", s)
	}
	if s := quarterShare(heardByBob[4000:], 1000); s < 0.9 {
		t.Errorf("bob hears ann (ws) at share %.2f", s)
	}
	call.Hangup(ctx)
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Error("the WebSocket phone's call did not end when bob hung up")
	}
	// And the other way: the WebSocket phone calls bob.
	go func() {
		in := <-bob.Incoming()
		in.Answer(ctx)
	}()
	back, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatalf("ann calling out over ws: %v", err)
	}
	if err := back.Hangup(ctx); err != nil {
		t.Errorf("ann hanging up over ws: %v", err)
	}
	// The WebSocket phone calls bob, and bob hangs up: the BYE reaches
	// ann over her own connection (her Contact names an .invalid host).
	bobIn := make(chan *phone.Incoming, 1)
	go func() {
		in := <-bob.Incoming()
		in.Answer(ctx)
		bobIn <- in
	}()
	third, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatalf("ann calling out over ws again: %v", err)
	}
	if err := (<-bobIn).Hangup(ctx); err != nil {
		t.Errorf("bob hanging up on ann: %v", err)
	}
	select {
	case <-third.Done():
	case <-time.After(10 * time.Second):
		t.Error("the WebSocket caller's call did not end when bob hung up")
	}
	eventually.Must(t, 5*time.Second, "the switchboard to forget the call", func() bool { return e.sb.Calls() == 0 })
}

// TestAccountsApart: a phone of another company on the same switchboard
// reaches none of acme's extensions or people (404, calls and texts);
// acme's public number it reaches only as an outside caller would,
// through the trunk (here the network simulator answers), billed to its
// own account as an outbound call: acme's phones do not ring and acme
// keeps no record of it.
func TestAccountsApart(t *testing.T) {
	e := newEnv(t)
	e.withSim()
	if err := e.engine.OpenAccount(e.ctx, billing.NewAccount{ID: "bee", Plan: "team", Owner: "zed@bee.test", Verified: true}); err != nil {
		t.Fatal(err)
	}
	e.engine.Adjust(e.ctx, "bee", "start", decimal.NewFromInt(5), "test credit")
	if err := e.db.CreateUser(e.ctx, team.User{Account: "bee", Email: "zed@bee.test", Role: team.Owner, Extension: "101", Created: time.Now()}, ""); err != nil {
		t.Fatal(err)
	}
	zed := e.phoneFor("zed@bee.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	cy := e.phoneFor("cy@acme.test", "tcp")
	rang := make(chan string, 4)
	for name, p := range map[string]*phone.UA{"bob": bob, "cy": cy} {
		go func() {
			for in := range p.Incoming() {
				rang <- name
				in.Decline(486)
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, target := range []string{"102", "bob", "103"} {
		if _, err := zed.Dial(ctx, target); !errors.Is(err, phone.ErrNotFound) {
			t.Errorf("bee dials acme's %s: %v, want 404", target, err)
		}
		if err := zed.SendMessage(ctx, target, "hi"); !errors.Is(err, phone.ErrNotFound) {
			t.Errorf("bee texts acme's %s: %v, want 404", target, err)
		}
	}
	// bee's Owner, with no number of his own, is told to assign himself
	// one, not to ask an admin (issue 15).
	var ce *phone.CallError
	if _, err := zed.Dial(ctx, "+442071234567"); !errors.As(err, &ce) || ce.Code != 403 || !strings.Contains(ce.Reason, "assign yourself one") {
		t.Errorf("the Owner with no number calling out: %v", err)
	}
	if err := e.db.SetNumber(e.ctx, team.Number{E164: "+14155550199", Account: "bee", Members: []string{"zed@bee.test"}}); err != nil {
		t.Fatal(err)
	}
	call, err := zed.Dial(ctx, "+14155550101") // acme's shared line
	if err != nil {
		t.Fatalf("bee calls acme's public number: %v", err)
	}
	call.Hangup(ctx)
	select {
	case who := <-rang:
		t.Errorf("acme's %s rang for another company's call", who)
	case <-time.After(time.Second):
	}
	eventually.Must(t, 10*time.Second, "bee's call record", func() bool {
		recs, _ := e.db.Calls(e.ctx, "bee", 10)
		return len(recs) > 0 && recs[0].Direction == "outbound" && recs[0].To == "+14155550101"
	})
	if recs, _ := e.db.Calls(e.ctx, "acme", 10); len(recs) != 0 {
		t.Errorf("acme's records hold another company's call: %+v", recs)
	}
}

// TestClickToCall: the switchboard rings ann's own phone with a call to a
// London number (shown as the number she is about to call); when she
// answers it dials the number through the network simulator and joins
// them: she hears its prompt, then her own voice echoed. The call is
// hers, outbound, billed and recorded as if she had dialled it. Without
// a phone online, from a number not hers, or to a teammate, it is
// refused with why.
func TestClickToCall(t *testing.T) {
	e := newEnv(t)
	udp, _ := e.sb.Addr("udp")
	sim, err := netsim.Start(netsim.Config{Switchboard: udp})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	e.sb.SetTrunk(sim.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	refused := func(email, to, from string, code int) {
		t.Helper()
		_, err := e.sb.ClickToCall(ctx, email, to, from)
		var r *switchboard.CallRefused
		if !errors.As(err, &r) || r.Code != code || r.Reason == "" {
			t.Errorf("click to call %s from %q as %s: %v, want %d", to, from, email, err, code)
		}
	}
	refused("ann@acme.test", "+44 20 7123 4567", "", 409) // no phone of hers online yet
	ann := e.phoneFor("ann@acme.test", "udp")
	refused("ann@acme.test", "+44 20 7123 4567", "+14155550199", 403) // not her number
	refused("ann@acme.test", "bob", "", 404)                          // a teammate: from the app
	refused("ann@acme.test", "not a number", "", 404)
	if recs, _ := e.db.Calls(e.ctx, "acme", 10); len(recs) != 0 {
		t.Errorf("refusals before any ringing were recorded: %+v", recs)
	}
	id, err := e.sb.ClickToCall(ctx, "ann@acme.test", "+44 20 7123 4567", "")
	if err != nil || id == "" {
		t.Fatalf("click to call: %q, %v", id, err)
	}
	var in *phone.Incoming
	select {
	case in = <-ann.Incoming():
	case <-time.After(20 * time.Second):
		t.Fatal("ann's phone did not ring")
	}
	if !strings.Contains(in.Remote(), "+442071234567") {
		t.Errorf("ann's phone shows %q, want the number she is calling", in.Remote())
	}
	if err := in.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	// The prompt (the simulator answered), then her 440 Hz echoed.
	heard := talk(in.Media(), 440, 5*time.Second, in.Done())
	if notes := promptNotes(heard, 16000); notes < 2 {
		t.Errorf("%d of the simulator's prompt notes heard", notes)
	}
	if sh := quarterShare(heard[3*8000:5*8000], 440); sh < 0.8 {
		t.Errorf("her echo at share %.2f", sh)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Error(err)
	}
	eventually.Must(t, 10*time.Second, "the call to end", func() bool { return e.sb.Calls() == 0 })
	recs := waitRecords(e, 1)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	if r.ID != id || r.Direction != "outbound" || r.From != "101" || r.To != "+442071234567" || r.Disposition != records.Answered ||
		r.Seconds < 4 || !r.Cost.IsPositive() || r.Cause != "the caller hung up" {
		t.Errorf("record %+v", r)
	}
	// Declined on her phone: nobody outside is dialled, nothing is
	// charged, and the record says so.
	before, _ := e.engine.Balance(e.ctx, "acme")
	id, err = e.sb.ClickToCall(ctx, "ann@acme.test", "+44 20 7123 4567", "")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case in = <-ann.Incoming():
		in.Decline(603)
	case <-time.After(20 * time.Second):
		t.Fatal("ann's phone did not ring the second time")
	}
	eventually.Must(t, 10*time.Second, "the declined call to end", func() bool { return e.sb.Calls() == 0 })
	recs = waitRecords(e, 2)
	if r := recs[0]; r.ID != id || r.Disposition != records.Missed || !strings.Contains(r.Cause, "your phone did not answer") || !r.Cost.IsZero() {
		t.Errorf("the declined call's record %+v", r)
	}
	if after, _ := e.engine.Balance(e.ctx, "acme"); !after.Available.Equal(before.Available) || !after.Reserved.IsZero() {
		t.Errorf("a declined click-to-call moved credit: %+v -> %+v", before, after)
	}
}
