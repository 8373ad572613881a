package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/demo"
)

// TestRecordingLinks: the link a CRM is given with a recorded call plays
// the recording without a session; a link with its signature, account,
// call or expiry changed, or past its expiry, gets 403; signed in, the
// call's own route plays it.
func TestRecordingLinks(t *testing.T) {
	e := newEnv(t)
	id := e.recordedCall()
	link, _ := url.Parse(e.crm.Recordings.Link(demo.Account, id))
	get := func(path string) (int, string) {
		t.Helper()
		status, _, body := e.do("", "GET", path, "")
		return status, string(body)
	}
	if status, body := get(link.Path + "?" + link.RawQuery); status != http.StatusOK || !strings.HasPrefix(body, "RIFF") {
		t.Fatalf("the signed link: %d %.100s", status, body)
	}
	q := link.Query()
	for what, change := range map[string]func(url.Values) string{
		"signature": func(v url.Values) string { v.Set("sig", strings.Repeat("0", 64)); return link.Path },
		"account":   func(v url.Values) string { v.Set("account", "other"); return link.Path },
		"expiry":    func(v url.Values) string { v.Set("expires", "99999999999"); return link.Path },
		"call":      func(v url.Values) string { return "/v1/recordings/" + e.recordedCall() },
	} {
		v := url.Values{}
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		path := change(v)
		if status, _ := get(path + "?" + v.Encode()); status != http.StatusForbidden {
			t.Errorf("a link with its %s changed: %d, want 403", what, status)
		}
	}
	e.crm.Recordings.Now = func() time.Time { return time.Now().Add(-400 * 24 * time.Hour) } // made 400 days ago: expired
	old, _ := url.Parse(e.crm.Recordings.Link(demo.Account, id))
	e.crm.Recordings.Now = nil
	if status, _ := get(old.Path + "?" + old.RawQuery); status != http.StatusForbidden {
		t.Errorf("an expired link: %d, want 403", status)
	}
	if status, _, body := e.do(e.tokens["owner"], "GET", "/v1/calls/"+id+"/recording", ""); status != http.StatusOK || !strings.HasPrefix(string(body), "RIFF") {
		t.Errorf("the call's recording signed in: %d", status)
	}
}
