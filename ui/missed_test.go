package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/tetherphone/tether/internal/embedded"
	"github.com/tetherphone/tether/ui"
)

// TestMissedCalls (issue 15, defect 4): a call that stops ringing
// unanswered leaves a trace in the window, not only a notification that
// may go nowhere: "Calls (1 missed)" and a line above the views naming the
// caller; Show opens the missed calls, which are then seen and stay seen.
// The teammate calls the rep by name ("rep"): the record names the rep's
// extension, so the call is in the rep's history (it said "rep", and was
// not).
func TestMissedCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sys := startSystem(t, ctx)
	s := session(t, sys.API, sys.Users, "rep")
	rep, admin := phoneOf(t, sys, "rep"), phoneOf(t, sys, "admin")
	sh, w := shell(t, s, rep)
	if n, tab, line := sh.Missed(); n != 0 || tab != "Calls" || line != "" {
		t.Fatalf("before any call: %d missed, tab %q, line %q", n, tab, line)
	}
	dctx, hangUp := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		admin.Dial(dctx, "rep")
	}()
	select {
	case in := <-rep.Incoming():
		ui.Run(func() { sh.Phone.Ring(in) })
	case <-ctx.Done():
		t.Fatal("the rep's phone never rang")
	}
	hangUp() // the admin gives up before the rep answers
	<-done
	eventually(t, "the missed call shown in the window", func() bool {
		n, tab, line := sh.Missed()
		return n == 1 && tab == "Calls (1 missed)" && strings.Contains(line, "1 missed call")
	})
	_, _, line := sh.Missed()
	if !strings.Contains(line, "from "+sysExtension(t, sys, "admin")) {
		t.Errorf("the line %q does not name the caller", line)
	}
	ui.Run(func() { test.Tap(findButton(t, sh.Object(), "Show")) })
	eventually(t, "the missed calls listed and seen", func() bool {
		n, tab, line := sh.Missed()
		return n == 0 && tab == "Calls" && line == "" && strings.Contains(sh.Calls.Text(), "missed")
	})
	if err := sh.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n, tab, _ := sh.Missed(); n != 0 || tab != "Calls" {
		t.Errorf("after a refresh the seen call counts again: %d, %q", n, tab)
	}
	_ = w
}

// sysExtension is a demo user's extension.
func sysExtension(t *testing.T, sys *embedded.System, who string) string {
	t.Helper()
	return session(t, sys.API, sys.Users, who).Me.Extension
}
