// Package team holds an account's people and their phones: users with
// their roles, extensions and sign-in passwords, and the per-device SIP
// credentials the switchboard's registrar checks. It does no I/O of its
// own; a Store keeps its state.
package team

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/hooks"
	"golang.org/x/crypto/argon2"
)

// Errors.
var (
	ErrNotFound = errors.New("team: not found")
	ErrExists   = errors.New("team: already exists")
	ErrInvalid  = errors.New("team: invalid")
	ErrLimit    = errors.New("team: limit reached")
)

// Limits per user, so that nobody (and no script gone wrong) can fill the
// store: at most MaxDevices sets of SIP credentials (more are refused
// until one is removed), and MaxSessions sign-ins at once (a new one
// signs out the one that would end first).
const (
	MaxDevices  = 25
	MaxSessions = 20
)

// Role is what a user may do.
type Role string

// The built-in roles.
const (
	Owner  Role = "owner"  // everything, and the only one who can transfer ownership
	Admin  Role = "admin"  // everything but ownership transfer
	Member Role = "member" // calls, messages, dispositions, contacts
)

// User is a person on an account.
type User struct {
	Account   string
	Email     string // lower case; the sign-in name
	Role      Role
	Extension string // short number teammates dial, "101"
	Created   time.Time
	Name      string // how teammates see them ("" until they give one)
}

// Device is one phone's SIP credentials for a user: the registrar checks
// digests against them, never against the user's password. Only the
// digest hashes (HA1) are kept.
type Device struct {
	Username  string // the SIP and digest user name, "d7k2m9..."
	Email     string // whose phone it is
	Name      string // "desktop", "phonectl"
	Realm     string
	HA1MD5    string // hex MD5(username:realm:password)
	HA1SHA256 string // hex SHA-256(username:realm:password)
	Created   time.Time
}

// Number is one of an account's phone numbers and who answers it: one
// user (a dedicated line) or several (shared: all ring at once).
type Number struct {
	E164    string // "+14155550100"
	Account string
	Members []string // emails, in the order added
	Hours   Hours    // outside them, calls go to voicemail (or Forward)
	// Forward is an outside number (E.164) calls go to instead of the
	// members (billed per minute from credits); with AfterHoursOnly, only
	// outside business hours, in place of voicemail.
	Forward        string
	AfterHoursOnly bool
	// Record records its calls (both sides, after a notice both hear).
	Record bool
	// Routing is where calls go in business hours: RouteMembers (ring the
	// members), RouteMenu (the IVR menu), RouteVoicemail; forwarding is
	// Forward.
	Routing    Routing
	Menu       *Menu // the IVR menu when Routing is RouteMenu
	Voicemail  bool  // take messages when nobody answers (and after hours)
	Transcribe bool  // transcribe voicemail (billed per minute)
	Greeting   string
	Kind       string          // "local", "mobile", "toll-free", "national"
	Monthly    decimal.Decimal // the monthly price; zero for the free ones
	Created    time.Time
}

// Routing is a number's in-hours call route.
type Routing string

// Routes.
const (
	RouteMembers   Routing = "members"
	RouteMenu      Routing = "ivr"
	RouteVoicemail Routing = "voicemail"
)

// Voicemail is a message left on a number.
type Voicemail struct {
	ID      string
	Account string
	Number  string // the number called
	From    string // the caller as shown
	Seconds int
	Path    string // the recording (WAV), under the data directory
	Heard   bool
	Created time.Time
}

// Shared reports whether several people answer the number.
func (n Number) Shared() bool { return len(n.Members) > 1 }

// QueuedMessage is a text waiting for its recipient's phone to come
// online.
type QueuedMessage struct {
	ID      int64
	Email   string // the recipient
	From    string // the sender as shown: an extension or a number
	Text    string
	Created time.Time
}

