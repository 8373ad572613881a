package ui_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/internal/mailbox"
	"github.com/tetherphone/tether/ui"
)

// TestSignUpInTheApp: a company signs up from the first screen (the
// server's plans offered, the country found by typing its name), its
// Owner lands in the app with the verification banner, enters the code
// from the email a real SMTP server delivered, and the banner goes; the
// Account view shows the company, its plan and what is due.
func TestSignUpInTheApp(t *testing.T) {
	box := mailbox.Start(t)
	dir := t.TempDir()
	sys, err := system.Open(context.Background(), system.Parts{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	srv := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether",
		Mail: mail.SMTP{Addr: box.Addr, Username: box.Username, Password: box.Password, From: "t@tether.test", RootCAs: box.RootCAs}}))
	t.Cleanup(srv.Close)

	test.NewTempApp(t)
	type signUp struct {
		server string
		req    api.SignUpRequest
	}
	asked := make(chan signUp, 1)
	v := ui.NewSignInView("", "", ui.SignInHooks{SignIn: func(string, string, string) {}, Demo: func() {},
		Plans: func(ctx context.Context, server string) ([]api.PlanInfo, error) {
			c, err := api.NewClient(server)
			if err != nil {
				return nil, err
			}
			return c.Plans(ctx)
		},
		SignUp: func(server string, req api.SignUpRequest) { asked <- signUp{server, req} },
		Accept: func(string, string, string, string) {}})
	w := test.NewTempWindow(t, v.Object())
	w.Resize(fyne.NewSize(800, 700))
	ui.Run(func() { test.Tap(findButton(t, v.Object(), "Create a company account")) })
	eventually(t, "a plea for the server", func() bool { return strings.Contains(v.Status(), "server address first") })
	ui.Run(func() {
		v.Server.SetText(srv.URL)
		v.ShowSignUp()
	})
	eventually(t, "the server's plans", func() bool { return len(v.Plan.Options) == 3 })
	ui.Run(func() {
		test.Type(v.Company, "Brit Ltd")
		test.Type(v.Name, "Bea")
		test.Type(v.NewEmail, "bea@brit.test")
		test.Type(v.NewPassword, "a long password")
		v.Country.SetText("united k")
	})
	var options []string
	ui.Run(func() { options = v.Country.Options() })
	if len(options) != 1 || options[0] != "GB · Britain (UK)" {
		t.Fatalf("typing 'united k' offers %v", options)
	}
	ui.Run(func() {
		v.Country.SetText(options[0])
		v.Plan.SetSelectedIndex(1)
		test.Tap(findButton(t, v.Object(), "Create account"))
	})
	var got signUp
	select {
	case got = <-asked:
	case <-time.After(10 * time.Second):
		t.Fatalf("Create account did nothing: %q", v.Status())
	}
	if got.server != srv.URL || got.req.Country != "GB" || got.req.Plan != "team" || got.req.Company != "Brit Ltd" || got.req.Email != "bea@brit.test" {
		t.Fatalf("the sign-up asked: %+v", got)
	}

	// What the app does with it: the account opened, its Owner signed in.
	c, _ := api.NewClient(srv.URL)
	out, err := c.SignUp(context.Background(), got.req)
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := shell(t, ui.Session{Account: c, Me: out.Session.User}, nil)
	var banner string
	ui.Run(func() { banner = sh.Verify.Text() })
	if !strings.Contains(banner, "Verify your email address") || !strings.Contains(sh.Status(), "Owner at Brit Ltd") {
		t.Fatalf("the new Owner's app: banner %q, status %q", banner, sh.Status())
	}
	ui.Run(func() { sh.Verify.SetCode("000000") })
	eventually(t, "the wrong code's answer", func() bool { return strings.Contains(sh.Verify.Text(), "not the one we sent") })
	code := regexp.MustCompile(`(?m)^\s+(\d{6})$`).FindStringSubmatch(box.WaitFor(t, "bea@brit.test", 10*time.Second).Text)
	if code == nil {
		t.Fatal("no code in the email")
	}
	ui.Run(func() { sh.Verify.SetCode(code[1]) })
	eventually(t, "the banner to go", func() bool { return sh.Verify.Text() == "" })
	if me, _ := c.Me(context.Background()); !me.Verified {
		t.Error("verified in the app, not on the server")
	}
	if err := sh.Account.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	var info api.AccountInfo
	var plan string
	ui.Run(func() { info, plan = sh.Account.Info(), sh.Account.PlanText() })
	if info.Name != "Brit Ltd" || info.Zone != "Europe/London" || !strings.Contains(plan, "Team plan") || !strings.Contains(plan, "$29.00 is due") {
		t.Errorf("the Account view: %+v\n%s", info, plan)
	}
}

// TestInvitationLink: an emailed link fills in the invitation form, the
// server with it.
func TestInvitationLink(t *testing.T) {
	test.NewTempApp(t)
	var got []string
	v := ui.NewSignInView("", "", ui.SignInHooks{SignIn: func(string, string, string) {}, Demo: func() {},
		Accept: func(server, token, name, password string) { got = []string{server, token, name, password} }})
	test.NewTempWindow(t, v.Object())
	code := strings.Repeat("A", 43)
	v.ShowInvitation("tether://invite/" + code + "?server=https%3A%2F%2Fphone.example.com")
	test.Type(v.JoinName, "Ann")
	test.Type(v.JoinPassword, "short")
	test.Tap(findButton(t, v.Object(), "Join"))
	if got != nil || !strings.Contains(v.Status(), "10 characters") {
		t.Fatalf("a short password: %v, %q", got, v.Status())
	}
	test.Type(v.JoinPassword, " and longer")
	test.Tap(findButton(t, v.Object(), "Join"))
	if strings.Join(got, "|") != "https://phone.example.com|"+code+"|Ann|short and longer" {
		t.Errorf("joined with %v", got)
	}
}
