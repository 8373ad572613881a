package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/internal/mailbox"
)

// signupEnv is the API on an empty switchboard (no demo) that sends its
// email through a real SMTP server on loopback.
func signupEnv(t *testing.T, sender mail.Sender, closed bool) (*httptest.Server, *system.System) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	sys, err := system.Open(ctx, system.Parts{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	a := api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether",
		SIP: map[string]string{"udp": "127.0.0.1:5060"}, Mail: sender, SignupClosed: closed})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return srv, sys
}

func boxSender(box *mailbox.Server) mail.SMTP {
	return mail.SMTP{Addr: box.Addr, Username: box.Username, Password: box.Password, From: "Tether <no-reply@tether.test>", RootCAs: box.RootCAs}
}

var (
	codeRE   = regexp.MustCompile(`(?m)^\s+(\d{6})$`)
	inviteRE = regexp.MustCompile(`tether://invite/([A-Za-z0-9_-]{43})`)
)

func wantErr(t *testing.T, err error, status int, code string) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != status || ae.Code != code {
		t.Errorf("got %v, want %d %s", err, status, code)
	}
}

// TestSignUp: a company signs up, verifies its address from the code in
// the delivered email, and only then saves a card, adds credits and
// invites; two teammates accept from their delivered emails; a revoked
// invitation and a replaced one stop working.
func TestSignUp(t *testing.T) {
	box := mailbox.Start(t)
	srv, _ := signupEnv(t, boxSender(box), false)
	ctx := context.Background()
	owner, _ := api.NewClient(srv.URL)
	plans, err := owner.Plans(ctx)
	if err != nil || len(plans) < 3 || plans[0].ID != "starter" || plans[0].Price != "19.00" || plans[1].Minutes != 1000 {
		t.Fatalf("plans: %+v, %v", plans, err)
	}
	out, err := owner.SignUp(ctx, api.SignUpRequest{Company: "Brit Ltd", Name: "Bea", Email: "Bea@Brit.test", Password: "a long password", Country: "gb", Plan: "team"})
	if err != nil {
		t.Fatal(err)
	}
	u := out.Session.User
	if u.Role != "owner" || u.Verified || u.Zone != "Europe/London" || u.Region != "GB" || u.AccountName != "Brit Ltd" || u.Name != "Bea" || !out.Emailed {
		t.Fatalf("signed up: %+v", out)
	}
	msg := box.WaitFor(t, "bea@brit.test", 10*time.Second)
	m := codeRE.FindStringSubmatch(msg.Text)
	if m == nil || !strings.Contains(msg.Subject, m[1]) || !strings.Contains(msg.Text, "Brit Ltd") {
		t.Fatalf("the code email: %q\n%s", msg.Subject, msg.Text)
	}
	code := m[1]

	// Nothing that moves money before the address is verified.
	_, err = owner.SaveCard(ctx, api.CardRequest{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"})
	wantErr(t, err, 403, "unverified")
	_, err = owner.AddCredits(ctx, "20.00", api.NewIdempotencyKey("t"))
	wantErr(t, err, 403, "unverified")
	_, err = owner.Invite(ctx, "ann@brit.test", "member")
	wantErr(t, err, 403, "unverified")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantErr(t, owner.Verify(ctx, wrong), 422, "wrong_code")
	if err := owner.Verify(ctx, code); err != nil {
		t.Fatal(err)
	}
	if me, _ := owner.Me(ctx); !me.Verified {
		t.Errorf("after verifying: %+v", me)
	}
	if _, err := owner.SaveCard(ctx, api.CardRequest{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}); err != nil {
		t.Fatal(err)
	}
	if tu, err := owner.AddCredits(ctx, "20.00", api.NewIdempotencyKey("t")); err != nil || tu.Status != "succeeded" {
		t.Fatalf("add credits: %+v, %v", tu, err)
	}

	// Two teammates invited by email; each accepts from the delivered link.
	for _, who := range []struct{ email, role, name string }{{"ann@brit.test", "member", "Ann"}, {"bob@brit.test", "admin", "Bob"}} {
		in, err := owner.Invite(ctx, who.email, who.role)
		if err != nil || !in.Emailed || in.Link != "tether://invite/"+in.Token {
			t.Fatalf("invite %s: %+v, %v", who.email, in, err)
		}
		got := box.WaitFor(t, who.email, 10*time.Second)
		m := inviteRE.FindStringSubmatch(got.Text)
		if m == nil || m[1] != in.Token || !strings.Contains(got.Subject, "Brit Ltd") || !strings.Contains(got.Text, who.role) {
			t.Fatalf("the invitation email to %s: %q\n%s", who.email, got.Subject, got.Text)
		}
		c, _ := api.NewClient(srv.URL)
		joined, err := c.AcceptInvitation(ctx, m[1], "their own password", who.name)
		if err != nil || joined.Account != u.Account || joined.Role != who.role || joined.Name != who.name {
			t.Fatalf("accept %s: %+v, %v", who.email, joined, err)
		}
		if _, err := c.SignIn(ctx, who.email, "their own password"); err != nil {
			t.Errorf("%s signs in: %v", who.email, err)
		}
	}
	team, _ := owner.Team(ctx)
	if len(team) != 3 {
		t.Errorf("the team: %+v", team)
	}
	// The seats: the Owner's charged when the card came, each teammate's
	// as they joined (prorated; today, the whole cycle), all to the card.
	sub, err := owner.Subscription(ctx)
	seats := 0
	for _, ch := range sub.Charges {
		if ch.Kind == "seat" && ch.Status == "paid" && ch.Amount == "29.00" {
			seats++
		}
	}
	if err != nil || sub.Seats != 3 || sub.PerCycle != "87.00" || seats != 2 || sub.Due != "0.00" {
		t.Errorf("the subscription with three people: %+v, %v", sub, err)
	}

	// Revoked: the emailed token no longer works.
	carl, _ := owner.Invite(ctx, "carl@brit.test", "member")
	if pending, _ := owner.Invitations(ctx); len(pending) != 1 || pending[0].Email != "carl@brit.test" || pending[0].Token != "" {
		t.Errorf("pending: %+v", pending)
	}
	if err := owner.RevokeInvitation(ctx, "carl@brit.test"); err != nil {
		t.Fatal(err)
	}
	c, _ := api.NewClient(srv.URL)
	_, err = c.AcceptInvitation(ctx, carl.Token, "carl's password")
	wantErr(t, err, 404, "not_found")
	wantErr(t, owner.RevokeInvitation(ctx, "carl@brit.test"), 404, "not_found")

	// Sent again: a new token; the first stops working.
	dee, _ := owner.Invite(ctx, "dee@brit.test", "member")
	again, err := owner.ResendInvitation(ctx, "dee@brit.test")
	if err != nil || again.Token == dee.Token || !again.Emailed {
		t.Fatalf("resend: %+v, %v", again, err)
	}
	if m := inviteRE.FindStringSubmatch(box.WaitFor(t, "dee@brit.test", 5*time.Second).Text); m == nil || m[1] != again.Token {
		t.Errorf("the resent email carries %v, want %s", m, again.Token)
	}
	_, err = c.AcceptInvitation(ctx, dee.Token, "dee's password")
	wantErr(t, err, 404, "not_found")
	if _, err := c.AcceptInvitation(ctx, again.Token, "dee's password"); err != nil {
		t.Errorf("the new token: %v", err)
	}

	// The same address cannot sign up again.
	other, _ := api.NewClient(srv.URL)
	_, err = other.SignUp(ctx, api.SignUpRequest{Company: "Again", Email: "bea@brit.test", Password: "a long password", Country: "GB", Plan: "team"})
	wantErr(t, err, 409, "conflict")
}

// TestSignUpInput: bad sign-ups get a clear 400 and open nothing; a
// closed switchboard refuses them; with the mail server down the account
// opens, says the code was not sent, and a new one can be asked for at
// once.
func TestSignUpInput(t *testing.T) {
	srv, sys := signupEnv(t, mail.SMTP{Addr: "127.0.0.1:1", From: "t@tether.test", Security: "none", Timeout: 2 * time.Second}, false)
	ctx := context.Background()
	good := api.SignUpRequest{Company: "Acme", Email: "a@acme.test", Password: "a long password", Country: "US", Plan: "starter"}
	for _, bad := range []func(*api.SignUpRequest){
		func(r *api.SignUpRequest) { r.Company = "" },
		func(r *api.SignUpRequest) { r.Company = strings.Repeat("x", 101) },
		func(r *api.SignUpRequest) { r.Email = "nobody" },
		func(r *api.SignUpRequest) { r.Password = "short" },
		func(r *api.SignUpRequest) { r.Country = "XX" },
		func(r *api.SignUpRequest) { r.Country = "" },
		func(r *api.SignUpRequest) { r.Plan = "" },
		func(r *api.SignUpRequest) { r.Plan = "gold" },
		func(r *api.SignUpRequest) { r.Name = "two\nlines" },
	} {
		req := good
		bad(&req)
		c, _ := api.NewClient(srv.URL)
		_, err := c.SignUp(ctx, req)
		wantErr(t, err, 400, "bad_input")
	}
	if all, _ := sys.Engine.Customers(ctx); len(all) != 0 {
		t.Errorf("accounts opened by bad sign-ups: %+v", all)
	}
	c, _ := api.NewClient(srv.URL)
	out, err := c.SignUp(ctx, good)
	if err != nil || out.Emailed || out.EmailError == "" {
		t.Fatalf("with the mail server down: %+v, %v", out, err)
	}
	// Not sent, so not "too soon": another try is taken (and fails again).
	var ae *api.Error
	if err := c.ResendCode(ctx); !errors.As(err, &ae) || ae.Status != http.StatusBadGateway {
		t.Errorf("resend with the mail server down: %v", err)
	}

	closed, _ := signupEnv(t, nil, true)
	c2, _ := api.NewClient(closed.URL)
	_, err = c2.SignUp(ctx, good)
	wantErr(t, err, 403, "signup_closed")
}

// TestAccountSettings: the owner renames the company, moves it to another
// country (its zone follows unless given), sets a caller ID among its
// numbers; a member cannot.
func TestAccountSettings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, _ := api.NewClient(e.srv.URL)
	owner.Token = e.tokens["owner"]
	name, ie := "Demo Ireland", "ie"
	a, err := owner.SetAccount(ctx, api.AccountRequest{Name: &name, Country: &ie})
	if err != nil || a.Name != name || a.Country != "IE" || a.Zone != "Europe/Dublin" || a.Plan.ID != "team" || !a.Verified {
		t.Fatalf("renamed and moved: %+v, %v", a, err)
	}
	zone, caller := "Europe/London", "+14155550101"
	if a, err = owner.SetAccount(ctx, api.AccountRequest{Zone: &zone, CallerID: &caller}); err != nil || a.Zone != zone || a.CallerID != caller || a.Country != "IE" {
		t.Fatalf("zone and caller ID: %+v, %v", a, err)
	}
	for _, bad := range []api.AccountRequest{{Zone: ptr("Mars/Base")}, {Country: ptr("XX")}, {Name: ptr("")}, {CallerID: ptr("+442071234567")}} {
		_, err := owner.SetAccount(ctx, bad)
		wantErr(t, err, 400, "bad_input")
	}
	if a, _ := owner.Account(ctx); a.Zone != zone || a.Name != name {
		t.Errorf("after refusals: %+v", a)
	}
	if me, _ := owner.Me(ctx); me.AccountName != name || me.Zone != zone {
		t.Errorf("me: %+v", me)
	}
	rep, _ := api.NewClient(e.srv.URL)
	rep.Token = e.tokens["member"]
	_, err = rep.SetAccount(ctx, api.AccountRequest{Name: &name})
	wantErr(t, err, 403, "forbidden")
}

func ptr(s string) *string { return &s }

// TestSubscriptionAndReceipts: the owner sees the plan, seats, next
// billing day and charges; upgrades (charged to the card at once) and
// downgrades (from the billing day); every payment has a receipt, as JSON
// and as a printable page; a member sees none of it.
func TestSubscriptionAndReceipts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, _ := api.NewClient(e.srv.URL)
	owner.Token = e.tokens["owner"]
	sub, err := owner.Subscription(ctx)
	if err != nil || sub.Plan.ID != "team" || sub.Seats != 3 || sub.PerCycle != "87.00" || sub.Due != "0.00" || sub.SuspendOn != nil || len(sub.Charges) != 3 {
		t.Fatalf("the demo's subscription: %+v, %v", sub, err)
	}
	if sub, err = owner.ChangePlan(ctx, "pro"); err != nil || sub.Plan.ID != "pro" || sub.Charges[0].Kind != "upgrade" || sub.Charges[0].Status != "paid" {
		t.Fatalf("upgrade: %+v, %v", sub, err)
	}
	if sub, err = owner.ChangePlan(ctx, "starter"); err != nil || sub.Plan.ID != "pro" || sub.NextPlan == nil || sub.NextPlan.ID != "starter" {
		t.Fatalf("downgrade: %+v, %v", sub, err)
	}
	_, err = owner.ChangePlan(ctx, "gold")
	wantErr(t, err, 400, "bad_input")
	if _, err := owner.AddCredits(ctx, "15.00", api.NewIdempotencyKey("r")); err != nil {
		t.Fatal(err)
	}
	rs, err := owner.Receipts(ctx)
	if err != nil || len(rs) != 5 || rs[0].Kind != "credits" || rs[0].Amount != "15.00" || rs[0].PaidWith != "Visa •••• 4242" || rs[1].Kind != "subscription" {
		t.Fatalf("receipts: %+v, %v", rs, err)
	}
	page, err := owner.ReceiptHTML(ctx, rs[1].ID)
	if err != nil || !strings.Contains(string(page), "Demo Company") || !strings.Contains(string(page), "$"+rs[1].Amount) ||
		!strings.Contains(string(page), "upgrade to the pro plan") {
		t.Errorf("the receipt page: %v\n%s", err, page)
	}
	_, err = owner.ReceiptHTML(ctx, "sub_0000000000000000")
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != 404 {
		t.Errorf("a receipt that is not there: %v", err)
	}
	rep, _ := api.NewClient(e.srv.URL)
	rep.Token = e.tokens["member"]
	_, err = rep.Receipts(ctx)
	wantErr(t, err, 403, "forbidden")
}

