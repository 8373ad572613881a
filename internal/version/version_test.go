package version

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	Version, Build, Commit = "1.2.3", "7", "abc1234"
	if s := String(); !strings.HasPrefix(s, "Tether 1.2.3 (build 7, commit abc1234, go") {
		t.Errorf("String() = %q", s)
	}
}
