package api

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/company"
	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/account/team"
)

// Member is one person on the team.
type Member struct {
	Email       string            `json:"email"`
	Role        string            `json:"role"`
	Extension   string            `json:"extension"`
	Permissions []team.Permission `json:"permissions,omitempty"` // shown to those who manage the team
	Created     time.Time         `json:"created"`
	// Presence is "online", "on a call" or "offline", when the switchboard
	// is there to tell (GET /v1/team only).
	Presence string `json:"presence,omitempty"`
}

func (s *Server) teamList(w http.ResponseWriter, r *http.Request, u caller) {
	us, err := s.cfg.Users.Users(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "list the team")
		return
	}
	var present map[string]string
	if s.cfg.Presence != nil {
		present = s.cfg.Presence.Presence(u.Account)
	}
	out := []Member{}
	for _, m := range us {
		info := Member{Email: m.Email, Role: string(m.Role), Extension: m.Extension, Created: m.Created}
		if s.cfg.Presence != nil {
			info.Presence = cmp.Or(present[m.Email], "offline")
		}
		if u.can(team.ManageTeam) {
			rights, err := s.roleRightsOf(r.Context(), m)
			if err != nil {
				s.fail(w, err, "read a role")
				return
			}
			info.Permissions = rights.Permissions
		}
		out = append(out, info)
	}
	writeJSON(w, http.StatusOK, out)
}

// RoleInfo is a role and what it allows.
type RoleInfo struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Builtin     bool              `json:"builtin"`
	Permissions []team.Permission `json:"permissions"`
}

var builtinDescriptions = map[team.Role]string{
	team.Owner:  "Everything, including billing and transferring ownership. Exactly one per account.",
	team.Admin:  "Everything but transferring ownership: numbers, team, roles, billing.",
	team.Member: "Calls, messages, contacts and dispositions. No billing, no number settings.",
}

func (s *Server) roles(w http.ResponseWriter, r *http.Request, u caller) {
	out := []RoleInfo{}
	for _, b := range []team.Role{team.Owner, team.Admin, team.Member} {
		out = append(out, RoleInfo{Name: string(b), Description: builtinDescriptions[b], Builtin: true, Permissions: team.BuiltinPermissions(b)})
	}
	crs, err := s.cfg.Users.Roles(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "list the roles")
		return
	}
	for _, c := range crs {
		out = append(out, RoleInfo{Name: c.Name, Description: c.Description, Permissions: c.Permissions})
	}
	writeJSON(w, http.StatusOK, out)
}

