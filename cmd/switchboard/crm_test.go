package main_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/internal/peers"
)

// TestCRMLogsCallsAndTexts: the owner connects HubSpot (Prism serving
// HubSpot's own descriptions) with phonectl; the rep calls a London
// number (the network simulator) and logs a disposition and a note, and
// texts it: HubSpot gets a call engagement on the number's contact (found,
// or made), the note added to it, the text and the simulator's answer as
// SMS communications,
// every request valid per HubSpot's descriptions. A call whose event is
// written and the switchboard then killed (-9) before any delivery is
// logged after the restart.
func TestCRMLogsCallsAndTexts(t *testing.T) {
	hs := peers.StartHubSpot(t)
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 3)
	s := startServer(t, data, "--crm-api", "hubspot="+hs.URL)
	run := func(who string, args ...string) string {
		t.Helper()
		out, err := exec.Command(phonectlBin, s.as(who, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("phonectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("owner@demo.test", "integrations", "connect", "hubspot", "--token", "pat-na1-demo", "--portal", "4242", "--create-contacts")
	if out := run("rep@demo.test", "integrations"); !strings.Contains(out, "hubspot    connected since") {
		t.Errorf("integrations as the rep:\n%s", out)
	}
	london := func() string {
		t.Helper()
		run("rep@demo.test", "call", "+442071234567", "--play", filepath.Join(dir, "440.wav"), "--duration", "2s")
		c, ctx := s.client(t, "rep@demo.test"), context.Background()
		var calls []api.CallInfo
		eventually.True(10*time.Second, func() bool { calls, _ = c.Calls(ctx, 1); return len(calls) == 1 && calls[0].To == "+442071234567" })
		if len(calls) != 1 {
			t.Fatal("the call has no record")
		}
		return calls[0].ID
	}
	id := london()
	run("rep@demo.test", "dispose", id, "Call back", "--notes", "wants a quote for 20 seats")
	run("rep@demo.test", "sms", "send", "+442071234567", "Here is the quote we spoke about")
	logged := func(method, prefix, has string) bool {
		for _, x := range hs.Exchanges() {
			if x.Method == method && strings.HasPrefix(x.Path, prefix) && strings.Contains(string(x.Request), has) && x.Status < 300 {
				return true
			}
		}
		return false
	}
	eventually.Must(t, 30*time.Second, "the call, its note and the text in HubSpot", func() bool {
		return logged("POST", "/crm/v3/objects/calls", `"hs_call_to_number":"+442071234567"`) &&
			logged("PATCH", "/crm/v3/objects/calls/", "wants a quote for 20 seats") &&
			logged("POST", "/crm/v3/objects/communications", `"hs_communication_body":"Here is the quote we spoke about"`) &&
			logged("POST", "/crm/v3/objects/communications", `"hs_communication_body":"Auto-reply: got your message`) // (the simulator's answer: an inbound text)
	})
	var contact string // the contact of the number, as the last search found or the last create made
	for _, x := range hs.Exchanges() {
		if x.Status >= 300 {
			t.Errorf("%s %s: %d (not valid per HubSpot's description?)\n%s\n%.500s", x.Method, x.Path, x.Status, x.Request, x.Response)
		}
		var o struct {
			ID      string
			Results []struct{ ID string }
		}
		json.Unmarshal(x.Response, &o)
		switch {
		case x.Path == "/crm/v3/objects/contacts/search":
			contact = ""
			if len(o.Results) > 0 {
				contact = o.Results[0].ID
			}
		case x.Path == "/crm/v3/objects/contacts" && x.Method == "POST":
			contact = o.ID
		case x.Path == "/crm/v3/objects/calls" && x.Method == "POST":
			if !strings.Contains(string(x.Request), `"to":{"id":"`+contact+`"}`) {
				t.Errorf("the call went to another contact than the number's (%q): %s", contact, x.Request)
			}
		}
	}

	// Every delivery noted as made (delivery is at least once: a kill in
	// the instant between HubSpot's answer and that note would log that
	// item again after the restart).
	owner := s.client(t, "owner@demo.test")
	eventually.Must(t, 30*time.Second, "every delivery to HubSpot noted", func() bool {
		is, err := owner.Integrations(context.Background())
		if err != nil || len(is) == 0 || is[0].Feed == "" {
			return false
		}
		ds, err := owner.WebhookDeliveries(context.Background(), is[0].Feed)
		for _, d := range ds {
			if d.Status != "delivered" {
				return false
			}
		}
		return err == nil && len(ds) >= 4 // the call, its note, the text, the reply
	})

	// kill -9 between the event and its delivery: a switchboard that
	// delivers hourly takes a call, dies, and the one after it logs it.
	s.cmd.Process.Kill()
	s.cmd.Wait()
	before := len(hs.Exchanges())
	s = startServer(t, data, "--crm-api", "hubspot="+hs.URL, "--deliver-every", "1h")
	london()
	time.Sleep(time.Second) // (nothing is delivered by this switchboard for an hour)
	if xs := hs.Exchanges(); len(xs) != before {
		for _, x := range xs[before:] {
			t.Logf("%s %s %s", x.Method, x.Path, x.Request)
		}
		t.Fatalf("%d requests to HubSpot from the hourly switchboard", len(xs)-before)
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	startServer(t, data, "--crm-api", "hubspot="+hs.URL)
	eventually.Must(t, 30*time.Second, "the call taken before the kill in HubSpot", func() bool {
		n := 0
		for _, x := range hs.Exchanges() {
			if x.Method == "POST" && x.Path == "/crm/v3/objects/calls" && x.Status < 300 {
				n++
			}
		}
		return n == 2
	})
}

// TestCRMSignIn: connecting HubSpot by signing in, as the app does: the
// switchboard runs with an app registered at an OAuth server (loopback,
// PKCE enforced); phonectl asks for the address, the browser (here an
// HTTP client following redirects) signs in and is sent back to the
// switchboard, which says HubSpot is connected; calls are then logged
// with the token the OAuth server issued.
func TestCRMSignIn(t *testing.T) {
	hs := peers.StartHubSpot(t)
	o := peers.StartOAuth(t)
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 2)
	s := startServerEnv(t, data, []string{"HUBSPOT_CLIENT_SECRET=" + o.ClientSecret}, "--demo", "--crm-api", "hubspot="+hs.URL,
		"--hubspot-client-id", o.ClientID, "--hubspot-oauth", o.URL)
	out, err := exec.Command(phonectlBin, s.as("owner@demo.test", "integrations", "authorize", "hubspot", "--create-contacts")...).CombinedOutput()
	if err != nil {
		t.Fatalf("integrations authorize: %v\n%s", err, out)
	}
	var u string
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, o.URL+"/authorize?") {
			u = f
		}
	}
	if !strings.Contains(u, "code_challenge_method=S256") {
		t.Fatalf("the address to sign in at: %q\n%s", u, out)
	}
	res, err := http.Get(u) // the browser: sign in, sent back to the switchboard
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "HubSpot is connected") {
		t.Fatalf("back at the switchboard: %d %s (the OAuth server refused: %v)", res.StatusCode, page, o.Refused)
	}
	if res2, err := http.Get(u); err == nil { // the same authorization again: its state is used
		page, _ := io.ReadAll(res2.Body)
		res2.Body.Close()
		if res2.StatusCode == 200 || !strings.Contains(string(page), "unknown, used or too old") {
			t.Errorf("a second use of the authorization: %d %s", res2.StatusCode, page)
		}
	}
	out, err = exec.Command(phonectlBin, s.as("owner@demo.test", "integrations")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hubspot    connected since") {
		t.Fatalf("integrations: %v\n%s", err, out)
	}
	// The HubSpot account the token answer named links the contacts.
	out, err = exec.Command(phonectlBin, s.as("rep@demo.test", "integrations", "contact", "hubspot", "+44 20 7123 4567")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "https://app.hubspot.com/contacts/4242/record/0-1/") {
		t.Errorf("the number's contact: %v\n%s", err, out)
	}
	if out, err := exec.Command(phonectlBin, s.as("rep@demo.test", "call", "+442071234567", "--play", filepath.Join(dir, "440.wav"),
		"--duration", "2s")...).CombinedOutput(); err != nil {
		t.Fatalf("a call: %v\n%s", err, out)
	}
	var auth string
	eventually.Must(t, 30*time.Second, "the call logged in HubSpot", func() bool {
		for _, x := range hs.Exchanges() {
			if x.Method == "POST" && x.Path == "/crm/v3/objects/calls" && x.Status < 300 {
				auth = x.Auth
				return true
			}
		}
		return false
	})
	if tok := strings.TrimPrefix(auth, "Bearer "); !o.Issued(tok) {
		t.Errorf("the call was logged with %q, not a token the OAuth server issued", auth)
	}
	db, err := os.ReadFile(filepath.Join(data, "tether.db"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(data, "tether.db-wal")) // (recent writes)
	if tok := strings.TrimPrefix(auth, "Bearer "); strings.Contains(string(db)+string(wal), tok) {
		t.Error("the access token is in the database in the clear")
	}
}
