package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackage (issue 15): scripts/package.sh (make package) builds the
// tarball with fyne package and the .deb; the .deb, unpacked into a
// scratch root, holds softphone and phonectl printing the version of
// FyneApp.toml, a desktop entry desktop-file-validate accepts that
// handles tel:, callto: and tether: links, and the icon; the tarball
// holds the same.
func TestPackage(t *testing.T) {
	fyneTool := os.Getenv("FYNE")
	if fyneTool == "" {
		gopath, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			t.Fatal(err)
		}
		fyneTool = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "fyne")
	}
	if _, err := os.Stat(fyneTool); err != nil {
		t.Fatalf("the fyne tool is missing (make tools installs it): %v", err)
	}
	out := t.TempDir()
	cmd := exec.Command("../../scripts/package.sh", out)
	cmd.Env = append(os.Environ(), "FYNE="+fyneTool)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("package.sh: %v\n%s", err, b)
	}
	toml, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, l := range strings.Split(string(toml), "\n") {
		if v, ok := strings.CutPrefix(l, "Version = "); ok {
			version = strings.Trim(v, `"`)
		}
	}
	debs, _ := filepath.Glob(filepath.Join(out, "tether-softphone_"+version+"-*.deb"))
	tars, _ := filepath.Glob(filepath.Join(out, "tether-"+version+"-linux-*.tar.xz"))
	if len(debs) != 1 || len(tars) != 1 {
		t.Fatalf("made %v and %v", debs, tars)
	}
	root := t.TempDir()
	if b, err := exec.Command("dpkg", "-x", debs[0], root).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -x: %v\n%s", err, b)
	}
	for _, bin := range []string{"softphone", "phonectl"} {
		b, err := exec.Command(filepath.Join(root, "usr", "bin", bin), "--version").Output()
		if err != nil || !strings.HasPrefix(string(b), "Tether "+version+" (build ") {
			t.Errorf("the installed %s --version: %q %v", bin, b, err)
		}
	}
	entry := filepath.Join(root, "usr", "share", "applications", "com.tetherphone.softphone.desktop")
	if b, err := exec.Command("desktop-file-validate", entry).CombinedOutput(); err != nil {
		t.Errorf("desktop-file-validate: %v\n%s", err, b)
	}
	if b, _ := os.ReadFile(entry); !strings.Contains(string(b), "MimeType=x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/tether;") ||
		!strings.Contains(string(b), "Exec=softphone %u") {
		t.Errorf("the desktop entry:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(root, "usr", "share", "pixmaps", "com.tetherphone.softphone.png")); err != nil {
		t.Error(err)
	}
	if b, err := exec.Command("dpkg-deb", "-f", debs[0], "Depends").Output(); err != nil || !strings.Contains(string(b), "libc6") || !strings.Contains(string(b), "libopus0") {
		t.Errorf("the .deb depends on %q (%v)", b, err)
	}
	list, err := exec.Command("tar", "-tJf", tars[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"softphone/usr/local/bin/softphone", "softphone/usr/local/bin/phonectl",
		"softphone/usr/local/share/applications/com.tetherphone.softphone.desktop", "softphone/Makefile"} {
		if !strings.Contains(string(list), want+"\n") {
			t.Errorf("the tarball lacks %s:\n%s", want, list)
		}
	}
}
