package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/mailbox"
)

// phonectlRun runs phonectl and returns its output and exit status.
func phonectlRun(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(phonectlBin, args...).CombinedOutput()
	return string(out), exitCode(err)
}

// TestProvisioning: the operator opens a company with "accounts create";
// its Owner accepts the printed invitation with phonectl, invites a
// teammate, who accepts from the email the switchboard sent through a
// real SMTP server; the two call each other. Suspended, the account's
// calls are refused (exit 4) with the reason, and "accounts list" says so;
// resumed, they go through. Bad operator input exits 2 and opens nothing.
func TestProvisioning(t *testing.T) {
	t.Parallel()
	data, dir := t.TempDir(), t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 2)
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 2)
	for _, bad := range [][]string{
		{"accounts", "create", "--data", data, "--company", "Acme Ltd", "--owner", "boss@acme.test"},
		{"accounts", "create", "--data", data, "--company", "Acme Ltd", "--owner", "boss@acme.test", "--country", "ZZ"},
		{"accounts", "create", "--data", data, "--company", "Acme Ltd", "--owner", "not-an-address", "--country", "GB"},
		{"accounts", "create", "--data", data, "--company", "Acme Ltd", "--owner", "boss@acme.test", "--country", "GB", "--plan", "gold"},
		{"accounts", "suspend", "--data", data, "--account", "nobody", "--reason", "x"},
		{"accounts", "suspend", "--data", data, "--account", "nobody"},
		{"accounts", "frobnicate", "--data", data},
	} {
		if out, code := runSwitchboard(t, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", bad, code, out)
		}
	}
	out, code := runSwitchboard(t, "accounts", "create", "--data", data, "--company", "Acme Ltd", "--owner", "Boss@Acme.test", "--country", "GB", "--plan", "team")
	if code != 0 {
		t.Fatalf("accounts create: exit %d\n%s", code, out)
	}
	id := regexp.MustCompile(`(?m)^account (acme-ltd-[a-z2-7]{6})$`).FindStringSubmatch(out)
	token := regexp.MustCompile(`(?m)^owner invitation tether://invite/([A-Za-z0-9_-]{43}) `).FindStringSubmatch(out)
	if id == nil || token == nil {
		t.Fatalf("accounts create printed:\n%s", out)
	}
	account := id[1]
	if out, code := runSwitchboard(t, "accounts", "create", "--data", data, "--company", "Again", "--owner", "boss@acme.test", "--country", "GB"); code != 2 {
		t.Errorf("the same owner again: exit %d\n%s", code, out)
	}

	box := mailbox.Start(t)
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, box.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServerEnv(t, data, []string{"TETHER_SMTP_PASSWORD=" + box.Password}, "--smtp", box.Addr, "--smtp-user", box.Username, "--smtp-ca", ca, "--mail-from", "Acme Phones <phones@tether.test>")

	if out, code := phonectlRun(t, "--server", s.api, "accept-invitation", "tether://invite/"+token[1], "--password", "boss password 1", "--name", "Boss"); code != 0 ||
		!strings.Contains(out, "joined "+account+" as owner") {
		t.Fatalf("the owner accepts: exit %d\n%s", code, out)
	}
	boss := []string{"--server", s.api, "--user", "boss@acme.test", "--password", "boss password 1", "--listen", "127.0.0.1:0"}
	if out, code := phonectlRun(t, append(boss, "account")...); code != 0 || !strings.Contains(out, "Acme Ltd ("+account+"), verified") ||
		!strings.Contains(out, "time zone Europe/London") {
		t.Errorf("account: exit %d\n%s", code, out)
	}
	if out, code := phonectlRun(t, append(boss, "team", "invite", "ann@acme.test", "member")...); code != 0 || !strings.Contains(out, "emailed to ann@acme.test") {
		t.Fatalf("invite: exit %d\n%s", code, out)
	}
	msg := box.WaitFor(t, "ann@acme.test", 20*time.Second)
	link := regexp.MustCompile(`tether://invite/[A-Za-z0-9_-]{43}\?server=[^ \n]+`).FindString(msg.Text)
	if link == "" || !strings.Contains(msg.Subject, "Acme Ltd") || msg.Header.Get("From") != `"Acme Phones" <phones@tether.test>` {
		t.Fatalf("the invitation email: %q from %q\n%s", msg.Subject, msg.Header.Get("From"), msg.Text)
	}
	if out, code := phonectlRun(t, "--server", s.api, "accept-invitation", link, "--password", "ann password 12"); code != 0 {
		t.Fatalf("ann accepts: exit %d\n%s", code, out)
	}
	ann := []string{"--server", s.api, "--user", "ann@acme.test", "--password", "ann password 12", "--listen", "127.0.0.1:0"}
	if out, code := runSwitchboard(t, "adjust", "--data", data, "--account", account, "--amount", "5", "--reason", "welcome credit"); code != 0 {
		t.Fatalf("adjust: %s", out)
	}

	call := func() (string, int) {
		answer := exec.Command(phonectlBin, append(ann, "answer", "--play", filepath.Join(dir, "1000.wav"), "--count", "1", "--duration", "5s")...)
		stdout, _ := answer.StdoutPipe()
		answer.Stderr = os.Stderr
		if err := answer.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { answer.Process.Kill(); answer.Wait() }()
		waitFor(t, lines(stdout), "registered")
		return phonectlRun(t, append(boss, "call", "102", "--play", filepath.Join(dir, "440.wav"), "--record", filepath.Join(dir, "boss.wav"), "--duration", "2s")...)
	}
	if out, code := call(); code != 0 {
		t.Fatalf("the owner calls ann: exit %d\n%s", code, out)
	}
	if sh := bestShare(t, filepath.Join(dir, "boss.wav"), 1000); sh < 0.8 {
		t.Errorf("the owner hears ann's 1000 Hz at share %.2f", sh)
	}

	if out, code := runSwitchboard(t, "accounts", "suspend", "--data", data, "--account", account, "--reason", "invoice 1042 unpaid"); code != 0 {
		t.Fatalf("suspend: exit %d\n%s", code, out)
	}
	out, code = call()
	if last := lastLine([]byte(out)); code != 4 || !strings.Contains(last, "403") || !strings.Contains(last, "suspended: invoice 1042 unpaid") {
		t.Errorf("a call while suspended: exit %d, %q", code, last)
	}
	out, _ = runSwitchboard(t, "accounts", "list", "--data", data)
	if !regexp.MustCompile(account + `\s+Acme Ltd\s+GB\s+team\s+2\s+\$5\.00\s+suspended: invoice 1042 unpaid`).MatchString(out) {
		t.Errorf("accounts list:\n%s", out)
	}
	if out, code := runSwitchboard(t, "accounts", "resume", "--data", data, "--account", account, "--reason", "paid"); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	if out, code := call(); code != 0 {
		t.Errorf("a call once resumed: exit %d\n%s", code, out)
	}
}

