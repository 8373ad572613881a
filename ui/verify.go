package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/team"
)

// VerifyBanner asks a new company's Owner for the code emailed at
// sign-up (until it is given, no card, credit or invitation works), and
// tells everyone when the account is suspended and why.
type VerifyBanner struct {
	s       Session
	c       Company
	text    *widget.Label
	code    *widget.Entry
	verify  *widget.Button
	resend  *widget.Button
	form    *fyne.Container
	box     *fyne.Container
	parent  fyne.CanvasObject
	done    func()
	info    api.AccountInfo
	content fyne.CanvasObject
}

// NewVerifyBanner builds the banner; done runs once the code is accepted.
func NewVerifyBanner(s Session, c Company, done func()) *VerifyBanner {
	b := &VerifyBanner{s: s, c: c, text: widget.NewLabel(""), code: widget.NewEntry(), done: done}
	b.text.Wrapping = fyne.TextWrapWord
	b.code.SetPlaceHolder("6-digit code")
	b.verify = widget.NewButton("Verify", b.submit)
	b.verify.Importance = widget.HighImportance
	b.code.OnSubmitted = func(string) { b.submit() }
	b.resend = widget.NewButton("Send a new code", b.sendAgain)
	b.form = container.NewHBox(container.NewGridWrap(fyne.NewSize(140, b.code.MinSize().Height), b.code), b.verify, b.resend)
	b.box = container.NewVBox(b.text, b.form)
	b.content = b.box
	b.box.Hide()
	b.info = api.AccountInfo{Verified: s.Me.Verified, Suspended: s.Me.Suspended}
	b.show()
	return b
}

// Object is the banner.
func (b *VerifyBanner) Object() fyne.CanvasObject { return b.content }

// Text is what the banner says ("" when hidden), for tests.
func (b *VerifyBanner) Text() string {
	if b.box.Hidden {
		return ""
	}
	return b.text.Text
}

// Load reads whether the account is verified or suspended; off the UI
// thread.
func (b *VerifyBanner) Load(ctx context.Context) error {
	info, err := b.c.Account(ctx)
	if err != nil {
		return err
	}
	doWait(func() { b.info = info; b.show() })
	return nil
}

func (b *VerifyBanner) show() {
	owner := b.s.Me.Role == string(team.Owner)
	switch {
	case b.info.Suspended != "":
		b.text.SetText("This account is suspended: " + b.info.Suspended + ". Calls and texts are off until it is resumed; nothing is deleted.")
		b.text.Importance = widget.DangerImportance
		b.form.Hide()
		b.box.Show()
	case !b.info.Verified && owner:
		b.text.SetText("Verify your email address: enter the 6-digit code we sent to " + b.s.Me.Email +
			". Until then no card, credit or invitation works.")
		b.text.Importance = widget.WarningImportance
		b.form.Show()
		b.box.Show()
	case !b.info.Verified:
		b.text.SetText("The account's owner has not verified their email address yet: calls out, credits and invitations wait for it.")
		b.text.Importance = widget.WarningImportance
		b.form.Hide()
		b.box.Show()
	default:
		b.box.Hide()
	}
	b.text.Refresh()
	if b.parent != nil {
		b.parent.Refresh()
	}
}

func (b *VerifyBanner) submit() {
	code := strings.TrimSpace(b.code.Text)
	if code == "" {
		b.text.SetText("Enter the 6-digit code from the email we sent to " + b.s.Me.Email + ".")
		return
	}
	b.verify.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := b.c.Verify(ctx, code)
		do(func() {
			b.verify.Enable()
			if err != nil {
				b.text.SetText(errText(err) + " Check the code in the email, or send a new one.")
				return
			}
			b.info.Verified = true
			b.code.SetText("")
			b.show()
			if b.done != nil {
				b.done()
			}
		})
	}()
}

func (b *VerifyBanner) sendAgain() {
	b.resend.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := b.c.ResendCode(ctx)
		do(func() {
			b.resend.Enable()
			var e *api.Error
			switch {
			case errors.As(err, &e) && e.Code == "too_soon":
				b.text.SetText("A code was sent less than a minute ago: check your inbox, and the spam folder.")
			case err != nil:
				b.text.SetText(errText(err))
			default:
				b.text.SetText("A new code is on its way to " + b.s.Me.Email + ". The earlier one no longer works.")
			}
		})
	}()
}

// SetCode types a code into the banner and submits it (tests, scripts).
func (b *VerifyBanner) SetCode(code string) {
	b.code.SetText(code)
	b.submit()
}
