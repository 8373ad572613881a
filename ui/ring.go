package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/phone"
)

// The incoming-call window: who is calling, Answer and Decline, the
// ringtone (softly, as call waiting, during a call), missed calls.

// Ring shows an incoming call: who calls, on which line, Answer or
// Decline; a call that stops ringing unanswered becomes a missed-call
// notification.
func (v *PhoneView) Ring(in *phone.Incoming) {
	from := callerName(in.Remote(), v.s.Region())
	line := "to you"
	if l := in.Line(); l != "" {
		line = "on " + l
		v.mu.Lock()
		for _, n := range v.numbers {
			if n.Number == l {
				kind := "your dedicated line"
				if n.Shared {
					kind = "the shared line"
				}
				line = fmt.Sprintf("on %s %s", kind, n.Display)
			}
		}
		v.mu.Unlock()
	}
	var stopRing func()
	v.mu.Lock()
	busy := v.call != nil
	v.mu.Unlock()
	if busy && v.SoftRinger != nil {
		stopRing = v.SoftRinger()
	} else if !busy && v.Ringer != nil {
		stopRing = v.Ringer()
	}
	stop := func() {
		if stopRing != nil {
			stopRing()
			stopRing = nil
		}
	}
	var d dialog.Dialog
	handled := false // on the UI thread only
	answer := widget.NewButton("Answer", func() {
		handled = true
		d.Hide()
		stop()
		v.mu.Lock()
		first, firstPeer := v.call, v.peer.Text
		if first != nil && v.waiting != nil {
			v.mu.Unlock()
			in.Decline(486) // two calls already: one talking, one on hold
			return
		}
		v.waiting, v.waitingPeer, v.waitingSince = first, firstPeer, v.connected
		v.mu.Unlock()
		if first != nil {
			// Call waiting: the call in progress is held while this one
			// is taken, and taken up again when this one ends.
			v.showCall(from, "Answering… ("+firstPeer+" on hold)")
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := first.Hold(ctx); err != nil {
					do(func() { showErr(v.win, err) })
				}
				if err := in.Answer(ctx); err != nil {
					do(func() { v.endCall("Could not answer: " + err.Error()) })
					return
				}
				v.connectedCall(in.Call)
			}()
			return
		}
		v.showCall(from, "Answering…")
		v.lookUpCRM(callerUser(in.Remote()))
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := in.Answer(ctx)
			cancel()
			if err != nil {
				do(func() { v.endCall("Could not answer: " + err.Error()) })
				return
			}
			v.connectedCall(in.Call)
		}()
	})
	answer.Importance = widget.SuccessImportance
	v.mu.Lock()
	v.answerRing = answer.OnTapped
	v.mu.Unlock()
	decline := widget.NewButton("Decline", func() { handled = true; d.Hide(); stop(); in.Decline(603) })
	decline.Importance = widget.DangerImportance
	who := widget.NewLabelWithStyle(from, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	if book, ok := v.s.Account.(ContactBook); ok && strings.HasPrefix(callerUser(in.Remote()), "+") {
		number := callerUser(in.Remote())
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if cs, err := book.Contacts(ctx, number); err == nil && len(cs) > 0 {
				name := cs[0].Name
				if cs[0].Company != "" {
					name += " (" + cs[0].Company + ")"
				}
				do(func() { who.SetText(name + " · " + from) })
			}
		}()
	}
	link := widget.NewHyperlink("", nil)
	link.Alignment = fyne.TextAlignCenter
	link.Hide()
	if strings.HasPrefix(callerUser(in.Remote()), "+") {
		v.findCRM(callerUser(in.Remote()), func(text string, u *url.URL) { link.SetText(text); link.SetURL(u); link.Show() })
	}
	d = dialog.NewCustomWithoutButtons("Incoming call", container.NewVBox(
		who, link,
		widget.NewLabelWithStyle(line, fyne.TextAlignCenter, fyne.TextStyle{}),
		container.NewGridWithColumns(2, decline, answer)), v.win)
	d.Show()
	go func() {
		<-in.Done()
		do(func() {
			v.mu.Lock()
			v.answerRing = nil
			v.mu.Unlock()
			if !handled {
				d.Hide()
				stop()
				fyne.CurrentApp().SendNotification(fyne.NewNotification("Missed call", fmt.Sprintf("%s called %s", from, line)))
				if v.OnMissed != nil {
					v.OnMissed() // the window shows it too: a notification may go nowhere
				}
			}
		})
	}()
}

// callerName shows a caller's URI as a number (as region writes it) or a
// name.
func callerName(uri, region string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(uri, "sip:"), "sips:")
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	if f := FormatNumber(s, region); f != s {
		return f
	}
	return s
}
