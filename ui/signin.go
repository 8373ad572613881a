package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// SignInView is the first screen: sign in to a company's switchboard, or
// try the demo (a whole phone system inside the app).
type SignInView struct {
	Server, Email, Password *widget.Entry
	status                  *widget.Label
	signIn, demo            *widget.Button
	content                 fyne.CanvasObject
}

// NewSignInView builds the screen; signIn and tryDemo run when chosen
// (off the UI thread is theirs to arrange).
func NewSignInView(server, email string, signIn func(server, email, password string), tryDemo func()) *SignInView {
	v := &SignInView{Server: widget.NewEntry(), Email: widget.NewEntry(), Password: widget.NewPasswordEntry(), status: widget.NewLabel("")}
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
		signIn(s, e, p)
	})
	v.signIn.Importance = widget.HighImportance
	v.Password.OnSubmitted = func(string) { v.signIn.OnTapped() }
	v.demo = widget.NewButton("Try the demo", func() {
		v.Busy("Starting the demo phone system…")
		tryDemo()
	})
	about := widget.NewLabel("No account yet? Try everything on a demo account: sample rates, sandbox payments, a simulated phone network.")
	about.Wrapping = fyne.TextWrapWord
	form := container.NewVBox(
		widget.NewLabelWithStyle("Tether", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Calls, texts and your team's numbers", fyne.TextAlignCenter, fyne.TextStyle{}),
		widget.NewForm(widget.NewFormItem("Server", v.Server), widget.NewFormItem("Email", v.Email), widget.NewFormItem("Password", v.Password)),
		v.signIn, widget.NewSeparator(),
		about,
		v.demo, v.status)
	v.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(440, 460), form))
	return v
}

// Object is the screen's content.
func (v *SignInView) Object() fyne.CanvasObject { return v.content }

// Busy disables the buttons while something runs.
func (v *SignInView) Busy(text string) {
	v.signIn.Disable()
	v.demo.Disable()
	v.status.SetText(text)
}

// SetStatus says what went wrong and lets the user try again.
func (v *SignInView) SetStatus(text string) {
	v.signIn.Enable()
	v.demo.Enable()
	v.status.SetText(text)
}

// Status is the screen's last message.
func (v *SignInView) Status() string { return v.status.Text }