// Registration is where a device's phone can be reached (a registrar's
// binding), kept so a restarted switchboard still knows.
type Registration struct {
	Device    string
	Contact   string // the Contact URI as the phone gave it
	Email     string
	Account   string
	Source    string // HOST:PORT requests go to
	Transport string // "UDP", "TCP", "TLS", "WS", "WSS"
	Expires   time.Time
	ICE       bool // a WebRTC phone (+sip.ice): calls to it offer ICE and DTLS-SRTP
}

// Store keeps users and devices.
type Store interface {
	// CreateUser adds a user with a password hash ("" until one is set).
	CreateUser(ctx context.Context, u User, passwordHash string) error
	User(ctx context.Context, email string) (User, error)
	UserByExtension(ctx context.Context, account, extension string) (User, error)
	Users(ctx context.Context, account string) ([]User, error)
	PasswordHash(ctx context.Context, email string) (string, error)
	// AddDevice keeps a device's credentials: ErrLimit past MaxDevices.
	AddDevice(ctx context.Context, d Device) error
	Device(ctx context.Context, username string) (Device, error)
	// Devices lists a user's devices, oldest first.
	Devices(ctx context.Context, email string) ([]Device, error)
	// DeleteDevice forgets a device's credentials (signed out, lost).
	DeleteDevice(ctx context.Context, username string) error
	// SetNumber adds an account's number, or changes who answers it.
	SetNumber(ctx context.Context, n Number) error
	Number(ctx context.Context, e164 string) (Number, error)
	// NumbersOf lists the numbers a user answers, dedicated ones first.
	NumbersOf(ctx context.Context, email string) ([]Number, error)
	// SetHours changes a number's business hours.
	SetHours(ctx context.Context, e164 string, h Hours) error
	// SetRecording turns recording a number's calls on or off.
	SetRecording(ctx context.Context, e164 string, on bool) error
	// SetForward sends a number's calls to an outside number ("" stops).
	SetForward(ctx context.Context, e164, to string, afterHoursOnly bool) error
	// AddVoicemail keeps a message left on a number; Voicemails lists a
	// number's, newest first; MarkHeard marks one heard (or new again).
	AddVoicemail(ctx context.Context, v Voicemail) error
	Voicemails(ctx context.Context, e164 string) ([]Voicemail, error)
	VoicemailByID(ctx context.Context, id string) (Voicemail, error)
	MarkHeard(ctx context.Context, id string, heard bool) error
	// SaveSession keeps a sign-in session under a hash of its token (the
	// token itself is never stored); Session finds one; DeleteSession ends
	// it.
	// Past MaxSessions for the email, the sessions that would end first
	// are ended, and their hashes returned.
	SaveSession(ctx context.Context, tokenHash, email string, expires time.Time) (ended []string, err error)
	Session(ctx context.Context, tokenHash string) (email string, expires time.Time, err error)
	DeleteSession(ctx context.Context, tokenHash string) error
	// SetRegistrations replaces a device's bindings (none: unregistered);
	// Registrations lists every binding that has not expired at now.
	SetRegistrations(ctx context.Context, device string, rs []Registration) error
	Registrations(ctx context.Context, now time.Time) ([]Registration, error)
	// QueueMessage keeps a text for a user who is offline; Pending lists a
	// user's, oldest first; Delivered forgets one.
	QueueMessage(ctx context.Context, m QueuedMessage) error
	Pending(ctx context.Context, email string) ([]QueuedMessage, error)
	Delivered(ctx context.Context, id int64) error
}

var extensionRE = regexp.MustCompile(`^[1-9][0-9]{1,5}$`)

// NormalizeEmail checks an email address and returns it lower-cased.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		return "", fmt.Errorf("%w: %q is not an email address", ErrInvalid, email)
	}
	return e, nil
}

