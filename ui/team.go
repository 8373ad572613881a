package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/team"
)

func asAPIErr(err error, e **api.Error) bool { return errors.As(err, e) }

// TeamView lists the team and their roles, and lets those who manage the
// team invite, change roles, remove, build custom roles and (the Owner)
// transfer ownership.
type TeamView struct {
	s       Session
	win     fyne.Window
	list    *fyne.Container
	pending *fyne.Container
	roles   *widget.Label
	status  *widget.Label
	content fyne.CanvasObject
	members []api.Member
	roleSet []api.RoleInfo
	invites []api.InvitationInfo
}

// Invitations is what the team view asks of pending invitations;
// *api.Client implements it.
type Invitations interface {
	Invitations(ctx context.Context) ([]api.InvitationInfo, error)
	RevokeInvitation(ctx context.Context, email string) error
	ResendInvitation(ctx context.Context, email string) (api.InvitationInfo, error)
}

var _ Invitations = (*api.Client)(nil)

// NewTeamView builds the view.
func NewTeamView(s Session, win fyne.Window) *TeamView {
	v := &TeamView{s: s, win: win, list: container.NewVBox(), pending: container.NewVBox(), roles: widget.NewLabel(""), status: widget.NewLabel("")}
	v.roles.Wrapping = fyne.TextWrapWord
	invite := widget.NewButton("Invite…", v.showInvite)
	invite.Importance = widget.HighImportance
	buttons := container.NewHBox(widget.NewLabelWithStyle("Team", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), invite)
	if s.Can(team.ManageRoles) {
		buttons.Add(widget.NewButton("New role…", v.showNewRole))
	}
	if s.Can(team.TransferOwnership) {
		buttons.Add(widget.NewButton("Transfer ownership…", v.showTransfer))
	}
	v.content = container.NewBorder(container.NewVBox(buttons, v.status), nil, nil, nil,
		container.NewVScroll(container.NewVBox(v.list, v.pending, widget.NewSeparator(),
			widget.NewLabelWithStyle("Roles", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.roles)))
	return v
}

// Object is the view's content.
func (v *TeamView) Object() fyne.CanvasObject { return v.content }

// Members are the people listed (for tests).
func (v *TeamView) Members() []api.Member { return v.members }

// Load reads the team and the roles; off the UI thread.
func (v *TeamView) Load(ctx context.Context) error {
	ms, err := v.s.Account.Team(ctx)
	if err != nil {
		return err
	}
	rs, err := v.s.Account.Roles(ctx)
	if err != nil {
		return err
	}
	var ins []api.InvitationInfo
	if inv, ok := v.s.Account.(Invitations); ok {
		if ins, err = inv.Invitations(ctx); err != nil {
			return err
		}
	}
	doWait(func() {
		v.members, v.roleSet, v.invites = ms, rs, ins
		v.render()
	})
	return nil
}

// Pending lists the invitations not yet accepted (for tests).
func (v *TeamView) Pending() []api.InvitationInfo { return v.invites }

// roleTitles are the roles one may give, as people read them (Admin,
// Team Member, custom roles by name).
func (v *TeamView) roleTitles() []string {
	var out []string
	for _, r := range v.roleSet {
		if r.Name != "owner" {
			out = append(out, roleName(r.Name))
		}
	}
	return out
}

// roleOfTitle is the role a title names.
func (v *TeamView) roleOfTitle(title string) string {
	for _, r := range v.roleSet {
		if roleName(r.Name) == title {
			return r.Name
		}
	}
	return title
}

// permWords says a role's rights in words.
func permWords(ps []team.Permission) string {
	words := make([]string, len(ps))
	for i, p := range ps {
		words[i] = p.Words()
	}
	return strings.Join(words, "; ")
}

// rightsOf is a role's rights.
func (v *TeamView) rightsOf(role string) []team.Permission {
	for _, r := range v.roleSet {
		if r.Name == role {
			return r.Permissions
		}
	}
	return nil
}

func (v *TeamView) render() {
	v.list.RemoveAll()
	for _, m := range v.members {
		m := m
		line := fmt.Sprintf("%s   ext. %s", m.Email, m.Extension)
		if m.Presence != "" {
			line += "   · " + m.Presence // so nobody transfers a call to a teammate on one
		}
		name := widget.NewLabel(line)
		var right fyne.CanvasObject
		if m.Role == "owner" || m.Email == v.s.Me.Email {
			right = widget.NewLabel(roleName(m.Role))
		} else {
			sel := widget.NewSelect(v.roleTitles(), nil)
			sel.SetSelected(roleName(m.Role))
			sel.OnChanged = func(title string) {
				role := v.roleOfTitle(title)
				if role == m.Role {
					return
				}
				// A role changes what someone may do at once: confirmed
				// first, saying what it allows (the dropdown applied it).
				dialog.ShowConfirm("Change "+m.Email+"'s role",
					fmt.Sprintf("Make %s %s %s? They will be able to: %s.", m.Email, article(title), title, permWords(v.rightsOf(role))),
					func(yes bool) {
						if !yes {
							sel.SetSelected(roleName(m.Role))
							return
						}
						v.do(fmt.Sprintf("Making %s %s %s", m.Email, article(title), title), func(ctx context.Context) error {
							_, err := v.s.Account.SetRole(ctx, m.Email, role)
							return err
						})
					}, v.win)
			}
			right = container.NewHBox(container.NewGridWrap(fyne.NewSize(170, sel.MinSize().Height), sel), widget.NewButton("Remove", func() {
				dialog.ShowConfirm("Remove "+m.Email, "Take "+m.Email+" off the team? Their phones stop working at once.", func(yes bool) {
					if yes {
						v.do("Removing "+m.Email, func(ctx context.Context) error { return v.s.Account.Remove(ctx, m.Email) })
					}
				}, v.win)
			}))
		}
		v.list.Add(container.NewBorder(nil, nil, nil, right, name))
	}
	v.pending.RemoveAll()
	if len(v.invites) > 0 {
		v.pending.Add(widget.NewLabelWithStyle("Invited, not joined yet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	inv, _ := v.s.Account.(Invitations)
	for _, in := range v.invites {
		in := in
		line := widget.NewLabel(fmt.Sprintf("%s   %s · invited by %s · expires %s", in.Email, roleName(in.Role), in.InvitedBy, in.Expires.Local().Format("2 Jan 15:04")))
		line.Truncation = fyne.TextTruncateEllipsis
		resend := widget.NewButton("Send again", func() {
			v.status.SetText("Sending the invitation to " + in.Email + " again…")
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				got, err := inv.ResendInvitation(ctx, in.Email)
				do(func() {
					if err != nil {
						v.status.SetText("")
						showErr(v.win, err)
						return
					}
					v.status.SetText("")
					v.showInvitation(got)
				})
				v.Load(ctx)
			}()
		})
		revoke := widget.NewButton("Revoke", func() {
			dialog.ShowConfirm("Revoke the invitation", "Withdraw the invitation of "+in.Email+"? Its link and code stop working.", func(yes bool) {
				if yes {
					v.do("Revoking the invitation of "+in.Email, func(ctx context.Context) error { return inv.RevokeInvitation(ctx, in.Email) })
				}
			}, v.win)
		})
		v.pending.Add(container.NewBorder(nil, nil, nil, container.NewHBox(resend, revoke), line))
	}
	var lines []string
	for _, r := range v.roleSet {
		line := fmt.Sprintf("%s: %s", roleName(r.Name), r.Description) // the built-in roles say it in a sentence
		if !team.Role(r.Name).Builtin() {
			line = fmt.Sprintf("%s: may %s.", roleName(r.Name), permWords(r.Permissions))
			if r.Description != "" {
				line = fmt.Sprintf("%s (%s): may %s.", roleName(r.Name), r.Description, permWords(r.Permissions))
			}
		}
		lines = append(lines, line)
	}
	v.roles.SetText(strings.Join(lines, "\n"))
}

func (v *TeamView) do(what string, f func(ctx context.Context) error) {
	action(v.status, v.win, what, f, v.Load)
}

func (v *TeamView) showInvite() {
	email := widget.NewEntry()
	email.SetPlaceHolder("name@company.com")
	role := widget.NewSelect(v.roleTitles(), nil)
	role.SetSelected(roleName(string(team.Member)))
	dialog.ShowForm("Invite a teammate", "Invite", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Email", email), widget.NewFormItem("Role", role)}, func(ok bool) {
		if !ok {
			return
		}
		e, r := strings.TrimSpace(email.Text), v.roleOfTitle(role.Selected)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			in, err := v.s.Account.Invite(ctx, e, r)
			do(func() {
				if err != nil {
					showErr(v.win, err)
					return
				}
				v.showInvitation(in)
			})
			v.Load(ctx)
		}()
	}, v.win)
}

// showInvitation says how an invitation went out, with its link and code
// (shown this once) for passing on by hand.
func (v *TeamView) showInvitation(in api.InvitationInfo) {
	said := "We emailed " + in.Email + " a link to join. "
	if !in.Emailed {
		said = "The email to " + in.Email + " could not be sent (" + in.EmailError + "): pass on the link or the code yourself. "
	}
	said += "It works until " + in.Expires.Local().Format("2 January 15:04") + "; the code is shown only now."
	text := widget.NewLabel(said)
	text.Wrapping = fyne.TextWrapWord
	link, token := widget.NewEntry(), widget.NewEntry()
	link.SetText(in.Link)
	token.SetText(in.Token)
	d := dialog.NewCustom("Invitation for "+in.Email, "Done", container.NewVBox(text,
		widget.NewForm(widget.NewFormItem("Link", link), widget.NewFormItem("Code", token))), v.win)
	d.Resize(fyne.NewSize(560, 260))
	d.Show()
}

func (v *TeamView) showNewRole() {
	name := widget.NewEntry()
	name.SetPlaceHolder("sales-lead")
	desc := widget.NewEntry()
	var opts []string
	byWords := map[string]string{}
	for _, p := range v.s.Me.Permissions {
		if team.Permission(p) != team.TransferOwnership {
			opts = append(opts, team.Permission(p).Words())
			byWords[team.Permission(p).Words()] = string(p)
		}
	}
	perms := widget.NewCheckGroup(opts, nil)
	dialog.ShowForm("New role", "Save", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Name", name), widget.NewFormItem("Description", desc),
		widget.NewFormItem("May", perms)}, func(ok bool) {
		if !ok {
			return
		}
		n, d := strings.TrimSpace(name.Text), desc.Text
		var p []string
		for _, w := range perms.Selected {
			p = append(p, byWords[w])
		}
		v.do("Saving role "+n, func(ctx context.Context) error { _, err := v.s.Account.SaveRole(ctx, n, d, p...); return err })
	}, v.win)
}

func (v *TeamView) showTransfer() {
	var opts []string
	for _, m := range v.members {
		if m.Email != v.s.Me.Email {
			opts = append(opts, m.Email)
		}
	}
	to := widget.NewSelect(opts, nil)
	dialog.ShowForm("Transfer ownership", "Transfer", "Cancel", []*widget.FormItem{
		widget.NewFormItem("New Owner", to),
		widget.NewFormItem("", widget.NewLabel("You become an Admin. Only the new Owner can transfer it back."))}, func(ok bool) {
		if !ok || to.Selected == "" {
			return
		}
		e := to.Selected
		v.do("Transferring ownership to "+e, func(ctx context.Context) error { _, err := v.s.Account.TransferOwnership(ctx, e); return err })
	}, v.win)
}

// article is "an" before a vowel's sound, else "a" ("an Admin", "a Team
// Member").
func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
