package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/hooks"

	"github.com/tetherphone/tether/account/team"
)

var _ team.AdminStore = (*DB)(nil)

// roleColumns maps a role onto the users table: a built-in role is the
// role column; a custom one is role 'member' with custom_role naming it,
// which must exist on the account.
func roleColumns(tx *wtx, account string, r team.Role) (string, any, error) {
	if r.Builtin() {
		return string(r), nil, nil
	}
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM roles WHERE account = ? AND name = ?`, account, string(r)).Scan(&n); err != nil {
		return "", nil, err
	}
	if n == 0 {
		return "", nil, clean(fmt.Errorf("%w: role %q", team.ErrNotFound, r))
	}
	return string(team.Member), string(r), nil
}

// audited wraps a write so that the audit entry its context carries (see
// team.WithAudit) is appended in the same transaction.
func audited(ctx context.Context, fn func(tx *wtx) error) func(tx *wtx) error {
	e, ok := team.AuditFrom(ctx)
	if !ok {
		return fn
	}
	return func(tx *wtx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return insertAudit(tx, e)
	}
}

func insertAudit(tx *wtx, e team.AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := tx.exec(`INSERT INTO audit_log (account, at, actor, action, target, detail, source) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.Account, nanos(e.At), e.Actor, e.Action, e.Target, e.Detail, e.Source)
	return err
}

// write runs fn in the writer with the context's audit entry, if any.
func (db *DB) write(ctx context.Context, fn func(tx *wtx) error) error {
	return db.w.do(ctx, audited(ctx, fn))
}

func joinPerms(ps []team.Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, " ")
}

