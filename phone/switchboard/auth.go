package switchboard

import (
	"cmp"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// nonces issues and checks digest nonces. A nonce is its issue time and
// some randomness, signed with a secret the process picked at start
// together with the address it was sent to: a nonce this process did not
// sign, or signed for another address, is refused (a REGISTER captured
// on the way and replayed from elsewhere gets nowhere); one it signed
// that is older than maxAge is stale (the phone retries at once with a
// fresh one, RFC 2617's stale=true). Within its life a nonce's counts
// (qop=auth nc) must grow: a request whose count was seen already is a
// replay. Only nonces that carried valid credentials are remembered, so
// what is kept is bounded by real sign-ins, not by what anyone sends.
type nonces struct {
	secret []byte
	maxAge time.Duration
	now    func() time.Time

	mu        sync.Mutex
	seen, old map[[16]byte]use // nonce's MAC -> its latest use; two generations
	rotated   time.Time
}

func newNonces(maxAge time.Duration, now func() time.Time) *nonces {
	s := make([]byte, 32)
	rand.Read(s)
	return &nonces{secret: s, maxAge: maxAge, now: now, seen: map[[16]byte]use{}, old: map[[16]byte]use{}, rotated: now()}
}

func (n *nonces) mac(b []byte, to netip.Addr) []byte {
	m := hmac.New(sha256.New, n.secret)
	m.Write(b[:16])
	a := to.Unmap().As16()
	m.Write(a[:])
	return m.Sum(nil)[:16]
}

// issue returns a fresh nonce for a challenge sent to the address to.
func (n *nonces) issue(to netip.Addr) string {
	var b [8 + 8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(n.now().UnixNano()))
	rand.Read(b[8:16])
	copy(b[16:], n.mac(b[:], to))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// check reports whether the nonce is one we sent to from, and whether it
// is stale.
func (n *nonces) check(nonce string, from netip.Addr) (ours, stale bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 32 {
		return false, false
	}
	if !hmac.Equal(n.mac(b, from), b[16:]) {
		return false, false
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(b[:8])))
	age := n.now().Sub(issued)
	return true, age > n.maxAge || age < -time.Minute
}

// use is a nonce's latest use: its count, and the fingerprint of the
// request that used it.
type use struct {
	nc uint32
	fp uint64
}

// use records that nonce (one of ours, checked) carried valid credentials
// with count nc on a request whose fingerprint is fp, and reports whether
// that may pass: a new count, or the very request that used the count
// last, sent again (a retransmission: its answer was lost or slow). A
// count used by another request, or any other reuse of a nonce without
// qop (count 0), is a replay.
func (n *nonces) use(nonce string, nc int, fp uint64) bool {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 32 {
		return false
	}
	var k [16]byte
	copy(k[:], b[16:])
	n.mu.Lock()
	defer n.mu.Unlock()
	// Entries outlive their nonce: one used is kept at least maxAge, and
	// a nonce older than maxAge is stale whatever its count.
	if now := n.now(); now.Sub(n.rotated) >= 2*n.maxAge {
		n.old, n.seen, n.rotated = map[[16]byte]use{}, map[[16]byte]use{}, now
	} else if now.Sub(n.rotated) >= n.maxAge {
		n.old, n.seen, n.rotated = n.seen, make(map[[16]byte]use, len(n.seen)), now
	}
	last, ok := n.seen[k]
	if !ok {
		last, ok = n.old[k]
	}
	count := uint32(max(nc, 0))
	switch {
	case !ok, count > last.nc:
		n.seen[k] = use{nc: count, fp: fp}
		return true
	case count == last.nc && fp == last.fp && fp != 0:
		return true // the same request again
	}
	return false
}

// remembered is how many used nonces are kept (for tests).
func (n *nonces) remembered() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.seen) + len(n.old)
}

// challenges returns the WWW-Authenticate (or Proxy-Authenticate) values
// for a fresh challenge: SHA-256 first, then MD5 for older phones (RFC
// 8760), or MD5 alone (md5Only) for phones that give up on a challenge
// they cannot answer instead of picking the one they can. Known and
// unknown users get the very same, so a challenge tells nothing about who
// exists.
func (n *nonces) challenges(to netip.Addr, realm string, stale, md5Only bool) []string {
	nonce := n.issue(to)
	algs := []string{"SHA-256", "MD5"}
	if md5Only {
		algs = algs[1:]
	}
	var out []string
	for _, alg := range algs {
		c := digest.Challenge{Realm: realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		out = append(out, c.String())
	}
	return out
}

// verdict is what checking an Authorization header found.
type verdict int

const (
	authMissing verdict = iota // no credentials: challenge
	authStale                  // right credentials, expired nonce: challenge with stale=true
	authFailed                 // wrong, or for nobody, with a nonce we sent this address: challenge again, count a failure
	authForged                 // a nonce we did not send this address, or junk: challenge again, count nothing (anyone could send it blind)
	authReplay                 // right credentials whose nonce count was used already: challenge again (stale=true), count nothing
	authOK
)

// hashFor returns H for a digest algorithm name.
func hashFor(alg string) (func(string) string, bool) {
	switch strings.ToUpper(alg) {
	case "", "MD5":
		return func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }, true
	case "SHA-256":
		return func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }, true
	}
	return nil, false
}

