package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/audio"
)

// TestAccountCommands runs phonectl's account commands against the account
// API on the demo account, as a rep and as the Owner: the exit statuses
// are the contract (0 done, 2 bad input, 3 no credit, 4 not allowed).
func TestAccountCommands(t *testing.T) {
	srv, pw, sys, dir := accountAPI(t)
	ctx := context.Background()
	run := func(who string, args ...string) (int, string) {
		t.Helper()
		full := append([]string{"--server", srv.URL, "--user", who, "--password", pw[who]}, args...)
		cmd := exec.Command(bin, full...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String() + errOut.String()
	}
	expect := func(want int, who string, args ...string) string {
		t.Helper()
		code, out := run(who, args...)
		if code != want {
			t.Errorf("phonectl %s as %s: exit %d, want %d\n%s", strings.Join(args, " "), who, code, want, out)
		}
		return out
	}
	const rep, owner, admin = "rep@demo.test", "owner@demo.test", "admin@demo.test"

	if out := expect(0, rep, "credits"); !strings.Contains(out, "credit gate: open") || strings.Contains(out, "available") {
		t.Errorf("a rep's credits show the gate, not the money:\n%s", out)
	}
	expect(4, rep, "credits", "add", "10")
	expect(4, rep, "topup", "--threshold", "10", "--amount", "30")
	expect(4, rep, "numbers", "search", "GB")
	expect(4, rep, "team", "invite", "x@demo.test", "member")
	expect(0, rep, "numbers", "list")
	expect(0, rep, "team", "list")

	if out := expect(0, owner, "credits"); !strings.Contains(out, "available: 20.0000 USD") {
		t.Errorf("the owner's credits:\n%s", out)
	}
	if out := expect(0, owner, "credits", "add", "12.50"); !strings.Contains(out, "added 12.50") {
		t.Errorf("credits add:\n%s", out)
	}
	for _, bad := range [][]string{{"credits", "add", "-5"}, {"credits", "add", "1e3"}, {"credits", "add"}, {"credits", "add", "2.00"},
		{"topup", "--threshold", "ten"}, {"topup", "--off", "--amount", "5"}, {"numbers", "search", "ZZ"}, {"numbers", "buy", "+1 nope"},
		{"team", "invite", "not-an-email", "member"}, {"team", "role", rep, "owner"}, {"numbers", "settings", "+14155550101", "--record", "maybe"},
		{"credits", "history", "--since", "last week"}, {"numbers", "frobnicate"}} {
		expect(2, owner, bad...)
	}
	// --json: one object per line, the answer under "data", the outcome last.
	code, out := run(owner, "--json", "credits", "history", "--type", "payment")
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	if code != 0 || len(lines) != 2 || lines[0]["event"] != "transactions" || lines[1]["event"] != "outcome" {
		t.Fatalf("--json credits history: %d\n%s", code, out)
	}
	items := lines[0]["data"].(map[string]any)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["amount"] != "12.5000" {
		t.Errorf("payments: %v", items)
	}
	if out := expect(0, owner, "topup", "--threshold", "10", "--amount", "30"); !strings.Contains(out, "auto top-up on: add 30.00 when available credit falls below 10.00") {
		t.Errorf("topup:\n%s", out)
	}
	expect(0, owner, "topup", "--off")

	out = expect(0, admin, "numbers", "search", "gb", "mobile", "--limit", "2")
	first := strings.Fields(strings.Split(out, "\n")[0])[0]
	if !strings.HasPrefix(first, "+447") {
		t.Fatalf("search:\n%s", out)
	}
	if out := expect(0, admin, "numbers", "buy", first); !strings.Contains(out, "5.00 a month") {
		t.Errorf("buy:\n%s", out)
	}
	expect(0, admin, "numbers", "share", first, admin, rep)
	expect(0, admin, "numbers", "settings", first, "--routing", "voicemail", "--record", "on", "--hours", "mon-fri 09:00-17:00", "--zone", "Europe/London")
	if out := expect(0, rep, "numbers", "settings", first); !strings.Contains(out, "record: true") || !strings.Contains(out, "Europe/London") {
		t.Errorf("settings as seen by a member:\n%s", out)
	}
	expect(4, rep, "numbers", "settings", first, "--record", "off")
	greeting := filepath.Join(dir, "greeting.wav")
	tone := make([]int16, 16000)
	audio.Sine(tone, 600, 16000, 9000, 0)
	if err := audio.SaveWAV(greeting, &audio.PCM{Rate: 16000, Channels: 1, Samples: tone}); err != nil {
		t.Fatal(err)
	}
	if out := expect(0, admin, "numbers", "settings", first, "--greeting", greeting); !strings.Contains(out, "greeting: /v1/numbers/") {
		t.Errorf("greeting:\n%s", out)
	}
	if out := expect(0, admin, "numbers", "settings", first, "--greeting", "standard"); !strings.Contains(out, "greeting: the standard one") {
		t.Errorf("standard greeting:\n%s", out)
	}
	os.WriteFile(filepath.Join(dir, "bad.wav"), []byte("not audio"), 0o600)
	if out := expect(2, admin, "numbers", "settings", first, "--greeting", filepath.Join(dir, "bad.wav")); !strings.Contains(out, "WAV file") {
		t.Errorf("a bad greeting:\n%s", out)
	}
	menu := filepath.Join(dir, "menu.json")
	os.WriteFile(menu, []byte(`{"greeting": "Sales 1, support 2", "options": {"1": {"kind": "user", "target": "rep@demo.test"}, "2": {"kind": "voicemail"}}, "timeout": 5, "timeout_route": {"kind": "group"}}`), 0o600)
	if out := expect(0, admin, "numbers", "settings", first, "--menu", menu, "--routing", "ivr"); !strings.Contains(out, " ivr ") {
		t.Errorf("menu:\n%s", out)
	}
	if out := expect(0, admin, "team", "invite", "new@demo.test", "member"); !strings.Contains(out, "invitation token") {
		t.Errorf("invite:\n%s", out)
	}
	expect(0, admin, "team", "role", rep, "admin")
	expect(4, admin, "team", "transfer-ownership", rep)
	expect(0, owner, "team", "transfer-ownership", admin)
	expect(4, owner, "team", "transfer-ownership", rep) // no longer the Owner
	// At zero credit a paid number is refused for credit.
	bal, _ := sys.Engine.Balance(ctx, demo.Account)
	if err := sys.Engine.Adjust(ctx, demo.Account, "to-zero", bal.Available.Neg(), "test: drain"); err != nil {
		t.Fatal(err)
	}
	out = expect(0, admin, "numbers", "search", "DE", "--limit", "1")
	expect(3, admin, "numbers", "buy", strings.Fields(out)[0])
	pw["nobody@demo.test"] = "not a user here"
	expect(4, "nobody@demo.test", "credits")
}

// accountAPI serves the account API on a fresh demo system for the test:
// its address, the demo's passwords and its data directory.
func accountAPI(t *testing.T) (*httptest.Server, map[string]string, *system.System, string) {
	t.Helper()
	dir := t.TempDir()
	sys, err := demo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	srv := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether",
		WebhooksAnywhere: true}))
	t.Cleanup(srv.Close)
	pw, err := demo.ReadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	return srv, pw, sys, dir
}