// Validate checks a user's fields.
func (u User) Validate() error {
	if e, err := NormalizeEmail(u.Email); err != nil {
		return err
	} else if e != u.Email {
		return fmt.Errorf("%w: email %q is not in lower case", ErrInvalid, u.Email)
	}
	if !u.Role.Builtin() && !roleNameRE.MatchString(string(u.Role)) {
		return fmt.Errorf("%w: role %q", ErrInvalid, u.Role)
	}
	if !extensionRE.MatchString(u.Extension) {
		return fmt.Errorf("%w: extension %q (2 to 6 digits, not starting with 0)", ErrInvalid, u.Extension)
	}
	if u.Account == "" {
		return fmt.Errorf("%w: a user needs an account", ErrInvalid)
	}
	return CheckName(u.Name)
}

// CheckName validates a person's name: at most 100 characters on one
// line ("" is allowed: not given).
func CheckName(name string) error {
	if utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") || strings.TrimSpace(name) != name {
		return fmt.Errorf("%w: a name is at most 100 characters on one line, without spaces around it", ErrInvalid)
	}
	return nil
}

// argon2id parameters (RFC 9106's second recommended option, lighter on
// memory): 3 passes over 64 MiB.
const (
	argonTime    = 3
	argonMemory  = 64 << 10
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash of pw in the PHC string format.
func HashPassword(pw string) (string, error) {
	if len(pw) < 10 || len(pw) > 256 {
		return "", fmt.Errorf("%w: a password has 10 to 256 characters", ErrInvalid)
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches a hash from HashPassword.
func CheckPassword(hash, pw string) bool {
	var version int
	var mem, iters uint32
	var threads uint8
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil || mem > 1<<20 || iters > 10 || threads == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// HA1 is the digest hash of username:realm:password for an algorithm
// ("MD5" or "SHA-256").
func HA1(algorithm, username, realm, password string) string {
	s := username + ":" + realm + ":" + password
	if strings.EqualFold(algorithm, "SHA-256") {
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])
	}
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// NewDevice issues fresh SIP credentials for a user's phone: a random user
// name and password. The password is returned once and not kept.
func NewDevice(email, name, realm string, now time.Time) (Device, string) {
	b := make([]byte, 24)
	rand.Read(b)
	user := "d" + strings.ToLower(base32(b[:10]))
	password := base64.RawURLEncoding.EncodeToString(b[10:])
	return Device{Username: user, Email: email, Name: name, Realm: realm, Created: now,
		HA1MD5: HA1("MD5", user, realm, password), HA1SHA256: HA1("SHA-256", user, realm, password)}, password
}

func base32(b []byte) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(alphabet[c&31])
		sb.WriteByte(alphabet[c>>5])
	}
	return sb.String()
}

// Invitation lets someone join an account: an admin invites an email with
// a role; the invitee sets a password with the token (kept only as its
// hash).
type Invitation struct {
	TokenHash string
	Account   string
	Email     string
	Role      Role
	InvitedBy string
	Expires   time.Time
	Created   time.Time
}

// Verification is a code emailed to prove that an address is its
// owner's: only its hash is kept.
type Verification struct {
	Email    string
	CodeHash string
	Expires  time.Time
	Sent     time.Time
	Failures int // wrong guesses so far
}

// AuditEntry is one line of an account's append-only audit log: who did
// what, to what, when and from where.
type AuditEntry struct {
	ID      int64
	Account string
	At      time.Time
	Actor   string // the user's email, or "system"
	Action  string // "credits.add", "number.buy", "team.role", ...
	Target  string // what was changed: an email, a number, a role
	Detail  string // the change, for people
	Source  string // where from: the client's address
}

type auditKey struct{}

// WithAudit returns a context whose next store write also appends e to
// the audit log, in the same transaction: the change and its audit line
// are kept together or not at all.
func WithAudit(ctx context.Context, e AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, e)
}

// AuditFrom returns the audit entry a context carries.
func AuditFrom(ctx context.Context) (AuditEntry, bool) {
	e, ok := ctx.Value(auditKey{}).(AuditEntry)
	return e, ok
}

// Contact is someone the team talks to.
type Contact struct {
	ID      string
	Account string
	Name    string
	Company string
	Notes   string
	Numbers []string // E.164
	Created time.Time
	Updated time.Time
}

