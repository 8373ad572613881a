package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/account/team"
)

func start(t *testing.T) (*httptest.Server, map[string]string, *system.System) {
	srv, pw, sys, _ := startIn(t)
	return srv, pw, sys
}

func startIn(t *testing.T) (*httptest.Server, map[string]string, *system.System, string) {
	t.Helper()
	dir := t.TempDir()
	sys, err := demo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	srv := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether",
		SIP: map[string]string{"udp": "127.0.0.1:5060"}}))
	t.Cleanup(srv.Close)
	return srv, passwords(t, dir), sys, dir
}

func apiErr(err error) *api.Error {
	var e *api.Error
	errors.As(err, &e)
	return e
}

func TestSignInAndDevices(t *testing.T) {
	srv, pw, sys := start(t)
	ctx := context.Background()
	c, _ := api.NewClient(srv.URL)
	if _, err := c.Balance(ctx); apiErr(err) == nil || apiErr(err).Status != 401 {
		t.Fatalf("balance before sign-in: %v", err)
	}
	if _, err := c.SignIn(ctx, "rep@demo.test", "wrong password!"); apiErr(err) == nil || apiErr(err).Code != "bad_credentials" {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := c.SignIn(ctx, "nobody@demo.test", "whatever pass"); apiErr(err) == nil || apiErr(err).Code != "bad_credentials" {
		t.Fatalf("unknown user: %v (must look like a wrong password)", err)
	}
	s, err := c.SignIn(ctx, "REP@demo.test", pw["rep@demo.test"])
	if err != nil || s.User.Extension != "103" || s.User.Role != "member" {
		t.Fatalf("sign-in: %+v %v", s, err)
	}
	b, err := c.Balance(ctx)
	if err != nil || b.Gate != "open" || b.Available != "" || b.Currency != "USD" {
		t.Fatalf("a rep's balance shows the gate and no amounts: %+v %v", b, err)
	}
	d, err := c.NewDevice(ctx, "laptop")
	if err != nil || d.Username == "" || len(d.Password) < 16 || d.SIP["udp"] != "127.0.0.1:5060" || d.Media != "rtp" || d.ICE != nil {
		t.Fatalf("device %+v %v", d, err)
	}
	kept, err := sys.Store.Device(ctx, d.Username)
	if err != nil || kept.HA1SHA256 != team.HA1("SHA-256", d.Username, "tether", d.Password) || kept.Email != "rep@demo.test" {
		t.Fatalf("kept device %+v %v", kept, err)
	}
	// Another user cannot delete it.
	other, _ := api.NewClient(srv.URL)
	if _, err := other.SignIn(ctx, "admin@demo.test", pw["admin@demo.test"]); err != nil {
		t.Fatal(err)
	}
	if err := other.DeleteDevice(ctx, d.Username); apiErr(err) == nil || apiErr(err).Status != 404 {
		t.Errorf("someone else's device: %v", err)
	}
	if err := c.DeleteDevice(ctx, d.Username); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Store.Device(ctx, d.Username); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("device still there: %v", err)
	}
	if err := c.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Balance(ctx); apiErr(err) == nil || apiErr(err).Status != 401 {
		t.Errorf("after sign-out: %v", err)
	}
}

func TestSignInLockout(t *testing.T) {
	srv, pw, _ := start(t)
	ctx := context.Background()
	c, _ := api.NewClient(srv.URL)
	for range 5 {
		c.SignIn(ctx, "owner@demo.test", "not the password")
	}
	if _, err := c.SignIn(ctx, "owner@demo.test", pw["owner@demo.test"]); apiErr(err) == nil || apiErr(err).Status != 429 {
		t.Fatalf("after five failures, the right password: %v (want locked)", err)
	}
	// Another user is not locked.
	if _, err := c.SignIn(ctx, "rep@demo.test", pw["rep@demo.test"]); err != nil {
		t.Fatal(err)
	}
}

