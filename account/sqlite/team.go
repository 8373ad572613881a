package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tetherphone/tether/account/hooks"

	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/team"
)

var _ team.Store = (*DB)(nil)

// CreateUser implements team.Store.
func (db *DB) CreateUser(ctx context.Context, u team.User, passwordHash string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.w.do(ctx, func(tx *wtx) error {
		return insertUser(tx, u, passwordHash)
	})
}

func insertUser(tx *wtx, u team.User, passwordHash string) error {
	base, custom, err := roleColumns(tx, u.Account, u.Role)
	if err != nil {
		return err
	}
	{
		_, err := tx.exec(`INSERT INTO users (email, account, role, custom_role, extension, password, created_at, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.Email, u.Account, base, custom, u.Extension, passwordHash, nanos(u.Created), u.Name)
		if isUnique(err) {
			return clean(fmt.Errorf("%w: %s or extension %s", team.ErrExists, u.Email, u.Extension))
		}
		if isForeignKey(err) {
			return clean(fmt.Errorf("%w: account %s", team.ErrNotFound, u.Account))
		}
		return err
	}
}

func scanUser(row scanner) (team.User, error) {
	var u team.User
	var role string
	var created int64
	err := row.Scan(&u.Email, &u.Account, &role, &u.Extension, &created, &u.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return u, team.ErrNotFound
	}
	u.Role, u.Created = team.Role(role), fromNanos(created)
	return u, err
}

const userCols = `email, account, COALESCE(custom_role, role), extension, created_at, name`

// User implements team.Store.
func (db *DB) User(ctx context.Context, email string) (team.User, error) {
	email = strings.ToLower(email)
	if u, ok := db.team.user(email); ok {
		return u, nil
	}
	gen := db.team.generation()
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	if err == nil {
		db.team.putUser(gen, email, u)
	}
	return u, err
}

// teamCache keeps users and devices as read by their keys: every
// REGISTER reads its device and its user, and a busy registrar spent a
// tenth of its time in those two queries. Every write to the users or
// devices tables empties it before the write returns (the writer's
// onTeam), and a read begun before a write is not kept after it: this
// process owns the store, so nothing read from the cache is stale.
type teamCache struct {
	mu      sync.Mutex
	gen     uint64
	users   map[string]team.User
	devices map[string]team.Device
}

// teamCacheMax bounds each map; past it, it starts again empty.
const teamCacheMax = 100_000

func (c *teamCache) changed() {
	c.mu.Lock()
	c.gen++
	c.users, c.devices = nil, nil
	c.mu.Unlock()
}

func (c *teamCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *teamCache) user(email string) (team.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.users[email]
	return u, ok
}

// putUser keeps u, read when the cache was at generation gen, unless a
// write has come since.
func (c *teamCache) putUser(gen uint64, email string, u team.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.users == nil || len(c.users) >= teamCacheMax {
		c.users = map[string]team.User{}
	}
	c.users[email] = u
}

func (c *teamCache) device(username string) (team.Device, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.devices[username]
	return d, ok
}

func (c *teamCache) putDevice(gen uint64, d team.Device) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.devices == nil || len(c.devices) >= teamCacheMax {
		c.devices = map[string]team.Device{}
	}
	c.devices[d.Username] = d
}

// UserByExtension implements team.Store.
func (db *DB) UserByExtension(ctx context.Context, account, extension string) (team.User, error) {
	return scanUser(db.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE account = ? AND extension = ?`, account, extension))
}

// Users implements team.Store.
func (db *DB) Users(ctx context.Context, account string) ([]team.User, error) {
	return queryAll(ctx, db.read, scanUser, `SELECT `+userCols+` FROM users WHERE account = ? ORDER BY extension`, account)
}

// PasswordHash implements team.Store.
func (db *DB) PasswordHash(ctx context.Context, email string) (string, error) {
	var h string
	err := db.read.QueryRowContext(ctx, `SELECT password FROM users WHERE email = ?`, strings.ToLower(email)).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", team.ErrNotFound
	}
	return h, err
}

// AddDevice implements team.Store.
func (db *DB) AddDevice(ctx context.Context, d team.Device) error {
	return db.w.do(ctx, func(tx *wtx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM devices WHERE email = ?`, d.Email).Scan(&n); err != nil {
			return err
		}
		if n >= team.MaxDevices {
			return clean(fmt.Errorf("%w: %s has %d phones set up, the most allowed; remove one you no longer use first", team.ErrLimit, d.Email, n))
		}
		_, err := tx.exec(`INSERT INTO devices (username, email, name, realm, ha1_md5, ha1_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			d.Username, d.Email, d.Name, d.Realm, d.HA1MD5, d.HA1SHA256, nanos(d.Created))
		if isForeignKey(err) {
			return clean(fmt.Errorf("%w: user %s", team.ErrNotFound, d.Email))
		}
		return err
	})
}