// runAs runs phonectl's account commands against server as a demo user,
// checking the exit status; it returns what phonectl printed.
func runAs(t *testing.T, server string, pw map[string]string) func(want int, who string, args ...string) string {
	return func(want int, who string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--server", server, "--user", who, "--password", pw[who]}, args...)...)
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != want {
			t.Errorf("phonectl %s as %s: exit %d, want %d\n%s", strings.Join(args, " "), who, cmd.ProcessState.ExitCode(), want, out)
		}
		return string(out)
	}
}

// TestKeysCommands: an admin makes an API key from the command line, the
// secret works as Bearer within its scope, the list shows it, and once
// revoked it gets 401; a rep cannot make one, and a key needs a scope.
func TestKeysCommands(t *testing.T) {
	srv, pw, _, _ := accountAPI(t)
	run := runAs(t, srv.URL, pw)
	out := run(0, "admin@demo.test", "keys", "create", "crm-sync", "--scope", "calls", "--scope", "contacts")
	m := regexp.MustCompile(`secret \(shown once.*\): (tk_[a-z0-9]+)`).FindStringSubmatch(out)
	id := regexp.MustCompile(`key (key_[a-z0-9]+) "crm-sync"`).FindStringSubmatch(out)
	if m == nil || id == nil {
		t.Fatalf("keys create said:\n%s", out)
	}
	status := func(path string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+m[1])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := status("/v1/contacts"); s != 200 {
		t.Errorf("the key reads contacts: %d", s)
	}
	if s := status("/v1/credits/transactions"); s != 403 {
		t.Errorf("the key reads billing: %d", s)
	}
	if out := run(0, "admin@demo.test", "keys", "list"); !strings.Contains(out, id[1]) || !strings.Contains(out, "calls contacts") || strings.Contains(out, m[1]) {
		t.Errorf("keys list:\n%s", out)
	}
	run(0, "admin@demo.test", "keys", "revoke", id[1])
	if s := status("/v1/contacts"); s != 401 {
		t.Errorf("a revoked key: %d", s)
	}
	run(4, "rep@demo.test", "keys", "create", "mine", "--scope", "calls")
	run(2, "admin@demo.test", "keys", "create", "no-scope")
}