// SaveRole implements team.AdminStore: creates or replaces a custom role.
func (db *DB) SaveRole(ctx context.Context, r team.CustomRole) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO roles (account, name, description, permissions, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account, name) DO UPDATE SET description = excluded.description, permissions = excluded.permissions`,
			r.Account, r.Name, r.Description, joinPerms(r.Permissions), nanos(db.now()))
		if isForeignKey(err) {
			return clean(fmt.Errorf("%w: account %s", team.ErrNotFound, r.Account))
		}
		return err
	})
}

func scanRole(row scanner) (team.CustomRole, error) {
	var r team.CustomRole
	var perms string
	err := row.Scan(&r.Account, &r.Name, &r.Description, &perms)
	if errors.Is(err, sql.ErrNoRows) {
		return r, team.ErrNotFound
	}
	if err != nil {
		return r, err
	}
	r.Permissions, err = team.ParsePermissions(strings.Fields(perms))
	return r, err
}

// Role implements team.AdminStore.
func (db *DB) Role(ctx context.Context, account, name string) (team.CustomRole, error) {
	return scanRole(db.read.QueryRowContext(ctx, `SELECT account, name, description, permissions FROM roles WHERE account = ? AND name = ?`,
		account, name))
}

// Roles implements team.AdminStore.
func (db *DB) Roles(ctx context.Context, account string) ([]team.CustomRole, error) {
	return queryAll(ctx, db.read, scanRole, `SELECT account, name, description, permissions FROM roles WHERE account = ? ORDER BY name`, account)
}

// DeleteRole implements team.AdminStore.
func (db *DB) DeleteRole(ctx context.Context, account, name string) error {
	return db.write(ctx, func(tx *wtx) error {
		var held int
		if err := tx.queryRow(`SELECT COUNT(*) FROM users WHERE account = ? AND custom_role = ?`, account, name).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return clean(fmt.Errorf("%w: %d people hold role %s; give them another first", team.ErrExists, held, name))
		}
		r, err := tx.exec(`DELETE FROM roles WHERE account = ? AND name = ?`, account, name)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(team.ErrNotFound)
		}
		return nil
	})
}

// SetRole implements team.AdminStore.
func (db *DB) SetRole(ctx context.Context, email string, role team.Role) error {
	if role == team.Owner {
		return fmt.Errorf("%w: ownership moves only by transfer", team.ErrInvalid)
	}
	return db.write(ctx, func(tx *wtx) error {
		var account, current string
		err := tx.queryRow(`SELECT account, role FROM users WHERE email = ?`, email).Scan(&account, &current)
		if errors.Is(err, sql.ErrNoRows) {
			return clean(team.ErrNotFound)
		} else if err != nil {
			return err
		}
		if current == string(team.Owner) {
			return clean(fmt.Errorf("%w: the Owner's role changes only by transferring ownership", team.ErrInvalid))
		}
		base, custom, err := roleColumns(tx, account, role)
		if err != nil {
			return err
		}
		_, err = tx.exec(`UPDATE users SET role = ?, custom_role = ? WHERE email = ?`, base, custom, email)
		return err
	})
}

// TransferOwnership implements team.AdminStore.
func (db *DB) TransferOwnership(ctx context.Context, account, to string) error {
	return db.write(ctx, func(tx *wtx) error {
		var acct, role string
		err := tx.queryRow(`SELECT account, role FROM users WHERE email = ?`, to).Scan(&acct, &role)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && acct != account) {
			return clean(fmt.Errorf("%w: %s is not on the account", team.ErrNotFound, to))
		} else if err != nil {
			return err
		}
		if role == string(team.Owner) {
			return clean(fmt.Errorf("%w: %s is already the Owner", team.ErrInvalid, to))
		}
		if _, err := tx.exec(`UPDATE users SET role = 'admin', custom_role = NULL WHERE account = ? AND role = 'owner'`, account); err != nil {
			return err
		}
		_, err = tx.exec(`UPDATE users SET role = 'owner', custom_role = NULL WHERE email = ?`, to)
		return err
	})
}

// RemoveUser implements team.AdminStore. A number left with no member is
// given to the account's Owner, so no number goes unanswered.
func (db *DB) RemoveUser(ctx context.Context, email string) error {
	return db.write(ctx, func(tx *wtx) error {
		var account, role string
		err := tx.queryRow(`SELECT account, role FROM users WHERE email = ?`, email).Scan(&account, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return clean(team.ErrNotFound)
		} else if err != nil {
			return err
		}
		if role == string(team.Owner) {
			return clean(fmt.Errorf("%w: the Owner cannot be removed; transfer ownership first", team.ErrInvalid))
		}
		var owner string
		if err := tx.queryRow(`SELECT email FROM users WHERE account = ? AND role = 'owner'`, account).Scan(&owner); err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT INTO number_members (e164, email, position)
				SELECT m.e164, ?, 0 FROM number_members m WHERE m.email = ?
				AND NOT EXISTS (SELECT 1 FROM number_members o WHERE o.e164 = m.e164 AND o.email <> ?)`,
		} {
			if _, err := tx.exec(q, owner, email, email); err != nil {
				return err
			}
		}
		for _, q := range []string{
			`DELETE FROM number_members WHERE email = ?`,
			`DELETE FROM registrations WHERE email = ?`,
			`DELETE FROM devices WHERE email = ?`,
			`DELETE FROM sessions WHERE email = ?`,
			`DELETE FROM queued_messages WHERE email = ?`,
			`DELETE FROM users WHERE email = ?`,
		} {
			if _, err := tx.exec(q, email); err != nil {
				return err
			}
		}
		return nil
	})
}

// SaveInvitation implements team.AdminStore; a new invitation to the same
// email on the same account replaces the old one.
func (db *DB) SaveInvitation(ctx context.Context, in team.Invitation) error {
	return db.write(ctx, func(tx *wtx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM users WHERE email = ?`, in.Email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return clean(fmt.Errorf("%w: %s already has a user", team.ErrExists, in.Email))
		}
		if _, _, err := roleColumns(tx, in.Account, in.Role); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM invitations WHERE account = ? AND email = ?`, in.Account, in.Email); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO invitations (token_hash, account, email, role, invited_by, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			in.TokenHash, in.Account, in.Email, string(in.Role), in.InvitedBy, nanos(in.Expires), nanos(in.Created)); err != nil {
			return err
		}
		return emit(tx, in.Account, hooks.UserInvited, in.Created, map[string]any{"email": in.Email, "role": string(in.Role),
			"invited_by": in.InvitedBy, "expires": in.Expires.UTC()})
	})
}

