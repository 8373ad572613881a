// Package browser runs a browser softphone for tests: JsSIP (from npm,
// pinned in js/package-lock.json, installed by `make deps`) bundled with
// esbuild's Go API, in headless Chromium from Debian, driven over the
// DevTools protocol (chromedp). Chromium's fake microphone plays a tone
// from a WAV file; the page reports the remote audio's loudest frequency
// through WebAudio.
//
// Run it inside a network namespace (internal/netns): Chromium gathers
// ICE candidates on every interface it has.
package browser

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/evanw/esbuild/pkg/api"
)

// Chromium is Debian's browser binary (not its launcher script, which
// adds flags of its own).
const Chromium = "/usr/lib/chromium/chromium"

// Phone is a JsSIP softphone in a Chromium page.
type Phone struct {
	t   testing.TB
	ctx context.Context
}

// Session is what the page knows of its current call.
type Session struct {
	Status    string // progress, confirmed, ended, failed
	Confirmed bool
	End       *struct {
		Originator string // local, remote, system
		Cause      string // JsSIP's cause: "BYE", "Canceled", ...
		Reason     string // the Reason header of the BYE or response that ended it
		Code       int
	}
}

// jsDir is where the page's script and its npm packages are.
func jsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "js")
}

// bundle builds the page's script with JsSIP.
func bundle(t testing.TB) []byte {
	t.Helper()
	dir := jsDir()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jssip")); err != nil {
		t.Fatalf("JsSIP is not installed in %s: run `make deps` (npm ci there)", dir)
	}
	res := api.Build(api.BuildOptions{EntryPoints: []string{filepath.Join(dir, "phone.js")}, Bundle: true, Write: false,
		Format: api.FormatIIFE, Platform: api.PlatformBrowser, AbsWorkingDir: dir, LogLevel: api.LogLevelSilent,
		Define: map[string]string{"process.env.NODE_ENV": `"production"`}})
	if len(res.Errors) > 0 {
		t.Fatalf("bundling the browser phone: %v", res.Errors[0].Text)
	}
	return res.OutputFiles[0].Contents
}

// toneWAV writes a WAV file of a sine at hz, for Chromium's fake
// microphone (which loops it).
func toneWAV(t testing.TB, hz float64) string {
	t.Helper()
	const rate, seconds = 48000, 4
	pcm := make([]byte, rate*seconds*2)
	for i := range rate * seconds {
		v := int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/rate))
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(v))
	}
	var h []byte
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(36+len(pcm)))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1) // PCM
	h = binary.LittleEndian.AppendUint16(h, 1) // mono
	h = binary.LittleEndian.AppendUint32(h, rate)
	h = binary.LittleEndian.AppendUint32(h, rate*2)
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint16(h, 16)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(pcm)))
	path := filepath.Join(t.TempDir(), fmt.Sprintf("tone-%.0f.wav", hz))
	if err := os.WriteFile(path, append(h, pcm...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Start opens the softphone page in a headless Chromium whose microphone
// plays a tone at toneHz.
func Start(t testing.TB, toneHz float64) *Phone {
	t.Helper()
	js := bundle(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><meta charset="utf-8"><title>phone</title></head><body><script src="/phone.js"></script></body></html>`)
	})
	mux.HandleFunc("/phone.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(js)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", toneWAV(t, toneHz)),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, stop := chromedp.NewContext(alloc)
	t.Cleanup(func() { stop(); stopAlloc() })
	// The first Run starts the browser, which lives as long as the
	// context given to it: the test's, not a timeout's.
	if _, err := chromedp.Run(ctx, chromedp.Navigate("http://"+ln.Addr().String()+"/")); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	p := &Phone{t: t, ctx: ctx}
	p.Until(20*time.Second, "the page's script to load", `typeof window.tether === "object"`)
	return p
}

// Eval evaluates a JavaScript expression in the page into out (nil: the
// result is dropped).
func (p *Phone) Eval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		return err
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Do evaluates a statement, failing the test if it throws.
func (p *Phone) Do(stmt string) {
	p.t.Helper()
	if err := p.Eval("(() => { "+stmt+"; return true })()", nil); err != nil {
		p.t.Fatalf("browser: %s: %v", stmt, err)
	}
}

// Until waits for a JavaScript condition to hold, failing the test after
// within.
func (p *Phone) Until(within time.Duration, what, cond string) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var ok bool
		err := p.Eval("!!("+cond+")", &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			var st json.RawMessage
			p.Eval("window.tether && window.tether.state", &st)
			p.t.Fatalf("browser: waited %v for %s (%v); its state: %s", within, what, err, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Register starts the phone's UA over WebSocket at wsURL as user and
// waits until it is registered.
func (p *Phone) Register(wsURL, uri, password string) {
	p.t.Helper()
	p.Do(fmt.Sprintf("window.tether.start(%q, %q, %q)", wsURL, uri, password))
	p.Until(20*time.Second, "registration", "window.tether.state.registered || window.tether.state.error")
	var errText string
	p.Eval("window.tether.state.error", &errText)
	if errText != "" {
		p.t.Fatalf("browser: %s", errText)
	}
}

// Session returns the current call's state.
func (p *Phone) Session() Session {
	p.t.Helper()
	var s Session
	if err := p.Eval("window.tether.state.session || {}", &s); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
	return s
}

// Loudest is the remote audio's loudest frequency (Hz) now, and its level
// (dB); ok is false before any remote audio.
func (p *Phone) Loudest() (hz, db float64, ok bool) {
	var l *struct{ Hz, DB float64 }
	if err := p.Eval("window.tether.loudest()", &l); err != nil || l == nil {
		return 0, 0, false
	}
	return l.Hz, l.DB, true
}

// Hears waits up to within for the remote audio's loudest frequency to be
// near hz (within a bin or two).
func (p *Phone) Hears(hz float64, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if got, db, ok := p.Loudest(); ok && math.Abs(got-hz) < 15 && db > -80 {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}
