package media

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/pion/srtp/v3"
)

// SuiteAES128 is the SDES crypto suite this phone offers and accepts
// (RFC 4568): AES-128 counter mode with an 80-bit HMAC-SHA1 tag.
const SuiteAES128 = "AES_CM_128_HMAC_SHA1_80"

// keyLen is the master key plus master salt of SuiteAES128.
const keyLen = 16 + 14

// ErrKey means an SDES key parameter is malformed or of another suite.
var ErrKey = errors.New("media: bad SRTP key")

// NewKey returns a fresh master key and salt, and its SDP key parameter
// ("inline:BASE64").
func NewKey() ([]byte, string) {
	k := make([]byte, keyLen)
	rand.Read(k)
	return k, "inline:" + base64.StdEncoding.EncodeToString(k)
}

// ParseKey reads an SDES key parameter, "inline:BASE64[|lifetime][|MKI]".
func ParseKey(param string) ([]byte, error) {
	v, ok := strings.CutPrefix(param, "inline:")
	if !ok {
		return nil, fmt.Errorf("%w: %q is not an inline key", ErrKey, param)
	}
	v, _, _ = strings.Cut(v, "|")
	k, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(k) != keyLen {
		return nil, fmt.Errorf("%w: a %s key is %d bytes of base64", ErrKey, SuiteAES128, keyLen)
	}
	return k, nil
}

// SRTP holds the two directions' keys of a protected stream.
type SRTP struct {
	LocalKey  []byte // ours: encrypts what we send
	RemoteKey []byte // theirs: decrypts what we receive
}

func (k *SRTP) contexts() (tx, rx *srtp.Context, err error) {
	if len(k.LocalKey) != keyLen || len(k.RemoteKey) != keyLen {
		return nil, nil, fmt.Errorf("%w: keys of %d and %d bytes", ErrKey, len(k.LocalKey), len(k.RemoteKey))
	}
	p := srtp.ProtectionProfileAes128CmHmacSha1_80
	if tx, err = srtp.CreateContext(k.LocalKey[:16], k.LocalKey[16:], p); err != nil {
		return nil, nil, err
	}
	if rx, err = srtp.CreateContext(k.RemoteKey[:16], k.RemoteKey[16:], p, srtp.SRTPReplayProtection(256)); err != nil {
		return nil, nil, err
	}
	return tx, rx, nil
}
