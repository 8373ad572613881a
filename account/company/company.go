// Package company opens customer accounts (a company, its plan and its
// Owner) for the three ways one begins: self-serve sign-up, an operator's
// command, and the demo; and keeps the codes that prove an email address
// is its owner's before any money moves.
package company

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/country"
	"github.com/tetherphone/tether/account/team"
	"golang.org/x/text/unicode/norm"
)

// Stores are where a company is kept.
type Stores struct {
	Users   team.AdminStore
	Billing *billing.Engine
	Now     func() time.Time // time.Now when nil
}

func (s Stores) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// New describes a company to open.
type New struct {
	Name    string // the company's name
	Country string // ISO 3166 alpha-2: sets region and time zone
	Plan    string
	Owner   string // the Owner's email address
	// OwnerName is how teammates see the Owner ("" when not given).
	OwnerName string
	// PasswordHash, for sign-up, is the Owner's password (team.HashPassword):
	// the Owner is created at once, and must then verify the address.
	// Empty, for an operator: the Owner is invited instead (the token
	// comes back in Opened) and the account counts as verified (the
	// invitation goes to that address).
	PasswordHash string
	InviteTTL    time.Duration // 7 days when 0
}

// Opened is a company just opened.
type Opened struct {
	Account string
	Owner   team.User // when created (sign-up)
	// Invitation is the Owner's invitation token (an operator's account),
	// shown once; Expires is when it lapses.
	Invitation string
	Expires    time.Time
}

// Open opens a company on its plan: the billing account (region and time
// zone from the country), and its Owner (created, or invited). An email
// address already used by anyone is refused with team.ErrExists, before
// anything is written.
func Open(ctx context.Context, s Stores, n New) (Opened, error) {
	email, err := team.NormalizeEmail(n.Owner)
	if err != nil {
		return Opened{}, err
	}
	c, ok := country.Lookup(n.Country)
	if !ok {
		return Opened{}, fmt.Errorf("%w: %q is not a country code (ISO 3166 alpha-2, such as US or GB)", billing.ErrInvalid, n.Country)
	}
	p, err := billing.CheckProfile(billing.Profile{Name: n.Name, Region: c.Code, Zone: c.Zone()})
	if err != nil {
		return Opened{}, err
	}
	if _, ok := s.Billing.Plan(n.Plan); !ok {
		return Opened{}, fmt.Errorf("%w: no plan %q (there are %s)", billing.ErrInvalid, n.Plan, planIDs(s.Billing))
	}
	if err := team.CheckName(n.OwnerName); err != nil {
		return Opened{}, err
	}
	if _, err := s.Users.User(ctx, email); err == nil {
		return Opened{}, fmt.Errorf("%w: %s already has a user; sign in, or use another address", team.ErrExists, email)
	} else if !errors.Is(err, team.ErrNotFound) {
		return Opened{}, err
	}
	if n.PasswordHash == "" { // an Owner invited: not while another invitation waits for them
		ins, err := s.Users.InvitationsFor(ctx, email)
		if err != nil {
			return Opened{}, err
		}
		for _, in := range ins {
			if s.now().Before(in.Expires) {
				return Opened{}, fmt.Errorf("%w: %s has a pending invitation to account %s (until %s)", team.ErrExists, email, in.Account, in.Expires.UTC().Format(time.RFC3339))
			}
		}
	}
	id := accountID(p.Name)
	now := s.now()
	na := billing.NewAccount{ID: id, Name: p.Name, Region: p.Region, Zone: p.Zone, Plan: n.Plan, Verified: n.PasswordHash == ""}
	if n.PasswordHash != "" {
		na.Owner = email
	}
	if err := s.Billing.OpenAccount(ctx, na); err != nil {
		return Opened{}, err
	}
	out := Opened{Account: id}
	if n.PasswordHash != "" {
		u := team.User{Account: id, Email: email, Role: team.Owner, Extension: "101", Created: now, Name: n.OwnerName}
		if err := s.Users.CreateUser(ctx, u, n.PasswordHash); err != nil {
			return Opened{}, err
		}
		out.Owner = u
		return out, s.Users.AppendAudit(ctx, team.AuditEntry{Account: id, At: now, Actor: email, Action: "account.open", Target: id,
			Detail: fmt.Sprintf("signed up %q (%s) on the %s plan", p.Name, p.Region, n.Plan)})
	}
	ttl := n.InviteTTL
	if ttl <= 0 {
		ttl = 7 * 24 * time.Hour
	}
	token := NewToken()
	out.Invitation, out.Expires = token, now.Add(ttl)
	ctx = team.WithAudit(ctx, team.AuditEntry{Account: id, At: now, Actor: "operator", Action: "account.open", Target: id,
		Detail: fmt.Sprintf("opened %q (%s) on the %s plan; invited %s as the Owner", p.Name, p.Region, n.Plan, email)})
	err = s.Users.SaveInvitation(ctx, team.Invitation{TokenHash: HashToken(token), Account: id, Email: email, Role: team.Owner,
		InvitedBy: "operator", Expires: out.Expires, Created: now})
	return out, err
}

