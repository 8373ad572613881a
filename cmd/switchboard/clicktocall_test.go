package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone/netsim"
)

// TestClickToCallWithKey: what a CRM does. The admin makes an API key with
// phonectl; a POST /v1/calls with it rings the rep's phone (a phonectl
// answering as the rep), and once the rep answers the switchboard dials
// the London number (the network simulator, which plays its prompt and
// echoes): the rep's recording holds the prompt and her own tone echoed.
// A key without team.manage may not start the rep's calls (403); the
// rep's own phonectl click-to-call with no phone online is told so (409).
func TestClickToCallWithKey(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	s := startServer(t, data, "--webhooks-anywhere")
	// The receiver keeps each event's type and call, verified.
	var mu sync.Mutex
	var secret string
	var events []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := hooks.Verify(secret, r.Header.Get(hooks.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("a delivery's signature: %v", err)
			return
		}
		var e struct {
			Type string
			Data struct{ ID string }
		}
		json.Unmarshal(body, &e)
		events = append(events, e.Type+" "+e.Data.ID)
	}))
	defer receiver.Close()
	out, err := exec.Command(phonectlBin, s.as("admin@demo.test", "webhooks", "create", receiver.URL,
		"--event", "call.started", "--event", "call.answered", "--event", "call.ended")...).CombinedOutput()
	mu.Lock()
	secret = regexp.MustCompile(`whsec_[A-Za-z0-9_-]+`).FindString(string(out))
	mu.Unlock()
	if err != nil || secret == "" {
		t.Fatalf("webhooks create: %v\n%s", err, out)
	}
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 6)
	out, err = exec.Command(phonectlBin, s.as("rep@demo.test", "click-to-call", "+442071234567")...).CombinedOutput()
	if code := exitCode(err); code == 0 || !strings.Contains(string(out), "None of your phones is online") {
		t.Errorf("click to call with no phone online: exit %d\n%s", code, out)
	}
	key := func(scopes ...string) string {
		t.Helper()
		args := []string{"keys", "create", "crm"}
		for _, sc := range scopes {
			args = append(args, "--scope", sc)
		}
		out, err := exec.Command(phonectlBin, s.as("admin@demo.test", args...)...).CombinedOutput()
		secret := regexp.MustCompile(`tk_[A-Za-z0-9]+`).FindString(string(out))
		if err != nil || secret == "" {
			t.Fatalf("keys create: %v\n%s", err, out)
		}
		return secret
	}
	start := func(secret, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.api+"/v1/calls", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, b.String()
	}
	const body = `{"to": "+44 20 7123 4567", "user": "rep@demo.test"}`
	if code, out := start(key("calls"), body); code != http.StatusForbidden {
		t.Errorf("a calls-only key starting the rep's call: %d %s", code, out)
	}
	rep, _ := s.phonectl(t, "rep@demo.test", "answer", "--play", filepath.Join(dir, "1000.wav"), "--record", filepath.Join(dir, "rep.wav"),
		"--duration", "4s", "--count", "1")
	code, answer := start(key("calls", "team.manage"), body)
	var started struct{ ID string }
	json.Unmarshal([]byte(answer), &started)
	if code != http.StatusAccepted || started.ID == "" {
		t.Fatalf("POST /v1/calls: %d %s", code, answer)
	}
	done := make(chan error, 1)
	go func() { done <- rep.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the rep's phonectl: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the rep's phonectl never ended")
	}
	heard, err := audio.LoadWAV(filepath.Join(dir, "rep.wav"))
	if err != nil {
		t.Fatal(err)
	}
	pcm := heard.Mono()
	if sh := audio.BestShare(pcm, 1000, 8000, 250*time.Millisecond); sh < 0.8 {
		t.Errorf("the rep hears her 1000 Hz echoed from London at share %.2f", sh)
	}
	for _, f := range netsim.Prompt[1:] { // (the first note may go to the jitter buffer)
		if sh := audio.BestShare(pcm, f, 8000, 100*time.Millisecond); sh < 0.6 {
			t.Errorf("the simulator's prompt: %.0f Hz at share %.2f", f, sh)
		}
	}
	// The call is the rep's, outbound and answered, in her history.
	c, ctx := s.client(t, "rep@demo.test"), context.Background()
	var calls []api.CallInfo
	eventually.True(10*time.Second, func() bool { calls, _ = c.Calls(ctx, 5); return len(calls) > 0 && calls[0].ID == started.ID })
	if len(calls) == 0 || calls[0].ID != started.ID || calls[0].Direction != "outbound" || calls[0].To != "+442071234567" ||
		calls[0].Disposition != "answered" || calls[0].Seconds < 2 {
		t.Errorf("the rep's history after a click-to-call: %+v", calls)
	}
	// The webhook told of it: started, answered, ended, in that order.
	want := fmt.Sprintf("call.started %[1]s|call.answered %[1]s|call.ended %[1]s", started.ID)
	var got string
	eventually.True(20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		got = strings.Join(events, "|")
		return got == want
	})
	if got != want {
		t.Errorf("the webhook received %q, want %q", got, want)
	}
}

// client is the account API signed in as a demo user.
func (s *server) client(t *testing.T, email string) *api.Client {
	t.Helper()
	c, err := api.NewClient(s.api)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SignIn(context.Background(), email, s.accounts[email]); err != nil {
		t.Fatal(err)
	}
	return c
}
