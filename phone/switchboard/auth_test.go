package switchboard

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/icholy/digest"
	"github.com/tetherphone/tether/account/team"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestDigestAuth(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	n := newNonces(5*time.Minute, clock.now)
	d, pw := team.NewDevice("rep@demo.test", "desk", "tether", clock.t)
	ha1 := func(user, alg string) string {
		if user != d.Username {
			return ""
		}
		if alg == "SHA-256" {
			return d.HA1SHA256
		}
		return d.HA1MD5
	}
	sign := func(chal string, user, pass string) string {
		c, err := digest.ParseChallenge(chal)
		if err != nil {
			t.Fatal(err)
		}
		cred, err := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1", Username: user, Password: pass, Count: 1, Cnonce: "abc"})
		if err != nil {
			t.Fatal(err)
		}
		return cred.String()
	}
	chals := n.challenges("tether", false, false)
	if len(chals) != 2 || !strings.Contains(chals[0], "SHA-256") || !strings.Contains(chals[1], "MD5") {
		t.Fatalf("challenges %q", chals)
	}
	if md5 := n.challenges("tether", false, true); len(md5) != 1 || !strings.Contains(md5[0], "MD5") {
		t.Fatalf("MD5-only challenge %q", md5)
	}
	for _, chal := range chals {
		if v, _ := n.checkDigest(sign(chal, d.Username, pw), "REGISTER", "tether", ha1); v != authOK {
			t.Errorf("right password refused (%s): %v", chal, v)
		}
		if v, _ := n.checkDigest(sign(chal, d.Username, pw+"x"), "REGISTER", "tether", ha1); v != authFailed {
			t.Errorf("wrong password: %v", v)
		}
		if v, _ := n.checkDigest(sign(chal, "nobody", pw), "REGISTER", "tether", ha1); v != authFailed {
			t.Errorf("unknown user: %v", v)
		}
		// Signed for another method: refused.
		if v, _ := n.checkDigest(sign(chal, d.Username, pw), "INVITE", "tether", ha1); v != authFailed {
			t.Errorf("replayed for another method: %v", v)
		}
	}
	// A nonce this process did not issue.
	other := newNonces(5*time.Minute, clock.now)
	if v, _ := n.checkDigest(sign(other.challenges("tether", false, false)[0], d.Username, pw), "REGISTER", "tether", ha1); v != authFailed {
		t.Errorf("foreign nonce: %v", v)
	}
	// Old nonce, right answer: stale.
	chal := n.challenges("tether", false, false)[0]
	clock.t = clock.t.Add(6 * time.Minute)
	if v, _ := n.checkDigest(sign(chal, d.Username, pw), "REGISTER", "tether", ha1); v != authStale {
		t.Errorf("expired nonce: %v", v)
	}
	if v, _ := n.checkDigest("", "REGISTER", "tether", ha1); v != authMissing {
		t.Errorf("no header: %v", v)
	}
	if v, _ := n.checkDigest("Digest garbage", "REGISTER", "tether", ha1); v != authFailed {
		t.Errorf("junk header: %v", v)
	}
}

func TestBans(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	b := newBans(3, time.Minute, 10*time.Minute, clock.now)
	a := netip.MustParseAddr("127.0.0.2")
	b.fail(a)
	b.fail(a)
	if b.banned(a) {
		t.Fatal("banned after two failures")
	}
	clock.t = clock.t.Add(2 * time.Minute) // the first two are forgotten
	b.fail(a)
	if b.banned(a) {
		t.Fatal("old failures counted")
	}
	b.fail(a)
	if !b.fail(a) || !b.banned(a) {
		t.Fatal("three failures in a minute: not banned")
	}
	if b.banned(netip.MustParseAddr("127.0.0.3")) {
		t.Error("another address banned")
	}
	clock.t = clock.t.Add(11 * time.Minute)
	if b.banned(a) {
		t.Error("still banned after the ban ran out")
	}
}
