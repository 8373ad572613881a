package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
)

// TestCallBaresip calls a real baresip (Debian's package) through Kamailio:
// baresip answers and sends a 440 Hz tone, phonectl sends 1000 Hz and four
// key presses; each side's recording is checked by frequency analysis and
// baresip's log for the digits.
func TestCallBaresip(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "carol": "carol-secret"}, "MD5")
	b := peers.StartBaresip(t, k, "carol", 440)
	dir := t.TempDir()
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 4)
	out, err := exec.Command(bin, append(account(k, "alice"), "call", "carol", "--play", filepath.Join(dir, "1000.wav"),
		"--record", filepath.Join(dir, "alice.wav"), "--duration", "3s", "--dtmf", "159#")...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(b.Log)
		t.Fatalf("call: %v\n%s\nbaresip:\n%s", err, out, log)
	}
	// baresip logs each RFC 4733 event it receives.
	log, _ := os.ReadFile(b.Log)
	var digits []string
	for _, m := range regexp.MustCompile(`received event: '(.)' \(end=1\)`).FindAllStringSubmatch(string(log), -1) {
		digits = append(digits, m[1])
	}
	if got := strings.Join(digits, ""); got != "159#" {
		t.Errorf("baresip received digits %q, want 159#\n%s", got, log)
	}
	heard := readWAV(t, filepath.Join(dir, "alice.wav"))
	if s := audio.BestShare(heard, 440, 8000, quarter); s < 0.8 {
		t.Errorf("phonectl heard baresip's 440 Hz at share %.2f", s)
	}
	var dec string
	for _, f := range b.Recordings() {
		if strings.Contains(f, "dec") {
			dec = f
		}
	}
	if dec == "" {
		t.Fatalf("baresip wrote no recording of what it received: %v", b.Recordings())
	}
	got := readWAV(t, dec)
	if len(got) < 8000 {
		t.Fatalf("baresip recorded %d samples", len(got))
	}
	if s := audio.BestShare(got, 1000, 8000, quarter); s < 0.8 {
		t.Errorf("baresip heard phonectl's 1000 Hz at share %.2f", s)
	}
}

// TestAnswerBaresip: baresip calls, phonectl answers; audio both ways.
func TestAnswerBaresip(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "carol": "carol-secret"}, "MD5")
	dir := t.TempDir()
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 3)
	answer, lines := background(t, append(account(k, "alice"), "answer", "--play", filepath.Join(dir, "1000.wav"),
		"--record", filepath.Join(dir, "alice.wav"), "--duration", "2s")...)
	waitLine(t, lines, "registered")
	b := peers.StartBaresip(t, k, "carol", 440, "/dial sip:alice@127.0.0.1")
	waitLine(t, lines, "incoming call from sip:carol@127.0.0.1")
	if err := answer.Wait(); err != nil {
		log, _ := os.ReadFile(b.Log)
		t.Fatalf("answer: %v\nbaresip:\n%s", err, log)
	}
	heard := readWAV(t, filepath.Join(dir, "alice.wav"))
	if s := audio.BestShare(heard, 440, 8000, quarter); s < 0.8 {
		t.Errorf("phonectl heard baresip's 440 Hz at share %.2f", s)
	}
	for _, f := range b.Recordings() {
		if strings.Contains(f, "dec") {
			got := readWAV(t, f)
			if s := audio.BestShare(got, 1000, 8000, quarter); s < 0.8 {
				t.Errorf("baresip heard phonectl's 1000 Hz at share %.2f", s)
			}
			return
		}
	}
	t.Fatalf("baresip wrote no recording: %v", b.Recordings())
}

// TestCallBaresipOpus: the same call negotiated in Opus with baresip.
func TestCallBaresipOpus(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "carol": "carol-secret"}, "MD5")
	b := peers.StartBaresipCodec(t, k, "carol", 440, "opus")
	dir := t.TempDir()
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 4)
	out, err := exec.Command(bin, append(account(k, "alice"), "--json", "call", "carol", "--play", filepath.Join(dir, "1000.wav"),
		"--record", filepath.Join(dir, "alice.wav"), "--duration", "3s")...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(b.Log)
		t.Fatalf("call: %v\n%s\nbaresip:\n%s", err, out, log)
	}
	log, _ := os.ReadFile(b.Log)
	if !strings.Contains(string(log), "Set audio decoder: opus") {
		t.Fatalf("baresip did not speak Opus:\n%s", log)
	}
	heard := readWAV(t, filepath.Join(dir, "alice.wav"))
	if s := audio.BestShare(heard, 440, 8000, quarter); s < 0.8 {
		t.Errorf("phonectl heard baresip's 440 Hz over Opus at share %.2f", s)
	}
}
