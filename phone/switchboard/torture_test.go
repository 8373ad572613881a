package switchboard_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/tetherphone/tether/internal/netns"
)

// The RFC 4475 torture messages (testdata/rfc4475, byte-exact from the
// RFC's archive; index.tsv says what a receiver should do with each).

type torture struct {
	file, kind, expect string
	codes              []int
	title              string
}

func tortures(t *testing.T) []torture {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "rfc4475", "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []torture
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 6 {
			t.Fatalf("index.tsv: %q", sc.Text())
		}
		m := torture{file: c[0], kind: c[2], expect: c[3], title: c[5]}
		for _, code := range strings.Split(c[4], ",") {
			if n, err := strconv.Atoi(code); err == nil {
				m.codes = append(m.codes, n)
			}
		}
		out = append(out, m)
	}
	return out
}

var viaPortRE = regexp.MustCompile(`(?i)^\s*(via|v)\s*:\s*SIP\s*/\s*2\.0\s*/\s*[a-z]+\s+\[?[^\s;:\]]+\]?(:(\d+))?`)

// viaPort is the port the message's first Via names (5060 when none):
// where RFC 3261 18.2.2 sends the answer.
func viaPort(msg []byte) int {
	head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	// Unfold continuation lines first.
	unfolded := regexp.MustCompile(`\r\n[ \t]+`).ReplaceAll(head, []byte(" "))
	for _, l := range strings.Split(string(unfolded), "\r\n") {
		if m := viaPortRE.FindStringSubmatch(l); m != nil {
			if m[3] != "" {
				p, _ := strconv.Atoi(m[3])
				return p
			}
			return 5060
		}
	}
	return 5060
}

// judge says whether the answer (0: none) is what index.tsv asks.
func (m torture) judge(code int) bool {
	switch m.expect {
	case "drop":
		return code == 0
	case "accept", "reject|liberal":
		if code == 0 {
			return false
		}
		if m.expect == "accept" && code == 400 && !slices.Contains(m.codes, 400) {
			return false
		}
		return true
	case "reject":
		return slices.Contains(m.codes, code)
	case "semantic":
		if slices.Contains(m.codes, code) {
			return true
		}
		// A registrar that authenticates challenges a REGISTER before
		// anything: that is its normal processing of a valid one.
		return code == 401 && strings.Contains(m.title, "REGISTER")
	}
	return false
}

// TestTortureMessages replays RFC 4475's torture messages at the
// switchboard over UDP (in a network namespace with nothing but
// loopback: the messages name hosts outside), each from the port its Via
// names, and scores the answers against the RFC; a normal REGISTER still
// works afterwards.
func TestTortureMessages(t *testing.T) {
	if !netns.Isolated(t) {
		return
	}
	e := newEnv(t)
	udp, _ := e.sb.Addr("udp")
	score, all := 0, tortures(t)
	var wrong []string
	for _, m := range all {
		msg, err := os.ReadFile(filepath.Join("testdata", "rfc4475", "messages", m.file+".dat"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(viaPort(msg)))))
		if err != nil {
			t.Fatalf("%s: listening where its Via names: %v", m.file, err)
		}
		if _, err := c.WriteToUDPAddrPort(msg, udp); err != nil {
			t.Fatal(err)
		}
		code := 0
		buf := make([]byte, 65536)
		deadline := time.Now().Add(700 * time.Millisecond)
		for code == 0 || code < 200 {
			c.SetReadDeadline(deadline)
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			if f := strings.Fields(string(buf[:min(n, 40)])); len(f) >= 2 && f[0] == "SIP/2.0" {
				got, _ := strconv.Atoi(f[1])
				if got >= 200 || code == 0 {
					code = got
				}
				if got >= 300 {
					ackFailure(c, buf[:n], msg, udp)
				}
			}
		}
		c.Close()
		verdict := "as the RFC says"
		if m.judge(code) {
			score++
		} else {
			verdict = "WRONG"
			wrong = append(wrong, m.file)
		}
		t.Logf("%-10s %-14s RFC %-9s answered %-3d %s", m.file, m.expect, strings.Trim(fmt.Sprint(m.codes), "[]"), code, verdict)
	}
	t.Logf("RFC 4475: %d of %d answered as the RFC says; wrong: %v", score, len(all), wrong)
	if e.sb.Calls() != 0 {
		t.Errorf("%d calls left up by the torture messages", e.sb.Calls())
	}
	bob := dialRaw(t, "127.0.0.1", udp)
	bob.registered(e, "bob@acme.test")
	if score < 48 {
		t.Errorf("RFC 4475: %d of %d; the goal is 48", score, len(all))
	}
}

// ackFailure acknowledges a final non-2xx answer to an INVITE, as the
// sender's transaction would (else the answer is sent again and again,
// into the next message's turn).
func ackFailure(c *net.UDPConn, res, req []byte, to netip.AddrPort) {
	m, err := sip.NewParser().ParseSIP(res)
	if err != nil {
		return
	}
	r, ok := m.(*sip.Response)
	if !ok || r.CSeq() == nil || r.CSeq().MethodName != sip.INVITE || r.Via() == nil || r.From() == nil || r.To() == nil || r.CallID() == nil {
		return
	}
	line, _, _ := bytes.Cut(req, []byte("\r\n"))
	f := strings.Fields(string(line))
	if len(f) < 2 {
		return
	}
	ack := fmt.Sprintf("ACK %s SIP/2.0\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		f[1], r.Via().Value(), r.From().Value(), r.To().Value(), r.CallID().Value(), r.CSeq().SeqNo)
	c.WriteToUDPAddrPort([]byte(ack), to)
}
