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
	here := netip.MustParseAddr("127.0.0.2")
	count := 0
	sign := func(chal string, user, pass string) string {
		count++
		c, err := digest.ParseChallenge(chal)
		if err != nil {
			t.Fatal(err)
		}
		cred, err := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1", Username: user, Password: pass, Count: count, Cnonce: "abc"})
		if err != nil {
			t.Fatal(err)
		}
		return cred.String()
	}
	chals := n.challenges(here, "tether", false, false)
	if len(chals) != 2 || !strings.Contains(chals[0], "SHA-256") || !strings.Contains(chals[1], "MD5") {
		t.Fatalf("challenges %q", chals)
	}
	if md5 := n.challenges(here, "tether", false, true); len(md5) != 1 || !strings.Contains(md5[0], "MD5") {
		t.Fatalf("MD5-only challenge %q", md5)
	}
	for _, chal := range chals {
		if v, _ := n.checkDigest(sign(chal, d.Username, pw), "REGISTER", "tether", here, fixed(7), ha1); v != authOK {
			t.Errorf("right password refused (%s): %v", chal, v)
		}
		if v, _ := n.checkDigest(sign(chal, d.Username, pw+"x"), "REGISTER", "tether", here, fixed(7), ha1); v != authFailed {
			t.Errorf("wrong password: %v", v)
		}
		if v, _ := n.checkDigest(sign(chal, "nobody", pw), "REGISTER", "tether", here, fixed(7), ha1); v != authFailed {
			t.Errorf("unknown user: %v", v)
		}
		// Signed for another method: refused.
		if v, _ := n.checkDigest(sign(chal, d.Username, pw), "INVITE", "tether", here, fixed(7), ha1); v != authFailed {
			t.Errorf("replayed for another method: %v", v)
		}
	}
	// Answered to our nonce, but from an address it was not sent to.
	if v, _ := n.checkDigest(sign(chals[0], d.Username, pw), "REGISTER", "tether", netip.MustParseAddr("127.0.0.3"), fixed(7), ha1); v != authForged {
		t.Errorf("nonce from another address: %v", v)
	}
	// A count used already is a replay; a higher one is fine; without
	// qop a nonce serves once.
	chal0 := n.challenges(here, "tether", false, false)[0]
	first := sign(chal0, d.Username, pw)
	if v, _ := n.checkDigest(first, "REGISTER", "tether", here, fixed(7), ha1); v != authOK {
		t.Fatalf("first use: %v", v)
	}
	if v, _ := n.checkDigest(first, "REGISTER", "tether", here, fixed(7), ha1); v != authOK {
		t.Errorf("the same request again (a retransmission): %v", v)
	}
	if v, _ := n.checkDigest(first, "REGISTER", "tether", here, fixed(8), ha1); v != authReplay {
		t.Errorf("same count on another request: %v", v)
	}
	if v, _ := n.checkDigest(sign(chal0, d.Username, pw), "REGISTER", "tether", here, fixed(7), ha1); v != authOK {
		t.Errorf("next count: %v", v)
	}
	noQOP := strings.Replace(n.challenges(here, "tether", false, true)[0], `, qop="auth"`, "", 1)
	if strings.Contains(noQOP, "qop") {
		t.Fatalf("could not drop qop from %s", noQOP)
	}
	once := sign(noQOP, d.Username, pw)
	if v, _ := n.checkDigest(once, "REGISTER", "tether", here, fixed(7), ha1); v != authOK {
		t.Fatalf("no qop, first use: %v", v)
	}
	if v, _ := n.checkDigest(once, "REGISTER", "tether", here, fixed(8), ha1); v != authReplay {
		t.Errorf("no qop, reused: %v", v)
	}
	// Used nonces are forgotten once they are stale anyway.
	if n.remembered() == 0 {
		t.Fatal("no used nonce remembered")
	}
	clock.t = clock.t.Add(11 * time.Minute)
	n.use("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1, 7)
	n.use("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 2, 7)
	if got := n.remembered(); got != 1 {
		t.Errorf("%d used nonces remembered after they all went stale, want just the newest", got)
	}
	clock.t = clock.t.Add(-11 * time.Minute)
	// A nonce this process did not issue.
	other := newNonces(5*time.Minute, clock.now)
	if v, _ := n.checkDigest(sign(other.challenges(here, "tether", false, false)[0], d.Username, pw), "REGISTER", "tether", here, fixed(7), ha1); v != authForged {
		t.Errorf("foreign nonce: %v", v)
	}
	// Old nonce, right answer: stale.
	chal := n.challenges(here, "tether", false, false)[0]
	clock.t = clock.t.Add(6 * time.Minute)
	if v, _ := n.checkDigest(sign(chal, d.Username, pw), "REGISTER", "tether", here, fixed(7), ha1); v != authStale {
		t.Errorf("expired nonce: %v", v)
	}
	if v, _ := n.checkDigest("", "REGISTER", "tether", here, fixed(7), ha1); v != authMissing {
		t.Errorf("no header: %v", v)
	}
	if v, _ := n.checkDigest("Digest garbage", "REGISTER", "tether", here, fixed(7), ha1); v != authForged {
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

// fixed is a request fingerprint that is always fp.
func fixed(fp uint64) func() uint64 { return func() uint64 { return fp } }
