package peers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// Coturn is a TURN (and STUN) server from Debian's coturn package,
// listening and relaying on loopback only.
type Coturn struct {
	Port           int
	User, Password string
	Log            string // its log file
}

// TURN is the server as a TURN URL with credentials, the way phonectl's
// --ice takes it.
func (c *Coturn) TURN() string {
	return fmt.Sprintf("turn:%s:%s@127.0.0.1:%d?transport=udp", c.User, c.Password, c.Port)
}

// StartCoturn starts coturn for the test: UDP only, long-term credentials,
// relaying between loopback peers (which it refuses by default).
func StartCoturn(t testing.TB) *Coturn {
	t.Helper()
	if _, err := exec.LookPath("turnserver"); err != nil {
		t.Fatalf("turnserver is not installed (make deps installs coturn): %v", err)
	}
	dir := t.TempDir()
	c := &Coturn{User: "tether", Password: "relay-secret"}
	var err error
	for attempt := range 3 { // a port can be taken between check and use
		c.Port = FreePort(t)
		c.Log = filepath.Join(dir, fmt.Sprintf("coturn-%d.log", attempt))
		log, _ := os.Create(c.Log)
		cmd := command("turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
			fmt.Sprintf("--listening-port=%d", c.Port), "--lt-cred-mech", "--user="+c.User+":"+c.Password, "--realm=tether",
			"--no-tls", "--no-dtls", "--no-tcp", "--no-tcp-relay", "--no-cli", "--allow-loopback-peers", "--no-multicast-peers",
			"--userdb="+filepath.Join(dir, "turndb"), "--pidfile="+filepath.Join(dir, "turnserver.pid"), "--simple-log",
			"--log-file=stdout", "--verbose")
		cmd.Stdout, cmd.Stderr = log, log
		if err = cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stop(cmd, 10*time.Second); log.Close() })
		if err = waitSTUN(fmt.Sprintf("127.0.0.1:%d", c.Port), 20*time.Second); err == nil {
			return c
		}
		cmd.Process.Kill()
	}
	log, _ := os.ReadFile(c.Log)
	t.Fatalf("coturn did not start: %v\n%s", err, log)
	return nil
}

// waitSTUN asks addr for its binding until it answers.
func waitSTUN(addr string, within time.Duration) error {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(within)
	buf := make([]byte, 1500)
	for time.Now().Before(deadline) {
		req := stun.MustBuild(stun.TransactionID, stun.BindingRequest)
		conn.Write(req.Raw)
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := conn.Read(buf)
		if err == nil && stun.IsMessage(buf[:n]) {
			return nil
		}
	}
	return fmt.Errorf("no STUN answer from %s within %s", addr, within)
}
