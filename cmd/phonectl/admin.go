package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/team"
)

// accountCommands need only the account API, no phone.
var accountCommands = map[string]func(context.Context, *api.Client, []string, out, io.Writer) int{
	"credits":       cmdCredits,
	"topup":         cmdTopUp,
	"numbers":       cmdNumbers,
	"team":          cmdTeam,
	"verify":        cmdVerify,
	"account":       cmdAccount,
	"subscription":  cmdSubscription,
	"receipts":      cmdReceipts,
	"keys":          cmdKeys,
	"webhooks":      cmdWebhooks,
	"click-to-call": cmdClickToCall,
	"integrations":  cmdIntegrations,
	"dispose":       cmdDispose,
}

// runAccount signs in and runs an account command.
func runAccount(ctx context.Context, server, email, password, cmd string, args []string, o out, stderr io.Writer) int {
	if server == "" || email == "" || password == "" {
		fmt.Fprintf(stderr, "phonectl: %s needs --server URL --user EMAIL --password P\n", cmd)
		return exitUsage
	}
	c, err := api.NewClient(server)
	if err != nil {
		fmt.Fprintln(stderr, "phonectl:", err)
		return exitUsage
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := c.SignIn(sctx, email, password); err != nil {
		return outcome(o, err, "")
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.SignOut(rctx)
	}()
	return accountCommands[cmd](sctx, c, args, o, stderr)
}

// show prints an answer: text lines, or with --json the answer as data.
func show(o out, kind string, data any, lines ...string) {
	if o.json {
		o.event(kind, "", map[string]any{"data": data})
		return
	}
	for _, l := range lines {
		fmt.Fprintln(o.w, l)
	}
}

// checkAmount reads an amount of dollars and cents ("25", "$25.00") into
// the form the API takes ("25.00"), or says what is wrong with it.
func checkAmount(stderr io.Writer, what string, s *string) bool {
	d, err := money.Parse(*s, 2, false)
	if err != nil {
		fmt.Fprintf(stderr, "phonectl: %s %q is not an amount of dollars and cents (25 or 25.00)\n", what, *s)
		return false
	}
	*s = d.StringFixed(2)
	return true
}

func cmdCredits(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	sub := "show"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "show":
		if len(args) > 0 {
			return usageErr(stderr, nil, "credits takes no arguments (credits add AMOUNT, credits history)")
		}
		b, err := c.Balance(ctx)
		if err != nil {
			return outcome(o, err, "")
		}
		lines := []string{fmt.Sprintf("credit gate: %s", b.Gate)}
		if b.Available != "" {
			lines = append(lines, fmt.Sprintf("available: %s %s (posted %s, reserved %s)", b.Available, b.Currency, b.Posted, b.Reserved))
		}
		if b.Bundle != nil {
			lines = append(lines, fmt.Sprintf("bundle (%s plan, until %s): %d of %d minutes, %d of %d texts left", b.Bundle.Plan,
				b.Bundle.CycleEnds.Format("2006-01-02"), b.Bundle.MinutesLeft, b.Bundle.MinutesAll, b.Bundle.SMSLeft, b.Bundle.SMSAll))
		}
		if b.Reason != "" {
			lines = append(lines, b.Reason)
		}
		show(o, "balance", b, lines...)
		return outcome(o, nil, "ok")
	case "add":
		fs := flag.NewFlagSet("credits add", flag.ContinueOnError)
		fs.SetOutput(stderr)
		key := fs.String("key", "", "idempotency key (default: a fresh random one; give the same one to retry safely)")
		pos, err := parseArgs(fs, args)
		if err != nil || len(pos) != 1 {
			return usageErr(stderr, err, "credits add takes AMOUNT")
		}
		amount := pos[0]
		if !checkAmount(stderr, "AMOUNT", &amount) {
			return exitUsage
		}
		if *key == "" {
			*key = api.NewIdempotencyKey("phonectl")
		}
		t, err := c.AddCredits(ctx, amount, *key)
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "topup", t, fmt.Sprintf("added %s (%s, payment %s)", t.Amount, t.Status, t.ID))
		return outcome(o, nil, "added "+t.Amount)
	case "history":
		fs := flag.NewFlagSet("credits history", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var f api.TransactionFilter
		fs.StringVar(&f.Since, "since", "", "from this day, YYYY-MM-DD")
		fs.StringVar(&f.Until, "until", "", "to this day, YYYY-MM-DD")
		fs.StringVar(&f.Type, "type", "", "only this type (payment, international-call, number-rental, ...)")
		fs.IntVar(&f.Limit, "limit", 50, "at most this many")
		fs.IntVar(&f.Offset, "offset", 0, "skip this many (for the next page)")
		pos, err := parseArgs(fs, args)
		if err != nil || len(pos) > 0 {
			return usageErr(stderr, err, "credits history takes flags only")
		}
		p, err := c.Transactions(ctx, f)
		if err != nil {
			return outcome(o, err, "")
		}
		var lines []string
		for _, t := range p.Items {
			lines = append(lines, fmt.Sprintf("%s  %10s  %-20s %s", t.At.Local().Format("2006-01-02 15:04"), t.Amount, t.Type, cmp.Or(t.Memo, t.Ref)))
		}
		if p.NextOffset > 0 {
			lines = append(lines, fmt.Sprintf("(more: --offset %d)", p.NextOffset))
		}
		show(o, "transactions", p, lines...)
		return outcome(o, nil, fmt.Sprintf("%d transactions", len(p.Items)))
	}
	return usageErr(stderr, nil, "credits [add AMOUNT | history]")
}