// TestSignUpWithPhonectl: a company signs up with phonectl, the Owner
// verifies with the code from the delivered email; a wrong code exits 2;
// a switchboard with sign-up closed refuses (exit 4).
func TestSignUpWithPhonectl(t *testing.T) {
	t.Parallel()
	box := mailbox.Start(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, box.CertPEM, 0o600)
	s := startServerEnv(t, t.TempDir(), []string{"TETHER_SMTP_PASSWORD=" + box.Password}, "--smtp", box.Addr, "--smtp-user", box.Username, "--smtp-ca", ca)
	if out, code := phonectlRun(t, "--server", s.api, "plans"); code != 0 || !strings.Contains(out, "starter") {
		t.Errorf("plans: exit %d\n%s", code, out)
	}
	out, code := phonectlRun(t, "--server", s.api, "signup", "--company", "Zed & Co", "--email", "zed@zed.test", "--password", "zed password 1",
		"--country", "CA", "--plan", "pro", "--name", "Zed")
	if code != 0 || !strings.Contains(out, "a code was emailed to zed@zed.test") {
		t.Fatalf("signup: exit %d\n%s", code, out)
	}
	code6 := regexp.MustCompile(`(?m)^\s+(\d{6})$`).FindStringSubmatch(box.WaitFor(t, "zed@zed.test", 20*time.Second).Text)
	if code6 == nil {
		t.Fatal("no code in the email")
	}
	zed := []string{"--server", s.api, "--user", "zed@zed.test", "--password", "zed password 1"}
	if out, code := phonectlRun(t, append(zed, "credits", "add", "10")...); code != 4 || !strings.Contains(out, "unverified") {
		t.Errorf("credits before verifying: exit %d\n%s", code, out)
	}
	wrong := "000000"
	if code6[1] == wrong {
		wrong = "111111"
	}
	if out, code := phonectlRun(t, append(zed, "verify", wrong)...); code != 2 || !strings.Contains(out, "wrong_code") {
		t.Errorf("a wrong code: exit %d\n%s", code, out)
	}
	if out, code := phonectlRun(t, append(zed, "verify", code6[1])...); code != 0 {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}
	if out, _ := phonectlRun(t, append(zed, "account")...); !strings.Contains(out, "Zed & Co") || !strings.Contains(out, "verified") ||
		!strings.Contains(out, "America/Toronto") || !strings.Contains(out, "plan Pro") {
		t.Errorf("account after verifying:\n%s", out)
	}
	// Verified, the subscription starts: with no card yet its first charge
	// waits, and says when the account would be suspended.
	if out, code := phonectlRun(t, append(zed, "subscription")...); code != 0 || !strings.Contains(out, "Pro plan, 1 seat: 49.00 USD") ||
		!strings.Contains(out, "due: 49.00 USD") || !strings.Contains(out, "there is no card on file") {
		t.Errorf("subscription: exit %d\n%s", code, out)
	}
	closed := startServerArgs(t, t.TempDir(), "--signup", "closed")
	if out, code := phonectlRun(t, "--server", closed.api, "signup", "--company", "No", "--email", "no@no.test", "--password", "a long password",
		"--country", "US"); code != 4 || !strings.Contains(out, "signup_closed") {
		t.Errorf("sign-up closed: exit %d\n%s", code, out)
	}
}