func planIDs(e *billing.Engine) string {
	var ids []string
	for _, p := range e.Plans() {
		ids = append(ids, p.ID)
	}
	return strings.Join(ids, ", ")
}

// accountID makes an account's ID from its name: its letters and digits
// (accents dropped, other runs as one dash), cut to 24 at a word's end, a
// dash, and 6 random characters.
func accountID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(name)) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		case unicode.Is(unicode.Mn, r): // an accent, dropped
		default:
			dash = true
		}
	}
	slug := b.String()
	if len(slug) > 24 {
		cut := slug[:24]
		if slug[24] != '-' {
			if i := strings.LastIndexByte(cut, '-'); i > 0 {
				cut = cut[:i]
			}
		}
		slug = strings.TrimRight(cut, "-")
	}
	if slug == "" {
		slug = "company"
	}
	r := make([]byte, 4)
	rand.Read(r)
	return slug + "-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(r))[:6]
}

// NewToken returns an invitation token: 32 random bytes, base64url.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how an invitation token is kept.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Verification codes: six digits, good for CodeTTL, at most CodeTries
// wrong guesses each, a new one at most every ResendAfter.
const (
	CodeTTL     = 30 * time.Minute
	CodeTries   = 5
	ResendAfter = time.Minute
)

var (
	// ErrCodeWrong means the code given is not the one sent; the message
	// says how many tries are left.
	ErrCodeWrong = errors.New("company: that code is not the one we sent")
	// ErrCodeSpent means there is no code to check: never sent, expired,
	// or too many wrong guesses. Ask for a new one.
	ErrCodeSpent = errors.New("company: there is no code to check: it expired or had too many wrong tries; ask for a new one")
	// ErrTooSoon means a new code was asked for within ResendAfter of the
	// last.
	ErrTooSoon = errors.New("company: a code was sent less than a minute ago; check your inbox (and spam folder) first")
)

func codeHash(email, code string) string {
	h := sha256.Sum256([]byte("tether-verify\x00" + email + "\x00" + code))
	return hex.EncodeToString(h[:])
}

// NewCode makes and keeps a fresh code for email (replacing any earlier)
// and returns it, to be emailed; ErrTooSoon within ResendAfter of the last.
func NewCode(ctx context.Context, s Stores, email string) (string, error) {
	now := s.now()
	if v, err := s.Users.Verification(ctx, email); err == nil && now.Sub(v.Sent) < ResendAfter {
		return "", ErrTooSoon
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	err = s.Users.SaveVerification(ctx, team.Verification{Email: email, CodeHash: codeHash(email, code), Expires: now.Add(CodeTTL), Sent: now})
	return code, err
}

// CheckCode checks a code for email and spends it when right. A wrong
// code counts against CodeTries; spaces and dashes in what was typed are
// ignored.
func CheckCode(ctx context.Context, s Stores, email, code string) error {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
	v, err := s.Users.Verification(ctx, email)
	if errors.Is(err, team.ErrNotFound) {
		return ErrCodeSpent
	}
	if err != nil {
		return err
	}
	if s.now().After(v.Expires) || v.Failures >= CodeTries {
		return ErrCodeSpent
	}
	if subtle.ConstantTimeCompare([]byte(codeHash(email, code)), []byte(v.CodeHash)) != 1 {
		if err := s.Users.FailVerification(ctx, email); err != nil {
			return err
		}
		left := CodeTries - v.Failures - 1
		if left <= 0 {
			return ErrCodeSpent
		}
		return fmt.Errorf("%w (%d more tries)", ErrCodeWrong, left)
	}
	return s.Users.SpendVerification(ctx, email)
}
