package main_test

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/eventually"
)

// selectedTab is where the selected tab's marker is (the vertical middle
// of the primary-coloured bar right of the tab labels), or -1.
func selectedTab(t *testing.T, path string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var sum, n float64
	for y := 0; y < 720; y++ {
		r, _, b, _ := img.At(81, y).RGBA()
		if b>>8 > 180 && r>>8 < 100 {
			sum += float64(y)
			n++
		}
	}
	if n < 10 {
		return -1
	}
	return sum / n
}

// TestShortcutsInTheWindow: real key presses (xdotool) in the real window
// under Xvfb: Ctrl+2 and Ctrl+6 open the second and sixth views, Ctrl+D
// the dialer; with the dialer's field focused and typed into, Ctrl+4 still
// opens the fourth view (a shortcut on the canvas never got past a focused
// field: they are the window menu's now).
func TestShortcutsInTheWindow(t *testing.T) {
	display := xvfb(t)
	dir := t.TempDir()
	_, lines := app(t, display, nil, "--demo", "--data", filepath.Join(dir, "data"), "--audio-backend", "null")
	waitLine(t, lines, "registered in ")
	shot := filepath.Join(dir, "shot.png")
	at := func() float64 {
		screenshot(t, display, shot)
		return selectedTab(t, shot)
	}
	var phone float64
	eventually.Must(t, 30*time.Second, "the window drawn with the Phone view", func() bool { phone = at(); return phone > 0 })
	press := func(keys string, want func(float64) bool, what string) float64 {
		t.Helper()
		xdo(t, display, "key", keys)
		var got float64
		if !eventually.True(10*time.Second, func() bool { got = at(); return want(got) }) {
			t.Fatalf("%s: the selected tab's marker is at y %.0f", what, got)
		}
		return got
	}
	calls := press("ctrl+2", func(y float64) bool { return y > phone+20 }, "Ctrl+2")
	step := calls - phone // one tab down
	near := func(i int) func(float64) bool {
		return func(y float64) bool { return math.Abs(y-(phone+float64(i)*step)) < step/3 }
	}
	press("ctrl+6", near(5), "Ctrl+6")
	press("ctrl+d", near(0), "Ctrl+D")
	xdo(t, display, "type", "--delay", "30", "4420") // into the focused dialer
	press("ctrl+4", near(3), "Ctrl+4 with the dialer focused")
}
