package team

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Permission is one thing a role lets a user do. The server checks one
// before every action.
type Permission string

// The permissions. Owner holds all of them; Admin all but
// TransferOwnership; Member the everyday ones (calls, messages,
// contacts, dispositions).
const (
	Calls             Permission = "calls"              // make and take calls, see one's own call history
	Messages          Permission = "messages"           // send and read texts
	Contacts          Permission = "contacts"           // read and edit the shared contacts
	Dispositions      Permission = "dispositions"       // log a disposition and notes after a call
	ViewAllCalls      Permission = "calls.all"          // see everyone's call history
	ViewBilling       Permission = "billing.view"       // balance, transactions, usage
	ManageBilling     Permission = "billing.manage"     // add credits, the card on file, auto top-up
	ManageNumbers     Permission = "numbers.manage"     // buy, release, assign, share, number settings and IVR
	ManageTeam        Permission = "team.manage"        // invite, change roles, remove
	ManageRoles       Permission = "roles.manage"       // custom roles, the disposition list
	ViewAudit         Permission = "audit.view"         // the audit log
	ManageAccount     Permission = "account.manage"     // the company's name, country, time zone, caller ID and plan
	TransferOwnership Permission = "ownership.transfer" // the Owner's alone; never in a custom role
)

// AllPermissions lists every permission, in a stable order.
var AllPermissions = []Permission{Calls, Messages, Contacts, Dispositions, ViewAllCalls, ViewBilling, ManageBilling,
	ManageNumbers, ManageTeam, ManageRoles, ViewAudit, ManageAccount, TransferOwnership}

// permWords say each permission as people read it.
var permWords = map[Permission]string{
	Calls:             "make and take calls, see their own calls",
	Messages:          "send and read texts",
	Contacts:          "read and edit the shared contacts",
	Dispositions:      "log how a call went, with notes",
	ViewAllCalls:      "see everyone's calls",
	ViewBilling:       "see the balance, transactions and usage",
	ManageBilling:     "add credits, change the card and auto top-up",
	ManageNumbers:     "buy, release, assign and set up numbers",
	ManageTeam:        "invite, change roles and remove teammates",
	ManageRoles:       "build custom roles and the disposition list",
	ViewAudit:         "read the audit log",
	ManageAccount:     "change the company's details and plan",
	TransferOwnership: "hand the company to another Owner",
}

// Words is the permission as people read it ("see everyone's calls"
// for calls.all); an unknown one as it is.
func (p Permission) Words() string {
	if w, ok := permWords[p]; ok {
		return w
	}
	return string(p)
}

// Title is a role's name as people read it: Owner, Admin, Team Member;
// a custom role's own name.
func (r Role) Title() string {
	switch r {
	case Owner:
		return "Owner"
	case Admin:
		return "Admin"
	case Member:
		return "Team Member"
	}
	return string(r)
}

// Builtin reports whether r is one of the three built-in roles.
func (r Role) Builtin() bool { return r == Owner || r == Admin || r == Member }

// BuiltinPermissions are the built-in roles' rights.
func BuiltinPermissions(r Role) []Permission {
	switch r {
	case Owner:
		return slices.Clone(AllPermissions)
	case Admin:
		return slices.DeleteFunc(slices.Clone(AllPermissions), func(p Permission) bool { return p == TransferOwnership })
	case Member:
		return []Permission{Calls, Messages, Contacts, Dispositions}
	}
	return nil
}

// CustomRole is a role an account builds from permissions.
type CustomRole struct {
	Account     string
	Name        string // lower case, "sales-lead"
	Description string
	Permissions []Permission
}

var roleNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)

// ParsePermissions checks and sorts a list of permission names.
func ParsePermissions(names []string) ([]Permission, error) {
	var out []Permission
	for _, n := range names {
		p := Permission(strings.TrimSpace(n))
		if !slices.Contains(AllPermissions, p) {
			return nil, fmt.Errorf("%w: no permission %q (there are %s)", ErrInvalid, n, joinPerms(AllPermissions))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Permission) int { return slices.Index(AllPermissions, a) - slices.Index(AllPermissions, b) })
	return out, nil
}

func joinPerms(ps []Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// Validate checks a custom role's shape: a new name (not a built-in
// one), known permissions, never ownership transfer.
func (c CustomRole) Validate() error {
	switch {
	case !roleNameRE.MatchString(c.Name):
		return fmt.Errorf("%w: role name %q (2 to 32 of a-z, 0-9 and -, starting with a letter)", ErrInvalid, c.Name)
	case Role(c.Name).Builtin():
		return fmt.Errorf("%w: %q is a built-in role", ErrInvalid, c.Name)
	case len(c.Description) > 200 || strings.ContainsAny(c.Description, "\x00\r\n"):
		return fmt.Errorf("%w: a description is one line of at most 200 bytes", ErrInvalid)
	case len(c.Permissions) == 0:
		return fmt.Errorf("%w: a role grants at least one permission (a role without any would leave those who hold it with nothing)", ErrInvalid)
	case slices.Contains(c.Permissions, TransferOwnership):
		return fmt.Errorf("%w: ownership transfer belongs to the Owner and cannot be put in a role", ErrInvalid)
	}
	if _, err := ParsePermissions(permStrings(c.Permissions)); err != nil {
		return err
	}
	return nil
}

func permStrings(ps []Permission) []string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return s
}

// Rights is what one user may do: their role's permissions.
type Rights struct {
	Role        Role
	Permissions []Permission
}

// Has reports whether the rights include p.
func (r Rights) Has(p Permission) bool { return slices.Contains(r.Permissions, p) }

// Covers reports whether the rights include every one of ps: nobody may
// hand out (in a role or by assigning one) more than they hold.
func (r Rights) Covers(ps []Permission) bool {
	for _, p := range ps {
		if !r.Has(p) {
			return false
		}
	}
	return true
}

// Missing lists those of ps the rights lack.
func (r Rights) Missing(ps []Permission) []Permission {
	var out []Permission
	for _, p := range ps {
		if !r.Has(p) {
			out = append(out, p)
		}
	}
	return out
}
