package main_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone/switchboard"
)

// TestTransferCommands: phonectl answers a call through the switchboard
// and transfers it, blind (--transfer) and attended (--consult); the
// party it goes to hears the caller's tone. Then it adds a third party
// (--add): the caller and the third party hear each other.
func TestTransferCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tether.db"))
	if err != nil {
		t.Fatal(err)
	}
	bank, err := payment.OpenSandbox(ctx, filepath.Join(dir, "bank.db"))
	if err != nil {
		t.Fatal(err)
	}
	engine := billing.New(billing.Config{Store: db, Rater: rating.SampleRater(), Processor: bank})
	t.Cleanup(func() { engine.Close(); bank.Close(); db.Close() })
	if err := engine.OpenAccount(ctx, billing.NewAccount{ID: "acme", Plan: "team", Owner: "ann@acme.test", Verified: true}); err != nil {
		t.Fatal(err)
	}
	if err := engine.Adjust(ctx, "acme", "start", decimal.NewFromInt(10), "test credit"); err != nil {
		t.Fatal(err)
	}
	sb, err := switchboard.New(switchboard.Config{Listen: []string{"udp://127.0.0.1:0"}, Directory: db, Billing: system.SwitchboardBilling(engine), Records: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	udp, _ := sb.Addr("udp")
	sipArgs := map[string][]string{}
	for i, name := range []string{"ann", "bob", "cy"} {
		email := name + "@acme.test"
		if err := db.CreateUser(ctx, team.User{Account: "acme", Email: email, Role: team.Member, Extension: fmt.Sprint(101 + i), Created: time.Now()}, ""); err != nil {
			t.Fatal(err)
		}
		d, pw := team.NewDevice(email, "phonectl", "tether", time.Now())
		if err := db.AddDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
		sipArgs[name] = []string{"--sip-user", fmt.Sprintf("sip:%s@%s", d.Username, udp), "--sip-password", pw, "--listen", "127.0.0.1:0"}
	}
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 3)
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 3)

	for _, how := range [][]string{{"--transfer", "103"}, {"--consult", "103"}} {
		heard := filepath.Join(dir, "cy"+how[0]+".wav")
		cy, cyOut := background(t, append(sipArgs["cy"], "answer", "--record", heard, "--count", "1", "--duration", "3s")...)
		waitLine(t, cyOut, "registered")
		bob, bobOut := background(t, append(sipArgs["bob"], append([]string{"answer", "--play", filepath.Join(dir, "1000.wav"), "--count", "1", "--transfer-after", "1s"}, how...)...)...)
		waitLine(t, bobOut, "registered")
		call := exec.Command(bin, append(sipArgs["ann"], "call", "102", "--play", filepath.Join(dir, "440.wav"), "--duration", "6s")...)
		if out, err := call.CombinedOutput(); err != nil {
			t.Fatalf("%s: the caller: %v\n%s", how[0], err, out)
		}
		waitLine(t, bobOut, "ended: transferred")
		if err := bob.Wait(); err != nil {
			t.Errorf("%s: the rep's phonectl exited with %v", how[0], err)
		}
		if err := cy.Wait(); err != nil {
			t.Errorf("%s: the colleague's phonectl exited with %v", how[0], err)
		}
		if s := audio.BestShare(readWAV(t, heard), 440, 8000, quarter); s < 0.8 {
			t.Errorf("%s: the colleague hears the caller's 440 Hz at share %.2f", how[0], s)
		}
		// The switchboard ends its legs as the BYEs come: wait for it.
		if !eventually.True(10*time.Second, func() bool { return sb.Calls() == 0 }) {
			t.Errorf("%s: %d calls left", how[0], sb.Calls())
		}
	}

	// --add: bob holds ann's call, calls cy and joins the three; ann
	// hears cy and cy hears ann, through the switchboard's mix.
	toneWAV(t, filepath.Join(dir, "1700.wav"), 1700, 8)
	annHeard, cyHeard := filepath.Join(dir, "ann-add.wav"), filepath.Join(dir, "cy-add.wav")
	cy, cyOut := background(t, append(sipArgs["cy"], "answer", "--play", filepath.Join(dir, "1700.wav"), "--record", cyHeard, "--count", "1", "--duration", "6s")...)
	waitLine(t, cyOut, "registered")
	bob, bobOut := background(t, append(sipArgs["bob"], "answer", "--play", filepath.Join(dir, "1000.wav"), "--count", "1",
		"--transfer-after", "1s", "--add", "103", "--duration", "3s")...)
	waitLine(t, bobOut, "registered")
	call := exec.Command(bin, append(sipArgs["ann"], "call", "102", "--play", filepath.Join(dir, "440.wav"), "--record", annHeard, "--duration", "8s")...)
	if out, err := call.CombinedOutput(); err != nil {
		t.Fatalf("--add: the caller: %v\n%s", err, out)
	}
	waitLine(t, bobOut, "conference: 103 joined")
	waitLine(t, bobOut, "ended: the conference is over")
	if err := bob.Wait(); err != nil {
		t.Errorf("--add: the rep's phonectl exited with %v", err)
	}
	if err := cy.Wait(); err != nil {
		t.Errorf("--add: the colleague's phonectl exited with %v", err)
	}
	if s := audio.BestShare(readWAV(t, cyHeard), 440, 8000, quarter); s < 0.3 {
		t.Errorf("--add: the colleague hears the caller's 440 Hz at share %.2f", s)
	}
	if s := audio.BestShare(readWAV(t, annHeard), 1700, 8000, quarter); s < 0.3 {
		t.Errorf("--add: the caller hears the colleague's 1700 Hz at share %.2f", s)
	}
	eventually.Must(t, 10*time.Second, "--add: no call left", func() bool { return sb.Calls() == 0 })
}
