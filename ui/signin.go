package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
)

// SignInHooks are what the first screen's choices do; the app runs them
// off the UI thread and answers with SetStatus (or opens the app).
type SignInHooks struct {
	SignIn func(server, email, password string)
	Demo   func()
	// Plans lists a server's plans (for the sign-up form); SignUp opens a
	// company account and signs its Owner in; Accept joins a team with an
	// invitation's code and signs in.
	Plans  func(ctx context.Context, server string) ([]api.PlanInfo, error)
	SignUp func(server string, req api.SignUpRequest)
	Accept func(server, token, name, password string)
}

// SignInView is the first screen: sign in to a company's switchboard,
// create a company account, join a team with an invitation, or try the
// demo (a whole phone system inside the app).
type SignInView struct {
	Server, Email, Password *widget.Entry
	// The sign-up form.
	Company, Name, NewEmail, NewPassword *widget.Entry
	Country                              *CountryPicker
	Plan                                 *widget.Select
	// The invitation form.
	Code, JoinName, JoinPassword *widget.Entry

	h                          SignInHooks
	plans                      []api.PlanInfo
	status                     *widget.Label
	signIn, demo, create, join *widget.Button
	submitUp, submitJoin       *widget.Button
	page                       *fyne.Container
	signInPage, signUpPage     fyne.CanvasObject
	invitePage                 fyne.CanvasObject
	content                    fyne.CanvasObject
}