// TestNoMailServer: on a switchboard with no mail server an invitation
// is kept in the operator's outbox, and says so rather than claiming it
// was emailed; its link carries the server's public address.
func TestNoMailServer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sys, err := system.Open(ctx, system.Parts{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	outbox := filepath.Join(dir, "outbox")
	srv := httptest.NewServer(api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir, Realm: "tether",
		Mail: mail.Dir{Path: outbox}, PublicURL: "https://phone.example.com"}))
	t.Cleanup(srv.Close)
	c, _ := api.NewClient(srv.URL)
	out, err := c.SignUp(ctx, api.SignUpRequest{Company: "Acme", Email: "o@acme.test", Password: "a long password", Country: "US", Plan: "team"})
	if err != nil || out.Emailed || !strings.Contains(out.EmailError, "outbox") {
		t.Fatalf("sign-up without a mail server: %+v, %v", out, err)
	}
	files, _ := filepath.Glob(filepath.Join(outbox, "*o@acme.test*.eml"))
	if len(files) != 1 {
		t.Fatalf("the outbox: %v", files)
	}
	b, _ := os.ReadFile(files[0])
	code := regexp.MustCompile(`(?m)^\s+(\d{6})\r?$`).FindSubmatch(b)
	if code == nil {
		t.Fatalf("no code in the kept message:\n%s", b)
	}
	if err := c.Verify(ctx, string(code[1])); err != nil {
		t.Fatal(err)
	}
	in, err := c.Invite(ctx, "ann@acme.test", "member")
	if err != nil || in.Emailed || !strings.Contains(in.EmailError, "outbox") || in.Link != "tether://invite/"+in.Token+"?server=https%3A%2F%2Fphone.example.com" {
		t.Fatalf("an invitation without a mail server: %+v, %v", in, err)
	}
	if code, server := api.ParseInviteLink(in.Link); code != in.Token || server != "https://phone.example.com" {
		t.Errorf("the link reads back as %q, %q", code, server)
	}
}
