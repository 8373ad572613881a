package ui_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/embedded"
	wait "github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/ui"
)

// account is the demo account behind a real account API.
type account struct {
	t   *testing.T
	url string
	pw  map[string]string
	sys *system.System
}

func newAccount(t *testing.T) *account {
	t.Helper()
	dir := t.TempDir()
	sys, err := demo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	srv := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether"}))
	t.Cleanup(srv.Close)
	pw, err := demo.ReadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &account{t: t, url: srv.URL, pw: pw, sys: sys}
}

// session signs in as a demo user ("owner", "admin", "rep").
func session(t *testing.T, base string, pw map[string]string, who string) ui.Session {
	t.Helper()
	c, err := api.NewClient(base)
	if err != nil {
		t.Fatal(err)
	}
	email := who + "@demo.test"
	s, err := c.SignIn(context.Background(), email, pw[email])
	if err != nil {
		t.Fatal(err)
	}
	return ui.Session{Account: c, Me: s.User}
}

// drain takes the demo account to zero available credit.
func (a *account) drain() {
	ctx := context.Background()
	b, _ := a.sys.Engine.Balance(ctx, demo.Account)
	if err := a.sys.Engine.Adjust(ctx, demo.Account, "drain", b.Available.Neg(), "test"); err != nil {
		a.t.Fatal(err)
	}
}

// startSystem runs a whole phone system in the test process (switchboard
// and account API) until the test ends.
func startSystem(t *testing.T, ctx context.Context) *embedded.System {
	t.Helper()
	sys, err := embedded.Start(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	return sys
}

func shell(t *testing.T, s ui.Session, d ui.Dialer) (*ui.Shell, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	sh := ui.NewShell(s, d, w)
	t.Cleanup(sh.Wait) // before the server it reads goes
	w.SetContent(sh.Object())
	w.Resize(fyne.NewSize(1024, 720))
	if err := sh.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return sh, w
}

// eventually waits, within a generous bound, for cond (checked on the UI
// thread).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.Must(t, 30*time.Second, what, func() bool {
		var ok bool
		ui.Run(func() { ok = cond() })
		return ok
	})
}

// TestTabsByRole: each role sees the views it may use.
func TestTabsByRole(t *testing.T) {
	a := newAccount(t)
	for who, want := range map[string][]string{
		"owner": {"Phone", "Calls", "Messages", "Voicemail", "Contacts", "Credits", "Numbers", "Team", "Account", "Activity", "Settings"},
		"admin": {"Phone", "Calls", "Messages", "Voicemail", "Contacts", "Credits", "Numbers", "Team", "Account", "Activity", "Settings"},
		"rep":   {"Phone", "Calls", "Messages", "Voicemail", "Contacts", "Numbers", "Settings"},
	} {
		sh, _ := shell(t, session(t, a.url, a.pw, who), nil)
		if got := sh.TabNames(); !slices.Equal(got, want) {
			t.Errorf("%s sees %v, want %v", who, got, want)
		}
	}
}

// TestGateAtZero: at zero available credit the banner says why, dialling
// is off, and the Owner gets Add credits where a rep reads whom to ask.
// The Phone view's markup is kept in testdata.
func TestGateAtZero(t *testing.T) {
	a := newAccount(t)
	a.drain()
	for _, who := range []string{"owner", "rep"} {
		sh, w := shell(t, session(t, a.url, a.pw, who), phoneStub{})
		ui.Run(func() { sh.Phone.SetNumber("+44 20 7123 4567") })
		time.Sleep(300 * time.Millisecond) // the price line's answer, which the closed gate keeps blank
		var q string
		ui.Run(func() { q = sh.Phone.QuoteText() })
		if q != "" {
			t.Errorf("%s: a price line under the banner: %q", who, q)
		}
		if sh.Gate.Open() {
			t.Fatalf("%s: the gate is open at zero", who)
		}
		ui.Run(func() { test.AssertRendersToMarkup(t, "gate_"+who+"_zero.xml", w.Canvas()) })
	}
}

// phoneStub is a dialer that must not be used: the gate keeps it idle.
type phoneStub struct{}

func (phoneStub) Dial(context.Context, string, ...phone.DialOption) (*phone.Call, error) {
	panic("dialled through a closed gate")
}