// RoleRequest is PUT /v1/roles/{name}'s body.
type RoleRequest struct {
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

func (s *Server) saveRole(w http.ResponseWriter, r *http.Request, u caller) {
	var req RoleRequest
	if !readJSON(w, r, &req) {
		return
	}
	perms, err := team.ParsePermissions(req.Permissions)
	if err != nil {
		s.fail(w, err, "read the permissions")
		return
	}
	cr := team.CustomRole{Account: u.Account, Name: r.PathValue("name"), Description: strings.TrimSpace(req.Description), Permissions: perms}
	if err := cr.Validate(); err != nil {
		s.fail(w, err, "save the role")
		return
	}
	if missing := u.Rights.Missing(perms); len(missing) > 0 {
		writeErr(w, http.StatusForbidden, "forbidden", "a role cannot grant more than you hold yourself: you lack %s", joinPerms(missing))
		return
	}
	// Editing a role changes what everyone holding it may do: the rights
	// it loses are bound by the same rule as those it gains.
	old, err := s.cfg.Users.Role(r.Context(), u.Account, cr.Name)
	if err != nil && !errors.Is(err, team.ErrNotFound) {
		s.fail(w, err, "read the role")
		return
	}
	var removed []team.Permission
	for _, p := range old.Permissions {
		if !slices.Contains(perms, p) {
			removed = append(removed, p)
		}
	}
	if missing := u.Rights.Missing(removed); len(missing) > 0 {
		writeErr(w, http.StatusForbidden, "forbidden", "a role cannot take away what you do not hold yourself: you lack %s", joinPerms(missing))
		return
	}
	ctx := u.audit(r.Context(), "role.save", cr.Name, "role %s: %s", cr.Name, joinPerms(perms))
	if err := s.cfg.Users.SaveRole(ctx, cr); err != nil {
		s.fail(w, err, "save the role")
		return
	}
	writeJSON(w, http.StatusOK, RoleInfo{Name: cr.Name, Description: cr.Description, Permissions: cr.Permissions})
}

func joinPerms(ps []team.Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request, u caller) {
	name := r.PathValue("name")
	if team.Role(name).Builtin() {
		writeErr(w, http.StatusBadRequest, "bad_input", "%s is a built-in role", name)
		return
	}
	if err := s.cfg.Users.DeleteRole(u.audit(r.Context(), "role.delete", name, "deleted role %s", name), u.Account, name); err != nil {
		s.fail(w, err, "delete the role")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// roleRights reads a role's permissions on u's account; ok is false (and
// the answer written) when it does not exist.
func (s *Server) roleRights(w http.ResponseWriter, r *http.Request, u caller, role string) (team.Rights, bool) {
	if role == "" || len(role) > 32 {
		writeErr(w, http.StatusBadRequest, "bad_input", "give a role: owner, admin, member or one of the account's custom roles")
		return team.Rights{}, false
	}
	rights, err := s.roleRightsOf(r.Context(), team.User{Account: u.Account, Role: team.Role(role)})
	if err != nil {
		s.fail(w, err, "read the role")
		return rights, false
	}
	if !team.Role(role).Builtin() && len(rights.Permissions) == 0 {
		if _, err := s.cfg.Users.Role(r.Context(), u.Account, role); err != nil {
			writeErr(w, http.StatusBadRequest, "bad_input", "there is no role %q (see GET /v1/roles)", role)
			return rights, false
		}
	}
	return rights, true
}

// teammate reads the user named in the path, on u's account.
func (s *Server) teammate(w http.ResponseWriter, r *http.Request, u caller) (team.User, team.Rights, bool) {
	email, err := team.NormalizeEmail(r.PathValue("email"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_input", "the path names a teammate by email")
		return team.User{}, team.Rights{}, false
	}
	t, err := s.cfg.Users.User(r.Context(), email)
	if err != nil || t.Account != u.Account {
		writeErr(w, http.StatusNotFound, "not_found", "%s is not on your team", email)
		return t, team.Rights{}, false
	}
	rights, err := s.roleRightsOf(r.Context(), t)
	if err != nil {
		s.fail(w, err, "read a role")
		return t, rights, false
	}
	return t, rights, true
}

// RoleChange is PATCH /v1/team/{email}'s body.
type RoleChange struct {
	Role string `json:"role"`
}

func (s *Server) changeRole(w http.ResponseWriter, r *http.Request, u caller) {
	var req RoleChange
	if !readJSON(w, r, &req) {
		return
	}
	t, current, ok := s.teammate(w, r, u)
	if !ok {
		return
	}
	if t.Role == team.Owner {
		writeErr(w, http.StatusForbidden, "forbidden", "the Owner's role changes only when the Owner transfers ownership")
		return
	}
	if req.Role == string(team.Owner) {
		writeErr(w, http.StatusBadRequest, "bad_input", "ownership moves only by transfer (POST /v1/team/transfer-ownership, by the Owner)")
		return
	}
	next, ok := s.roleRights(w, r, u, req.Role)
	if !ok {
		return
	}
	if missing := u.Rights.Missing(append(next.Permissions, current.Permissions...)); len(missing) > 0 {
		writeErr(w, http.StatusForbidden, "forbidden", "you cannot hand out or take away rights you do not hold: %s", joinPerms(missing))
		return
	}
	ctx := u.audit(r.Context(), "team.role", t.Email, "role %s -> %s", t.Role, req.Role)
	if err := s.cfg.Users.SetRole(ctx, t.Email, team.Role(req.Role)); err != nil {
		s.fail(w, err, "change the role")
		return
	}
	t.Role = team.Role(req.Role)
	writeJSON(w, http.StatusOK, Member{Email: t.Email, Role: string(t.Role), Extension: t.Extension, Permissions: next.Permissions, Created: t.Created})
}

func (s *Server) removeUser(w http.ResponseWriter, r *http.Request, u caller) {
	t, current, ok := s.teammate(w, r, u)
	if !ok {
		return
	}
	switch {
	case t.Role == team.Owner:
		writeErr(w, http.StatusForbidden, "forbidden", "the Owner cannot be removed")
		return
	case t.Email == u.Email:
		writeErr(w, http.StatusBadRequest, "bad_input", "you cannot remove yourself; ask another admin")
		return
	case !u.Rights.Covers(current.Permissions):
		writeErr(w, http.StatusForbidden, "forbidden", "you cannot remove someone with rights you do not hold: %s", joinPerms(u.Rights.Missing(current.Permissions)))
		return
	}
	if err := s.cfg.Users.RemoveUser(u.audit(r.Context(), "team.remove", t.Email, "removed %s (%s, extension %s)", t.Email, t.Role, t.Extension), t.Email); err != nil {
		s.fail(w, err, "remove the teammate")
		return
	}
	if err := s.cfg.Billing.RemoveSeat(r.Context(), u.Account, t.Email); err != nil {
		s.cfg.Log.Warn("api: remove a seat", "user", t.Email, "err", err)
	}
	s.mu.Lock()
	for tok, sess := range s.sessions {
		if sess.email == t.Email {
			delete(s.sessions, tok)
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// TransferRequest is POST /v1/team/transfer-ownership's body.
type TransferRequest struct {
	Email string `json:"email"`
}

func (s *Server) transferOwnership(w http.ResponseWriter, r *http.Request, u caller) {
	var req TransferRequest
	if !readJSON(w, r, &req) {
		return
	}
	email, err := team.NormalizeEmail(req.Email)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_input", "give the new Owner's email")
		return
	}
	t, err := s.cfg.Users.User(r.Context(), email)
	if err != nil || t.Account != u.Account {
		writeErr(w, http.StatusNotFound, "not_found", "%s is not on your team", email)
		return
	}
	if t.Email == u.Email {
		writeErr(w, http.StatusBadRequest, "bad_input", "you are already the Owner")
		return
	}
	ctx := u.audit(r.Context(), "team.transfer-ownership", t.Email, "ownership %s -> %s (%s becomes admin)", u.Email, t.Email, u.Email)
	if err := s.cfg.Users.TransferOwnership(ctx, u.Account, t.Email); err != nil {
		s.fail(w, err, "transfer ownership")
		return
	}
	writeJSON(w, http.StatusOK, Member{Email: t.Email, Role: string(team.Owner), Extension: t.Extension, Created: t.Created})
}

// InviteRequest is POST /v1/team/invitations's body.
type InviteRequest struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// InvitationInfo describes an invitation; Token is shown once, when it is
// made, for the inviter to pass on (the invitee accepts with it). Emailed
// says whether it went out by email (EmailError says why not).
type InvitationInfo struct {
	Email      string    `json:"email"`
	Role       string    `json:"role"`
	InvitedBy  string    `json:"invited_by"`
	Expires    time.Time `json:"expires"`
	Created    time.Time `json:"created"`
	Token      string    `json:"token,omitempty"`
	Link       string    `json:"link,omitempty"` // tether://invite/TOKEN, which the app opens
	Emailed    bool      `json:"emailed"`
	EmailError string    `json:"email_error,omitempty"`
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request, u caller) {
	var req InviteRequest
	if !readJSON(w, r, &req) {
		return
	}
	email, err := team.NormalizeEmail(req.Email)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_input", "%q is not an email address", req.Email)
		return
	}
	if req.Role == string(team.Owner) {
		writeErr(w, http.StatusBadRequest, "bad_input", "nobody joins as the Owner; invite them, then transfer ownership")
		return
	}
	rights, ok := s.roleRights(w, r, u, req.Role)
	if !ok {
		return
	}
	if missing := u.Rights.Missing(rights.Permissions); len(missing) > 0 {
		writeErr(w, http.StatusForbidden, "forbidden", "you cannot invite someone with rights you do not hold: %s", joinPerms(missing))
		return
	}
	if !u.cust.Verified.IsZero() {
		s.sendInvitation(w, r, u, email, team.Role(req.Role), "invited %s as %s", http.StatusCreated)
		return
	}
	writeErr(w, http.StatusForbidden, "unverified", "verify your email address first: enter the code we emailed you (POST /v1/account/verify)")
}

// sendInvitation makes a fresh invitation of email as role (replacing
// any earlier one), emails it, and answers with its token, shown once.
func (s *Server) sendInvitation(w http.ResponseWriter, r *http.Request, u caller, email string, role team.Role, audit string, status int) {
	token := company.NewToken()
	now := s.cfg.Now()
	in := team.Invitation{TokenHash: company.HashToken(token), Account: u.Account, Email: email, Role: role, InvitedBy: u.Email,
		Expires: now.Add(s.cfg.InviteTTL), Created: now}
	if err := s.cfg.Users.SaveInvitation(u.audit(r.Context(), "team.invite", email, audit, email, role), in); err != nil {
		s.fail(w, err, "invite")
		return
	}
	out := InvitationInfo{Email: email, Role: string(role), InvitedBy: u.Email, Expires: in.Expires, Created: now, Token: token, Link: InviteLink(token, s.cfg.PublicURL)}
	if err := s.send(r.Context(), s.invitationEmail(u, in, token)); err != nil {
		out.EmailError = err.Error()
	} else {
		out.Emailed = true
	}
	writeJSON(w, status, out)
}

// ParseInviteLink reads an invitation as pasted: the bare code, or the
// emailed link tether://invite/CODE (with ?server=URL, the switchboard).
func ParseInviteLink(s string) (code, server string) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "tether://invite/")
	if !ok {
		return s, ""
	}
	code, query, _ := strings.Cut(rest, "?")
	if q, err := url.ParseQuery(query); err == nil {
		server = q.Get("server")
	}
	return strings.Trim(code, "/"), server
}

// InviteLink is the link an invitation email carries: the app opens it,
// and learns from it the switchboard's address when server is given.
func InviteLink(token, server string) string {
	if server == "" {
		return "tether://invite/" + token
	}
	return "tether://invite/" + token + "?server=" + url.QueryEscape(server)
}

func (s *Server) invitationEmail(u caller, in team.Invitation, token string) mail.Message {
	who := u.Email
	if u.Name != "" {
		who = u.Name + " (" + u.Email + ")"
	}
	loc, err := time.LoadLocation(u.cust.Zone)
	if err != nil {
		loc = time.UTC
	}
	org := cmp.Or(u.cust.Name, "their team")
	server := ""
	if s.cfg.PublicURL != "" {
		server = "The server's address (for the app's sign-in screen): " + s.cfg.PublicURL + "\n\n"
	}
	return mail.Message{To: in.Email, Subject: fmt.Sprintf("%s invited you to %s on Tether", cmp.Or(u.Name, u.Email), org),
		Text: fmt.Sprintf("Hello,\n\n%s invited you to join %s on Tether as %s.\n\n"+
			"With the Tether app installed, open this link:\n\n    %s\n\n"+
			"Or, on the app's sign-in screen, choose \"I have an invitation\" and paste this code:\n\n    %s\n\n"+
			"%sFrom a terminal: phonectl --server %s accept-invitation %s --password ...\n\n"+
			"The invitation expires on %s.\n",
			who, org, in.Role, InviteLink(token, s.cfg.PublicURL), token, server, cmp.Or(s.cfg.PublicURL, "URL"), token, in.Expires.In(loc).Format("Monday 2 January 2006 at 15:04 MST"))}
}

func (s *Server) pendingInvitation(w http.ResponseWriter, r *http.Request, u caller) (team.Invitation, bool) {
	email, err := team.NormalizeEmail(r.PathValue("email"))
	if err == nil {
		ins, err := s.cfg.Users.Invitations(r.Context(), u.Account)
		if err != nil {
			s.fail(w, err, "list invitations")
			return team.Invitation{}, false
		}
		for _, in := range ins {
			if in.Email == email {
				return in, true
			}
		}
	}
	writeErr(w, http.StatusNotFound, "not_found", "no pending invitation for %q", r.PathValue("email"))
	return team.Invitation{}, false
}

func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request, u caller) {
	in, ok := s.pendingInvitation(w, r, u)
	if !ok {
		return
	}
	ctx := u.audit(r.Context(), "team.revoke", in.Email, "revoked the invitation of %s", in.Email)
	if err := s.cfg.Users.RevokeInvitation(ctx, u.Account, in.Email); err != nil {
		s.fail(w, err, "revoke the invitation")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request, u caller) {
	in, ok := s.pendingInvitation(w, r, u)
	if !ok {
		return
	}
	// The role's rights are checked again: the inviter may hold less now.
	rights, ok := s.roleRights(w, r, u, string(in.Role))
	if !ok {
		return
	}
	if missing := u.Rights.Missing(rights.Permissions); len(missing) > 0 && in.Role != team.Owner {
		writeErr(w, http.StatusForbidden, "forbidden", "you cannot invite someone with rights you do not hold: %s", joinPerms(missing))
		return
	}
	s.sendInvitation(w, r, u, in.Email, in.Role, "invited %s again as %s", http.StatusOK)
}

func (s *Server) invitations(w http.ResponseWriter, r *http.Request, u caller) {
	ins, err := s.cfg.Users.Invitations(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "list invitations")
		return
	}
	out := []InvitationInfo{}
	for _, in := range ins {
		out = append(out, InvitationInfo{Email: in.Email, Role: string(in.Role), InvitedBy: in.InvitedBy, Expires: in.Expires, Created: in.Created})
	}
	writeJSON(w, http.StatusOK, out)
}

// AcceptRequest is POST /v1/invitations/accept's body.
type AcceptRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
	Name     string `json:"name,omitempty"` // how teammates will see you
}

func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	var req AcceptRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Token == "" || len(req.Token) > 100 {
		writeErr(w, http.StatusBadRequest, "bad_input", "give the invitation's token")
		return
	}
	if n := len(req.Password); n < 10 || n > 256 {
		writeErr(w, http.StatusBadRequest, "bad_input", "a password has 10 to 256 characters")
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if err := team.CheckName(req.Name); err != nil {
		s.fail(w, err, "read the name")
		return
	}
	if !s.mayTry(w, r) {
		return
	}
	// The token first: a forged one costs a lookup, not a password hash.
	in, err := s.cfg.Users.Invitation(r.Context(), company.HashToken(req.Token))
	if err != nil || s.cfg.Now().After(in.Expires) {
		writeErr(w, http.StatusNotFound, "not_found", "this invitation is not valid (used, replaced or expired); ask for a new one")
		return
	}
	var hash string
	if !s.hash(w, r, func() { hash, err = team.HashPassword(req.Password) }) {
		return
	}
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_input", "a password has 10 to 256 characters")
		return
	}
	ext, err := s.nextExtension(r, in.Account)
	if err != nil {
		s.fail(w, err, "choose an extension")
		return
	}
	u := team.User{Account: in.Account, Email: in.Email, Role: in.Role, Extension: ext, Created: s.cfg.Now(), Name: req.Name}
	ctx := team.WithAudit(r.Context(), team.AuditEntry{Account: in.Account, At: s.cfg.Now(), Actor: in.Email, Action: "team.join",
		Target: in.Email, Detail: "accepted the invitation from " + in.InvitedBy + " as " + string(in.Role) + ", extension " + ext, Source: source(r)})
	if err := s.cfg.Users.AcceptInvitation(ctx, in.TokenHash, u, hash); err != nil {
		if errors.Is(err, team.ErrNotFound) {
			writeErr(w, http.StatusNotFound, "not_found", "this invitation is not valid (used, replaced or expired); ask for a new one")
			return
		}
		s.fail(w, err, "accept the invitation")
		return
	}
	if err := s.cfg.Billing.AddSeat(r.Context(), in.Account, in.Email); err != nil {
		s.cfg.Log.Warn("api: add a seat", "user", in.Email, "err", err)
	}
	writeJSON(w, http.StatusCreated, info(u))
}

// nextExtension picks the lowest free extension from 101.
func (s *Server) nextExtension(r *http.Request, account string) (string, error) {
	us, err := s.cfg.Users.Users(r.Context(), account)
	if err != nil {
		return "", err
	}
	taken := map[string]bool{}
	for _, u := range us {
		taken[u.Extension] = true
	}
	for n := 101; n < 1000000; n++ {
		if e := strconv.Itoa(n); !taken[e] {
			return e, nil
		}
	}
	return "", errors.New("no free extension")
}
