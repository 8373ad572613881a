// Package version says which build of Tether is running. make package
// (scripts/package.sh) sets its variables at link time from FyneApp.toml
// and git; a plain go build says "dev".
package version

import (
	"fmt"
	"runtime"
)

// Set at link time: -X github.com/tetherphone/tether/internal/version.Version=0.1.0 ...
var (
	Version = "dev"
	Build   = "0"
	Commit  = "unknown"
)

// String is the version line programs print: "Tether 0.1.0 (build 1,
// commit 1a2b3c4, go1.26.0 linux/amd64)".
func String() string {
	return fmt.Sprintf("Tether %s (build %s, commit %s, %s %s/%s)", Version, Build, Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// Short is the version without the toolchain: "Tether 0.1.0 (build 1,
// commit 1a2b3c4)".
func Short() string {
	return fmt.Sprintf("Tether %s (build %s, commit %s)", Version, Build, Commit)
}