func cmdTopUp(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	fs := flag.NewFlagSet("topup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	threshold := fs.String("threshold", "", "top up when available credit falls below this")
	amount := fs.String("amount", "", "add this much each time")
	off := fs.Bool("off", false, "turn auto top-up off")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) > 0 || (*off && (*threshold != "" || *amount != "")) {
		return usageErr(stderr, err, "topup [--threshold T --amount A | --off]")
	}
	for what, v := range map[string]*string{"--threshold": threshold, "--amount": amount} {
		if *v != "" && !checkAmount(stderr, what, v) {
			return exitUsage
		}
	}
	var t api.TopUpSettings
	switch {
	case *off:
		t, err = c.SetTopUp(ctx, false, "", "")
	case *threshold != "" || *amount != "":
		t, err = c.SetTopUp(ctx, true, *threshold, *amount)
	default:
		t, err = c.TopUp(ctx)
	}
	if err != nil {
		return outcome(o, err, "")
	}
	state := "off"
	if t.Enabled {
		state = fmt.Sprintf("on: add %s when available credit falls below %s (at most %d a day, %s a month)", t.Amount, t.Threshold, t.DailyCount, t.MonthlyCap)
	}
	lines := []string{"auto top-up " + state, fmt.Sprintf("suggested threshold: %s. %s", t.Suggested.Threshold, t.Suggested.Basis)}
	if t.Disabled != "" {
		lines = append(lines, "turned itself off: "+t.Disabled)
	}
	show(o, "topup", t, lines...)
	return outcome(o, nil, "auto top-up "+strings.SplitN(state, ":", 2)[0])
}

func numberLine(n api.NumberInfo) string {
	who := strings.Join(n.Members, ", ")
	if n.Shared {
		who = "shared: " + who
	}
	return fmt.Sprintf("%-16s %-18s %-9s %-8s %s", n.Number, n.Display, n.Type, n.Routing, who)
}

func onOff(s string) (*bool, error) {
	switch s {
	case "":
		return nil, nil
	case "on", "true", "yes":
		b := true
		return &b, nil
	case "off", "false", "no":
		b := false
		return &b, nil
	}
	return nil, fmt.Errorf("%q is not on or off", s)
}