// AdminStore keeps what the account API manages beyond Store: custom
// roles, invitations, the audit log, contacts, the disposition list and
// number settings.
type AdminStore interface {
	Store
	KeyStore
	hooks.Store
	SaveRole(ctx context.Context, r CustomRole) error
	Role(ctx context.Context, account, name string) (CustomRole, error)
	Roles(ctx context.Context, account string) ([]CustomRole, error)
	// DeleteRole removes a custom role nobody holds.
	DeleteRole(ctx context.Context, account, name string) error
	// SetRole changes a user's role (not to or from Owner: see
	// TransferOwnership).
	SetRole(ctx context.Context, email string, role Role) error
	// TransferOwnership makes to the Owner and the Owner an Admin, at once.
	TransferOwnership(ctx context.Context, account, to string) error
	// RemoveUser takes a user off the account: their devices, sessions,
	// numbers and queued texts go; records keep their name.
	RemoveUser(ctx context.Context, email string) error
	SaveInvitation(ctx context.Context, in Invitation) error
	Invitation(ctx context.Context, tokenHash string) (Invitation, error)
	Invitations(ctx context.Context, account string) ([]Invitation, error)
	// InvitationsFor lists the invitations of one address, to any account.
	InvitationsFor(ctx context.Context, email string) ([]Invitation, error)
	// AcceptInvitation creates the invited user and spends the invitation.
	AcceptInvitation(ctx context.Context, tokenHash string, u User, passwordHash string) error
	// RevokeInvitation withdraws the account's pending invitation of
	// email: ErrNotFound when there is none.
	RevokeInvitation(ctx context.Context, account, email string) error
	// SaveVerification keeps the code emailed to prove an address
	// (replacing any earlier one); Verification reads it; FailVerification
	// counts a wrong guess; SpendVerification forgets it.
	SaveVerification(ctx context.Context, v Verification) error
	Verification(ctx context.Context, email string) (Verification, error)
	FailVerification(ctx context.Context, email string) error
	SpendVerification(ctx context.Context, email string) error
	AppendAudit(ctx context.Context, e AuditEntry) error
	// AuditLog lists an account's entries, newest first, older than
	// before (0: from the newest).
	AuditLog(ctx context.Context, account string, before int64, limit int) ([]AuditEntry, error)
	SaveContact(ctx context.Context, c Contact) error
	Contact(ctx context.Context, id string) (Contact, error)
	Contacts(ctx context.Context, account, query string, limit int) ([]Contact, error)
	DeleteContact(ctx context.Context, id string) error
	SetDispositions(ctx context.Context, account string, names []string) error
	Dispositions(ctx context.Context, account string) ([]string, error)
	// UpdateNumber writes a number's settings (everything but members).
	UpdateNumber(ctx context.Context, n Number) error
	// AccountNumbers lists an account's numbers.
	AccountNumbers(ctx context.Context, account string) ([]Number, error)
	// ReleaseNumber gives a number back; its voicemails go with it.
	ReleaseNumber(ctx context.Context, e164 string) error
}

// GreetingDir is where numbers' own voicemail greetings are kept, under
// the data directory (8 kHz mono WAV).
const GreetingDir = "greetings"

// OwnGreeting is the path of the number's own voicemail greeting under
// the data directory, or "" for the standard one (a greeting once kept as
// text is not a recording: nothing ever played it).
func (n Number) OwnGreeting() string {
	p := filepath.Clean(n.Greeting)
	if !strings.HasPrefix(p, GreetingDir+string(filepath.Separator)) {
		return ""
	}
	return p
}

// AnswersTo reports whether the teammate with this email is the one a
// name dialled calls: their email, or the part before its @, in any case.
func AnswersTo(email, dialled string) bool {
	name, _, _ := strings.Cut(email, "@")
	return dialled != "" && (strings.EqualFold(name, dialled) || strings.EqualFold(email, dialled))
}
