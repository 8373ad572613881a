package ui_test

import (
	"testing"

	"fyne.io/fyne/v2"
	"github.com/tetherphone/tether/ui"
)

// TestEveryViewFits800x600 (issue 15, defect 8): for the owner (who sees
// every view), each view's least size fits a window of 800x600, so the
// window never widens itself (it went from 1024 to 1133 px when Numbers
// loaded) and no button is squeezed past its label (Credits at 800x600).
func TestEveryViewFits800x600(t *testing.T) {
	a := newAccount(t)
	sh, w := shell(t, session(t, a.url, a.pw, "owner"), nil)
	ui.Run(func() { w.Resize(fyne.NewSize(800, 600)) })
	for _, name := range sh.TabNames() {
		var min fyne.Size
		ui.Run(func() {
			sh.Select(name)
			min = sh.Object().MinSize()
		})
		sh.Wait()
		ui.Run(func() { min = sh.Object().MinSize() })
		if min.Width > 800 || min.Height > 600 {
			var view fyne.Size
			ui.Run(func() { view = sh.ViewMinSize(name) })
			t.Errorf("%s needs %v (its view %v), more than 800x600", name, min, view)
		}
	}
}
