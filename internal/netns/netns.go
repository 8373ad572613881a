// Package netns runs a test inside a network namespace of its own, where
// the only interface is loopback: for peers that would otherwise use the
// machine's other interfaces (a browser gathering ICE candidates on
// every address it has) or that name hosts outside (RFC 4475's torture
// messages), so the test touches nothing beyond 127.0.0.0/8.
package netns

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// inside marks the process the test was re-run as.
const inside = "TETHER_NETNS"

// Isolated re-runs the calling top-level test in a new user and network
// namespace (unshare -rn, loopback up), and reports whether this is that
// run: the test goes on when it returns true; when it returns false the
// test is done, its inner run checked (its output logged, its failure
// this test's failure).
func Isolated(t *testing.T) bool {
	t.Helper()
	if os.Getenv(inside) == "1" {
		return true
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-rn", "sh", "-c", `ip link set lo up && exec "$0" "$@"`, exe,
		"-test.run", "^" + regexp.QuoteMeta(t.Name()) + "$", "-test.count", "1", "-test.v"}
	if d, ok := t.Deadline(); ok {
		args = append(args, "-test.timeout", time.Until(d).Round(time.Second).String())
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), inside+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("in its own network namespace:\n%s", out.Bytes())
	if err != nil {
		t.Fatalf("the run in its own network namespace failed: %v", err)
	}
	if !bytes.Contains(out.Bytes(), []byte("--- PASS: "+t.Name())) {
		t.Fatal("the run in its own network namespace did not run the test")
	}
	return false
}