const invitationCols = `token_hash, account, email, role, invited_by, expires_at, created_at`

func scanInvitation(row scanner) (team.Invitation, error) {
	var in team.Invitation
	var role string
	var exp, created int64
	err := row.Scan(&in.TokenHash, &in.Account, &in.Email, &role, &in.InvitedBy, &exp, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return in, team.ErrNotFound
	}
	in.Role, in.Expires, in.Created = team.Role(role), fromNanos(exp), fromNanos(created)
	return in, err
}

// Invitation implements team.AdminStore.
func (db *DB) Invitation(ctx context.Context, tokenHash string) (team.Invitation, error) {
	return scanInvitation(db.read.QueryRowContext(ctx, `SELECT `+invitationCols+` FROM invitations WHERE token_hash = ?`, tokenHash))
}

// Invitations implements team.AdminStore.
func (db *DB) Invitations(ctx context.Context, account string) ([]team.Invitation, error) {
	return queryAll(ctx, db.read, scanInvitation, `SELECT `+invitationCols+` FROM invitations WHERE account = ? ORDER BY created_at`, account)
}

// InvitationsFor implements team.AdminStore.
func (db *DB) InvitationsFor(ctx context.Context, email string) ([]team.Invitation, error) {
	return queryAll(ctx, db.read, scanInvitation, `SELECT `+invitationCols+` FROM invitations WHERE email = ? ORDER BY created_at`, strings.ToLower(email))
}

// AcceptInvitation implements team.AdminStore.
func (db *DB) AcceptInvitation(ctx context.Context, tokenHash string, u team.User, passwordHash string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *wtx) error {
		in, err := scanInvitation(tx.queryRow(`SELECT `+invitationCols+` FROM invitations WHERE token_hash = ?`, tokenHash))
		if err != nil {
			if errors.Is(err, team.ErrNotFound) {
				return clean(err)
			}
			return err
		}
		if in.Email != u.Email || in.Account != u.Account || in.Role != u.Role {
			return clean(fmt.Errorf("%w: the user does not match the invitation", team.ErrInvalid))
		}
		if _, err := tx.exec(`DELETE FROM invitations WHERE token_hash = ?`, tokenHash); err != nil {
			return err
		}
		if err := insertUser(tx, u, passwordHash); err != nil {
			var ce cleanError
			if errors.As(err, &ce) {
				return ce.error // the delete above must roll back
			}
			return err
		}
		return nil
	})
}

// AppendAudit implements team.AdminStore.
func (db *DB) AppendAudit(ctx context.Context, e team.AuditEntry) error {
	return db.w.do(ctx, func(tx *wtx) error { return insertAudit(tx, e) })
}

// AuditLog implements team.AdminStore.
func (db *DB) AuditLog(ctx context.Context, account string, before int64, limit int) ([]team.AuditEntry, error) {
	if before <= 0 {
		before = 1 << 62
	}
	return queryAll(ctx, db.read, func(rows scanner) (team.AuditEntry, error) {
		var e team.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.Account, &at, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.Source); err != nil {
			return e, err
		}
		e.At = fromNanos(at)
		return e, nil
	}, `SELECT id, account, at, actor, action, target, detail, source FROM audit_log
		WHERE account = ? AND id < ? ORDER BY id DESC LIMIT ?`, account, before, limit)
}

