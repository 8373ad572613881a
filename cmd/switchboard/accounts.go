package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/company"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/team"
)

// accounts is the operator's provisioning: create, list, suspend, resume.
func accounts(args []string, stdout, stderr io.Writer) int {
	const help = "switchboard accounts: create --data DIR --company NAME --owner EMAIL --country CC [--plan ID], list --data DIR, suspend|resume --data DIR --account ID --reason TEXT"
	if len(args) == 0 {
		fmt.Fprintln(stderr, help)
		return exitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("accounts "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData(), "data directory")
	var name, owner, ctry, plan, public, account, reason *string
	switch sub {
	case "create":
		name = fs.String("company", "", "the company's name")
		owner = fs.String("owner", "", "the Owner's email address (they are invited)")
		ctry = fs.String("country", "", "the company's country, ISO 3166 alpha-2 (sets its region and time zone)")
		plan = fs.String("plan", "starter", "the plan")
		public = fs.String("public-url", "", "the switchboard's account API as people reach it (put in the invitation link)")
	case "list":
	case "suspend", "resume":
		account = fs.String("account", "", "account ID")
		reason = fs.String("reason", "", "why, for the audit trail (and, suspending, what its people are told)")
	default:
		fmt.Fprintln(stderr, help)
		return exitUsage
	}
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard accounts %s: unexpected %q\n", sub, fs.Arg(0))
		return exitUsage
	}
	switch {
	case sub == "create" && (*name == "" || *owner == "" || *ctry == ""):
		fmt.Fprintln(stderr, "switchboard accounts create: --company, --owner and --country are required")
		return exitUsage
	case account != nil && (*account == "" || strings.TrimSpace(*reason) == ""):
		fmt.Fprintf(stderr, "switchboard accounts %s: --account and --reason are required\n", sub)
		return exitUsage
	}
	ctx := context.Background()
	sys, code := openData(ctx, "accounts "+sub, *data, stderr)
	if code != exitOK {
		return code
	}
	defer sys.Close()
	host, _ := os.Hostname()
	audit := func(id, action, detail string) {
		sys.Store.AppendAudit(ctx, team.AuditEntry{Account: id, At: time.Now(), Actor: "operator", Action: action, Target: id,
			Detail: detail, Source: "switchboard accounts on " + host})
	}
	switch sub {
	case "create":
		o, err := company.Open(ctx, company.Stores{Users: sys.Store, Billing: sys.Engine}, company.New{Name: *name, Country: *ctry, Plan: *plan, Owner: *owner})
		if err != nil {
			fmt.Fprintln(stderr, "switchboard accounts create:", err)
			return inputCode(err)
		}
		fmt.Fprintf(stdout, "account %s\n", o.Account)
		fmt.Fprintf(stdout, "owner invitation %s (expires %s)\n", api.InviteLink(o.Invitation, *public), o.Expires.UTC().Format(time.RFC3339))
		fmt.Fprintf(stdout, "token %s\n", o.Invitation)
		fmt.Fprintf(stdout, "send it to %s: they open the link (or paste the token under \"I have an invitation\") and choose a password\n", strings.ToLower(*owner))
	case "list":
		cs, err := sys.Engine.Customers(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "switchboard accounts list:", err)
			return exitFailure
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tCOMPANY\tCOUNTRY\tPLAN\tSEATS\tBALANCE\tSTATUS\tCREATED")
		for _, c := range cs {
			seats, _ := sys.Store.Seats(ctx, c.ID)
			active := 0
			for _, s := range seats {
				if s.Removed.IsZero() {
					active++
				}
			}
			bal := "?"
			if b, err := sys.Engine.Balance(ctx, c.ID); err == nil {
				bal = money.Display(b.Posted, b.Currency)
			}
			status := "active"
			switch {
			case c.Suspended != "":
				status = "suspended: " + c.Suspended
			case c.Verified.IsZero():
				status = "email not verified"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", c.ID, c.Name, c.Region, c.Plan, active, bal, status, c.Created.UTC().Format("2006-01-02"))
		}
		tw.Flush()
	case "suspend":
		if err := sys.Engine.Suspend(ctx, *account, *reason); err != nil {
			fmt.Fprintln(stderr, "switchboard accounts suspend:", err)
			return inputCode(err)
		}
		audit(*account, "account.suspend", strings.TrimSpace(*reason))
		fmt.Fprintf(stdout, "suspended %s: its calls and texts are refused (403) with the reason; nothing is deleted\n", *account)
	case "resume":
		if err := sys.Engine.Reinstate(ctx, *account); err != nil {
			fmt.Fprintln(stderr, "switchboard accounts resume:", err)
			return inputCode(err)
		}
		audit(*account, "account.resume", strings.TrimSpace(*reason))
		fmt.Fprintf(stdout, "resumed %s\n", *account)
	}
	return exitOK
}

// inputCode is exitUsage for what the operator typed wrong (bad input, an
// address already in use, no such account), exitFailure for the rest.
func inputCode(err error) int {
	if errors.Is(err, billing.ErrInvalid) || errors.Is(err, team.ErrInvalid) || errors.Is(err, team.ErrExists) || errors.Is(err, billing.ErrUnknownAccount) {
		return exitUsage
	}
	return exitFailure
}
