// Package peers starts real third-party SIP peers from Debian's packages
// (Kamailio today; baresip and sipp as the tests need them) on loopback
// for interoperability tests, and stops them when the test ends.
package peers

import (
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/phone/selfcert"
)

// Kamailio is a running Kamailio registrar and proxy.
type Kamailio struct {
	Port    int            // UDP and TCP on 127.0.0.1
	TLSPort int            // TLS on 127.0.0.1
	WSPort  int            // SIP over WebSocket (RFC 7118) on 127.0.0.1, any path
	CA      *x509.CertPool // trusts its TLS certificate
	Domain  string         // the SIP domain users register in: "127.0.0.1"
	Log     *os.File
}

// FreePort returns a port the OS says is free for both UDP and TCP on
// loopback. (A peer configured by file cannot take port 0 itself.)
func FreePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

const kamailioCfg = `#!KAMAILIO
debug=2
log_stderror=yes
memdbg=5
memlog=5
children=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:%[1]d
listen=tcp:127.0.0.1:%[1]d
listen=tls:127.0.0.1:%[4]d
listen=tcp:127.0.0.1:%[6]d
alias="127.0.0.1:%[1]d"
alias="127.0.0.1:%[4]d"
alias="127.0.0.1:%[6]d"
enable_tls=yes
tcp_accept_no_cl=yes

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "tls.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
loadmodule "nathelper.so"

modparam("tls", "config", "%[5]s")
modparam("nathelper|registrar", "received_avp", "$avp(RECEIVED)")

modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "min_expires", 10)
modparam("auth_db", "db_url", "text://%[2]s")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")
modparam("auth_db", "use_domain", 0)
modparam("auth", "algorithm", "%[3]s")

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check()) {
		exit;
	}
	# SIP over WebSocket (RFC 7118): the client names an .invalid host, so
	# it is reached at the connection it came in on.
	if ($proto == "ws" || $proto == "wss") {
		force_rport();
		if (is_method("REGISTER")) {
			fix_nated_register();
		} else if (!has_totag()) {
			add_contact_alias();
		}
	}
	if (has_totag()) {
		if (loose_route()) {
			handle_ruri_alias();
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				t_relay();
			}
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			t_relay();
		}
		exit;
	}
	if (is_method("REGISTER")) {
		if (!auth_check("$fd", "subscriber", "1")) {
			auth_challenge("$fd", "0");
			exit;
		}
		if (!save("location")) {
			sl_reply_error();
		}
		exit;
	}
	if (!auth_check("$fd", "subscriber", "1")) {
		auth_challenge("$fd", "0");
		exit;
	}
	consume_credentials();
	record_route();
	if (!lookup("location")) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	t_relay();
}

onreply_route {
	if ($proto == "ws" || $proto == "wss") {
		add_contact_alias();
	}
}

event_route[xhttp:request] {
	set_reply_close();
	set_reply_no_connect();
	if ($hdr(Upgrade) =~ "websocket" && $hdr(Connection) =~ "Upgrade" && $rm =~ "GET") {
		if (ws_handle_handshake()) {
			exit;
		}
	}
	xhttp_reply("404", "Not Found", "", "");
}
`

// StartKamailio runs Kamailio on a free loopback port with the given users
// (name -> password) in a db_text subscriber table, challenging with the
// digest algorithm given ("MD5" or "SHA-256").
func StartKamailio(t testing.TB, users map[string]string, algorithm string) *Kamailio {
	t.Helper()
	if _, err := exec.LookPath("kamailio"); err != nil {
		t.Fatalf("kamailio is not installed (make deps installs it): %v", err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	if err := os.MkdirAll(db, 0o755); err != nil {
		t.Fatal(err)
	}
	var sub strings.Builder
	sub.WriteString("id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null)\n")
	i := 1
	for name, pass := range users {
		fmt.Fprintf(&sub, "%d:%s:127.0.0.1:%s::\n", i, name, pass)
		i++
	}
	files := map[string]string{
		"version":    "id(int,auto) table_name(string) table_version(int)\n1:subscriber:7\n",
		"subscriber": sub.String(),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(db, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := selfcert.New()
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := filepath.Join(dir, "tls.cfg")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, cert.CertPEM, 0o644)
	os.WriteFile(keyFile, cert.KeyPEM, 0o600)
	os.WriteFile(tlsCfg, []byte(fmt.Sprintf(`[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = %s
certificate = %s

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
`, keyFile, certFile)), 0o644)
	k := &Kamailio{Domain: "127.0.0.1", CA: cert.Pool}
	for attempt := range 3 { // a port can be taken between check and use
		k.Port, k.TLSPort, k.WSPort = FreePort(t), FreePort(t), FreePort(t)
		cfg := filepath.Join(dir, "kamailio.cfg")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(kamailioCfg, k.Port, db, algorithm, k.TLSPort, tlsCfg, k.WSPort)), 0o644); err != nil {
			t.Fatal(err)
		}
		k.Log, _ = os.Create(filepath.Join(dir, fmt.Sprintf("kamailio-%d.log", attempt)))
		cmd := command("kamailio", "-DD", "-E", "-f", cfg, "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"), "-m", "384", "-M", "16") // shared memory enough for a thousand transactions a second
		cmd.Stdout, cmd.Stderr = k.Log, k.Log
		if err = cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stop(cmd, 10*time.Second) })
		if err = waitTCP(fmt.Sprintf("127.0.0.1:%d", k.Port), 20*time.Second); err == nil {
			return k
		}
		cmd.Process.Kill()
	}
	log, _ := os.ReadFile(k.Log.Name())
	t.Fatalf("kamailio did not start: %v\n%s", err, log)
	return nil
}

// stop interrupts a peer and kills it if it has not exited within grace.
func stop(cmd *exec.Cmd, grace time.Duration) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		cmd.Process.Kill()
		<-done
	}
}

func waitTCP(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