func cmdNumbers(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"list"}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		ns, err := c.Numbers(ctx)
		if err != nil {
			return outcome(o, err, "")
		}
		var lines []string
		for _, n := range ns {
			lines = append(lines, numberLine(n))
		}
		show(o, "numbers", ns, lines...)
		return outcome(o, nil, fmt.Sprintf("%d numbers", len(ns)))
	case "search":
		fs := flag.NewFlagSet("numbers search", flag.ContinueOnError)
		fs.SetOutput(stderr)
		limit := fs.Int("limit", 10, "at most this many")
		pos, err := parseArgs(fs, args)
		if err != nil || len(pos) < 1 || len(pos) > 2 {
			return usageErr(stderr, err, "numbers search COUNTRY [local|mobile|toll-free|national]")
		}
		kind := ""
		if len(pos) == 2 {
			kind = pos[1]
		}
		offers, err := c.SearchNumbers(ctx, strings.ToUpper(pos[0]), kind, *limit)
		if err != nil {
			return outcome(o, err, "")
		}
		var lines []string
		for _, of := range offers {
			lines = append(lines, fmt.Sprintf("%-16s %-20s %-9s %s/month", of.E164, of.Display, of.Kind, of.Price))
		}
		show(o, "offers", offers, lines...)
		return outcome(o, nil, fmt.Sprintf("%d numbers on offer", len(offers)))
	case "buy":
		pos, err := parseArgs(flagSet("numbers buy", stderr), args)
		if err != nil || len(pos) != 1 {
			return usageErr(stderr, err, "numbers buy NUMBER")
		}
		n, err := c.BuyNumber(ctx, pos[0])
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "number", n, numberLine(n))
		return outcome(o, nil, fmt.Sprintf("bought %s (%s a month)", n.Number, n.Monthly))
	case "release":
		pos, err := parseArgs(flagSet("numbers release", stderr), args)
		if err != nil || len(pos) != 1 {
			return usageErr(stderr, err, "numbers release NUMBER")
		}
		return outcome(o, c.ReleaseNumber(ctx, pos[0]), "released "+pos[0])
	case "assign", "share":
		pos, err := parseArgs(flagSet("numbers "+sub, stderr), args)
		if err != nil || len(pos) < 2 || (sub == "assign" && len(pos) != 2) {
			return usageErr(stderr, err, "numbers assign NUMBER EMAIL | numbers share NUMBER EMAIL...")
		}
		n, err := c.SetMembers(ctx, pos[0], pos[1:]...)
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "number", n, numberLine(n))
		return outcome(o, nil, "answered by "+strings.Join(n.Members, ", "))
	case "settings":
		return numberSettings(ctx, c, args, o, stderr)
	}
	return usageErr(stderr, nil, "numbers [list | search COUNTRY [TYPE] | buy NUMBER | release NUMBER | assign NUMBER EMAIL | share NUMBER EMAIL... | settings NUMBER [flags]]")
}

func flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func numberSettings(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	fs := flagSet("numbers settings", stderr)
	hours := fs.String("hours", "", `business hours: "mon-fri 09:00-17:00", "always", "never"`)
	zone := fs.String("zone", "", "the hours' time zone (IANA, America/New_York)")
	routing := fs.String("routing", "", "in hours: members, ivr, forward or voicemail")
	forward := fs.String("forward", "", `forward to this outside number ("none" stops)`)
	afterHours := fs.String("forward-after-hours", "", "on: forward only outside business hours")
	record := fs.String("record", "", "record calls: on or off")
	voicemail := fs.String("voicemail", "", "voicemail: on or off")
	transcribe := fs.String("transcribe", "", "transcribe voicemail: on or off")
	greeting := fs.String("greeting", "", `the voicemail greeting: a WAV file (16-bit PCM, up to a minute) callers hear before the beep; "standard" puts the standard one back`)
	menu := fs.String("menu", "", "the IVR menu, a JSON file (see the OpenAPI document's Menu)")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) != 1 {
		return usageErr(stderr, err, "numbers settings NUMBER [flags]")
	}
	var req api.SettingsRequest
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if len(set) == 0 {
		n, err := c.Number(ctx, pos[0])
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "number", n, numberLine(n), fmt.Sprintf("hours: %s (%s), open now: %t", n.Hours, n.Zone, n.OpenNow),
			fmt.Sprintf("forward: %q (after hours only: %t); record: %t; voicemail: %t; transcribe: %t", n.Forward, n.ForwardAfterHours, n.Record, n.Voicemail, n.Transcribe))
		return outcome(o, nil, "ok")
	}
	if set["hours"] {
		req.Hours = hours
	}
	if set["zone"] {
		req.Zone = zone
	}
	if set["routing"] {
		req.Routing = routing
	}
	if set["forward"] {
		f := *forward
		if f == "none" {
			f = ""
		}
		req.Forward = &f
	}
	if set["greeting"] {
		var n api.NumberInfo
		var err error
		if *greeting == "standard" {
			n, err = c.RemoveGreeting(ctx, pos[0])
		} else {
			wav, rerr := os.ReadFile(*greeting)
			if rerr != nil {
				fmt.Fprintln(stderr, "phonectl: --greeting:", rerr)
				return exitUsage
			}
			n, err = c.SetGreeting(ctx, pos[0], wav)
		}
		if err != nil {
			return outcome(o, err, "")
		}
		delete(set, "greeting")
		if len(set) == 0 {
			show(o, "number", n, numberLine(n), "greeting: "+cmp.Or(n.Greeting, "the standard one"))
			return outcome(o, nil, "ok")
		}
	}
	for name, v := range map[string]struct {
		s  string
		to **bool
	}{"forward-after-hours": {*afterHours, &req.ForwardAfterHours}, "record": {*record, &req.Record}, "voicemail": {*voicemail, &req.Voicemail}, "transcribe": {*transcribe, &req.Transcribe}} {
		if !set[name] {
			continue
		}
		b, err := onOff(v.s)
		if err != nil || b == nil {
			return usageErr(stderr, nil, "--"+name+" is on or off")
		}
		*v.to = b
	}
	if set["menu"] {
		data, err := os.ReadFile(*menu)
		if err != nil {
			fmt.Fprintln(stderr, "phonectl: --menu:", err)
			return exitUsage
		}
		var m team.Menu
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			fmt.Fprintln(stderr, "phonectl: --menu: the file is not a menu:", err)
			return exitUsage
		}
		req.Menu = &m
	}
	n, err := c.NumberSettings(ctx, pos[0], req)
	if err != nil {
		return outcome(o, err, "")
	}
	show(o, "number", n, numberLine(n))
	return outcome(o, nil, "settings changed")
}