// TestFormatNumber: numbers are grouped as their country writes them once
// they are possible numbers; extensions and partial numbers stay as typed.
func TestFormatNumber(t *testing.T) {
	for _, k := range []struct{ in, region, want string }{
		{"4155550100", "US", "(415) 555-0100"},
		{"+442071234567", "US", "+44 20 7123 4567"},
		{"02071234567", "GB", "020 7123 4567"},
		{"020 7946 0958", "US", "020 7946 0958"}, // not a US number: left as typed
		{"101", "US", "101"},
		{"+4420", "US", "+4420"},
		{"rep", "US", "rep"},
		{"*72", "US", "*72"},
	} {
		if got := ui.FormatNumber(k.in, k.region); got != k.want {
			t.Errorf("FormatNumber(%q, %s) = %q, want %q", k.in, k.region, got, k.want)
		}
	}
}

// TestQuoteAndRunway: the pre-dial line and the runway in words.
func TestQuoteAndRunway(t *testing.T) {
	q := api.QuoteInfo{Destination: "United Kingdom", PerMinute: "0.0150", Increment: "1/1", Connection: "0.0000", Currency: "USD", Allowed: true}
	if got := ui.QuoteLine(q); got != "United Kingdom: $0.015 a minute, billed by the second. Paid from credits." {
		t.Errorf("quote line %q", got)
	}
	q.InBundle, q.Destination = true, "United States"
	if got := ui.QuoteLine(q); !strings.Contains(got, "in your plan's bundle") {
		t.Errorf("in-bundle line %q", got)
	}
	days := make([]api.UsageDay, 30)
	for i := range days {
		days[i] = api.UsageDay{Total: "0.5000"}
	}
	if got := ui.Runway("10.00", days, "USD"); got != "About 20 days of credit at your usual spend ($0.50 a day)." {
		t.Errorf("runway %q", got)
	}
	if got := ui.Runway("10.00", nil, "USD"); !strings.Contains(got, "No credit spent") {
		t.Errorf("runway with no spend %q", got)
	}
}

// TestCreditsView: the owner adds credits and sets auto top-up; the view
// updates from the server.
func TestCreditsView(t *testing.T) {
	a := newAccount(t)
	sh, _ := shell(t, session(t, a.url, a.pw, "owner"), nil)
	eventually(t, "the balance", func() bool { return sh.Credits.AvailableText() == "$20.00 available" })
	// The runway and the suggested threshold speak of one usual spend
	// (they said $0.27 and $0.28 a day: one averaged days before the
	// first spend).
	perDay := regexp.MustCompile(`\$[0-9.]+ a day`)
	if r, s := perDay.FindString(sh.Credits.RunwayText()), perDay.FindString(sh.Credits.SuggestionText()); r == "" || r != s {
		t.Errorf("the runway says %q, the suggestion %q", sh.Credits.RunwayText(), sh.Credits.SuggestionText())
	}
	ui.Run(func() { sh.Credits.AddCredits("12.50") })
	eventually(t, "the credit added", func() bool {
		return sh.Credits.AvailableText() == "$32.50 available" && strings.Contains(sh.Credits.AddStatus(), "Added $12.50")
	})
	b, _ := a.sys.Engine.Balance(context.Background(), demo.Account)
	if b.Available.String() != "32.5" {
		t.Errorf("the server's balance: %s", b.Available)
	}
}

// TestNumbersAndTeamViews: an admin sees both numbers and the team; a rep
// sees her numbers.
func TestNumbersAndTeamViews(t *testing.T) {
	a := newAccount(t)
	sh, _ := shell(t, session(t, a.url, a.pw, "admin"), nil)
	if n := len(sh.Numbers.Rows()); n != 2 {
		t.Errorf("the admin sees %d numbers", n)
	}
	if n := len(sh.Team.Members()); n != 3 {
		t.Errorf("the team has %d people", n)
	}
	if d := sh.Checklist.Done(); d != [4]bool{true, true, false, false} {
		t.Errorf("the admin's checklist: %v (numbers and team done; auto top-up off; CRM open)", d)
	}
	if o := sh.Checklist.Opens(); o != [4]bool{true, true, true, true} {
		t.Errorf("the checklist's steps that open a view: %v (the CRM step opens Settings' Integrations)", o)
	}
	rep, _ := shell(t, session(t, a.url, a.pw, "rep"), nil)
	if rep.Checklist != nil {
		t.Error("a rep sees the owner's checklist")
	}
	if n := len(rep.Numbers.Rows()); n != 2 || rep.Team != nil || rep.Credits != nil {
		t.Errorf("the rep sees %d numbers, team view %v, credits view %v", n, rep.Team != nil, rep.Credits != nil)
	}
}

