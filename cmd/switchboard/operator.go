package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/account/team"
)

// openData opens the system kept in an existing data directory, for the
// operator's commands: no demo seeding, no sample rates, no logging.
func openData(ctx context.Context, cmd, data string, stderr io.Writer) (*system.System, int) {
	if _, err := os.Stat(data); err != nil {
		fmt.Fprintf(stderr, "switchboard %s: no data directory %s\n", cmd, data)
		return nil, exitUsage
	}
	sys, err := system.Open(ctx, system.Parts{Dir: data, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintf(stderr, "switchboard %s: %v\n", cmd, err)
		return nil, exitFailure
	}
	return sys, exitOK
}

// parseFlags parses a subcommand's flags: exitOK to go on, or the status
// to exit with.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return exitOK, true
}

func adjust(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("adjust", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData(), "data directory")
	account := fs.String("account", "", "account ID")
	amount := fs.String("amount", "", "decimal amount, negative to take credit away (e.g. -5.00)")
	reason := fs.String("reason", "", "why, for the audit trail")
	ref := fs.String("ref", "", "a reference that tells this adjustment from an otherwise identical one (a ticket number)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	amt, err := decimal.NewFromString(*amount)
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "switchboard adjust: unexpected %q\n", fs.Arg(0))
		return exitUsage
	case *account == "":
		fmt.Fprintln(stderr, "switchboard adjust: --account is required")
		return exitUsage
	case err != nil || amt.IsZero():
		fmt.Fprintf(stderr, "switchboard adjust: --amount %q is not a non-zero decimal\n", *amount)
		return exitUsage
	case strings.TrimSpace(*reason) == "":
		fmt.Fprintln(stderr, "switchboard adjust: --reason is required")
		return exitUsage
	}
	ctx := context.Background()
	sys, code := openData(ctx, "adjust", *data, stderr)
	if code != exitOK {
		return code
	}
	defer sys.Close()
	// The adjustment is named by what it is, so running the command again
	// (after a timeout, from shell history) does not adjust twice.
	sum := sha256.Sum256([]byte(strings.Join([]string{*account, amt.String(), strings.TrimSpace(*reason), *ref}, "\x00")))
	id := "op-" + hex.EncodeToString(sum[:12])
	done, err := sys.Engine.Adjusted(ctx, *account, id)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard adjust:", err)
		return exitFailure
	}
	if !done {
		host, _ := os.Hostname()
		// The audit entry is written in the transaction that moves the money.
		actx := team.WithAudit(ctx, team.AuditEntry{Account: *account, At: time.Now(), Actor: "operator", Action: "credits.adjust",
			Target: id, Detail: fmt.Sprintf("%s: %s", amt.String(), *reason), Source: "switchboard adjust on " + host})
		if err := sys.Engine.Adjust(actx, *account, id, amt, *reason); err != nil {
			fmt.Fprintln(stderr, "switchboard adjust:", err)
			return exitFailure
		}
	}
	b, err := sys.Engine.Balance(ctx, *account)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard adjust:", err)
		return exitFailure
	}
	if done {
		fmt.Fprintf(stdout, "already adjusted %s by %s for %q (%s): balance %s; give --ref to make another\n", *account, amt.String(),
			*reason, id, money.Display(b.Posted, b.Currency))
		return exitOK
	}
	fmt.Fprintf(stdout, "adjusted %s by %s: balance %s\n", *account, amt.String(), money.Display(b.Posted, b.Currency))
	return exitOK
}

// balance prints an account's available credit.
func balance(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("balance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData(), "data directory")
	account := fs.String("account", "", "account ID")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *account == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "switchboard balance: --account ID, and nothing else")
		return exitUsage
	}
	ctx := context.Background()
	sys, code := openData(ctx, "balance", *data, stderr)
	if code != exitOK {
		return code
	}
	defer sys.Close()
	b, err := sys.Engine.Balance(ctx, *account)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard balance:", err)
		return exitFailure
	}
	fmt.Fprintln(stdout, b.Available.StringFixed(4))
	return exitOK
}