// TestBadInput: malformed, mistyped, oversized, unexpected bodies get a 4xx
// with a code, and nothing is created.
func TestBadInput(t *testing.T) {
	srv, pw, _ := start(t)
	ctx := context.Background()
	c, _ := api.NewClient(srv.URL)
	if _, err := c.SignIn(ctx, "rep@demo.test", pw["rep@demo.test"]); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, ctype, body string
		status            int
	}{
		{"/v1/session", "application/json", `{"email": "rep@demo.test"`, 400},
		{"/v1/session", "application/json", `{"email": 7, "password": "x"}`, 400},
		{"/v1/session", "application/json", `{"email": "rep@demo.test", "password": "x", "admin": true}`, 400},
		{"/v1/session", "text/plain", `{}`, 415},
		{"/v1/session", "application/json", `{"email": "' OR 1=1 --", "password": "x"}`, 400},
		{"/v1/session", "application/json", `{"email":"a@b.c","password":"` + strings.Repeat("x", 70000) + `"}`, 413},
		{"/v1/devices", "application/json", `{"name": ""}`, 400},
		{"/v1/devices", "application/json", `{"name": "a\nb"}`, 400},
		{"/v1/devices", "application/json", `{"name": "x"} {"name": "y"}`, 400},
	}
	for _, k := range cases {
		req, _ := http.NewRequest("POST", srv.URL+k.path, strings.NewReader(k.body))
		req.Header.Set("Content-Type", k.ctype)
		req.Header.Set("Authorization", "Bearer "+c.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != k.status {
			t.Errorf("POST %s %.40q: %d, want %d", k.path, k.body, res.StatusCode, k.status)
		}
	}
}

// TestVoicemailAPI: the numbers' members and the admins list, hear and
// mark voicemails; nobody else, and no path leaves the data directory.
func TestVoicemailAPI(t *testing.T) {
	srv, pw, sys, dir := startIn(t)
	ctx := context.Background()
	wav := []byte("RIFF....WAVEfmt fake recording")
	if err := os.MkdirAll(filepath.Join(dir, "voicemail", "14155550100"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "voicemail", "14155550100", "vm1.wav"), wav, 0o600)
	for _, v := range []team.Voicemail{
		{ID: "vm1", Account: demo.Account, Number: demo.Numbers[0], From: "+442071234567", Seconds: 4, Path: "voicemail/14155550100/vm1.wav", Created: time.Now()},
		{ID: "evil", Account: demo.Account, Number: demo.Numbers[0], From: "x", Seconds: 1, Path: "../../etc/passwd", Created: time.Now().Add(-time.Hour)},
	} {
		if err := sys.Store.AddVoicemail(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	as := func(email string) *api.Client {
		c, _ := api.NewClient(srv.URL)
		if _, err := c.SignIn(ctx, email, pw[email]); err != nil {
			t.Fatal(err)
		}
		return c
	}
	rep, admin := as("rep@demo.test"), as("admin@demo.test")
	vs, err := rep.Voicemails(ctx, "+1 415 555 0100")
	if err != nil || len(vs) != 2 || vs[0].ID != "vm1" || vs[0].Heard || vs[0].From != "+442071234567" {
		t.Fatalf("the rep's voicemails: %+v %v", vs, err)
	}
	if got, err := rep.VoicemailAudio(ctx, "vm1"); err != nil || string(got) != string(wav) {
		t.Errorf("the recording: %q %v", got, err)
	}
	if _, err := rep.VoicemailAudio(ctx, "evil"); apiErr(err) == nil || apiErr(err).Status != 404 {
		t.Errorf("a path out of the data directory: %v", err)
	}
	if err := admin.MarkVoicemail(ctx, "vm1", true); err != nil {
		t.Fatal(err)
	}
	if vs, _ := rep.Voicemails(ctx, demo.Numbers[0]); !vs[0].Heard {
		t.Error("marked heard, still new")
	}
	if _, err := rep.Voicemails(ctx, "+14155559999"); apiErr(err) == nil || apiErr(err).Status != 404 {
		t.Errorf("someone else's number: %v", err)
	}
	if err := rep.MarkVoicemail(ctx, "nope", true); apiErr(err) == nil || apiErr(err).Status != 404 {
		t.Errorf("no such voicemail: %v", err)
	}
}

// TestSessionsSurviveRestart: a token from before a restart still works
// (the store keeps only its hash), and signing out ends it everywhere.
func TestSessionsSurviveRestart(t *testing.T) {
	srv, pw, sys, dir := startIn(t)
	ctx := context.Background()
	c, _ := api.NewClient(srv.URL)
	if _, err := c.SignIn(ctx, "rep@demo.test", pw["rep@demo.test"]); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sys.Store.Session(ctx, c.Token); !errors.Is(err, team.ErrNotFound) {
		t.Error("the store keeps the token itself")
	}
	h := sha256.Sum256([]byte(c.Token))
	if email, _, err := sys.Store.Session(ctx, hex.EncodeToString(h[:])); err != nil || email != "rep@demo.test" {
		t.Errorf("the session's hash: %q %v", email, err)
	}
	// "Restart": a new API server on the same store.
	srv2 := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, DataDir: dir, Realm: "tether"}))
	defer srv2.Close()
	c2, _ := api.NewClient(srv2.URL)
	c2.Token = c.Token
	if _, err := c2.Balance(ctx); err != nil {
		t.Fatalf("after a restart the session is gone: %v", err)
	}
	// A switchboard that wants WebRTC phones says so with the credentials.
	srvRTC := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, DataDir: dir, Realm: "tether",
		SIP: map[string]string{"ws": "127.0.0.1:8088"}, PhoneMedia: "webrtc", ICE: []string{"stun:127.0.0.1:3478"}}))
	defer srvRTC.Close()
	cRTC, _ := api.NewClient(srvRTC.URL)
	cRTC.Token = c.Token
	if d, err := cRTC.NewDevice(ctx, "browser"); err != nil || d.Media != "webrtc" || len(d.ICE) != 1 || d.SIP["ws"] == "" {
		t.Errorf("a WebRTC switchboard's device: %+v %v", d, err)
	}
	if err := c2.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	srv3 := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, DataDir: dir, Realm: "tether"}))
	defer srv3.Close()
	c3, _ := api.NewClient(srv3.URL)
	c3.Token = c.Token
	if _, err := c3.Balance(ctx); apiErr(err) == nil || apiErr(err).Status != 401 {
		t.Errorf("signed out, yet the token works after another restart: %v", err)
	}
}

