package main_test

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/internal/mailbox"
)

// xdo runs xdotool on the display.
func xdo(t *testing.T, display string, args ...string) {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
}

// click clicks at a point of the window (at 0,0 on a display with no
// window manager, 1024x720).
func click(t *testing.T, display string, x, y int) {
	t.Helper()
	xdo(t, display, "mousemove", fmt.Sprint(x), fmt.Sprint(y), "click", "1")
}

// typeAt clicks a field and types into it.
func typeAt(t *testing.T, display string, x, y int, text string) {
	t.Helper()
	click(t, display, x, y)
	xdo(t, display, "type", "--delay", "20", text)
}

// TestSignUpInTheWindow: in the real window under Xvfb, driven by mouse
// and keyboard (xdotool), a company signs up from the first screen on a
// switchboard that emails through a real SMTP server: the plans come from
// the server, the country is found by typing "united k", the Owner lands
// signed in and registered with the verification banner, types the code
// from the delivered email, and the switchboard has the account verified.
// A picture of the window is taken after each step.
func TestSignUpInTheWindow(t *testing.T) {
	box := mailbox.Start(t)
	dir := t.TempDir()
	ctx := context.Background()
	sys, err := system.Open(ctx, system.Parts{Dir: filepath.Join(dir, "server")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	run, err := sys.Start(ctx, system.Serve{SIP: []string{"udp://127.0.0.1:0"}, HTTP: "127.0.0.1:0",
		Mail: mail.SMTP{Addr: box.Addr, Username: box.Username, Password: box.Password, From: "t@tether.test", RootCAs: box.RootCAs}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(run.Close)
	display := xvfb(t)
	_, lines := app(t, display, []string{"HOME=" + filepath.Join(dir, "home"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "home", ".config")})
	waitLine(t, lines, "ready")
	shot := func(name string) {
		path := filepath.Join(dir, name)
		screenshot(t, display, path)
		if n := colours(t, path); n < 10 {
			t.Errorf("%s: %d colours, nothing drawn", name, n)
		}
		if out := os.Getenv("TETHER_SHOTS"); out != "" {
			b, _ := os.ReadFile(path)
			os.WriteFile(filepath.Join(out, name), b, 0o644)
		}
	}
	eventually.Must(t, 30*time.Second, "the first screen drawn", func() bool {
		path := filepath.Join(dir, "probe.png")
		screenshot(t, display, path)
		return colours(t, path) >= 10
	})
	shot("signup-1-first-screen.png")
	typeAt(t, display, 550, 176, run.API)
	click(t, display, 390, 397) // Create a company account
	// The plans come from the server: wait for the first to show in its
	// field (text drawn there) before choosing.
	eventually.Must(t, 30*time.Second, "the server's plans in the form", func() bool {
		path := filepath.Join(dir, "probe.png")
		screenshot(t, display, path)
		return regionColours(t, path, image.Rect(480, 360, 700, 384), 1) >= 6 // past "(Select one)"
	})
	typeAt(t, display, 550, 176, "Brit Ltd")
	typeAt(t, display, 550, 215, "Bea Jones")
	typeAt(t, display, 550, 254, "bea@brit.test")
	typeAt(t, display, 540, 293, "a long password")
	typeAt(t, display, 540, 332, "united k")
	click(t, display, 733, 332) // the country's list: one match
	click(t, display, 500, 367)
	click(t, display, 733, 372) // the plans, as the server offers them
	click(t, display, 600, 445) // Team
	shot("signup-2-form.png")
	click(t, display, 632, 469) // Create account
	var account string
	eventually.Must(t, 30*time.Second, "the account on the switchboard", func() bool {
		cs, _ := sys.Engine.Customers(ctx)
		if len(cs) == 1 {
			account = cs[0].ID
		}
		return account != ""
	})
	c, _ := sys.Engine.Customer(ctx, account)
	if c.Name != "Brit Ltd" || c.Region != "GB" || c.Plan != "team" || !c.Verified.IsZero() {
		t.Fatalf("the account the window opened: %+v", c)
	}
	waitLine(t, lines, "registered in ")
	msg := box.WaitFor(t, "bea@brit.test", 20*time.Second)
	code := regexp.MustCompile(`(?m)^\s+(\d{6})$`).FindStringSubmatch(msg.Text)
	if code == nil {
		t.Fatalf("no code in %q", msg.Text)
	}
	// The app drawn signed in: its menu bar (Phone, View) is up.
	eventually.Must(t, 30*time.Second, "the signed-in window with its menu", func() bool {
		path := filepath.Join(dir, "probe.png")
		screenshot(t, display, path)
		return regionColours(t, path, image.Rect(0, 0, 120, 26), 1) >= 6
	})
	shot("signup-3-verify.png")
	typeAt(t, display, 70, 88, code[1])
	click(t, display, 176, 88) // Verify
	eventually.Must(t, 20*time.Second, "the account verified from the window", func() bool {
		c, _ := sys.Engine.Customer(ctx, account)
		return !c.Verified.IsZero()
	})
	shot("signup-4-verified.png")
}