// rates imports and lists the operator's rate decks.
func rates(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "import" && args[0] != "list") {
		fmt.Fprintln(stderr, "switchboard rates: import --data DIR FILE.csv, or list --data DIR [--prefix DIGITS] [--sms]")
		return exitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("rates "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultData(), "data directory")
	prefix := fs.String("prefix", "", "list: only destinations whose prefix starts with these digits (or that the digits would match)")
	sms := fs.Bool("sms", false, "list: the SMS deck rather than the voice deck")
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	ctx := context.Background()
	if sub == "import" {
		if fs.NArg() != 1 || *prefix != "" || *sms {
			fmt.Fprintln(stderr, "switchboard rates import: --data DIR FILE.csv (one file; its header says voice or SMS)")
			return exitUsage
		}
		body, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			fmt.Fprintln(stderr, "switchboard rates import:", err)
			return exitUsage
		}
		sys, code := openData(ctx, "rates import", *data, stderr)
		if code != exitOK {
			return code
		}
		defer sys.Close()
		d, err := sys.ImportRates(ctx, body, filepath.Base(fs.Arg(0)))
		if errors.Is(err, rating.ErrDeck) {
			fmt.Fprintf(stderr, "switchboard rates import: %s: nothing imported:\n", fs.Arg(0))
			var de *rating.DeckError
			if errors.As(err, &de) {
				for _, p := range de.Problems {
					fmt.Fprintln(stderr, "  "+p)
				}
				if de.More > 0 {
					fmt.Fprintf(stderr, "  and %d more bad lines\n", de.More)
				}
			} else {
				fmt.Fprintln(stderr, "  "+err.Error())
			}
			return exitUsage
		}
		if err != nil {
			fmt.Fprintln(stderr, "switchboard rates import:", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "imported %s deck %s: %d destinations (sha256 %s)\n", d.Kind, d.Source, d.Entries, d.SHA256[:12])
		return exitOK
	}
	if fs.NArg() != 0 || strings.Trim(*prefix, "+0123456789") != "" {
		fmt.Fprintln(stderr, "switchboard rates list: --data DIR [--prefix DIGITS] [--sms]")
		return exitUsage
	}
	sys, code := openData(ctx, "rates list", *data, stderr)
	if code != exitOK {
		return code
	}
	defer sys.Close()
	r, err := sys.CurrentRates(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "switchboard rates list:", err)
		return exitFailure
	}
	p := strings.TrimPrefix(*prefix, "+")
	// A prefix lists the destinations under it, and the one it falls in.
	matches := func(entry string) bool { return strings.HasPrefix(entry, p) || strings.HasPrefix(p, entry) }
	if *sms {
		if r.SMS == nil {
			fmt.Fprintln(stdout, "no SMS deck imported: texts abroad are refused (switchboard rates import FILE.csv)")
			return exitOK
		}
		fmt.Fprintf(stdout, "SMS deck %s, %d destinations, imported %s\n", r.SMS.Source, r.SMS.Entries, r.SMS.Imported.UTC().Format("2006-01-02 15:04 UTC"))
		fmt.Fprintln(stdout, "prefix,destination,rate_per_segment")
		for _, e := range r.Rater.SMS.Entries() {
			if matches(e.Prefix) {
				fmt.Fprintf(stdout, "%s,%s,%s\n", e.Prefix, csvField(e.Destination), e.PerSegment.String())
			}
		}
		return exitOK
	}
	if r.Voice == nil {
		fmt.Fprintln(stdout, "no voice deck imported: calls to outside numbers are refused (switchboard rates import FILE.csv)")
		return exitOK
	}
	fmt.Fprintf(stdout, "voice deck %s, %d destinations, imported %s\n", r.Voice.Source, r.Voice.Entries, r.Voice.Imported.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(stdout, "prefix,destination,rate_per_minute,increment,connect_fee")
	for _, e := range r.Rater.Voice.Entries() {
		if matches(e.Prefix) {
			fmt.Fprintf(stdout, "%s,%s,%s,%s,%s\n", e.Prefix, csvField(e.Destination), e.PerMinute.String(), e.Increment, e.ConnectFee.String())
		}
	}
	return exitOK
}

// csvField quotes a destination that holds a comma or a quote.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
