package desktop_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherphone/tether/internal/desktop"
)

func TestLinksAndAutostart(t *testing.T) {
	data, config := t.TempDir(), t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("PATH", "") // no xdg-mime: the entry alone
	path, err := desktop.RegisterLinks("/opt/tether app/softphone")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || path != filepath.Join(data, "applications", desktop.ID+".desktop") {
		t.Fatalf("%s: %v", path, err)
	}
	entry := string(b)
	for _, want := range []string{`Exec="/opt/tether app/softphone" %u`, "MimeType=x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/tether;"} {
		if !strings.Contains(entry, want) {
			t.Errorf("the entry lacks %q:\n%s", want, entry)
		}
	}
	if desktop.Autostart() {
		t.Fatal("autostart before it was set")
	}
	if err := desktop.SetAutostart("/usr/bin/softphone", true); err != nil || !desktop.Autostart() {
		t.Fatalf("autostart on: %v", err)
	}
	b, _ = os.ReadFile(filepath.Join(config, "autostart", desktop.ID+".desktop"))
	if !strings.Contains(string(b), "Exec=/usr/bin/softphone\n") {
		t.Errorf("the autostart entry:\n%s", b)
	}
	if err := desktop.SetAutostart("/usr/bin/softphone", false); err != nil || desktop.Autostart() {
		t.Fatalf("autostart off: %v", err)
	}
}

// TestLinkNumber: the links that ask the app to call a number, and those
// that do not.
func TestLinkNumber(t *testing.T) {
	for link, want := range map[string]string{
		"tel:+14155550100":                          "+14155550100",
		"tel:+44-20-7946-0958;ext=12":               "+44-20-7946-0958",
		"TEL:%2B442079460958":                       "+442079460958",
		"callto://+14155550100":                     "+14155550100",
		"callto:020 7946 0958":                      "020 7946 0958",
		"tether://call?to=%2B442079460958":          "+442079460958",
		"tether://call?to=+1%20415%20555%200100":    "+1 415 555 0100",
		"TETHER://call/?to=%2B14155550100&from=crm": "+14155550100",
		"tether://call?to=":                         "",
		"tether://call?to=javascript:alert(1)":      "",
		"tether://callme?to=%2B14155550100":         "",
		"tether://invite/ABC":                       "",
		"tel:":                                      "",
		"tel:+1415555010x":                          "",
		"https://example.com/?to=+14155550100":      "",
	} {
		got, ok := desktop.LinkNumber(link)
		if got != want || ok != (want != "") {
			t.Errorf("LinkNumber(%q) = %q, %v; want %q", link, got, ok, want)
		}
	}
}
