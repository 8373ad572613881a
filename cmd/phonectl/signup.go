package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/billing"
)

// publicCommands need the account API but no sign-in.
var publicCommands = map[string]func(context.Context, *api.Client, []string, out, io.Writer) int{
	"signup":            cmdSignUp,
	"accept-invitation": cmdAcceptInvitation,
	"plans":             cmdPlans,
}

// runPublic runs a command that needs no sign-in.
func runPublic(ctx context.Context, server, cmd string, args []string, o out, stderr io.Writer) int {
	if server == "" {
		fmt.Fprintf(stderr, "phonectl: %s needs --server URL\n", cmd)
		return exitUsage
	}
	c, err := api.NewClient(server)
	if err != nil {
		fmt.Fprintln(stderr, "phonectl:", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return publicCommands[cmd](ctx, c, args, o, stderr)
}

func cmdPlans(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	if len(args) > 0 {
		return usageErr(stderr, nil, "plans takes no arguments")
	}
	ps, err := c.Plans(ctx)
	if err != nil {
		return outcome(o, err, "")
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, fmt.Sprintf("%-8s %-8s %s %s per seat a month: %s", p.ID, p.Name, p.Price, p.Currency, p.Summary))
	}
	show(o, "plans", ps, lines...)
	return outcome(o, nil, fmt.Sprintf("%d plans", len(ps)))
}

func cmdSignUp(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	fs := flagSet("signup", stderr)
	var req api.SignUpRequest
	fs.StringVar(&req.Company, "company", "", "the company's name")
	fs.StringVar(&req.Name, "name", "", "your name, as teammates will see it")
	fs.StringVar(&req.Email, "email", "", "your email address: you sign in with it, and a code is sent to it")
	fs.StringVar(&req.Password, "password", "", "your password (10 characters or more)")
	fs.StringVar(&req.Country, "country", "", "the company's country, ISO 3166 alpha-2 (US, GB, ...): sets its region and time zone")
	fs.StringVar(&req.Plan, "plan", "starter", `the plan ("phonectl --server URL plans" lists them)`)
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) > 0 {
		return usageErr(stderr, err, "signup --company NAME --email E --password P --country CC [--plan ID] [--name N]")
	}
	if req.Company == "" || req.Email == "" || req.Password == "" || req.Country == "" {
		return usageErr(stderr, nil, "signup needs --company, --email, --password and --country")
	}
	out, err := c.SignUp(ctx, req)
	if err != nil {
		return outcome(o, err, "")
	}
	u := out.Session.User
	lines := []string{fmt.Sprintf("opened %s (%s) for %s: you are its Owner, extension %s", u.AccountName, u.Account, u.Email, u.Extension)}
	if out.Emailed {
		lines = append(lines, fmt.Sprintf("a code was emailed to %s; enter it with: phonectl --server URL --user %s --password ... verify CODE", out.CodeSentTo, u.Email))
	} else {
		lines = append(lines, "the code could not be emailed ("+out.EmailError+"); ask for another with: verify --resend")
	}
	lines = append(lines, "no money moves (card, credits, invitations) until the address is verified")
	c.SignOut(ctx)
	show(o, "signup", out.Session.User, lines...)
	return outcome(o, nil, "signed up "+u.Account)
}

func cmdAcceptInvitation(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	fs := flagSet("accept-invitation", stderr)
	password := fs.String("password", "", "the password you choose (10 characters or more)")
	name := fs.String("name", "", "your name, as teammates will see it")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) != 1 || *password == "" {
		return usageErr(stderr, err, "accept-invitation TOKEN --password P [--name N] (TOKEN as emailed, or the tether://invite/ link)")
	}
	token, _ := api.ParseInviteLink(pos[0])
	u, err := c.AcceptInvitation(ctx, token, *password, *name)
	if err != nil {
		return outcome(o, err, "")
	}
	show(o, "joined", u, fmt.Sprintf("joined %s as %s, extension %s: sign in as %s", u.Account, u.Role, u.Extension, u.Email))
	return outcome(o, nil, "joined "+u.Account)
}

func cmdVerify(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	fs := flagSet("verify", stderr)
	resend := fs.Bool("resend", false, "email a new code instead")
	pos, err := parseArgs(fs, args)
	if err != nil || *resend && len(pos) != 0 || !*resend && len(pos) != 1 {
		return usageErr(stderr, err, "verify CODE, or verify --resend")
	}
	if *resend {
		return outcome(o, c.ResendCode(ctx), "a new code was emailed")
	}
	return outcome(o, c.Verify(ctx, pos[0]), "verified: cards, credits and invitations work now")
}

