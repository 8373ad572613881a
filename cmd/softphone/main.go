// Command softphone is the Tether desktop app. Signed in to a switchboard
// it is the rep's phone and the owner's and admin's account console. With
// no server configured it starts a whole phone system in-process on the
// demo account (switchboard, network simulator, account API), so a new
// user can call, top up and manage numbers and team with nothing else
// installed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	fynedesktop "fyne.io/fyne/v2/driver/desktop"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/audio/device"
	"github.com/tetherphone/tether/audio/echo"
	"github.com/tetherphone/tether/internal/desktop"
	"github.com/tetherphone/tether/internal/embedded"
	"github.com/tetherphone/tether/internal/version"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/softphone"
	"github.com/tetherphone/tether/ui"
)

const usage = `Usage: softphone [--demo [--data DIR] [--as owner|admin|rep]] [--server URL --user EMAIL] [--dial NUMBER]
                 [--tab NAME] [--call NUMBER] [--quit-after DURATION] [--media rtp|webrtc] [tel:NUMBER | tether://invite/CODE]

The Tether desktop app. It opens on a sign-in screen: your company's switchboard
(server address, email, password), or the demo. --demo starts the demo at once: a
whole phone system in-process, kept in DIR (sample rates, sandbox payments, a
simulated telephone network: no real money or calls), signed in as the demo
account's owner (--as picks another demo user). --server signs in to that
switchboard's account API with --user and the password in TETHER_PASSWORD.

Calls carry their audio as the switchboard says (plain RTP over UDP, or WebRTC:
SIP over WebSocket with ICE and DTLS-SRTP), unless Settings or --media choose.

A tel:, callto: or tether://call?to= link (a CRM's click-to-call) puts its number in
the dialer, ready to call. A tether://invite/ link (from
an invitation email) opens the sign-in screen's "I have an invitation" with it.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	data, as, server, user, dial, tab, call string
	demo                                    bool
	quitAfter                               time.Duration
	backend, capture, playback, ringDevice  string
	noCleanup                               bool   // --echo-cancel=false
	media                                   string // "", rtp or webrtc
	invite                                  string // a tether://invite link to open
}

func run(args []string, stdout, stderr io.Writer) int {
	start := time.Now()
	fs := flag.NewFlagSet("softphone", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage, "\nFlags:\n"); fs.PrintDefaults() }
	var o options
	fs.StringVar(&o.data, "data", defaultDataDir(), "the demo phone system's directory")
	fs.BoolVar(&o.demo, "demo", false, "start on the demo phone system at once (what make run does)")
	showVersion := fs.Bool("version", false, "print the version and build, and exit")
	entryFor := fs.String("desktop-entry", "", "print the desktop entry (launcher, tel:/callto:/tether: handler) for the app installed as this command, and exit (for packaging)")
	fs.StringVar(&o.as, "as", "owner", "with --demo: the demo user to sign in as: owner, admin or rep")
	fs.StringVar(&o.server, "server", "", "a switchboard's account API, http(s)://HOST:PORT (default: the in-process demo)")
	fs.StringVar(&o.user, "user", "", "with --server: the email to sign in with (password from TETHER_PASSWORD)")
	fs.StringVar(&o.dial, "dial", "", "a number to put in the dialer")
	fs.StringVar(&o.tab, "tab", "", "the view to open: Phone, Calls, Messages, Credits, Numbers or Team")
	fs.StringVar(&o.call, "call", "", "call this number once registered")
	fs.DurationVar(&o.quitAfter, "quit-after", 0, "quit this long after registering (0: run until closed)")
	fs.StringVar(&o.backend, "audio-backend", "", "sound system: pulse, alsa or null (default: the system's)")
	fs.StringVar(&o.capture, "capture", "", "microphone device (name or part of one)")
	fs.StringVar(&o.playback, "playback", "", "speaker device (name or part of one)")
	fs.StringVar(&o.ringDevice, "ring-device", "", "where the ringtone plays (default: the speaker)")
	echoCancel := fs.Bool("echo-cancel", true, "clean up the microphone in calls: echo cancellation, noise suppression, automatic gain (false overrides the Settings choice)")
	fs.StringVar(&o.media, "media", "", "how calls carry audio: rtp or webrtc (default: the Settings choice, else as the server says)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	o.noCleanup = !*echoCancel
	if *showVersion {
		fmt.Fprintln(stdout, version.String())
		return 0
	}
	if *entryFor != "" {
		fmt.Fprint(stdout, desktop.Entry(*entryFor))
		return 0
	}
	for _, a := range fs.Args() {
		if code, _ := api.ParseInviteLink(a); strings.HasPrefix(a, "tether://invite/") && code != "" {
			o.invite = a
			continue
		}
		n, ok := desktop.LinkNumber(a)
		if !ok {
			fmt.Fprintf(stderr, "softphone: unexpected argument %q (a tel:, callto:, tether://call?to= or tether://invite/ link is taken)\n", a)
			return 2
		}
		o.dial = n
	}
	switch o.as {
	case "owner", "admin", "rep":
	default:
		fmt.Fprintf(stderr, "softphone: --as is owner, admin or rep, not %q\n", o.as)
		return 2
	}
	if o.server != "" && (o.user == "" || os.Getenv("TETHER_PASSWORD") == "") {
		fmt.Fprintln(stderr, "softphone: --server needs --user and the password in TETHER_PASSWORD")
		return 2
	}
	if o.media != "" && o.media != "rtp" && o.media != "webrtc" {
		fmt.Fprintf(stderr, "softphone: --media is rtp or webrtc, not %q\n", o.media)
		return 2
	}
	if o.server != "" && o.demo {
		fmt.Fprintln(stderr, "softphone: --server or --demo, not both")
		return 2
	}
	if err := runApp(o, start); err != nil {
		fmt.Fprintln(stderr, "softphone:", err)
		return 1
	}
	return 0
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "tether")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "tether")
	}
	return "tether-data"
}

func runApp(o options, start time.Time) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The SIP stack's transport chatter stays out of the terminal; its
	// errors do not.
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	a := app.NewWithID(desktop.ID)
	a.Lifecycle().SetOnStopped(ui.Stopped)
	w := a.NewWindow("Tether")
	w.Resize(fyne.NewSize(1024, 720))
	prefs := a.Preferences()
	var mu sync.Mutex
	var cleanups []func()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()
	fatal := make(chan error, 1)
	// begin signs in and opens the app; off the UI thread. Signing out
	// ends the session (its phone unregistered, its SIP credentials and
	// sign-in deleted on the server) and shows the first screen again.
	var begin func(base, email, password, title string) error
	var demo func() error
	begin = func(base, email, password, title string) error {
		o := o
		if o.media == "" {
			o.media = prefs.String(ui.PrefMedia) // the Settings choice
		}
		sctx, endSession := context.WithCancel(ctx)
		var undo []func()
		end := sync.OnceFunc(func() {
			endSession()
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		})
		mu.Lock()
		cleanups = append(cleanups, end)
		mu.Unlock()
		sess, err := connect(sctx, o, base, email, password, log, func(f func()) { undo = append(undo, f) })
		if err != nil {
			end()
			return err
		}
		fyne.DoAndWait(func() { err = sess.open(a, w, o, title, start) })
		if err != nil {
			end()
			return err
		}
		sess.shell.OnSignOut = func() {
			go func() {
				end()
				fmt.Println("signed out")
				fyne.Do(func() {
					w.SetMainMenu(nil)
					w.SetTitle("Tether")
					o := o
					o.invite = ""
					signInScreen(a, w, o, begin, demo)
				})
			}()
		}
		go sess.run(sctx, ctx, a, w, o, log)
		return nil
	}
	// The demo system starts once, whatever number of times one signs
	// out and tries the demo again.
	startDemo := sync.OnceValues(func() (*embedded.System, error) {
		sys, err := embedded.Start(ctx, o.data, log)
		if err == nil {
			mu.Lock()
			cleanups = append(cleanups, sys.Close)
			mu.Unlock()
		}
		return sys, err
	})
	demo = func() error {
		sys, err := startDemo()
		if err != nil {
			return err
		}
		email := o.as + "@demo.test"
		return begin(sys.API, email, sys.Users[email], "Tether — demo account (sample rates, sandbox payments, simulated network)")
	}
	switch {
	case o.server != "":
		go func() {
			if err := begin(o.server, o.user, os.Getenv("TETHER_PASSWORD"), "Tether — "+o.user); err != nil {
				fatal <- err
				fyne.Do(a.Quit)
			}
		}()
	case o.demo:
		go func() {
			if err := demo(); err != nil {
				fatal <- err
				fyne.Do(a.Quit)
			}
		}()
	default:
		signInScreen(a, w, o, begin, demo)
		fmt.Println("ready") // the sign-in screen is up
	}
	w.ShowAndRun()
	select {
	case err := <-fatal:
		return err
	default:
	}
	return nil
}

// signInScreen shows the first screen: sign in, create a company account,
// join with an invitation (o.invite, from a tether://invite link, opens
// that form), or the demo.
func signInScreen(a fyne.App, w fyne.Window, o options, begin func(base, email, password, title string) error, demo func() error) *ui.SignInView {
	prefs := a.Preferences()
	var v *ui.SignInView
	fail := func(err error) { fyne.Do(func() { v.SetStatus(signInError(err)) }) }
	open := func(server, email, password string) {
		if err := begin(server, email, password, "Tether — "+email); err != nil {
			fail(err)
			return
		}
		prefs.SetString("server", server)
		prefs.SetString("email", email)
	}
	v = ui.NewSignInView(prefs.String("server"), prefs.String("email"), ui.SignInHooks{
		SignIn: func(server, email, password string) { go open(server, email, password) },
		Demo: func() {
			go func() {
				if err := demo(); err != nil {
					fyne.Do(func() { v.SetStatus("The demo did not start: " + err.Error()) })
				}
			}()
		},
		Plans: func(ctx context.Context, server string) ([]api.PlanInfo, error) {
			c, err := api.NewClient(server)
			if err != nil {
				return nil, err
			}
			return c.Plans(ctx)
		},
		SignUp: func(server string, req api.SignUpRequest) {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				c, err := api.NewClient(server)
				if err == nil {
					_, err = c.SignUp(ctx, req)
				}
				if err != nil {
					fail(err)
					return
				}
				c.SignOut(ctx) // the app signs in with its own session and phone
				open(server, req.Email, req.Password)
			}()
		},
		Accept: func(server, token, name, password string) {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				c, err := api.NewClient(server)
				var u api.UserInfo
				if err == nil {
					u, err = c.AcceptInvitation(ctx, token, password, name)
				}
				if err != nil {
					fail(err)
					return
				}
				open(server, u.Email, password)
			}()
		},
	})
	if o.invite != "" {
		v.ShowInvitation(o.invite)
	}
	w.SetContent(v.Object())
	return v
}

// signInError says in words why signing in failed.
func signInError(err error) string {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Could not reach the server: " + err.Error()
}

// session is a signed-in user with a registered phone.
type session struct {
	client *api.Client
	me     api.UserInfo
	ua     *phone.UA
	route  api.PhoneRoute
	shell  *ui.Shell
	reg    chan struct{}
}

// connect signs in, gets this desktop's SIP credentials and starts its
// phone; cleanup collects what to undo on exit.
func connect(ctx context.Context, o options, base, email, password string, log *slog.Logger, cleanup func(func())) (*session, error) {
	host, _ := os.Hostname()
	a, err := softphone.SignIn(ctx, base, email, password, "desktop on "+host)
	if err != nil {
		return nil, err
	}
	cleanup(a.Release)
	route, err := a.Route("", o.media)
	if err != nil {
		return nil, err
	}
	cfg, err := a.PhoneConfig(route)
	if err != nil {
		return nil, err
	}
	cfg.UserAgent, cfg.SampleRate, cfg.Log = "Tether desktop", 16000, log
	fmt.Printf("phone: %s media over %s://%s\n", route.Media, route.Transport, route.Addr)
	ua, err := phone.New(cfg)
	if err != nil {
		return nil, err
	}
	cleanup(func() { ua.Close() })
	return &session{client: a.Client, me: a.Me, ua: ua, route: route, reg: make(chan struct{})}, nil
}

// open builds the app's views for the session; on the UI thread.
func (s *session) open(a fyne.App, w fyne.Window, o options, title string, start time.Time) error {
	prefs := a.Preferences()
	var chosen sync.Map // preference key -> device chosen during a call, over the flags
	pick := func(flag, key string) string {
		if v, ok := chosen.Load(key); ok {
			return v.(string)
		}
		if flag != "" {
			return flag
		}
		return prefs.String(key)
	}
	exe, _ := os.Executable()
	log := slog.Default()
	hooks := ui.SettingsHooks{
		Devices: func() ([]string, []string, error) { return device.Names(o.backend) },
		TestTone: func(playback string) error {
			tone := make([]int16, 8000)
			audio.Sine(tone, 440, 8000, 9000, 0)
			p, err := device.Play(device.Config{Backend: o.backend, Playback: pick(o.playback, ui.PrefPlayback)}, &media.PCMSource{Samples: tone})
			if err == nil {
				time.AfterFunc(1200*time.Millisecond, p.Close)
			}
			return err
		},
		RegisterLinks: func() (string, error) { return desktop.RegisterLinks(exe) },
		Media:         func() string { return mediaWords(s.route) },
		Autostart:     desktop.Autostart,
		SetAutostart:  func(on bool) error { return desktop.SetAutostart(exe, on) },
	}
	// Calls placed from the app sound as they progress (ringback, the far
	// end's early media, busy) on the call's speaker.
	dialer := softphone.WithProgress{Dialer: s.ua, Open: func() (softphone.Speaker, func(), error) {
		dev, err := device.Open(device.Config{Backend: o.backend, Capture: pick(o.capture, ui.PrefCapture),
			Playback: pick(o.playback, ui.PrefPlayback), SampleRate: 16000})
		if err != nil {
			return nil, nil, err
		}
		return dev, dev.Close, nil
	}}
	shell := ui.NewShellWith(ui.Session{Account: s.client, Me: s.me}, dialer, w, hooks)
	shell.Phone.Audio = func(ctx context.Context, c *phone.Call) {
		oo := o
		oo.capture, oo.playback = pick(o.capture, ui.PrefCapture), pick(o.playback, ui.PrefPlayback)
		oo.noCleanup = o.noCleanup || !prefs.BoolWithFallback(ui.PrefCleanup, true)
		callAudio(ctx, c, oo, log)
	}
	shell.Phone.Speakers = func() []string {
		_, playback, err := device.Names(o.backend)
		if err != nil {
			return nil
		}
		return playback
	}
	shell.Phone.SetSpeaker = func(name string) {
		chosen.Store(ui.PrefPlayback, name)
		prefs.SetString(ui.PrefPlayback, name)
	}
	shell.Phone.Ringer = func() func() {
		oo := o
		oo.playback, oo.ringDevice = pick(o.playback, ui.PrefPlayback), pick(o.ringDevice, ui.PrefRing)
		return ring(oo, log)
	}
	// A second call during one beeps softly in the call's own speaker.
	shell.Phone.SoftRinger = func() func() {
		p, err := device.Play(device.Config{Backend: o.backend, Playback: pick(o.playback, ui.PrefPlayback)}, audio.CallWaiting.New(8000, 2500))
		if err != nil {
			log.Warn("no device for the call-waiting tone", "err", err)
			return func() {}
		}
		return p.Close
	}
	if shell.Voicemail != nil {
		shell.Voicemail.Play = func(pcm *audio.PCM) (func(), error) {
			p, err := device.Play(device.Config{Backend: o.backend, Playback: pick(o.playback, ui.PrefPlayback), SampleRate: pcm.Rate},
				&media.PCMSource{Samples: pcm.Mono()})
			if err != nil {
				return nil, err
			}
			return p.Close, nil
		}
	}
	desktopIntegration(a, w, shell)
	s.shell = shell
	w.SetTitle(title)
	w.SetContent(shell.Object())
	if o.dial != "" {
		shell.Phone.SetNumber(o.dial)
	}
	if o.tab != "" && !shell.Select(o.tab) {
		return fmt.Errorf("no view %q for this user (there are %s)", o.tab, strings.Join(shell.TabNames(), ", "))
	}
	go func() {
		first := true
		for e := range s.ua.Events() {
			text := string(e.State)
			if e.State == phone.Registered {
				text = "registered"
				if first {
					first = false
					fmt.Printf("registered in %d ms\n", time.Since(start).Milliseconds())
					close(s.reg)
				}
			}
			if e.State == phone.Retrying {
				text = "not registered: " + e.Err.Error()
			}
			ui.Do(func() { shell.SetStatus(text) }) // not once the app has stopped
		}
	}()
	return nil
}

// run registers, takes calls and texts, and keeps the views fresh until
// the app stops.
func (s *session) run(ctx, appCtx context.Context, a fyne.App, w fyne.Window, o options, log *slog.Logger) {
	go s.ua.Register(ctx)
	go func() {
		for {
			select {
			case in := <-s.ua.Incoming():
				fyne.Do(func() { s.shell.Phone.Ring(in) })
			case m := <-s.ua.Messages():
				if s.shell.Messages != nil {
					fyne.Do(func() { s.shell.Messages.Received(m) })
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	go automate(ctx, o, s.shell, w, a, s.reg)
	if err := s.shell.Refresh(ctx); err != nil {
		log.Warn("loading the account", "err", err)
	}
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if appCtx.Err() != nil {
				fyne.Do(a.Quit) // the app is stopping, not just this session
			}
			return
		case <-t.C:
			s.shell.Refresh(ctx)
		}
	}
}

// automate runs what the flags ask for once registered: a call, then
// "ready" on standard output (scripts/screenshot.sh waits for it), then
// quitting (for the README's pictures and the tests).
func automate(ctx context.Context, o options, shell *ui.Shell, w fyne.Window, a fyne.App, registered <-chan struct{}) {
	select {
	case <-registered:
	case <-ctx.Done():
		return
	}
	time.Sleep(500 * time.Millisecond) // the first refresh
	// Signing in hashed a password with argon2id (64 MiB, in-process with
	// the demo system): give that memory back now rather than whenever.
	debug.FreeOSMemory()
	if o.call != "" {
		fyne.DoAndWait(func() {
			shell.Phone.SetNumber(o.call)
			shell.Phone.Dial()
		})
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			var in bool
			var state string
			fyne.DoAndWait(func() { in, state = shell.Phone.InCall() })
			if in && strings.HasPrefix(state, "Connected 0:0") && !strings.HasSuffix(state, "0:00") {
				fmt.Println("connected")
				break
			}
		}
		time.Sleep(1500 * time.Millisecond)
	}
	fmt.Println("ready")
	if o.quitAfter > 0 {
		select {
		case <-time.After(o.quitAfter):
		case <-ctx.Done():
		}
		// Hang up first, so no call is left updating a closed window.
		fyne.DoAndWait(shell.Phone.Hangup)
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var in bool
			fyne.DoAndWait(func() { in, _ = shell.Phone.InCall() })
			if !in {
				break
			}
		}
		fyne.Do(a.Quit)
	}
}

// callAudio runs a call's sound through the sound devices.
func callAudio(ctx context.Context, c *phone.Call, o options, log *slog.Logger) {
	dev, err := device.Open(device.Config{Backend: o.backend, Capture: o.capture, Playback: o.playback, SampleRate: 16000})
	if err != nil {
		log.Warn("no sound device for the call", "err", err)
		return
	}
	defer dev.Close()
	var aec media.Canceller
	if !o.noCleanup {
		e, err := echo.New(echo.Options{Rate: dev.SampleRate(), Frame: c.Media().FrameSize()})
		if err != nil {
			log.Warn("no echo cancellation for the call", "err", err)
		} else {
			defer e.Close()
			aec = e
		}
	}
	media.PumpDevice(ctx, c.Media(), dev, dev, aec, c.Done())
}

// ring plays the ringtone until stopped.
func ring(o options, log *slog.Logger) func() {
	dev := o.ringDevice
	if dev == "" {
		dev = o.playback
	}
	p, err := device.Play(device.Config{Backend: o.backend, Playback: dev}, audio.Ringtone.New(8000, 12000))
	if err != nil {
		log.Warn("no device for the ringtone", "err", err)
		return func() {}
	}
	return p.Close
}

// desktopIntegration adds the tray icon (status, quick dial, show) and the
// keyboard shortcuts: Ctrl+D the dialer, Ctrl+H hang up, Ctrl+1..9 the
// views.
func desktopIntegration(a fyne.App, w fyne.Window, shell *ui.Shell) {
	// The tray needs a session bus (StatusNotifierItem over D-Bus); without
	// one Fyne's tray fails, and its shutdown crashes (fyne.io/systray
	// closes a connection it never made), so it is only set up with one.
	d, ok := a.(interface {
		SetSystemTrayMenu(*fyne.Menu)
		SetSystemTrayIcon(fyne.Resource)
	})
	if ok && os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		show := fyne.NewMenuItem("Show Tether", func() { w.Show(); w.RequestFocus() })
		dial := fyne.NewMenuItem("Dial…", func() { w.Show(); shell.Select("Phone"); shell.Phone.Focus() })
		hang := fyne.NewMenuItem("Hang up", shell.Phone.Hangup)
		d.SetSystemTrayMenu(fyne.NewMenu("Tether", show, dial, hang))
		if icon := a.Metadata().Icon; icon != nil {
			d.SetSystemTrayIcon(icon)
		}
	}
	// The shortcuts live in the window's menu (which shows them): the
	// window runs a menu's shortcuts whatever has the focus, where a
	// canvas shortcut never reaches past a focused text field.
	ctrl := func(key fyne.KeyName) fyne.Shortcut {
		return &fynedesktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
	}
	dialItem := fyne.NewMenuItem("Dial", func() { shell.Select("Phone"); shell.Phone.Focus() })
	dialItem.Shortcut = ctrl(fyne.KeyD)
	hangItem := fyne.NewMenuItem("Hang up", shell.Phone.Hangup)
	hangItem.Shortcut = ctrl(fyne.KeyH)
	signOut := fyne.NewMenuItem("Sign out", func() {
		if shell.OnSignOut != nil {
			shell.OnSignOut()
		}
	})
	var views []*fyne.MenuItem
	for i, name := range shell.TabNames() {
		item := fyne.NewMenuItem(name, func() { shell.Select(name) })
		if i < 9 {
			item.Shortcut = ctrl(fyne.KeyName(fmt.Sprint(i + 1)))
		}
		views = append(views, item)
	}
	w.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu("Phone", dialItem, hangItem, fyne.NewMenuItemSeparator(), signOut), fyne.NewMenu("View", views...)))
}

// mediaWords says how calls travel, for the settings view.
func mediaWords(r api.PhoneRoute) string {
	if r.Media == "webrtc" {
		return fmt.Sprintf("WebRTC (ICE, DTLS-SRTP) over %s://%s", r.Transport, r.Addr)
	}
	return fmt.Sprintf("plain RTP, registered over %s://%s", r.Transport, r.Addr)
}