// NewSignInView builds the screen.
func NewSignInView(server, email string, h SignInHooks) *SignInView {
	v := &SignInView{Server: widget.NewEntry(), Email: widget.NewEntry(), Password: widget.NewPasswordEntry(), status: widget.NewLabel(""),
		Company: widget.NewEntry(), Name: widget.NewEntry(), NewEmail: widget.NewEntry(), NewPassword: widget.NewPasswordEntry(),
		Plan: widget.NewSelect(nil, nil), Code: widget.NewEntry(), JoinName: widget.NewEntry(), JoinPassword: widget.NewPasswordEntry(), h: h}
	v.status.Wrapping = fyne.TextWrapWord
	v.Server.SetPlaceHolder("https://phone.example.com")
	v.Server.SetText(server)
	v.Email.SetPlaceHolder("you@company.com")
	v.Email.SetText(email)
	v.signIn = widget.NewButton("Sign in", func() {
		s, e, p := strings.TrimSpace(v.Server.Text), strings.TrimSpace(v.Email.Text), v.Password.Text
		if s == "" || e == "" || p == "" {
			v.SetStatus("Give your company's server address, your email and your password.")
			return
		}
		v.Busy("Signing in…")
		h.SignIn(s, e, p)
	})
	v.signIn.Importance = widget.HighImportance
	v.Password.OnSubmitted = func(string) { v.signIn.OnTapped() }
	v.demo = widget.NewButton("Try the demo", func() {
		v.Busy("Starting the demo phone system…")
		h.Demo()
	})
	about := widget.NewLabel("No account yet? Create one for your company, or try everything on a demo account first.")
	about.Wrapping = fyne.TextWrapWord
	v.create = widget.NewButton("Create a company account", v.ShowSignUp)
	v.join = widget.NewButton("I have an invitation", func() { v.ShowInvitation("") })
	if h.SignUp == nil {
		v.create.Hide()
	}
	if h.Accept == nil {
		v.join.Hide()
	}
	v.signInPage = container.NewVBox(
		widget.NewLabelWithStyle("Tether", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Calls, texts and your team's numbers", fyne.TextAlignCenter, fyne.TextStyle{}),
		widget.NewForm(widget.NewFormItem("Server", v.Server), widget.NewFormItem("Email", v.Email), widget.NewFormItem("Password", v.Password)),
		v.signIn, widget.NewSeparator(), about, container.NewGridWithColumns(2, v.create, v.join), v.demo)

	v.Company.SetPlaceHolder("Acme Ltd")
	v.NewEmail.SetPlaceHolder("you@company.com")
	v.NewPassword.SetPlaceHolder("10 characters or more")
	v.Country = NewCountryPicker("", nil)
	v.submitUp = widget.NewButton("Create account", v.submitSignUp)
	v.submitUp.Importance = widget.HighImportance
	v.signUpPage = container.NewVBox(
		widget.NewLabelWithStyle("Create a company account", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewForm(widget.NewFormItem("Server", v.Server), widget.NewFormItem("Company", v.Company), widget.NewFormItem("Your name", v.Name),
			widget.NewFormItem("Email", v.NewEmail), widget.NewFormItem("Password", v.NewPassword), widget.NewFormItem("Country", v.Country.SelectEntry),
			widget.NewFormItem("Plan", v.Plan)),
		widget.NewLabel("We email you a code to confirm the address; the plan is charged per seat each month to the card you add."),
		container.NewGridWithColumns(2, widget.NewButton("Back", v.ShowSignIn), v.submitUp))

	v.Code.SetPlaceHolder("the code or the tether://invite/… link from the email")
	v.JoinPassword.SetPlaceHolder("10 characters or more")
	v.submitJoin = widget.NewButton("Join", v.submitInvitation)
	v.submitJoin.Importance = widget.HighImportance
	v.JoinPassword.OnSubmitted = func(string) { v.submitInvitation() }
	v.invitePage = container.NewVBox(
		widget.NewLabelWithStyle("Join your team", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewForm(widget.NewFormItem("Server", v.Server), widget.NewFormItem("Invitation", v.Code), widget.NewFormItem("Your name", v.JoinName),
			widget.NewFormItem("New password", v.JoinPassword)),
		container.NewGridWithColumns(2, widget.NewButton("Back", v.ShowSignIn), v.submitJoin))
	for _, l := range v.signUpPage.(*fyne.Container).Objects {
		if lb, ok := l.(*widget.Label); ok && lb.Alignment != fyne.TextAlignCenter {
			lb.Wrapping = fyne.TextWrapWord
		}
	}
	v.page = container.NewStack(v.signInPage)
	v.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(480, 560), container.NewVBox(v.page, v.status)))
	return v
}

// Object is the screen's content.
func (v *SignInView) Object() fyne.CanvasObject { return v.content }

// ShowSignIn shows the sign-in form.
func (v *SignInView) ShowSignIn() { v.show(v.signInPage, "") }

// ShowSignUp shows the sign-up form and loads the server's plans.
func (v *SignInView) ShowSignUp() {
	v.show(v.signUpPage, "")
	v.loadPlans()
}

// ShowInvitation shows the invitation form, with a code or an invitation
// link (tether://invite/CODE?server=URL) filled in.
func (v *SignInView) ShowInvitation(link string) {
	if code, server := api.ParseInviteLink(link); code != "" {
		v.Code.SetText(code)
		if server != "" {
			v.Server.SetText(server)
		}
	}
	v.show(v.invitePage, "")
}

func (v *SignInView) show(page fyne.CanvasObject, status string) {
	v.page.Objects = []fyne.CanvasObject{page}
	v.page.Refresh()
	v.SetStatus(status)
}

func (v *SignInView) loadPlans() {
	server := strings.TrimSpace(v.Server.Text)
	if server == "" || v.h.Plans == nil {
		v.SetStatus("Give the server address first, then choose a plan.")
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		ps, err := v.h.Plans(ctx, server)
		do(func() {
			if err != nil {
				v.SetStatus("Could not read the plans from " + server + ": " + errText(err))
				return
			}
			v.plans = ps
			var labels []string
			for _, p := range ps {
				labels = append(labels, fmt.Sprintf("%s — %s %s a seat a month: %s", p.Name, p.Price, p.Currency, p.Summary))
			}
			v.Plan.SetOptions(labels)
			if len(labels) > 0 && v.Plan.Selected == "" {
				v.Plan.SetSelected(labels[0])
			}
		})
	}()
}

func (v *SignInView) submitSignUp() {
	server := strings.TrimSpace(v.Server.Text)
	req := api.SignUpRequest{Company: strings.TrimSpace(v.Company.Text), Name: strings.TrimSpace(v.Name.Text),
		Email: strings.TrimSpace(v.NewEmail.Text), Password: v.NewPassword.Text, Country: countryCode(v.Country.Text)}
	for i, label := range v.Plan.Options {
		if label == v.Plan.Selected && i < len(v.plans) {
			req.Plan = v.plans[i].ID
		}
	}
	switch {
	case server == "" || req.Company == "" || req.Email == "" || req.Password == "":
		v.SetStatus("Give the server, your company's name, your email and a password.")
	case len(req.Password) < 10:
		v.SetStatus("A password has 10 characters or more.")
	case req.Country == "":
		v.SetStatus("Choose your company's country from the list (type a few letters of its name).")
	case req.Plan == "":
		v.SetStatus("Choose a plan (if the list is empty, check the server address and open this form again).")
		v.loadPlans()
	default:
		v.Busy("Creating the account…")
		v.h.SignUp(server, req)
	}
}

func (v *SignInView) submitInvitation() {
	server := strings.TrimSpace(v.Server.Text)
	code, linked := api.ParseInviteLink(v.Code.Text)
	if server == "" && linked != "" {
		server = linked
		v.Server.SetText(server)
	}
	switch {
	case server == "" || code == "":
		v.SetStatus("Give the server address and the invitation code from the email.")
	case len(v.JoinPassword.Text) < 10:
		v.SetStatus("Choose a password of 10 characters or more.")
	default:
		v.Busy("Joining…")
		v.h.Accept(server, code, strings.TrimSpace(v.JoinName.Text), v.JoinPassword.Text)
	}
}

// Busy disables the buttons while something runs.
func (v *SignInView) Busy(text string) {
	for _, b := range []*widget.Button{v.signIn, v.demo, v.submitUp, v.submitJoin} {
		b.Disable()
	}
	v.status.SetText(text)
}

// SetStatus says what went wrong and lets the user try again.
func (v *SignInView) SetStatus(text string) {
	for _, b := range []*widget.Button{v.signIn, v.demo, v.submitUp, v.submitJoin} {
		b.Enable()
	}
	v.status.SetText(text)
}

// Status is the screen's last message.
func (v *SignInView) Status() string { return v.status.Text }