// TestCallFromTheDialer: on the in-process demo system, the owner dials a
// London number from the dialer; the pre-dial line prices it, the call
// connects to the simulated network, the in-call screen counts, and hang
// up returns to the dialer with the call in the history. The phone
// carries the call as plain RTP, then as WebRTC (said encrypted).
func TestCallFromTheDialer(t *testing.T) {
	t.Run("rtp", func(t *testing.T) { callFromTheDialer(t, "rtp") })
	t.Run("webrtc", func(t *testing.T) { callFromTheDialer(t, "webrtc") })
}

func callFromTheDialer(t *testing.T, mediaKind string) {
	ctx := context.Background()
	sys := startSystem(t, ctx)
	s := session(t, sys.API, sys.Users, "owner")
	ua := phoneOf(t, sys, "owner", mediaKind)
	sh, _ := shell(t, s, ua)
	ui.Run(func() { sh.Phone.SetNumber("+442071234567") })
	eventually(t, "the price line", func() bool { return strings.HasPrefix(sh.Phone.QuoteText(), "United Kingdom: $0.015 a minute") })
	var got string
	ui.Run(func() { got = sh.Phone.Number() })
	if got != "+44 20 7123 4567" {
		t.Errorf("the dialer shows %q", got)
	}
	ui.Run(func() { sh.Phone.Dial() })
	eventually(t, "the call to connect and count", func() bool {
		in, state := sh.Phone.InCall()
		return in && strings.HasPrefix(state, "Connected 0:0") && state != "Connected 0:00"
	})
	var quality string
	ui.Run(func() { quality = sh.Phone.QualityText() })
	if encrypted := strings.Contains(quality, "encrypted"); encrypted != (mediaKind == "webrtc") || quality == "" {
		t.Errorf("with %s media the line reads %q", mediaKind, quality)
	}
	ui.Run(func() { sh.Phone.Hangup() })
	eventually(t, "the dialer back", func() bool { in, _ := sh.Phone.InCall(); return !in })
	// The switchboard writes the call's record as it hangs up.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err := sh.Calls.Load(ctx); err != nil {
			t.Fatal(err)
		}
		var got string
		ui.Run(func() { got = sh.Calls.Text() })
		if strings.Contains(got, "+442071234567") && strings.Contains(got, "answered") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the history: %q", got)
		}
	}

	// A text: the counter counts and prices it as it is typed; the
	// simulated network answers it and the reply joins the thread.
	go func() {
		for m := range ua.Messages() {
			ui.Run(func() { sh.Messages.Received(m) })
		}
	}()
	ui.Run(func() { sh.Messages.SetDraft("+442071234567", "Hello from Tether ✓") })
	eventually(t, "the text's price", func() bool {
		c := sh.Messages.Counter()
		return strings.Contains(c, "1 segment(s), UCS-2") && strings.Contains(c, "United Kingdom") && strings.Contains(c, "from credits")
	})
	ui.Run(func() { sh.Messages.Send() })
	eventually(t, "the reply", func() bool {
		th := strings.Join(sh.Messages.Thread("+442071234567"), "\n")
		return strings.Contains(th, "me: Hello from Tether ✓") && strings.Contains(th, "them: ")
	})

	// With credit for 62 s to London ($0.015 a minute, by the second),
	// the in-call screen warns in the call's last minute.
	b, _ := sys.Billing().Balance(ctx, demo.Account)
	if err := sys.Billing().Adjust(ctx, demo.Account, "leave-62s", b.Available.Sub(decimal.RequireFromString("0.0155")).Neg(), "test"); err != nil {
		t.Fatal(err)
	}
	ui.Run(func() { sh.Phone.SetNumber("+442071234567") })
	eventually(t, "the price with 62 s of credit", func() bool { return strings.HasPrefix(sh.Phone.QuoteText(), "United Kingdom") })
	ui.Run(func() { sh.Phone.Dial() })
	eventually(t, "the credit warning", func() bool { return strings.Contains(sh.Phone.CreditWarning(), "runs out in") })
	ui.Run(func() { sh.Phone.Hangup() })
	eventually(t, "the dialer back", func() bool { in, _ := sh.Phone.InCall(); return !in })
}

