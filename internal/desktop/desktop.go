// Package desktop connects the app to a Linux desktop (freedesktop.org
// conventions): the launcher entry that makes it the handler of tel: and
// callto: links, and starting at login.
package desktop

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ID is the app's desktop entry name.
const ID = "com.tetherphone.softphone"

func dataHome() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return d
	}
	h, _ := os.UserHomeDir()
	return filepath.Join(h, ".local", "share")
}

func configHome() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	h, _ := os.UserHomeDir()
	return filepath.Join(h, ".config")
}

// Entry is the desktop entry that starts exe, handling tel:, callto: and
// tether: (invitation) links (the link is passed as the argument).
func Entry(exe string) string {
	return fmt.Sprintf(`[Desktop Entry]
Type=Application
Name=Tether
GenericName=Business phone
Comment=Calls, texts and your team's numbers
Exec=%s %%u
Icon=%s
Terminal=false
Categories=Network;Telephony;
MimeType=x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/tether;
`, quoteExec(exe), ID)
}

// quoteExec quotes a path for a desktop entry's Exec key.
func quoteExec(p string) string {
	if !strings.ContainsAny(p, " \t\"'\\$`") {
		return p
	}
	r := strings.NewReplacer(`\`, `\\\\`, `"`, `\\"`, "`", "\\\\`", `$`, `\\$`)
	return `"` + r.Replace(p) + `"`
}

// RegisterLinks installs the desktop entry and makes the app the default
// handler of tel:, callto: and tether: links (through xdg-mime when the desktop has
// it). It returns where the entry was written.
func RegisterLinks(exe string) (string, error) {
	dir := filepath.Join(dataHome(), "applications")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, ID+".desktop")
	if err := os.WriteFile(path, []byte(Entry(exe)), 0o644); err != nil {
		return "", err
	}
	if _, err := exec.LookPath("xdg-mime"); err == nil {
		for _, scheme := range []string{"tel", "callto", "tether"} {
			if out, err := exec.Command("xdg-mime", "default", ID+".desktop", "x-scheme-handler/"+scheme).CombinedOutput(); err != nil {
				return path, fmt.Errorf("xdg-mime: %v: %s", err, out)
			}
		}
	}
	return path, nil
}

// SetAutostart starts the app at login (on) or not (off).
func SetAutostart(exe string, on bool) error {
	path := filepath.Join(configHome(), "autostart", ID+".desktop")
	if !on {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	entry := strings.Replace(Entry(exe), " %u\n", "\n", 1) + "X-GNOME-Autostart-enabled=true\n"
	return os.WriteFile(path, []byte(entry), 0o644)
}

// Autostart reports whether the app starts at login.
func Autostart() bool {
	_, err := os.Stat(filepath.Join(configHome(), "autostart", ID+".desktop"))
	return err == nil
}

// LinkNumber reads the number a link asks to call: tel: and callto:
// (RFC 3966; parameters after ";" dropped) and tether://call?to=NUMBER (a
// CRM's click-to-call). The number is digits, "+" and the usual separators
// only; anything else is not a number to call.
func LinkNumber(link string) (string, bool) {
	lower := strings.ToLower(link)
	if rest, ok := strings.CutPrefix(lower, "tether://call"); ok && (rest == "" || rest[0] == '?' || rest[0] == '/') {
		u, err := url.Parse(link)
		if err != nil {
			return "", false
		}
		// A "+" in the query is the number's, not a space: links are
		// often written by hand (tether://call?to=+1415...).
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if raw, ok := strings.CutPrefix(kv, "to="); ok {
				n, err := url.PathUnescape(raw)
				if err != nil {
					return "", false
				}
				return phoneNumber(n)
			}
		}
		return "", false
	}
	for _, p := range []string{"tel:", "callto:", "callto://"} {
		if rest, ok := strings.CutPrefix(lower, p); ok {
			n, _ := url.PathUnescape(link[len(link)-len(rest):])
			n, _, _ = strings.Cut(n, ";")
			return phoneNumber(strings.TrimPrefix(n, "//"))
		}
	}
	return "", false
}

func phoneNumber(n string) (string, bool) {
	n = strings.TrimSpace(n)
	if n == "" || len(n) > 40 || strings.Trim(n, "+0123456789 -().") != "" {
		return "", false
	}
	return n, true
}