// Device implements team.Store.
func (db *DB) Device(ctx context.Context, username string) (team.Device, error) {
	if d, ok := db.team.device(username); ok {
		return d, nil
	}
	gen := db.team.generation()
	var d team.Device
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT username, email, name, realm, ha1_md5, ha1_sha256, created_at FROM devices WHERE username = ?`,
		username).Scan(&d.Username, &d.Email, &d.Name, &d.Realm, &d.HA1MD5, &d.HA1SHA256, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return d, team.ErrNotFound
	}
	d.Created = fromNanos(created)
	if err == nil {
		db.team.putDevice(gen, d)
	}
	return d, err
}

// Devices implements team.Store.
func (db *DB) Devices(ctx context.Context, email string) ([]team.Device, error) {
	return queryAll(ctx, db.read, func(r scanner) (team.Device, error) {
		var d team.Device
		var created int64
		err := r.Scan(&d.Username, &d.Email, &d.Name, &d.Realm, &d.HA1MD5, &d.HA1SHA256, &created)
		d.Created = fromNanos(created)
		return d, err
	}, `SELECT username, email, name, realm, ha1_md5, ha1_sha256, created_at FROM devices WHERE email = ? ORDER BY created_at, username`, email)
}

// DeleteDevice implements team.Store.
func (db *DB) DeleteDevice(ctx context.Context, username string) error {
	return db.w.do(ctx, func(tx *wtx) error {
		r, err := tx.exec(`DELETE FROM devices WHERE username = ?`, username)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(team.ErrNotFound)
		}
		return nil
	})
}

// SetNumber implements team.Store: the number's members become exactly
// n.Members, who must be users of n.Account.
func (db *DB) SetNumber(ctx context.Context, n team.Number) error {
	if len(n.Members) == 0 {
		return fmt.Errorf("%w: number %s needs at least one member", team.ErrInvalid, n.E164)
	}
	return db.w.do(ctx, func(tx *wtx) error {
		var owner string
		err := tx.queryRow(`SELECT account FROM numbers WHERE e164 = ?`, n.E164).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			monthly, err := money.ToUnits(n.Monthly)
			if err != nil || monthly < 0 {
				return clean(fmt.Errorf("%w: monthly price %s", team.ErrInvalid, n.Monthly))
			}
			if _, err := tx.exec(`INSERT INTO numbers (e164, account, kind, monthly, created_at) VALUES (?, ?, ?, ?, ?)`,
				n.E164, n.Account, cmp.Or(n.Kind, "local"), monthly, nanos(db.now())); err != nil {
				if isCheck(err) || isForeignKey(err) {
					return clean(fmt.Errorf("%w: number %q for account %q", team.ErrInvalid, n.E164, n.Account))
				}
				return err
			}
		case err != nil:
			return err
		case owner != n.Account:
			return clean(fmt.Errorf("%w: %s belongs to another account", team.ErrExists, n.E164))
		}
		for _, m := range n.Members {
			var acct string
			if err := tx.queryRow(`SELECT account FROM users WHERE email = ?`, m).Scan(&acct); err != nil || acct != n.Account {
				return fmt.Errorf("%w: %s is not a user of %s", team.ErrInvalid, m, n.Account) // not clean: the insert above rolls back
			}
		}
		if _, err := tx.exec(`DELETE FROM number_members WHERE e164 = ?`, n.E164); err != nil {
			return err
		}
		for i, m := range n.Members {
			if _, err := tx.exec(`INSERT INTO number_members (e164, email, position) VALUES (?, ?, ?)`, n.E164, m, i); err != nil {
				return err
			}
		}
		return emit(tx, n.Account, hooks.NumberAssigned, db.now(), map[string]any{"number": n.E164, "members": n.Members})
	})
}

// Number implements team.Store.
func (db *DB) Number(ctx context.Context, e164 string) (team.Number, error) {
	n := team.Number{E164: e164}
	var hours, zone, routing, menu string
	var afterHours, record, voicemail, transcribe int
	var monthly, created int64
	err := db.read.QueryRowContext(ctx, `SELECT account, hours, zone, forward, forward_after_hours, record, routing, menu, voicemail,
		transcribe, greeting, kind, monthly, created_at FROM numbers WHERE e164 = ?`, e164).
		Scan(&n.Account, &hours, &zone, &n.Forward, &afterHours, &record, &routing, &menu, &voicemail, &transcribe, &n.Greeting,
			&n.Kind, &monthly, &created)
	n.AfterHoursOnly, n.Record, n.Voicemail, n.Transcribe = afterHours == 1, record == 1, voicemail == 1, transcribe == 1
	n.Routing, n.Monthly, n.Created = team.Routing(routing), money.FromUnits(monthly), fromNanos(created)
	if errors.Is(err, sql.ErrNoRows) {
		return n, team.ErrNotFound
	}
	if err != nil {
		return n, err
	}
	if n.Hours, err = team.ParseHours(hours, zone); err != nil {
		return n, fmt.Errorf("number %s: stored hours: %w", e164, err)
	}
	if n.Menu, err = team.ParseMenu(menu); err != nil {
		return n, fmt.Errorf("number %s: stored menu: %w", e164, err)
	}
	members, err := queryAll(ctx, db.read, scanString, `SELECT email FROM number_members WHERE e164 = ? ORDER BY position`, e164)
	if len(members) > 0 {
		n.Members = members
	}
	return n, err
}

// NumbersOf implements team.Store.
func (db *DB) NumbersOf(ctx context.Context, email string) ([]team.Number, error) {
	// Dedicated lines first (fewest members), then shared ones.
	ids, err := queryAll(ctx, db.read, scanString, `SELECT m.e164 FROM number_members m WHERE m.email = ?
		ORDER BY (SELECT COUNT(*) FROM number_members o WHERE o.e164 = m.e164), m.e164`, strings.ToLower(email))
	if err != nil {
		return nil, err
	}
	return db.numbers(ctx, ids)
}

// numbers reads each number in ids, in order.
func (db *DB) numbers(ctx context.Context, ids []string) ([]team.Number, error) {
	out := []team.Number{}
	for _, id := range ids {
		n, err := db.Number(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// QueueMessage implements team.Store.
func (db *DB) QueueMessage(ctx context.Context, m team.QueuedMessage) error {
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO queued_messages (email, sender, text, created_at) VALUES (?, ?, ?, ?)`,
			m.Email, m.From, m.Text, nanos(m.Created))
		if isForeignKey(err) {
			return clean(fmt.Errorf("%w: user %s", team.ErrNotFound, m.Email))
		}
		return err
	})
}

