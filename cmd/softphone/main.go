// Command softphone is the Tether desktop app. With no server configured it
// runs the billing system in-process on the demo account, so a new user can
// see credits, bundles, prices, top-ups and auto top-up with nothing else
// installed.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/ui"
)

func main() {
	fs := flag.NewFlagSet("softphone", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: softphone [--data DIR] [--dial NUMBER]\n\n"+
			"The Tether desktop app. With no server configured it runs on the demo account,\n"+
			"kept in DIR (sample rates, sandbox payments: no real money moves).\n\n")
		fs.PrintDefaults()
	}
	data := fs.String("data", defaultDataDir(), "directory holding the demo account's files")
	dial := fs.String("dial", "", "number to show in the price check at start")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			return
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "softphone: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		os.Exit(2)
	}
	if err := run(*data, *dial); err != nil {
		fmt.Fprintln(os.Stderr, "softphone:", err)
		os.Exit(1)
	}
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "tether")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "tether")
	}
	return "tether-data"
}

func run(dataDir, dial string) error {
	ctx := context.Background()
	sys, err := demo.Open(ctx, dataDir)
	if err != nil {
		return err
	}
	defer sys.Close()
	slog.Info("demo account ready", "data", dataDir)

	a := app.NewWithID("com.tetherphone.softphone")
	w := a.NewWindow("Tether — demo account")
	credits := ui.NewCredits(sys.Engine.For(demo.Account), true, demo.Numbers[0])
	header := widget.NewLabel(fmt.Sprintf("Signed in as %s (Owner) · demo account: sample rates, sandbox payments", demo.Users[0]))
	w.SetContent(container.NewBorder(header, nil, nil, nil, credits.Object()))
	w.Resize(fyne.NewSize(900, 760))

	go func() {
		if err := credits.Load(ctx); err != nil {
			slog.Error("loading the account", "err", err)
		}
		if dial != "" {
			fyne.DoAndWait(func() { credits.SetDial(dial) })
		}
		for range time.Tick(5 * time.Second) {
			credits.Load(ctx)
		}
	}()
	w.ShowAndRun()
	return nil
}
