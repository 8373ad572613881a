// Package assets holds the files the programs embed: the app icon today,
// ringtones and fonts as they arrive.
package assets

import _ "embed"

// Icon is the app icon, a 256x256 PNG.
//
//go:embed Icon.png
var Icon []byte