// Pending implements team.Store.
func (db *DB) Pending(ctx context.Context, email string) ([]team.QueuedMessage, error) {
	return queryAll(ctx, db.read, func(rows scanner) (team.QueuedMessage, error) {
		var m team.QueuedMessage
		var created int64
		if err := rows.Scan(&m.ID, &m.Email, &m.From, &m.Text, &created); err != nil {
			return m, err
		}
		m.Created = fromNanos(created)
		return m, nil
	}, `SELECT id, email, sender, text, created_at FROM queued_messages WHERE email = ? ORDER BY id`, email)
}

// Delivered implements team.Store.
func (db *DB) Delivered(ctx context.Context, id int64) error {
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`DELETE FROM queued_messages WHERE id = ?`, id)
		return err
	})
}

// SetHours implements team.Store.
func (db *DB) SetHours(ctx context.Context, e164 string, h team.Hours) error {
	return db.w.do(ctx, func(tx *wtx) error {
		r, err := tx.exec(`UPDATE numbers SET hours = ?, zone = ? WHERE e164 = ?`, h.String(), cmp.Or(h.Zone, "UTC"), e164)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(fmt.Errorf("%w: number %s", team.ErrNotFound, e164))
		}
		return nil
	})
}

// AddVoicemail implements team.Store.
func (db *DB) AddVoicemail(ctx context.Context, v team.Voicemail) error {
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO voicemails (id, account, e164, caller, seconds, path, heard, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.Account, v.Number, v.From, v.Seconds, v.Path, boolInt(v.Heard), nanos(v.Created))
		if isForeignKey(err) {
			return clean(fmt.Errorf("%w: number %s", team.ErrNotFound, v.Number))
		}
		if err != nil {
			return err
		}
		return emit(tx, v.Account, hooks.VoicemailCreated, v.Created, map[string]any{"id": v.ID, "number": v.Number, "from": v.From,
			"seconds": v.Seconds, "created": v.Created.UTC()})
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Voicemails implements team.Store.
func (db *DB) Voicemails(ctx context.Context, e164 string) ([]team.Voicemail, error) {
	return queryAll(ctx, db.read, func(rows scanner) (team.Voicemail, error) {
		var v team.Voicemail
		var heard int
		var created int64
		if err := rows.Scan(&v.ID, &v.Account, &v.Number, &v.From, &v.Seconds, &v.Path, &heard, &created); err != nil {
			return v, err
		}
		v.Heard, v.Created = heard == 1, fromNanos(created)
		return v, nil
	}, `SELECT id, account, e164, caller, seconds, path, heard, created_at FROM voicemails
		WHERE e164 = ? ORDER BY created_at DESC, id`, e164)
}

// MarkHeard implements team.Store.
func (db *DB) MarkHeard(ctx context.Context, id string, heard bool) error {
	return db.w.do(ctx, func(tx *wtx) error {
		r, err := tx.exec(`UPDATE voicemails SET heard = ? WHERE id = ?`, boolInt(heard), id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(fmt.Errorf("%w: voicemail %s", team.ErrNotFound, id))
		}
		return nil
	})
}

// SetRegistrations implements team.Store.
func (db *DB) SetRegistrations(ctx context.Context, device string, rs []team.Registration) error {
	return db.w.do(ctx, func(tx *wtx) error {
		if _, err := tx.exec(`DELETE FROM registrations WHERE device = ?`, device); err != nil {
			return err
		}
		for _, r := range rs {
			if _, err := tx.exec(`INSERT INTO registrations (device, contact, email, account, source, transport, expires_at, ice)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, device, r.Contact, r.Email, r.Account, r.Source, r.Transport, nanos(r.Expires),
				boolInt(r.ICE)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Registrations implements team.Store.
func (db *DB) Registrations(ctx context.Context, now time.Time) ([]team.Registration, error) {
	return queryAll(ctx, db.read, func(rows scanner) (team.Registration, error) {
		var r team.Registration
		var exp, ice int64
		if err := rows.Scan(&r.Device, &r.Contact, &r.Email, &r.Account, &r.Source, &r.Transport, &exp, &ice); err != nil {
			return r, err
		}
		r.Expires, r.ICE = fromNanos(exp), ice == 1
		return r, nil
	}, `SELECT device, contact, email, account, source, transport, expires_at, ice FROM registrations
		WHERE expires_at > ? ORDER BY device, expires_at`, nanos(now))
}

// VoicemailByID implements team.Store.
func (db *DB) VoicemailByID(ctx context.Context, id string) (team.Voicemail, error) {
	var v team.Voicemail
	var heard int
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT id, account, e164, caller, seconds, path, heard, created_at FROM voicemails WHERE id = ?`, id).
		Scan(&v.ID, &v.Account, &v.Number, &v.From, &v.Seconds, &v.Path, &heard, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return v, team.ErrNotFound
	}
	v.Heard, v.Created = heard == 1, fromNanos(created)
	return v, err
}

// SetForward implements team.Store.
func (db *DB) SetForward(ctx context.Context, e164, to string, afterHoursOnly bool) error {
	return db.w.do(ctx, func(tx *wtx) error {
		r, err := tx.exec(`UPDATE numbers SET forward = ?, forward_after_hours = ? WHERE e164 = ?`, to, boolInt(afterHoursOnly), e164)
		if err != nil {
			if isCheck(err) {
				return clean(fmt.Errorf("%w: forward to %q (E.164)", team.ErrInvalid, to))
			}
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(fmt.Errorf("%w: number %s", team.ErrNotFound, e164))
		}
		return nil
	})
}

// SetRecording implements team.Store.
func (db *DB) SetRecording(ctx context.Context, e164 string, on bool) error {
	return db.w.do(ctx, func(tx *wtx) error {
		r, err := tx.exec(`UPDATE numbers SET record = ? WHERE e164 = ?`, boolInt(on), e164)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(fmt.Errorf("%w: number %s", team.ErrNotFound, e164))
		}
		return nil
	})
}

// SaveSession implements team.Store; expired sessions are swept as new
// ones are saved.
func (db *DB) SaveSession(ctx context.Context, tokenHash, email string, expires time.Time) ([]string, error) {
	var ended []string
	err := db.w.do(ctx, func(tx *wtx) error {
		ended = nil
		if _, err := tx.exec(`DELETE FROM sessions WHERE expires_at <= ?`, nanos(db.now())); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO sessions (token_hash, email, expires_at) VALUES (?, ?, ?)`, tokenHash, email, nanos(expires)); err != nil {
			return err
		}
		rows, err := tx.query(`SELECT token_hash FROM sessions WHERE email = ? ORDER BY expires_at DESC, token_hash LIMIT -1 OFFSET ?`, email, team.MaxSessions)
		if err != nil {
			return err
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return err
			}
			ended = append(ended, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, h := range ended {
			if _, err := tx.exec(`DELETE FROM sessions WHERE token_hash = ?`, h); err != nil {
				return err
			}
		}
		return nil
	})
	return ended, err
}

// Session implements team.Store.
func (db *DB) Session(ctx context.Context, tokenHash string) (string, time.Time, error) {
	var email string
	var exp int64
	err := db.read.QueryRowContext(ctx, `SELECT email, expires_at FROM sessions WHERE token_hash = ?`, tokenHash).Scan(&email, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, team.ErrNotFound
	}
	return email, fromNanos(exp), err
}

// DeleteSession implements team.Store.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	return db.w.do(ctx, func(tx *wtx) error {
		_, err := tx.exec(`DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		return err
	})
}
