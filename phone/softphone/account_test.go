package softphone_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/phone/softphone"
)

// TestSignInMakesRoom: runs of the app that never signed out (crashes)
// leave credentials behind; at the server's limit per user, signing in
// again replaces the oldest of this app's own instead of failing, and
// never touches the user's other phones.
func TestSignInMakesRoom(t *testing.T) {
	dir := t.TempDir()
	sys, err := demo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	srv := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether",
		SIP: map[string]string{"udp": "127.0.0.1:5060"}}))
	t.Cleanup(srv.Close)
	b, err := os.ReadFile(filepath.Join(dir, demo.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	var pw string
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "rep@demo.test "); ok {
			pw = p
		}
	}
	ctx := context.Background()
	c, _ := api.NewClient(srv.URL)
	if _, err := c.SignIn(ctx, "rep@demo.test", pw); err != nil {
		t.Fatal(err)
	}
	desk, err := c.NewDevice(ctx, "desk phone")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 24 {
		if _, err := c.NewDevice(ctx, "desktop on laptop"); err != nil {
			t.Fatalf("device %d: %v", i, err)
		}
	}
	before, _ := c.Devices(ctx)
	a, err := softphone.SignIn(ctx, srv.URL, "rep@demo.test", pw, "desktop on laptop")
	if err != nil {
		t.Fatalf("signing in at the limit: %v", err)
	}
	after, _ := c.Devices(ctx)
	names := map[string]bool{}
	for _, d := range after {
		names[d.Username] = true
	}
	if len(after) != 25 || !names[desk.Username] || names[before[1].Username] || !names[a.Device.Username] {
		t.Fatalf("devices after: %d %v (want 25: the desk phone kept, the oldest app one replaced by %s)", len(after), after, a.Device.Username)
	}
	// Nothing of the app's own to replace: the limit stands, said plainly.
	if _, err := softphone.SignIn(ctx, srv.URL, "rep@demo.test", pw, "another app"); err == nil || !strings.Contains(fmt.Sprint(err), "remove one") {
		t.Fatalf("a new app at the limit: %v", err)
	}
}
