package main_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/api"
)

// runSwitchboard runs the switchboard binary, returning its output and exit status.
func runSwitchboard(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(switchboardBin, args...).CombinedOutput()
	return string(out), exitCode(err)
}

func balanceOf(t *testing.T, data string) decimal.Decimal {
	t.Helper()
	out, code := runSwitchboard(t, "balance", "--data", data, "--account", "demo")
	b, err := decimal.NewFromString(strings.TrimSpace(out))
	if code != 0 || err != nil {
		t.Fatalf("balance: exit %d %v\n%s", code, err, out)
	}
	return b
}

// TestRatesImport: a server started without --demo rates with no sample
// prices: a call and a text abroad are refused with a reason that says
// what the operator must do. A bad deck file is refused line by line and
// changes nothing; a good one is in force after SIGHUP, and the call is
// charged at its price.
func TestRatesImport(t *testing.T) {
	t.Parallel()
	dir, data := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 2)
	// The demo account seeded once, then served as production serves it.
	s := startServer(t, data)
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	s = startServerArgs(t, data, "--trunk", "simulator")
	london := func() (string, int) {
		out, err := exec.Command(phonectlBin, s.as("rep@demo.test", "call", "+442071234567", "--play", filepath.Join(dir, "440.wav"),
			"--record", filepath.Join(dir, "london.wav"), "--duration", "2s")...).CombinedOutput()
		return string(out), exitCode(err)
	}
	out, code := london()
	if last := lastLine([]byte(out)); code != 1 || !strings.Contains(last, "503 Service Unavailable") || !strings.Contains(last, "import a rate deck") {
		t.Fatalf("a call abroad with no deck: exit %d, %q", code, last)
	}
	text, err := exec.Command(phonectlBin, s.as("rep@demo.test", "sms", "send", "+442071234567", "hello")...).CombinedOutput()
	if code := exitCode(err); code == 0 || !strings.Contains(string(text), "import a rate deck") {
		t.Errorf("a text abroad with no deck: exit %d\n%s", code, text)
	}

	bad := filepath.Join(dir, "carrier-bad.csv")
	os.WriteFile(bad, []byte("# Carrier X\nprefix,destination,rate_per_minute,increment,connect_fee\n44,United Kingdom,0.0200,60/60,0\n"+
		"33,France,abc,60/60,0\n49,Germany,0.03\n"), 0o644)
	out, code = runSwitchboard(t, "rates", "import", "--data", data, bad)
	if code != 2 || !strings.Contains(out, "nothing imported") || !strings.Contains(out, "line 4: rate_per_minute") || !strings.Contains(out, "line 5: 3 fields") {
		t.Errorf("a bad deck: exit %d\n%s", code, out)
	}
	if out, _ := runSwitchboard(t, "rates", "list", "--data", data); !strings.Contains(out, "no voice deck imported") {
		t.Errorf("after a bad deck, rates list says\n%s", out)
	}

	good := filepath.Join(dir, "carrier.csv")
	os.WriteFile(good, []byte("# Carrier X\nprefix,destination,rate_per_minute,increment,connect_fee\n44,United Kingdom,0.0200,60/60,0\n"+
		"4420,London,0.0300,60/60,0.0100\n33,France,0.0250,1/1,0\n"), 0o644)
	out, code = runSwitchboard(t, "rates", "import", "--data", data, good)
	if code != 0 || !strings.Contains(out, "imported voice deck carrier.csv: 3 destinations") {
		t.Fatalf("a good deck: exit %d\n%s", code, out)
	}
	out, _ = runSwitchboard(t, "rates", "list", "--data", data, "--prefix", "+442071")
	if !strings.Contains(out, "voice deck carrier.csv, 3 destinations") || !strings.Contains(out, "4420,London,0.03,60/60,0.01") ||
		!strings.Contains(out, "44,United Kingdom,0.02,60/60,0") || strings.Contains(out, "France") {
		t.Errorf("rates list --prefix +442071:\n%s", out)
	}
	if out, code := runSwitchboard(t, "rates", "list", "--data", data, "--prefix", "44x"); code != 2 {
		t.Errorf("a prefix that is not digits: exit %d\n%s", code, out)
	}
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, s.out, "rates voice imported carrier.csv")

	before := balanceOf(t, data)
	if out, code := london(); code != 0 {
		t.Fatalf("a call abroad with the deck: exit %d\n%s", code, out)
	}
	if sh := bestShare(t, filepath.Join(dir, "london.wav"), 440); sh < 0.8 {
		t.Errorf("the simulator's echo of 440 Hz at share %.2f", sh)
	}
	// Two seconds to London at the carrier's price: one 60-second
	// increment at $0.03 and the $0.01 connection fee.
	if spent := before.Sub(balanceOf(t, data)); !spent.Equal(decimal.RequireFromString("0.04")) {
		t.Errorf("the call cost %s, want 0.04 at the imported deck's price", spent)
	}
}

// TestAdjustOnce: an operator's adjustment is made once, however many
// times the command runs, with one audit entry; --ref makes another.
func TestAdjustOnce(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	before := balanceOf(t, data)
	args := []string{"adjust", "--data", data, "--account", "demo", "--amount", "2.50", "--reason", "goodwill: dropped call"}
	if out, code := runSwitchboard(t, args...); code != 0 || !strings.Contains(out, "adjusted demo by 2.5") {
		t.Fatalf("adjust: exit %d\n%s", code, out)
	}
	if out, code := runSwitchboard(t, args...); code != 0 || !strings.Contains(out, "already adjusted") {
		t.Fatalf("adjust again: exit %d\n%s", code, out)
	}
	if got := balanceOf(t, data).Sub(before); !got.Equal(decimal.RequireFromString("2.5")) {
		t.Fatalf("two runs of one adjustment added %s", got)
	}
	if out, code := runSwitchboard(t, append(args, "--ref", "ticket-42")...); code != 0 || !strings.Contains(out, "adjusted demo by 2.5") {
		t.Fatalf("adjust with --ref: exit %d\n%s", code, out)
	}
	if got := balanceOf(t, data).Sub(before); !got.Equal(decimal.NewFromInt(5)) {
		t.Fatalf("with --ref: %s added", got)
	}
	c, _ := api.NewClient(s.api)
	if _, err := c.SignIn(context.Background(), "owner@demo.test", s.accounts["owner@demo.test"]); err != nil {
		t.Fatal(err)
	}
	log, err := c.Audit(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range log {
		if l.Action == "credits.adjust" {
			n++
			if l.Actor != "operator" || !strings.Contains(l.Detail, "goodwill: dropped call") {
				t.Errorf("audit %+v", l)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d credits.adjust audit entries, want 2", n)
	}
}
