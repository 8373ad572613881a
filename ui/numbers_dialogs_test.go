package ui_test

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"github.com/tetherphone/tether/ui"
)

// overlayScroll is the first scroll on the window's top overlay.
func overlayScroll(w fyne.Window) *container.Scroll {
	var found *container.Scroll
	for _, o := range test.WidgetRenderer(w.Canvas().Overlays().Top().(fyne.Widget)).Objects() {
		walk(o, func(o fyne.CanvasObject) {
			if s, ok := o.(*container.Scroll); ok && found == nil {
				found = s
			}
		})
	}
	return found
}

// TestMenuDialogShowsItsRows (issue 15, defect 2): the phone-menu dialog
// shows its rows in a window of 800x600, not one row 35 px high reached
// by scrolling blind.
func TestMenuDialogShowsItsRows(t *testing.T) {
	a := newAccount(t)
	sh, w := shell(t, session(t, a.url, a.pw, "admin"), nil)
	ui.Run(func() {
		w.Resize(fyne.NewSize(800, 600))
		sh.Select("Numbers")
		test.Tap(findButton(t, sh.Numbers.Object(), "Phone menu…"))
	})
	var s *container.Scroll
	var view, content fyne.Size
	ui.Run(func() {
		if s = overlayScroll(w); s != nil {
			view, content = s.Size(), s.Content.MinSize()
		}
	})
	if s == nil {
		t.Fatal("no scroll on the phone-menu dialog")
	}
	if view.Height < 300 || view.Width < 500 {
		t.Errorf("the menu's rows show in %v (all of them need %v)", view, content)
	}
	if view.Height > 600 || view.Width > 800 {
		t.Errorf("the menu's rows take %v, past the 800x600 window", view)
	}
}