// SaveContact implements team.AdminStore: creates or replaces a contact
// of the same account.
func (db *DB) SaveContact(ctx context.Context, c team.Contact) error {
	return db.write(ctx, func(tx *wtx) error {
		var acct string
		err := tx.queryRow(`SELECT account FROM contacts WHERE id = ?`, c.ID).Scan(&acct)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.exec(`INSERT INTO contacts (id, account, name, company, notes, numbers, search, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.ID, c.Account, c.Name, c.Company, c.Notes, strings.Join(c.Numbers, " "), searchKey(c), nanos(c.Created), nanos(c.Updated))
			return err
		case err != nil:
			return err
		case acct != c.Account:
			return clean(team.ErrNotFound)
		}
		_, err = tx.exec(`UPDATE contacts SET name = ?, company = ?, notes = ?, numbers = ?, search = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.Company, c.Notes, strings.Join(c.Numbers, " "), searchKey(c), nanos(c.Updated), c.ID)
		return err
	})
}

// searchKey is what a contact search matches: its name, company and
// numbers, lower-cased by Go (SQLite's lower() knows only ASCII).
func searchKey(c team.Contact) string {
	return strings.ToLower(c.Name + "\x1f" + c.Company + "\x1f" + strings.Join(c.Numbers, " "))
}

const contactCols = `id, account, name, company, notes, numbers, created_at, updated_at`

func scanContact(row scanner) (team.Contact, error) {
	var c team.Contact
	var nums string
	var created, updated int64
	err := row.Scan(&c.ID, &c.Account, &c.Name, &c.Company, &c.Notes, &nums, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return c, team.ErrNotFound
	}
	c.Numbers, c.Created, c.Updated = strings.Fields(nums), fromNanos(created), fromNanos(updated)
	if c.Numbers == nil {
		c.Numbers = []string{}
	}
	return c, err
}

// Contact implements team.AdminStore.
func (db *DB) Contact(ctx context.Context, id string) (team.Contact, error) {
	return scanContact(db.read.QueryRowContext(ctx, `SELECT `+contactCols+` FROM contacts WHERE id = ?`, id))
}

// Contacts implements team.AdminStore: a query matches names, companies
// and numbers, case-insensitively.
func (db *DB) Contacts(ctx context.Context, account, query string, limit int) ([]team.Contact, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(query)) + "%"
	return queryAll(ctx, db.read, scanContact, `SELECT `+contactCols+` FROM contacts WHERE account = ? AND search LIKE ? ESCAPE '\'
		ORDER BY search, id LIMIT ?`, account, like, limit)
}

