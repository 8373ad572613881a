package crm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Recordings makes links to call recordings that a CRM (and whoever
// opens the call there) can fetch without signing in to Tether: the
// account, the call and an expiry, signed with a key of the server's.
// GET /v1/recordings/{call} serves a link that verifies.
type Recordings struct {
	Base string // the API's public address, https://phone.example.com
	Key  []byte
	TTL  time.Duration // how long a link works (a year when 0)
	Now  func() time.Time
}

func (r *Recordings) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Recordings) sign(account, call string, expires int64) string {
	m := hmac.New(sha256.New, r.Key)
	m.Write([]byte(account + "\x00" + call + "\x00" + strconv.FormatInt(expires, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// Link is the address of a call's recording.
func (r *Recordings) Link(account, call string) string {
	ttl := r.TTL
	if ttl <= 0 {
		ttl = 365 * 24 * time.Hour
	}
	exp := r.now().Add(ttl).Unix()
	q := url.Values{"account": {account}, "expires": {strconv.FormatInt(exp, 10)}, "sig": {r.sign(account, call, exp)}}
	return strings.TrimRight(r.Base, "/") + "/v1/recordings/" + url.PathEscape(call) + "?" + q.Encode()
}

// Verify reports whether a link's parts are one Link made, not expired.
func (r *Recordings) Verify(account, call, expires, sig string) bool {
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || r.now().Unix() > exp {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(r.sign(account, call, exp)))
}

// DeriveKey is a key for one use (purpose) made from the server's key,
// so that no two uses share one.
func DeriveKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
