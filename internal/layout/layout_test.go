package layout_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/tetherphone/tether/"

// deps lists what pattern's packages import, directly or not, by package.
func deps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Deps " "}}`, mod+pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	m := map[string][]string{}
	if len(out) == 0 {
		t.Fatalf("go list %s: no packages", pattern)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, ds, _ := strings.Cut(line, ":")
		m[strings.TrimPrefix(pkg, mod)] = strings.Fields(ds)
	}
	return m
}

// TestLayout: the rules of the architecture, each a set of packages and
// what none of them may depend on.
func TestLayout(t *testing.T) {
	// The rules read real dependencies: the server does depend on the
	// switchboard and the assembly.
	sb := deps(t, "cmd/switchboard")["cmd/switchboard"]
	if !slices.Contains(sb, mod+"phone/switchboard") || !slices.Contains(sb, mod+"account/system") {
		t.Fatalf("cmd/switchboard's dependencies read as %v", sb)
	}
	for _, r := range []struct {
		pattern string
		except  []string // packages of the pattern the rule does not cover
		banned  []string // import path prefixes
		why     string
	}{
		{"cmd/switchboard", nil, []string{"github.com/gen2brain/malgo", "fyne.io/", mod + "audio/device", mod + "ui"},
			"the headless server links no sound library and no UI"},
		{"phone/...", nil, []string{mod + "internal/", "fyne.io/", mod + "ui", mod + "cmd/"},
			"the phone and the switchboard are product code: no test peers, no UI"},
		{"phone/switchboard/...", nil, []string{mod + "phone/netsim", "github.com/gen2brain/malgo"},
			"the switchboard shares only protocol packages with the softphone"},
		{"account/...", nil, []string{"fyne.io/", mod + "ui", "github.com/gen2brain/malgo"},
			"the account domain has no UI and no sound"},
		{"audio/...", []string{"audio/device"}, []string{"github.com/gen2brain/malgo", "fyne.io/"},
			"audio is pure DSP; the device layer is audio/device"},
		{"speech/...", nil, []string{"github.com/gen2brain/malgo", "fyne.io/", mod + "ui", mod + "account/", mod + "phone/", mod + "internal/"},
			"speech turns audio into text and back: no UI, no sound card, no knowledge of calls or money"},
	} {
		for pkg, ds := range deps(t, r.pattern) {
			if slices.Contains(r.except, pkg) {
				continue
			}
			for _, d := range ds {
				for _, b := range r.banned {
					if strings.HasPrefix(d, b) {
						t.Errorf("%s depends on %s: %s", pkg, d, r.why)
					}
				}
			}
		}
	}
	// The switchboard does not use the softphone's user agent (package
	// phone): they meet only in sdp, media, dtmf and the WebRTC gateway.
	for pkg, ds := range deps(t, "phone/switchboard") {
		if slices.Contains(ds, mod+"phone") {
			t.Errorf("%s depends on the softphone's user agent (package phone)", pkg)
		}
	}
}