// fingerprint identifies a request among its retransmissions: what the
// digest does not sign but a replay would change (the Contact it
// registers, the branch, the dialog and sequence), hashed.
func fingerprint(req *sip.Request) uint64 {
	h := fnv.New64a()
	for _, name := range []string{"Via", "Call-ID", "CSeq", "Contact", "Expires", "From", "To"} {
		for _, v := range req.GetHeaders(name) {
			h.Write([]byte(name))
			h.Write([]byte{0})
			h.Write([]byte(v.Value()))
			h.Write([]byte{0})
		}
	}
	h.Write(req.Body())
	return h.Sum64() | 1 // never 0
}

// checkDigest verifies credentials, sent from the address from, for
// method against the user's HA1 for the credentials' algorithm (ha1
// returns "" for an unknown user).
//
// fp returns the request's fingerprint (see fingerprint), asked for only
// once the credentials are right: a request sent again as it was, with
// the count it used, passes; any other use of a count already used is a
// replay.
func (n *nonces) checkDigest(header, method, realm string, from netip.Addr, fp func() uint64, ha1 func(user, alg string) string) (verdict, *digest.Credentials) {
	if header == "" {
		return authMissing, nil
	}
	c, err := digest.ParseCredentials(header)
	if err != nil {
		return authForged, c
	}
	ours, stale := n.check(c.Nonce, from)
	if !ours {
		return authForged, c
	}
	h, ok := hashFor(c.Algorithm)
	if !ok || c.Realm != realm || c.Userhash {
		return authFailed, c
	}
	secret := ha1(c.Username, strings.ToUpper(cmp.Or(c.Algorithm, "MD5")))
	if secret == "" {
		return authFailed, c
	}
	ha2 := h(method + ":" + c.URI)
	var want string
	switch c.QOP {
	case "auth":
		want = h(fmt.Sprintf("%s:%s:%08x:%s:auth:%s", secret, c.Nonce, c.Nc, c.Cnonce, ha2))
	case "":
		want = h(secret + ":" + c.Nonce + ":" + ha2)
	default:
		return authFailed, c
	}
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(c.Response))) {
		return authFailed, c
	}
	if stale {
		return authStale, c
	}
	nc := c.Nc
	if c.QOP == "" {
		nc = 0
	}
	if !n.use(c.Nonce, nc, fp()) {
		return authReplay, c
	}
	return authOK, c
}

// bans keeps addresses that keep failing to authenticate out for a while.
type bans struct {
	mu       sync.Mutex
	limit    int           // failures within window that earn a ban
	window   time.Duration // failures older than this are forgotten
	duration time.Duration // how long a ban lasts
	now      func() time.Time
	fails    map[netip.Addr][]time.Time
	until    map[netip.Addr]time.Time
}

func newBans(limit int, window, duration time.Duration, now func() time.Time) *bans {
	return &bans{limit: limit, window: window, duration: duration, now: now,
		fails: map[netip.Addr][]time.Time{}, until: map[netip.Addr]time.Time{}}
}

// banned reports whether addr is banned now.
func (b *bans) banned(addr netip.Addr) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.until[addr]
	if ok && b.now().After(u) {
		delete(b.until, addr)
		return false
	}
	return ok
}

// fail counts a failure from addr and reports whether it is now banned.
func (b *bans) fail(addr netip.Addr) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	recent := b.fails[addr][:0]
	for _, t := range b.fails[addr] {
		if now.Sub(t) < b.window {
			recent = append(recent, t)
		}
	}
	recent = append(recent, now)
	b.fails[addr] = recent
	if len(recent) >= b.limit {
		b.until[addr] = now.Add(b.duration)
		delete(b.fails, addr)
		return true
	}
	return false
}

// succeed forgets addr's failures.
func (b *bans) succeed(addr netip.Addr) {
	b.mu.Lock()
	delete(b.fails, addr)
	b.mu.Unlock()
}