// TestWebhooksCommands: an admin subscribes an address from the command
// line, a call's record reaches it, the delivery log shows it, and the
// subscription is deleted; a rep cannot subscribe.
func TestWebhooksCommands(t *testing.T) {
	srv, pw, sys, _ := accountAPI(t)
	var got atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	defer receiver.Close()
	run := runAs(t, srv.URL, pw)
	out := run(0, "admin@demo.test", "webhooks", "create", receiver.URL, "--event", "call.ended")
	id := regexp.MustCompile(`webhook (wh_[0-9a-f]+):`).FindStringSubmatch(out)
	if id == nil || !strings.Contains(out, "whsec_") {
		t.Fatalf("webhooks create said:\n%s", out)
	}
	if out := run(0, "admin@demo.test", "webhooks", "list"); !strings.Contains(out, id[1]) || !strings.Contains(out, "delivering") {
		t.Errorf("webhooks list:\n%s", out)
	}
	now := time.Now()
	if err := sys.Store.AddCall(context.Background(), records.Call{ID: "call-cli", Account: demo.Account, Direction: "outbound", From: "101",
		To: "+442071234567", Started: now, Ended: now, Cost: decimal.Zero, Currency: "USD", Disposition: records.Answered}); err != nil {
		t.Fatal(err)
	}
	if n, err := (&hooks.Deliverer{Store: sys.Store}).Once(context.Background()); err != nil || n != 1 || got.Load() != 1 {
		t.Fatalf("delivering: %d %v (received %d)", n, err, got.Load())
	}
	if out := run(0, "admin@demo.test", "webhooks", "deliveries", id[1]); !strings.Contains(out, "call.ended") || !strings.Contains(out, "delivered") || !strings.Contains(out, " 200") {
		t.Errorf("webhooks deliveries:\n%s", out)
	}
	run(0, "admin@demo.test", "webhooks", "delete", id[1])
	run(4, "rep@demo.test", "webhooks", "create", receiver.URL, "--event", "call.ended")
	run(2, "admin@demo.test", "webhooks", "create", receiver.URL)
}
