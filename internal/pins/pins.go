//go:build pins

// Package pins holds the versions of the libraries the telephony work is
// built on (SIP, WebRTC media, sound devices) in go.mod before the code
// that imports them lands. It is never compiled: the build tag keeps it out
// of every build while `go mod tidy` still sees it.
package pins

import (
	_ "github.com/emiago/sipgo"
	_ "github.com/gen2brain/malgo"
	_ "github.com/pion/webrtc/v4"
)