func cmdAccount(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	sub := "show"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "show":
		if len(args) > 0 {
			return usageErr(stderr, nil, "account [show | set ...]")
		}
		a, err := c.Account(ctx)
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "account", a, accountLines(a)...)
		return outcome(o, nil, "ok")
	case "set":
		fs := flagSet("account set", stderr)
		var req api.AccountRequest
		set := func(name, usage string, p **string) {
			fs.Func(name, usage, func(v string) error { *p = &v; return nil })
		}
		set("name", "the company's name", &req.Name)
		set("country", "the company's country, ISO 3166 alpha-2 (its time zone follows unless --zone is given)", &req.Country)
		set("zone", "the company's time zone (IANA, Europe/London)", &req.Zone)
		set("caller-id", `the number calls show by default (one of the account's; "" for each person's own)`, &req.CallerID)
		pos, err := parseArgs(fs, args)
		if err != nil || len(pos) > 0 {
			return usageErr(stderr, err, "account set [--name N] [--country CC] [--zone Z] [--caller-id NUMBER]")
		}
		a, err := c.SetAccount(ctx, req)
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "account", a, accountLines(a)...)
		return outcome(o, nil, "saved")
	}
	return usageErr(stderr, nil, "account [show | set [--name N] [--country CC] [--zone Z] [--caller-id NUMBER]]")
}

func accountLines(a api.AccountInfo) []string {
	status := "verified"
	switch {
	case a.Suspended != "":
		status = "suspended: " + a.Suspended
	case !a.Verified:
		status = "email address not verified yet"
	}
	caller := a.CallerID
	if caller == "" {
		caller = "each person's own number"
	}
	return []string{
		fmt.Sprintf("%s (%s), %s", a.Name, a.ID, status),
		fmt.Sprintf("country %s, time zone %s, currency %s", a.Country, a.Zone, a.Currency),
		fmt.Sprintf("plan %s: %s %s per seat a month (%s)", a.Plan.Name, a.Plan.Price, a.Plan.Currency, a.Plan.Summary),
		"caller ID: " + caller,
	}
}

func cmdSubscription(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	var s api.SubscriptionInfo
	var err error
	switch {
	case len(args) == 0:
		s, err = c.Subscription(ctx)
	case len(args) == 2 && args[0] == "plan":
		s, err = c.ChangePlan(ctx, args[1])
	default:
		return usageErr(stderr, nil, "subscription [plan ID]")
	}
	if err != nil {
		return outcome(o, err, "")
	}
	lines := []string{fmt.Sprintf("%s plan, %s: %s %s each billing day; next on %s", s.Plan.Name, billing.Seats(s.Seats), s.PerCycle, s.Currency,
		s.CycleEnd.Local().Format("2006-01-02"))}
	if s.NextPlan != nil {
		lines = append(lines, fmt.Sprintf("moving to the %s plan on %s", s.NextPlan.Name, s.CycleEnd.Local().Format("2006-01-02")))
	}
	if s.SuspendOn != nil {
		lines = append(lines, fmt.Sprintf("due: %s %s; the account is suspended on %s unless it is paid", s.Due, s.Currency, s.SuspendOn.Local().Format("2006-01-02")))
	}
	for _, ch := range s.Charges {
		line := fmt.Sprintf("  %s  %-7s %8s  %s", ch.Created.Local().Format("2006-01-02"), ch.Status, ch.Amount, ch.Description)
		if ch.Failure != "" {
			line += " (" + ch.Failure + ")"
		}
		lines = append(lines, line)
	}
	show(o, "subscription", s, lines...)
	return outcome(o, nil, "ok")
}

func cmdReceipts(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	fs := flagSet("receipts", stderr)
	save := fs.String("save", "", "write receipt ID's printable page to this file (with ID as the argument)")
	pos, err := parseArgs(fs, args)
	switch {
	case err != nil || len(pos) > 1 || (*save != "") != (len(pos) == 1):
		return usageErr(stderr, err, "receipts, or receipts ID --save FILE.html")
	case len(pos) == 1:
		page, err := c.ReceiptHTML(ctx, pos[0])
		if err != nil {
			return outcome(o, err, "")
		}
		if err := os.WriteFile(*save, page, 0o644); err != nil {
			fmt.Fprintln(stderr, "phonectl:", err)
			return exitFailure
		}
		return outcome(o, nil, "saved "+*save)
	}
	rs, err := c.Receipts(ctx)
	if err != nil {
		return outcome(o, err, "")
	}
	var lines []string
	for _, r := range rs {
		lines = append(lines, fmt.Sprintf("%-20s %s  %8s %s  %-12s %s (%s)", r.ID, r.At.Local().Format("2006-01-02"), r.Amount, r.Currency, r.Kind, r.Description, r.PaidWith))
	}
	show(o, "receipts", rs, lines...)
	return outcome(o, nil, fmt.Sprintf("%d receipts", len(rs)))
}