// DeleteContact implements team.AdminStore.
func (db *DB) DeleteContact(ctx context.Context, id string) error {
	return db.write(ctx, func(tx *wtx) error {
		r, err := tx.exec(`DELETE FROM contacts WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return clean(team.ErrNotFound)
		}
		return nil
	})
}

// SetDispositions implements team.AdminStore.
func (db *DB) SetDispositions(ctx context.Context, account string, names []string) error {
	return db.write(ctx, func(tx *wtx) error {
		if _, err := tx.exec(`DELETE FROM dispositions WHERE account = ?`, account); err != nil {
			return err
		}
		for i, n := range names {
			if _, err := tx.exec(`INSERT INTO dispositions (account, name, position) VALUES (?, ?, ?)`, account, n, i); err != nil {
				return err
			}
		}
		return nil
	})
}

// Dispositions implements team.AdminStore.
func (db *DB) Dispositions(ctx context.Context, account string) ([]string, error) {
	return queryAll(ctx, db.read, scanString, `SELECT name FROM dispositions WHERE account = ? ORDER BY position`, account)
}

// UpdateNumber implements team.AdminStore.
func (db *DB) UpdateNumber(ctx context.Context, n team.Number) error {
	menu := ""
	if n.Menu != nil {
		if err := n.Menu.Validate(); err != nil {
			return err
		}
		b, _ := json.Marshal(n.Menu)
		menu = string(b)
	}
	if n.Routing == team.RouteMenu && n.Menu == nil {
		return fmt.Errorf("%w: routing to the menu needs a menu", team.ErrInvalid)
	}
	return db.write(ctx, func(tx *wtx) error {
		r, err := tx.exec(`UPDATE numbers SET hours = ?, zone = ?, forward = ?, forward_after_hours = ?, record = ?, routing = ?, menu = ?,
			voicemail = ?, transcribe = ?, greeting = ? WHERE e164 = ? AND account = ?`,
			n.Hours.String(), cmp.Or(n.Hours.Zone, "UTC"), n.Forward, boolInt(n.AfterHoursOnly), boolInt(n.Record), cmp.Or(string(n.Routing), "members"), menu,
			boolInt(n.Voicemail), boolInt(n.Transcribe), n.Greeting, n.E164, n.Account)
		if err != nil {
			if isCheck(err) {
				return clean(fmt.Errorf("%w: number settings: %v", team.ErrInvalid, err))
			}
			return err
		}
		if k, _ := r.RowsAffected(); k == 0 {
			return clean(team.ErrNotFound)
		}
		return nil
	})
}

// AccountNumbers implements team.AdminStore.
func (db *DB) AccountNumbers(ctx context.Context, account string) ([]team.Number, error) {
	ids, err := queryAll(ctx, db.read, scanString, `SELECT e164 FROM numbers WHERE account = ? ORDER BY created_at, e164`, account)
	if err != nil {
		return nil, err
	}
	return db.numbers(ctx, ids)
}

// ReleaseNumber implements team.AdminStore.
func (db *DB) ReleaseNumber(ctx context.Context, e164 string) error {
	return db.write(ctx, func(tx *wtx) error {
		for _, q := range []string{`DELETE FROM number_members WHERE e164 = ?`, `DELETE FROM voicemails WHERE e164 = ?`} {
			if _, err := tx.exec(q, e164); err != nil {
				return err
			}
		}
		r, err := tx.exec(`DELETE FROM numbers WHERE e164 = ?`, e164)
		if err != nil {
			return err
		}
		if k, _ := r.RowsAffected(); k == 0 {
			return clean(team.ErrNotFound)
		}
		return nil
	})
}

// RevokeInvitation implements team.AdminStore.
func (db *DB) RevokeInvitation(ctx context.Context, account, email string) error {
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.exec(`DELETE FROM invitations WHERE account = ? AND email = ?`, account, strings.ToLower(email))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return clean(fmt.Errorf("%w: no invitation for %s", team.ErrNotFound, email))
		}
		return nil
	})
}

// SaveVerification implements team.AdminStore.
func (db *DB) SaveVerification(ctx context.Context, v team.Verification) error {
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO verifications (email, code_hash, expires_at, sent_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (email) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at,
			sent_at = excluded.sent_at, failures = 0`, v.Email, v.CodeHash, nanos(v.Expires), nanos(v.Sent))
		return err
	})
}

// Verification implements team.AdminStore.
func (db *DB) Verification(ctx context.Context, email string) (team.Verification, error) {
	v := team.Verification{Email: email}
	var expires, sent int64
	err := db.read.QueryRowContext(ctx, `SELECT code_hash, expires_at, sent_at, failures FROM verifications WHERE email = ?`, email).
		Scan(&v.CodeHash, &expires, &sent, &v.Failures)
	if errors.Is(err, sql.ErrNoRows) {
		return v, team.ErrNotFound
	}
	v.Expires, v.Sent = fromNanos(expires), fromNanos(sent)
	return v, err
}

// FailVerification implements team.AdminStore.
func (db *DB) FailVerification(ctx context.Context, email string) error {
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.exec(`UPDATE verifications SET failures = failures + 1 WHERE email = ?`, email)
		return err
	})
}

// SpendVerification implements team.AdminStore.
func (db *DB) SpendVerification(ctx context.Context, email string) error {
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.exec(`DELETE FROM verifications WHERE email = ?`, email)
		return err
	})
}