func cmdTeam(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"list"}
	}
	sub, args := args[0], args[1:]
	pos, err := parseArgs(flagSet("team "+sub, stderr), args)
	if err != nil {
		return usageErr(stderr, err, "")
	}
	switch {
	case sub == "list" && len(pos) == 0:
		ms, err := c.Team(ctx)
		if err != nil {
			return outcome(o, err, "")
		}
		var lines []string
		for _, m := range ms {
			lines = append(lines, fmt.Sprintf("%-6s %-32s %s", m.Extension, m.Email, m.Role))
		}
		show(o, "team", ms, lines...)
		return outcome(o, nil, fmt.Sprintf("%d people", len(ms)))
	case sub == "invite" && len(pos) == 2:
		in, err := c.Invite(ctx, pos[0], pos[1])
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "invitation", in, invitationLines(in)...)
		return outcome(o, nil, "invited "+in.Email)
	case sub == "role" && len(pos) == 2:
		m, err := c.SetRole(ctx, pos[0], pos[1])
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "member", m, fmt.Sprintf("%s is now %s", m.Email, m.Role))
		return outcome(o, nil, m.Email+" is "+m.Role)
	case sub == "remove" && len(pos) == 1:
		return outcome(o, c.Remove(ctx, pos[0]), "removed "+pos[0])
	case sub == "invitations" && len(pos) == 0:
		ins, err := c.Invitations(ctx)
		if err != nil {
			return outcome(o, err, "")
		}
		var lines []string
		for _, in := range ins {
			lines = append(lines, fmt.Sprintf("%-32s %-8s invited by %s, expires %s", in.Email, in.Role, in.InvitedBy, in.Expires.Local().Format("2006-01-02 15:04")))
		}
		show(o, "invitations", ins, lines...)
		return outcome(o, nil, fmt.Sprintf("%d pending", len(ins)))
	case sub == "revoke" && len(pos) == 1:
		return outcome(o, c.RevokeInvitation(ctx, pos[0]), "revoked the invitation of "+pos[0])
	case sub == "resend" && len(pos) == 1:
		in, err := c.ResendInvitation(ctx, pos[0])
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "invitation", in, invitationLines(in)...)
		return outcome(o, nil, "invited "+in.Email+" again")
	case sub == "transfer-ownership" && len(pos) == 1:
		m, err := c.TransferOwnership(ctx, pos[0])
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "member", m, m.Email+" is now the Owner; you are an Admin")
		return outcome(o, nil, "ownership transferred to "+m.Email)
	}
	return usageErr(stderr, nil, "team [list | invite EMAIL ROLE | invitations | revoke EMAIL | resend EMAIL | role EMAIL ROLE | remove EMAIL | transfer-ownership EMAIL]")
}

func invitationLines(in api.InvitationInfo) []string {
	sent := "emailed to " + in.Email
	if !in.Emailed {
		sent = "not emailed (" + in.EmailError + "): pass the link on yourself"
	}
	return []string{fmt.Sprintf("invited %s as %s until %s; %s", in.Email, in.Role, in.Expires.Local().Format("2006-01-02 15:04"), sent),
		"invitation link: " + in.Link, "invitation token (shown once): " + in.Token}
}

