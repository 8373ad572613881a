package switchboard_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/selfcert"
	"github.com/tetherphone/tether/phone/switchboard"
)

// env is a switchboard on loopback with one account, its users and their
// phones' credentials.
type env struct {
	dir    string
	t      testing.TB
	ctx    context.Context
	db     *sqlite.DB
	engine *billing.Engine
	sb     *switchboard.Server
	creds  map[string][2]string // email -> device user name, password
}

func newEnv(t testing.TB) *env { return newEnvWith(t, 0, switchboard.Config{}) }

// newEnvWith sets the billing chunk (0: the default) and switchboard
// options (Listen, Directory and Billing are filled in).
func newEnvWith(t testing.TB, chunk int64, cfg switchboard.Config) *env {
	t.Helper()
	return newEnvWrapped(t, chunk, cfg, nil)
}

// newEnvWrapped is newEnvWith with the switchboard's directory wrapped
// (nil: the store itself).
func newEnvWrapped(t testing.TB, chunk int64, cfg switchboard.Config, wrap func(*sqlite.DB) switchboard.Directory) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tether.db"))
	if err != nil {
		t.Fatal(err)
	}
	bank, err := payment.OpenSandbox(ctx, filepath.Join(dir, "bank.db"))
	if err != nil {
		t.Fatal(err)
	}
	engine := billing.New(billing.Config{Store: db, Rater: rating.SampleRater(), Processor: bank, ChunkSeconds: chunk})
	t.Cleanup(func() { engine.Close(); bank.Close(); db.Close() })
	e := &env{dir: dir, t: t, ctx: ctx, db: db, engine: engine, creds: map[string][2]string{}}
	if err := engine.OpenAccount(ctx, billing.NewAccount{ID: "acme", Plan: "team", Owner: "ann@acme.test", Verified: true}); err != nil {
		t.Fatal(err)
	}
	if err := engine.Adjust(ctx, "acme", "start", decimal.NewFromInt(10), "test credit"); err != nil {
		t.Fatal(err)
	}
	for i, email := range []string{"ann@acme.test", "bob@acme.test", "cy@acme.test"} {
		role := team.Member
		if i == 0 {
			role = team.Owner
		}
		if err := db.CreateUser(ctx, team.User{Account: "acme", Email: email, Role: role, Extension: fmt.Sprint(101 + i), Created: time.Now()}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetNumber(ctx, team.Number{E164: "+14155550100", Account: "acme", Members: []string{"ann@acme.test"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetNumber(ctx, team.Number{E164: "+14155550101", Account: "acme", Members: []string{"bob@acme.test", "cy@acme.test"}}); err != nil {
		t.Fatal(err)
	}
	if cfg.Listen == nil {
		cfg.Listen = []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0"}
	}
	cfg.Directory, cfg.Billing, cfg.Records = db, system.SwitchboardBilling(engine), db
	if wrap != nil {
		cfg.Directory = wrap(db)
	}
	if cfg.VoicemailDir == "" {
		cfg.VoicemailDir = dir
	}
	sb, err := switchboard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	e.sb = sb
	return e
}

// device adds a device (SIP credentials) of the user's and returns it
// with its password.
func (e *env) device(email string) (team.Device, string) {
	e.t.Helper()
	d, pw := team.NewDevice(email, "test", "tether", time.Now())
	if err := e.db.AddDevice(e.ctx, d); err != nil {
		e.t.Fatal(err)
	}
	return d, pw
}

// phoneFor registers a new device of the user's over transport (ws on
// the path /ws).
func (e *env) phoneFor(email, transport string) *phone.UA {
	e.t.Helper()
	return e.phoneWith(email, phone.Config{Transport: transport})
}

// phoneWith is phoneFor with more of the phone's configuration (its
// media, its ICE servers).
func (e *env) phoneWith(email string, cfg phone.Config) *phone.UA {
	e.t.Helper()
	d, pw := e.device(email)
	addr, _ := e.sb.Addr(cfg.Transport)
	cfg.User, cfg.Password = fmt.Sprintf("sip:%s@%s", d.Username, addr), pw
	cfg.WSPath, cfg.Listen, cfg.Expires, cfg.KeepAlive = "/ws", "127.0.0.1:0", time.Minute, -1
	u, err := phone.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { u.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Register(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-u.Events():
			if ev.State == phone.Registered {
				return u
			}
			if ev.State == phone.Retrying {
				e.t.Fatalf("%s could not register: %v", email, ev.Err)
			}
		case <-deadline:
			e.t.Fatalf("%s never registered", email)
		}
	}
}

// talk plays a tone and records what comes back, in real time, for d or
// until the call ends.
func talk(m *media.Session, freq float64, d time.Duration, done ...<-chan struct{}) []int16 {
	var ended <-chan struct{}
	if len(done) > 0 {
		ended = done[0]
	}
	n := m.FrameSize()
	tone, in := make([]int16, n), make([]int16, n)
	var rec []int16
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for k := 0; k < int(d/(20*time.Millisecond)); k++ {
		select {
		case <-tick.C:
		case <-ended:
			return rec
		}
		audio.Sine(tone, freq, 8000, 12000, k*n)
		m.WriteFrame(tone)
		m.ReadFrame(in)
		rec = append(rec, in...)
	}
	return rec
}

// TestCallThroughSwitchboard: ann (UDP) calls bob's extension; bob (TCP)
// answers; each hears the other's tone through the switchboard's relay;
// ann hangs up and bob's call ends.
func TestCallThroughSwitchboard(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "tcp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	answered := make(chan *phone.Incoming, 1)
	go func() {
		in := <-bob.Incoming()
		if err := in.Answer(ctx); err != nil {
			t.Error(err)
		}
		answered <- in
	}()
	call, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatal(err)
	}
	in := <-answered
	heardByAnn, heardByBob := talkBoth(call.Media(), in.Media(), 440, 1000, 1500*time.Millisecond)
	if s := quarterShare(heardByBob[4000:], 440); s < 0.9 {
		t.Errorf("bob hears ann's 440 Hz at share %.2f", s)
	}
	if s := quarterShare(heardByAnn[4000:], 1000); s < 0.9 {
		t.Errorf("ann hears bob's 1000 Hz at share %.2f", s)
	}
	if e.sb.Calls() != 1 {
		t.Errorf("%d calls bridged", e.sb.Calls())
	}
	call.Hangup(ctx)
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("bob's call did not end when ann hung up")
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.sb.Calls() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if e.sb.Calls() != 0 {
		t.Errorf("%d calls left on the switchboard", e.sb.Calls())
	}
	if recs := waitRecords(e, 1); len(recs) != 1 || recs[0].Direction != "internal" || recs[0].Seconds < 1 ||
		recs[0].Disposition != records.Answered || recs[0].From != "101" || recs[0].To != "102" {
		t.Errorf("the call's record: %+v", recs)
	}
}

// TestGate: at zero available credit a call is refused with 402 and the
// reason; unknown extensions get 404, unregistered users 480.
func TestGate(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := ann.Dial(ctx, "999"); !errors.Is(err, phone.ErrNotFound) {
		t.Errorf("unknown extension: %v", err)
	}
	var ce *phone.CallError
	if _, err := ann.Dial(ctx, "103"); !errors.As(err, &ce) || ce.Code != 480 {
		t.Errorf("cy has no phone registered: %v", err)
	}
	b, _ := e.engine.Balance(ctx, "acme")
	if err := e.engine.Adjust(ctx, "acme", "drain", b.Available.Neg(), "test: to zero"); err != nil {
		t.Fatal(err)
	}
	_, err := ann.Dial(ctx, "102")
	if !errors.Is(err, phone.ErrInsufficientCredit) || !errors.As(err, &ce) || ce.Code != 402 || !strings.HasPrefix(ce.Reason, "Your account has no credit") {
		t.Fatalf("at zero: %v", err)
	}
	t.Logf("refused: %v", err)
	recs, _ := e.db.Calls(e.ctx, "acme", 10)
	if len(recs) == 0 || recs[0].Disposition != records.Refused || recs[0].To != "102" {
		t.Errorf("the refused call's record: %+v", recs)
	}
}

// TestSuspended: a suspended account's calls and texts, even inside the
// team and with credit left, are refused with 403 and the suspension's
// reason; its credit stays; once reinstated it calls again.
func TestSuspended(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	go func() {
		for in := range bob.Incoming() {
			in.Answer(e.ctx)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before, _ := e.engine.Balance(ctx, "acme")
	if err := e.engine.Suspend(ctx, "acme", "unpaid invoice 1042"); err != nil {
		t.Fatal(err)
	}
	var ce *phone.CallError
	_, err := ann.Dial(ctx, "102")
	if !errors.Is(err, phone.ErrForbidden) || !errors.As(err, &ce) || !strings.Contains(ce.Reason, "suspended: unpaid invoice 1042") {
		t.Fatalf("a call while suspended: %v", err)
	}
	if err := ann.SendMessage(ctx, "102", "hi"); !errors.Is(err, phone.ErrForbidden) {
		t.Errorf("a text while suspended: %v", err)
	}
	if recs, _ := e.db.Calls(e.ctx, "acme", 10); len(recs) == 0 || recs[0].Disposition != records.Refused || recs[0].Cause != "403 the account is suspended" {
		t.Errorf("the refused call's record: %+v", recs)
	}
	if after, _ := e.engine.Balance(ctx, "acme"); !after.Posted.Equal(before.Posted) {
		t.Errorf("suspension changed the balance: %s -> %s", before.Posted, after.Posted)
	}
	if err := e.engine.Reinstate(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	call, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatalf("a call once reinstated: %v", err)
	}
	call.Hangup(ctx)
}

// TestRingAll: bob has two phones; both ring, the first to answer gets the
// call, the other stops ringing (CANCEL, "answered elsewhere").
func TestRingAll(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	desk := e.phoneFor("bob@acme.test", "udp")
	laptop := e.phoneFor("bob@acme.test", "tcp")
	ringAll(t, ann, "bob", desk, laptop)
}

// ringAll has caller dial target, which rings both answering and other;
// answering picks up, and other must stop ringing without the call.
func ringAll(t *testing.T, caller *phone.UA, target string, answering, other *phone.UA) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rang := make(chan *phone.Incoming, 1)
	otherRang := make(chan struct{})
	go func() {
		in := <-other.Incoming()
		close(otherRang)
		rang <- in
	}()
	go func() {
		in := <-answering.Incoming()
		select { // answer once the other phone rings too
		case <-otherRang:
		case <-ctx.Done():
		}
		in.Answer(ctx)
	}()
	call, err := caller.Dial(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer call.Hangup(context.Background())
	var in *phone.Incoming
	select {
	case in = <-rang:
	case <-time.After(10 * time.Second):
		t.Fatal("the other phone never rang")
	}
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the other phone kept ringing after one answered")
	}
	if in.State() == phone.Connected {
		t.Error("both phones have the call")
	}
}

// TestRegistrarAuth: a wrong password is challenged again (never 403 with
// a hint), and an address that keeps failing is banned.
func TestRegistrarAuth(t *testing.T) {
	e := newEnv(t)
	d, _ := team.NewDevice("ann@acme.test", "test", "tether", time.Now())
	if err := e.db.AddDevice(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	addr, _ := e.sb.Addr("udp")
	for _, user := range []string{d.Username, "nobody"} {
		u, err := phone.New(phone.Config{User: fmt.Sprintf("sip:%s@%s", user, addr), Password: "wrong-password", Listen: "127.0.0.1:0", KeepAlive: -1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go u.Register(ctx)
		var got error
		deadline := time.After(20 * time.Second)
	wait:
		for {
			select {
			case ev := <-u.Events():
				if ev.State == phone.Retrying {
					got = ev.Err
					break wait
				}
				if ev.State == phone.Registered {
					t.Fatalf("%s registered with a wrong password", user)
				}
			case <-deadline:
				t.Fatal("no answer to a wrong password")
			}
		}
		cancel()
		u.Close()
		var ce *phone.CallError
		if !errors.As(got, &ce) || ce.Code != 401 {
			t.Errorf("%s with a wrong password: %v (want the challenge again, 401)", user, got)
		}
	}
}

// TestSharedNumber: a call to the shared number rings both members; the
// first to answer has it, the other's phone stops ringing.
func TestSharedNumber(t *testing.T) {
	e := newEnv(t)
	ann := e.phoneFor("ann@acme.test", "udp")
	bob := e.phoneFor("bob@acme.test", "udp")
	cy := e.phoneFor("cy@acme.test", "tcp")
	ringAll(t, ann, "+14155550101", bob, cy)
}

// TestRegistrationsSurviveRestart: a switchboard restarted on the same
// data still reaches a phone that registered before, without waiting for
// it to register again.
func TestRegistrationsSurviveRestart(t *testing.T) {
	e := newEnv(t)
	bob := e.phoneFor("bob@acme.test", "udp")
	udp, _ := e.sb.Addr("udp")
	e.sb.Close()
	sb2, err := switchboard.New(switchboard.Config{Listen: []string{"udp://" + udp.String()}, Directory: e.db, Billing: system.SwitchboardBilling(e.engine)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb2.Close() }) // after ann's phone unregisters
	e.sb = sb2
	ann := e.phoneFor("ann@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		if in := <-bob.Incoming(); in != nil {
			in.Answer(ctx)
		}
	}()
	call, err := ann.Dial(ctx, "102")
	if err != nil {
		t.Fatalf("after the restart, bob cannot be reached: %v", err)
	}
	call.Hangup(ctx)
}

// TestTLSAndSRTP: a phone registers over TLS and calls a phone on UDP;
// the TLS phone offers SRTP, the keys pass the switchboard untouched (the
// relay carries the encrypted packets), and each hears the other.
func TestTLSAndSRTP(t *testing.T) {
	cert, err := selfcert.New()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"tls://127.0.0.1:0", "udp://127.0.0.1:0"},
		TLS: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}})
	d, pw := team.NewDevice("ann@acme.test", "tls", "tether", time.Now())
	if err := e.db.AddDevice(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	addr, _ := e.sb.Addr("tls")
	ann, err := phone.New(phone.Config{User: fmt.Sprintf("sip:%s@%s", d.Username, addr), Password: pw, Transport: "tls",
		TLS: &tls.Config{RootCAs: cert.Pool}, Listen: "127.0.0.1:0", Expires: time.Minute, KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ann.Close() })
	rctx, rcancel := context.WithCancel(context.Background())
	rdone := make(chan struct{})
	go func() { ann.Register(rctx); close(rdone) }()
	t.Cleanup(func() { rcancel(); <-rdone })
	for ev := range ann.Events() {
		if ev.State == phone.Registered {
			break
		}
		if ev.State == phone.Retrying {
			t.Fatalf("no TLS registration: %v", ev.Err)
		}
	}
	bob := e.phoneFor("bob@acme.test", "udp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	answered := make(chan *phone.Incoming, 1)
	go func() {
		in := <-bob.Incoming()
		in.Answer(ctx)
		answered <- in
	}()
	call, err := ann.Dial(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer call.Hangup(context.Background())
	in := <-answered
	if !call.Secure() || !in.Secure() {
		t.Fatalf("SRTP: caller %v, callee %v", call.Secure(), in.Secure())
	}
	heardByAnn, heardByBob := talkBoth(call.Media(), in.Media(), 440, 1000, 1500*time.Millisecond)
	if s := quarterShare(heardByBob[4000:], 440); s < 0.9 {
		t.Errorf("bob hears ann at share %.2f over SRTP", s)
	}
	if s := quarterShare(heardByAnn[4000:], 1000); s < 0.9 {
		t.Errorf("ann hears bob at share %.2f over SRTP", s)
	}
}

// waitRecords waits (bounded) until the account has n call records: they
// are written as the switchboard finishes a call, after the phones see it
// end.
func waitRecords(e *env, n int) []records.Call {
	var recs []records.Call
	eventually.True(5*time.Second, func() bool { recs, _ = e.db.Calls(e.ctx, "acme", 100); return len(recs) >= n })
	return recs
}

// TestWebSocketRegister: SIP over WebSocket (RFC 7118), as browsers and
// the WebRTC softphone speak it: a REGISTER is challenged and accepted.
func TestWebSocketRegister(t *testing.T) {
	e := newEnvWith(t, 0, switchboard.Config{Listen: []string{"ws://127.0.0.1:0"}})
	d, pw := team.NewDevice("ann@acme.test", "browser", "tether", time.Now())
	if err := e.db.AddDevice(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	addr, ok := e.sb.Addr("ws")
	if !ok {
		t.Fatal("no ws listener")
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ws test"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	aor := sip.Uri{Scheme: "sip", User: d.Username, Host: addr.Addr().String(), Port: int(addr.Port())}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: addr.Addr().String(), Port: int(addr.Port())})
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: d.Username, Host: "df7jal23ls0d.invalid",
		UriParams: sip.HeaderParams{{K: "transport", V: "ws"}}}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	req.SetTransport("WS")
	req.SetDestination(addr.String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := client.Do(ctx, req)
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("first REGISTER over ws: %v %v", res, err)
	}
	res, err = client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: d.Username, Password: pw})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER with credentials over ws: %v %v", res, err)
	}
}

// talkBoth runs talk on two sessions at once: a plays fa, b plays fb.
func talkBoth(a, b *media.Session, fa, fb float64, d time.Duration) (heardByA, heardByB []int16) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); heardByA = talk(a, fa, d) }()
	go func() { defer wg.Done(); heardByB = talk(b, fb, d) }()
	wg.Wait()
	return
}

// quarterShare is the best share of freq over a quarter second
// (audio.BestShare): proof a tone came through, robust to a hiccup on a
// loaded machine.
func quarterShare(pcm []int16, freq float64) float64 {
	return audio.BestShare(pcm, freq, 8000, 250*time.Millisecond)
}
