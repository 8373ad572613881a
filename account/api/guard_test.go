package api_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
)

// from returns a client of srv whose connections come from the loopback
// address addr (127.0.0.0/8 is all ours).
func from(t *testing.T, srv *httptest.Server, addr string) *api.Client {
	t.Helper()
	c, err := api.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 10 * time.Second}
	c.HTTP = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
	return c
}

// TestLockoutIsPerAddress: someone guessing the Owner's password from
// elsewhere locks only their own address out; the Owner still signs in
// from hers.
func TestLockoutIsPerAddress(t *testing.T) {
	srv, pw, _ := start(t)
	ctx := context.Background()
	attacker, owner := from(t, srv, "127.0.0.2"), from(t, srv, "127.0.0.3")
	for range 8 {
		attacker.SignIn(ctx, "owner@demo.test", "not the password")
	}
	_, err := attacker.SignIn(ctx, "owner@demo.test", pw["owner@demo.test"])
	if e := apiErr(err); e == nil || e.Status != 429 || e.Code != "locked" {
		t.Fatalf("the guesser, with the right password: %v (want 429 locked)", err)
	}
	if _, err := owner.SignIn(ctx, "owner@demo.test", pw["owner@demo.test"]); err != nil {
		t.Fatalf("the Owner from her own address after someone else's guesses: %v", err)
	}
}

// TestSignInRateLimit: one address gets a burst of tries, then 429 with
// Retry-After, then more as time passes; other addresses are untouched.
// Accepting invitations counts the same.
func TestSignInRateLimit(t *testing.T) {
	dir := t.TempDir()
	sys, err := demo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether", Now: clock}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	busy := from(t, srv, "127.0.0.4")
	limited := 0
	for i := range 80 {
		var err error
		if i%2 == 0 {
			_, err = busy.SignIn(ctx, fmt.Sprintf("guess%d@demo.test", i), "not the password")
		} else {
			_, err = busy.AcceptInvitation(ctx, fmt.Sprintf("forged-%d", i), "a long password")
		}
		if e := apiErr(err); e != nil && e.Status == 429 {
			if e.Code != "rate_limited" {
				t.Fatalf("try %d: %v", i, err)
			}
			limited++
		}
	}
	if limited != 20 { // the clock stands still: a burst of 60, then nothing
		t.Fatalf("%d of 80 tries from one address were limited, want 20", limited)
	}
	res, err := busy.HTTP.Post(srv.URL+"/v1/session", "application/json", strings.NewReader(`{"email": "x@demo.test", "password": "not the password"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("limited: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if _, err := from(t, srv, "127.0.0.5").SignIn(ctx, "nobody@demo.test", "not the password"); apiErr(err) == nil || apiErr(err).Status != 401 {
		t.Fatalf("another address: %v, want a plain 401", err)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if _, err := busy.SignIn(ctx, "nobody@demo.test", "not the password"); apiErr(err) == nil || apiErr(err).Status != 401 {
		t.Fatalf("a minute later: %v, want a plain 401", err)
	}
}

// TestSignInFlood: many sign-ins at once, for emails that do not exist,
// from many addresses: at most one password hash per CPU runs at a time
// (64 MiB each), the rest wait or are told to come back (503 with
// Retry-After), and the heap stays bounded.
func TestSignInFlood(t *testing.T) {
	dir := t.TempDir()
	sys, err := demo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	a := api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether", HashSlots: 2})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 48
	codes := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		c := from(t, srv, fmt.Sprintf("127.0.1.%d", i+1))
		wg.Go(func() {
			res, err := c.HTTP.Post(srv.URL+"/v1/session", "application/json",
				strings.NewReader(fmt.Sprintf(`{"email": "flood%d@demo.test", "password": "not the password"}`, i)))
			if err != nil {
				codes <- err.Error()
				return
			}
			res.Body.Close()
			code := fmt.Sprint(res.StatusCode)
			if res.StatusCode == 503 && res.Header.Get("Retry-After") == "" {
				code += " without Retry-After"
			}
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	seen := map[string]int{}
	for c := range codes {
		seen[c]++
	}
	if seen["401"]+seen["503"] != n || seen["401"] == 0 {
		t.Fatalf("answers to the flood: %v (want 401s, and 503s with Retry-After for what could not wait)", seen)
	}
	if p := api.HashPeak(a); p < 1 || p > 2 {
		t.Errorf("%d password hashes ran at once, want at most the 2 slots", p)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapSys) - int64(before.HeapSys); grew > 768<<20 {
		t.Errorf("the heap grew by %d MiB under the flood, want under 768 (2 slots of 64 MiB, and garbage)", grew>>20)
	}
	t.Logf("answers %v; heap grew %d MiB", seen, (int64(after.HeapSys)-int64(before.HeapSys))>>20)
}

// TestDeviceAndSessionLimits: a user's 26th phone is refused with a clear
// error until one is removed; a 21st sign-in ends the oldest session
// (in the store and in the server's memory) rather than piling up.
func TestDeviceAndSessionLimits(t *testing.T) {
	srv, pw, _ := start(t)
	ctx := context.Background()
	var clients []*api.Client
	for i := range 21 {
		c := from(t, srv, fmt.Sprintf("127.0.2.%d", i+1))
		if _, err := c.SignIn(ctx, "rep@demo.test", pw["rep@demo.test"]); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
		clients = append(clients, c)
	}
	if _, err := clients[0].Balance(ctx); apiErr(err) == nil || apiErr(err).Status != 401 {
		t.Errorf("the oldest of 21 sessions: %v, want ended (401)", err)
	}
	for i, c := range clients[1:] {
		if _, err := c.Balance(ctx); err != nil {
			t.Fatalf("session %d of the newest 20: %v", i+2, err)
		}
	}
	c := clients[20]
	var last string
	for i := range 25 {
		d, err := c.NewDevice(ctx, fmt.Sprintf("phone %d", i))
		if err != nil {
			t.Fatalf("device %d: %v", i+1, err)
		}
		last = d.Username
	}
	_, err := c.NewDevice(ctx, "one too many")
	if e := apiErr(err); e == nil || e.Status != 409 || e.Code != "limit" || !strings.Contains(e.Message, "remove one") {
		t.Fatalf("the 26th device: %v, want 409 limit saying what to do", err)
	}
	if err := c.DeleteDevice(ctx, last); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NewDevice(ctx, "replacement"); err != nil {
		t.Fatalf("after removing one: %v", err)
	}
}