// TestPhoneRoute: a phone registers as the switchboard says unless its
// user chose otherwise, over a transport that exists.
func TestPhoneRoute(t *testing.T) {
	both := api.DeviceCredentials{SIP: map[string]string{"udp": "h:5060", "ws": "h:8088", "wss": "h:8089"}, Media: "webrtc",
		ICE: []string{"stun:h:3478"}}
	for _, k := range []struct {
		d                        api.DeviceCredentials
		want, transport, addr, m string
	}{
		{both, "", "ws", "h:8088", "webrtc"},
		{both, "rtp", "udp", "h:5060", "rtp"},
		{api.DeviceCredentials{SIP: map[string]string{"udp": "h:5060", "wss": "h:8089"}, Media: "rtp"}, "webrtc", "wss", "h:8089", "webrtc"},
		{api.DeviceCredentials{SIP: map[string]string{"udp": "h:5060"}}, "", "udp", "h:5060", "rtp"},
	} {
		r, err := k.d.Route(k.want)
		if err != nil || r.Transport != k.transport || r.Addr != k.addr || r.Media != k.m {
			t.Errorf("%+v wanting %q: %+v %v", k.d, k.want, r, err)
		}
	}
	if r, _ := both.Route(""); len(r.ICE) != 1 {
		t.Errorf("WebRTC without the ICE servers: %+v", r)
	}
	for _, bad := range []struct {
		d    api.DeviceCredentials
		want string
	}{
		{api.DeviceCredentials{SIP: map[string]string{"udp": "h:5060"}}, "webrtc"},
		{api.DeviceCredentials{SIP: map[string]string{"ws": "h:8088"}}, "rtp"},
		{both, "carrier-pigeon"},
	} {
		if _, err := bad.d.Route(bad.want); err == nil {
			t.Errorf("%+v wanting %q: no error", bad.d, bad.want)
		}
	}
}