// TestVoicemailAndContacts: a message left on the rep's line is listed and
// played (marked heard); a contact added is found by its number.
func TestVoicemailAndContacts(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	dir := filepath.Dir(a.sys.Store.Path())
	pcm := make([]int16, 8000)
	audio.Sine(pcm, 440, 8000, 9000, 0)
	os.MkdirAll(filepath.Join(dir, "voicemail"), 0o700)
	if err := audio.SaveWAV(filepath.Join(dir, "voicemail", "vm1.wav"), &audio.PCM{Rate: 8000, Channels: 1, Samples: pcm}); err != nil {
		t.Fatal(err)
	}
	if err := a.sys.Store.AddVoicemail(ctx, team.Voicemail{ID: "vm1", Account: demo.Account, Number: "+14155550100", From: "+442071234567",
		Seconds: 1, Path: filepath.Join("voicemail", "vm1.wav"), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	sh, _ := shell(t, session(t, a.url, a.pw, "rep"), nil)
	var played *audio.PCM
	sh.Voicemail.Play = func(p *audio.PCM) (func(), error) { played = p; return func() {}, nil }
	items := sh.Voicemail.Items()
	if len(items) != 1 || items[0].Heard {
		t.Fatalf("voicemail items %+v", items)
	}
	ui.Run(func() { sh.Voicemail.PlayMessage(items[0]) })
	eventually(t, "the message played and marked heard", func() bool {
		return played != nil && len(sh.Voicemail.Items()) == 1 && sh.Voicemail.Items()[0].Heard
	})
	if bestShare := audio.ToneShare(played.Samples, 440, 8000); bestShare < 0.9 {
		t.Errorf("the message played is not the one left (440 Hz share %.2f)", bestShare)
	}
	// While it plays there is Stop; once its second has played, the status
	// says so rather than "Playing..." for ever (issue 15, defect 9).
	var playing bool
	ui.Run(func() { playing = sh.Voicemail.Playing() })
	if !playing {
		t.Error("no Stop while the message plays")
	}
	eventually(t, "the message over", func() bool {
		return strings.HasPrefix(sh.Voicemail.Status(), "Played the message") && !sh.Voicemail.Playing()
	})
	stopped := false
	sh.Voicemail.Play = func(p *audio.PCM) (func(), error) { return func() { stopped = true }, nil }
	ui.Run(func() { sh.Voicemail.PlayMessage(items[0]) })
	eventually(t, "playing again", func() bool { return sh.Voicemail.Playing() })
	ui.Run(func() { sh.Voicemail.StopPlaying() })
	if s := sh.Voicemail.Status(); !stopped || s != "Stopped." {
		t.Errorf("Stop: stopped %v, status %q", stopped, s)
	}
	c := session(t, a.url, a.pw, "rep").Account.(*api.Client)
	if _, err := c.SaveContact(ctx, api.ContactInfo{Name: "Ada Lovelace", Company: "Analytical", Numbers: []string{"+44 20 7123 4567"}}); err != nil {
		t.Fatal(err)
	}
	if err := sh.Contacts.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if items := sh.Contacts.Items(); len(items) != 1 || items[0].Numbers[0] != "+442071234567" {
		t.Errorf("contacts %+v", items)
	}
}

// TestSettings: the devices listed are offered, a choice is kept in the
// app's preferences, the test tone and the link handler report back.
func TestSettings(t *testing.T) {
	a := newAccount(t)
	test.NewTempApp(t)
	var toned string
	hooks := ui.SettingsHooks{
		Devices:       func() ([]string, []string, error) { return []string{"Monitor of mic"}, []string{"spk", "bell"}, nil },
		TestTone:      func(p string) error { toned = p; return nil },
		RegisterLinks: func() (string, error) { return "/tmp/x.desktop", nil },
	}
	sh := ui.NewShellWith(session(t, a.url, a.pw, "rep"), nil, test.NewTempWindow(t, nil), hooks)
	sh.Settings.Choose("playback", "spk")
	sh.Settings.Choose("ring", "bell")
	prefs := fyne.CurrentApp().Preferences()
	if prefs.String(ui.PrefPlayback) != "spk" || prefs.String(ui.PrefRing) != "bell" {
		t.Errorf("preferences: speaker %q, ring %q", prefs.String(ui.PrefPlayback), prefs.String(ui.PrefRing))
	}
	sh.Settings.Choose("ring", "System default")
	if prefs.String(ui.PrefRing) != "" {
		t.Errorf("the default ring device kept as %q", prefs.String(ui.PrefRing))
	}
	test.Tap(findButton(t, sh.Settings.Object(), "Play a test tone"))
	if toned != "spk" {
		t.Errorf("the test tone went to %q", toned)
	}
	test.Tap(findButton(t, sh.Settings.Object(), "Open tel: and callto: links with Tether"))
	if !strings.Contains(sh.Settings.Status(), "/tmp/x.desktop") {
		t.Errorf("status %q", sh.Settings.Status())
	}
	// Call audio: WebRTC chosen is kept (for the next sign-in), and the
	// server's say comes back as the empty preference.
	sh.Settings.Choose("media", "WebRTC (ICE, DTLS-SRTP)")
	if prefs.String(ui.PrefMedia) != "webrtc" || !strings.Contains(sh.Settings.Status(), "next sign-in") {
		t.Errorf("media preference %q, status %q", prefs.String(ui.PrefMedia), sh.Settings.Status())
	}
	sh.Settings.Choose("media", "As the server says")
	if prefs.String(ui.PrefMedia) != "" {
		t.Errorf("media preference kept as %q", prefs.String(ui.PrefMedia))
	}
	// Cleaning up the microphone (issue 15): on unless turned off, kept.
	clean := findCheck(t, sh.Settings.Object(), "Cancel echo, suppress noise and level my voice")
	if !clean.Checked || !prefs.BoolWithFallback(ui.PrefCleanup, true) {
		t.Errorf("microphone clean-up starts %v (preference %v), want on", clean.Checked, prefs.BoolWithFallback(ui.PrefCleanup, true))
	}
	test.Tap(clean)
	if prefs.BoolWithFallback(ui.PrefCleanup, true) || !strings.Contains(sh.Settings.Status(), "headset") {
		t.Errorf("turned off: preference %v, status %q", prefs.BoolWithFallback(ui.PrefCleanup, true), sh.Settings.Status())
	}
	test.Tap(clean)
	if !prefs.BoolWithFallback(ui.PrefCleanup, false) {
		t.Error("turned on again: the preference stayed off")
	}
	// About (issue 15): the version and build, and what the app does not do.
	if about := sh.Settings.About(); !strings.HasPrefix(about, "Tether dev (build 0, commit unknown)") || !strings.Contains(about, "checks nothing on the internet") {
		t.Errorf("About says %q", about)
	}
}

// findCheck finds a check box by its label in a tree of objects.
func findCheck(t *testing.T, o fyne.CanvasObject, label string) *widget.Check {
	t.Helper()
	return findLabelled(t, o, label, func(c *widget.Check) string { return c.Text })
}

// findButton finds a button by its label in a tree of objects.
func findButton(t *testing.T, o fyne.CanvasObject, label string) *widget.Button {
	t.Helper()
	return findLabelled(t, o, label, func(b *widget.Button) string { return b.Text })
}

// findLabelled finds a widget of type W whose text is label.
func findLabelled[W fyne.CanvasObject](t *testing.T, o fyne.CanvasObject, label string, text func(W) string) W {
	t.Helper()
	var found W
	var ok bool
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case W:
			if text(x) == label {
				found, ok = x, true
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(x.Content)
		}
	}
	walk(o)
	if !ok {
		t.Fatalf("no %T %q", found, label)
	}
	return found
}

// TestSignIn: the first screen takes a server, an email and a password,
// refuses to go on without them, or starts the demo.
func TestSignIn(t *testing.T) {
	test.NewTempApp(t)
	var got []string
	demoed := false
	v := ui.NewSignInView("https://phone.example.com", "", ui.SignInHooks{SignIn: func(s, e, p string) { got = []string{s, e, p} }, Demo: func() { demoed = true }})
	w := test.NewTempWindow(t, v.Object())
	w.Resize(fyne.NewSize(800, 600))
	test.Tap(findButton(t, v.Object(), "Sign in"))
	if got != nil || !strings.Contains(v.Status(), "your password") {
		t.Fatalf("signed in without an email and password: %v, %q", got, v.Status())
	}
	test.Type(v.Email, "rep@demo.test")
	test.Type(v.Password, "correct horse battery")
	test.Tap(findButton(t, v.Object(), "Sign in"))
	if !slices.Equal(got, []string{"https://phone.example.com", "rep@demo.test", "correct horse battery"}) || v.Status() != "Signing in…" {
		t.Errorf("sign-in with %v, status %q", got, v.Status())
	}
	v.SetStatus("The email or the password is wrong")
	test.Tap(findButton(t, v.Object(), "Try the demo"))
	if !demoed {
		t.Error("Try the demo did nothing")
	}
}

// TestCreditWarning: a call paid from credit warns in its last minute.
func TestCreditWarning(t *testing.T) {
	for _, k := range []struct {
		elapsed time.Duration
		max     int64
		want    string
	}{
		{10 * time.Second, 0, ""},
		{10 * time.Second, 120, ""},
		{70 * time.Second, 120, "runs out in 50 s"},
		{130 * time.Second, 120, "runs out in 0 s"},
	} {
		if got := ui.CreditWarningText(k.elapsed, k.max); !strings.Contains(got, k.want) || (k.want == "") != (got == "") {
			t.Errorf("%v of %d s: %q, want %q", k.elapsed, k.max, got, k.want)
		}
	}
}

// TestMenuEditor: the editor's rows make the menu the server takes.
func TestMenuEditor(t *testing.T) {
	a := newAccount(t)
	m := ui.MenuFromRows("Sales 1, support 2", 6, [][3]string{{"1", "user", "rep@demo.test"}, {"2", "group", ""}, {"", "user", "ignored"},
		{"9", "external", "+442071234567"}, {"timeout", "voicemail", ""}})
	if len(m.Options) != 3 || m.OnTime.Kind != team.ToVoicemail || m.Validate() != nil {
		t.Fatalf("menu %+v: %v", m, m.Validate())
	}
	c := session(t, a.url, a.pw, "admin").Account
	r := "ivr"
	n, err := c.NumberSettings(context.Background(), "+14155550101", api.SettingsRequest{Menu: &m, Routing: &r})
	if err != nil || n.Routing != "ivr" || len(n.Menu.Options) != 3 {
		t.Fatalf("the server took %+v: %v", n, err)
	}
}

// TestCallsFilter: the history's filters keep what they name.
func TestCallsFilter(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	now := time.Now()
	for i, k := range []struct {
		dir, from, to string
		d             records.Disposition
	}{
		{"inbound", "+442071234567", "+14155550100", records.Answered},
		{"inbound", "+33123456789", "+14155550100", records.Missed},
		{"inbound", "+49301234567", "+14155550100", records.Voicemail},
		{"outbound", "103", "+442079460000", records.Answered},
	} {
		if err := a.sys.Store.AddCall(ctx, records.Call{ID: fmt.Sprint("c", i), Account: demo.Account, Direction: k.dir, From: k.from, To: k.to,
			Started: now.Add(time.Duration(i) * time.Minute), Ended: now, Cost: decimal.Zero, Currency: "USD", Disposition: k.d}); err != nil {
			t.Fatal(err)
		}
	}
	sh, _ := shell(t, session(t, a.url, a.pw, "rep"), nil)
	var missed int
	ui.Run(func() { missed, _, _ = sh.Missed() })
	if missed != 2 {
		t.Errorf("the rep has %d missed calls to a number they answer, want 2 (one left a message)", missed)
	}
	for filter, want := range map[string][]string{
		"All calls": {"+442071234567", "+33123456789", "+49301234567", "+442079460000"},
		"Missed":    {"+33123456789", "+49301234567"}, // unanswered, a message left or not
		"Voicemail": {"+49301234567"},
		"Outgoing":  {"+442079460000"},
		"Incoming":  {"+442071234567", "+33123456789", "+49301234567"},
	} {
		ui.Run(func() { sh.Calls.SetFilter(filter) })
		got := sh.Calls.Text()
		if n := strings.Count(got, "\n") + 1; n != len(want) {
			t.Errorf("%s: %d lines, want %d:\n%s", filter, n, len(want), got)
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s lacks %s:\n%s", filter, w, got)
			}
		}
	}
}

// TestViewsMarkup keeps the markup of the views whose content does not
// change with the day: the sign-in screen, and the demo account's numbers,
// team and settings.
func TestViewsMarkup(t *testing.T) {
	a := newAccount(t)
	test.NewTempApp(t)
	v := ui.NewSignInView("", "", ui.SignInHooks{SignIn: func(string, string, string) {}, Demo: func() {}, SignUp: func(string, api.SignUpRequest) {},
		Accept: func(string, string, string, string) {}})
	w := test.NewTempWindow(t, v.Object())
	w.Resize(fyne.NewSize(800, 600))
	test.AssertRendersToMarkup(t, "sign_in.xml", w.Canvas())
	sh, w := shell(t, session(t, a.url, a.pw, "admin"), nil)
	for _, tab := range []string{"Numbers", "Team", "Settings"} {
		ui.Run(func() { sh.Select(tab) })
		ui.Run(func() { test.AssertRendersToMarkup(t, "view_"+strings.ToLower(tab)+".xml", w.Canvas()) })
	}
}