// cmdKeys makes, lists and revokes API keys (for scripts and CRMs).
func cmdKeys(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"list"}
	}
	sub, args := args[0], args[1:]
	fs := flagSet("keys "+sub, stderr)
	var scopes []string
	fs.Func("scope", "a permission the key carries (repeat: --scope calls --scope messages)", func(v string) error {
		scopes = append(scopes, v)
		return nil
	})
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageErr(stderr, err, "")
	}
	switch {
	case sub == "create" && len(pos) == 1 && len(scopes) > 0:
		k, err := c.CreateKey(ctx, pos[0], scopes...)
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "key", k, fmt.Sprintf("key %s %q acting as %s: %s", k.ID, k.Name, k.Owner, strings.Join(k.Scopes, " ")),
			"secret (shown once; use it as Authorization: Bearer): "+k.Secret)
		return outcome(o, nil, "made key "+k.ID)
	case sub == "list" && len(pos) == 0:
		ks, err := c.Keys(ctx)
		if err != nil {
			return outcome(o, err, "")
		}
		var lines []string
		for _, k := range ks {
			used, state := "never used", ""
			if k.LastUsed != nil {
				used = "last used " + k.LastUsed.Local().Format("2006-01-02 15:04")
			}
			if k.Revoked != nil {
				state = ", revoked " + k.Revoked.Local().Format("2006-01-02 15:04")
			}
			lines = append(lines, fmt.Sprintf("%-20s %-20q %-28s %s (%s%s)", k.ID, k.Name, k.Owner, strings.Join(k.Scopes, " "), used, state))
		}
		show(o, "keys", ks, lines...)
		return outcome(o, nil, fmt.Sprintf("%d keys", len(ks)))
	case sub == "revoke" && len(pos) == 1:
		return outcome(o, c.RevokeKey(ctx, pos[0]), "revoked key "+pos[0])
	}
	return usageErr(stderr, nil, "keys [list | create NAME --scope PERMISSION... | revoke ID]")
}

// cmdClickToCall has the switchboard ring the user's own phones and, when
// one answers, dial the number (POST /v1/calls).
func cmdClickToCall(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	fs := flagSet("click-to-call", stderr)
	from := fs.String("from", "", "the number of yours to call from (default: your usual caller ID)")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) != 1 {
		return usageErr(stderr, err, "click-to-call NUMBER [--from YOUR-NUMBER]")
	}
	started, err := c.StartCall(ctx, pos[0], *from)
	if err != nil {
		return outcome(o, err, "")
	}
	show(o, "call", started, "call "+started.ID+": "+started.Status)
	return outcome(o, nil, "started call "+started.ID)
}

// cmdIntegrations connects the account's CRM and shows how it stands.
func cmdIntegrations(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"list"}
	}
	sub, args := args[0], args[1:]
	fs := flagSet("integrations "+sub, stderr)
	token := fs.String("token", "", "a HubSpot private app's token, a Pipedrive API token")
	portal := fs.String("portal", "", "the CRM's account (HubSpot's id, Pipedrive's company subdomain), for links")
	create := fs.Bool("create-contacts", false, "make a contact for a number the CRM does not know")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageErr(stderr, err, "")
	}
	switch {
	case sub == "list" && len(pos) == 0:
		is, err := c.Integrations(ctx)
		if err != nil {
			return outcome(o, err, "")
		}
		var lines []string
		for _, i := range is {
			state := "not connected"
			if i.Connected {
				state = "connected since " + i.Since.Local().Format("2006-01-02 15:04")
				if i.LastSync != nil {
					state += ", last logged " + i.LastSync.Local().Format("2006-01-02 15:04")
				}
				if i.LastError != "" {
					state += ", failing: " + i.LastError
				}
			}
			lines = append(lines, fmt.Sprintf("%-10s %s", i.Kind, state))
		}
		show(o, "integrations", is, lines...)
		return outcome(o, nil, fmt.Sprintf("%d CRMs", len(is)))
	case sub == "connect" && len(pos) == 1 && *token != "":
		i, err := c.ConnectCRM(ctx, pos[0], api.ConnectRequest{Token: *token, Portal: *portal, CreateContacts: *create})
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "integration", i)
		return outcome(o, nil, "connected "+i.Name)
	case sub == "authorize" && len(pos) == 1:
		u, err := c.AuthorizeCRM(ctx, pos[0], *create)
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "authorize", map[string]string{"url": u}, "open this address to sign in: "+u)
		return outcome(o, nil, "waiting for the sign-in")
	case sub == "disconnect" && len(pos) == 1:
		return outcome(o, c.DisconnectCRM(ctx, pos[0]), "disconnected "+pos[0])
	case sub == "contact" && len(pos) == 2:
		ct, err := c.CRMContact(ctx, pos[0], pos[1])
		if err != nil {
			return outcome(o, err, "")
		}
		show(o, "contact", ct, fmt.Sprintf("%s %s", ct.Name, ct.URL))
		return outcome(o, nil, "found "+ct.ID)
	}
	return usageErr(stderr, nil, "integrations [list | connect KIND --token T [--portal P] [--create-contacts] | authorize KIND | disconnect KIND | contact KIND NUMBER]")
}

// cmdDispose logs a disposition and notes on a call.
func cmdDispose(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	fs := flagSet("dispose", stderr)
	notes := fs.String("notes", "", "what was said, what comes next")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) != 2 {
		return usageErr(stderr, err, "dispose CALL-ID DISPOSITION [--notes TEXT]")
	}
	ci, err := c.Dispose(ctx, pos[0], pos[1], *notes)
	if err != nil {
		return outcome(o, err, "")
	}
	show(o, "call", ci)
	return outcome(o, nil, "logged "+ci.Tag+" on "+ci.ID)
}

// cmdWebhooks subscribes addresses to the account's events, lists the
// subscriptions and their deliveries, and replays one.
func cmdWebhooks(ctx context.Context, c *api.Client, args []string, o out, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"list"}
	}
	sub, args := args[0], args[1:]
	fs := flagSet("webhooks "+sub, stderr)
	var events []string
	fs.Func("event", "an event to send (repeat): "+strings.Join(hooks.Types, ", "), func(v string) error {
		events = append(events, v)
		return nil
	})
	format := fs.String("format", "", `"slack": post Slack messages (a Slack incoming webhook's URL) for `+strings.Join(hooks.SlackEvents, ", "))
	number := fs.String("number", "", "only events about this number of the account's")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageErr(stderr, err, "")
	}
	switch {
	case sub == "create" && len(pos) == 1 && len(events) > 0:
		w, err := c.Subscribe(ctx, api.WebhookRequest{URL: pos[0], Events: events, Format: *format, Number: *number})
		if err != nil {
			return outcome(o, err, "")
		}
		lines := []string{fmt.Sprintf("webhook %s: %s gets %s", w.ID, w.URL, strings.Join(w.Events, " "))}
		if w.Format == "" {
			lines = append(lines, "signing secret (shown once; check Tether-Signature with it): "+w.Secret)
		}
		show(o, "webhook", w, lines...)
		return outcome(o, nil, "subscribed "+w.URL)
	case sub == "list" && len(pos) == 0:
		ws, err := c.Webhooks(ctx)
		if err != nil {
			return outcome(o, err, "")
		}
		var lines []string
		for _, w := range ws {
			state := "delivering"
			switch {
			case w.Disabled != nil:
				state = "disabled " + w.Disabled.Local().Format("2006-01-02 15:04")
			case w.FailingSince != nil:
				state = "failing since " + w.FailingSince.Local().Format("2006-01-02 15:04")
			}
			lines = append(lines, fmt.Sprintf("%-20s %s  %s  (%s)", w.ID, w.URL, strings.Join(w.Events, " "), state))
		}
		show(o, "webhooks", ws, lines...)
		return outcome(o, nil, fmt.Sprintf("%d webhooks", len(ws)))
	case sub == "deliveries" && len(pos) == 1:
		ds, err := c.WebhookDeliveries(ctx, pos[0])
		if err != nil {
			return outcome(o, err, "")
		}
		var lines []string
		for _, d := range ds {
			var tries []string
			for _, a := range d.Attempts {
				tries = append(tries, fmt.Sprintf("%s %d", a.At.Local().Format("15:04:05"), a.Status))
			}
			lines = append(lines, fmt.Sprintf("%-28s %-18s %-9s %s", d.ID, d.Type, d.Status, strings.Join(tries, ", ")))
		}
		show(o, "deliveries", ds, lines...)
		return outcome(o, nil, fmt.Sprintf("%d deliveries", len(ds)))
	case sub == "replay" && len(pos) == 2:
		return outcome(o, c.ReplayDelivery(ctx, pos[0], pos[1]), "sending "+pos[1]+" again")
	case sub == "delete" && len(pos) == 1:
		return outcome(o, c.DeleteWebhook(ctx, pos[0]), "deleted webhook "+pos[0])
	}
	return usageErr(stderr, nil, "webhooks [list | create URL --event TYPE... | deliveries ID | replay ID DELIVERY | delete ID]")
}
