package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Transfers from the app (blind, or attended after a consultation with
// the caller on hold) and call waiting's hooks: the second call of the
// phone view.

func (v *PhoneView) showTransfer() {
	first := widget.NewCheck("Talk to them first", nil)
	v.askWhom("Transfer the call", "Transfer", func(target string) { v.TransferTo(target, first.Checked) }, widget.NewFormItem("", first))
}

// askWhom asks, during a call, whom to call (a teammate from the list, or
// any extension, name or number) and gives the answer to then.
func (v *PhoneView) askWhom(title, confirm string, then func(target string), more ...*widget.FormItem) {
	v.mu.Lock()
	c := v.call
	v.mu.Unlock()
	if c == nil || v.win == nil {
		return
	}
	to := widget.NewEntry()
	to.SetPlaceHolder("Extension, name or number")
	items := append([]*widget.FormItem{widget.NewFormItem("Teammate", v.teammatePicker(to)), widget.NewFormItem("To", to)}, more...)
	dialog.ShowForm(title, confirm, "Cancel", items, func(ok bool) {
		if ok && strings.TrimSpace(to.Text) != "" {
			then(strings.TrimSpace(to.Text))
		}
	}, v.win)
}

// showAddCall asks whom to call while the call in progress waits on hold:
// once they answer, Merge calls makes it a three-way call (or Complete
// transfer hands the first call over).
func (v *PhoneView) showAddCall() {
	v.askWhom("Add a call", "Call", func(target string) { v.TransferTo(target, true) })
}

// Teammate is a teammate one may transfer a call to or add to one, as the
// Transfer and Add call dialogs offer them: Label says who, with their
// extension and whether they are online, offline or on a call (so nobody
// passes a caller to a colleague already on a call).
type Teammate struct {
	Label, Extension string
}

// Teammates are the other members of the account who have an extension,
// with their presence, as of now.
func (v *PhoneView) Teammates(ctx context.Context) ([]Teammate, error) {
	ms, err := v.s.Account.Team(ctx)
	if err != nil {
		return nil, err
	}
	var out []Teammate
	for _, m := range ms {
		if m.Email == v.s.Me.Email || m.Extension == "" {
			continue
		}
		label := m.Email + " · ext. " + m.Extension
		if m.Presence != "" {
			label += " · " + m.Presence
		}
		out = append(out, Teammate{Label: label, Extension: m.Extension})
	}
	return out, nil
}

// teammatePicker lists the teammates (loaded now, with their presence);
// picking one puts their extension in to.
func (v *PhoneView) teammatePicker(to *widget.Entry) *widget.Select {
	pick := widget.NewSelect(nil, nil)
	pick.PlaceHolder = "Loading teammates…"
	ext := map[string]string{}
	pick.OnChanged = func(label string) {
		if e, ok := ext[label]; ok {
			to.SetText(e)
		}
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ts, err := v.Teammates(ctx)
		do(func() {
			if err != nil {
				pick.PlaceHolder = "Teammates unavailable: type an extension"
				pick.Refresh()
				return
			}
			var labels []string
			for _, t := range ts {
				ext[t.Label] = t.Extension
				labels = append(labels, t.Label)
			}
			pick.SetOptions(labels)
			pick.PlaceHolder = "Pick a teammate…"
			if len(labels) == 0 {
				pick.PlaceHolder = "No teammates with an extension"
			}
			pick.Refresh()
		})
	}()
	return pick
}

// TransferTo passes the call in progress to target: at once (blind), or,
// with consult, after a call to target while this one waits on hold
// (attended): "Complete transfer" then hands it over; hanging up on
// target takes the held call up again.
func (v *PhoneView) TransferTo(target string, consult bool) {
	target = dialTarget(target)
	v.mu.Lock()
	c := v.call
	busy := v.waiting != nil
	v.mu.Unlock()
	if c == nil || busy {
		return
	}
	if !consult {
		v.state.SetText("Transferring to " + target + "…")
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			if err := c.Transfer(ctx, target, 30*time.Second); err != nil {
				do(func() { showErr(v.win, err) })
			}
		}()
		return
	}
	v.mu.Lock()
	v.waiting, v.waitingPeer, v.waitingSince = c, v.peer.Text, v.connected
	v.call, v.consulting = nil, true
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	v.mu.Unlock()
	v.showCall(target, "Calling… ("+v.waitingPeer+" on hold)") // (Transfer and Add call off till it ends)
	go func() {
		if err := c.Hold(ctx); err != nil {
			do(func() { showErr(v.win, err) })
		}
		nc, err := v.dialer.Dial(ctx, target)
		if err != nil {
			cancel()
			do(func() {
				v.mu.Lock()
				v.cancel, v.consulting = nil, false
				v.mu.Unlock()
				v.endCall(callFailure(err)) // takes the held call up again
			})
			return
		}
		do(func() { v.complete.Show(); v.merge.Show() })
		v.connectedCall(nc)
	}()
}

// CompleteTransfer hands the call on hold to the one in progress, the
// consultation (attended transfer); both leave this phone.
func (v *PhoneView) CompleteTransfer() {
	v.mu.Lock()
	held, c := v.waiting, v.call
	if held == nil || c == nil || !v.consulting {
		v.mu.Unlock()
		return
	}
	// Neither is taken up again when it ends: both are handed over.
	v.waiting, v.waitingPeer, v.consulting = nil, "", false
	v.mu.Unlock()
	v.complete.Hide()
	v.merge.Hide()
	v.state.SetText("Transferring…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		defer cancel()
		if err := held.TransferTo(ctx, c, 30*time.Second); err != nil {
			do(func() {
				v.mu.Lock()
				v.waiting, v.consulting = held, true // still on hold behind the consultation
				v.mu.Unlock()
				v.complete.Show()
				v.merge.Show()
				showErr(v.win, err)
			})
		}
	}()
}

// MergeCalls joins the call on hold and the consultation in progress in
// one three-way call (the switchboard mixes it): everyone hears everyone.
// The app stays on the consultation's call, the other held behind it;
// hanging up ends both, and when the third party leaves the app takes
// the first call up again.
func (v *PhoneView) MergeCalls() {
	v.mu.Lock()
	held, c, peer := v.waiting, v.call, v.waitingPeer
	if held == nil || c == nil || !v.consulting {
		v.mu.Unlock()
		return
	}
	v.consulting = false
	v.mu.Unlock()
	v.complete.Hide()
	v.merge.Hide()
	v.state.SetText("Joining the calls…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		defer cancel()
		err := held.Conference(ctx, c, 30*time.Second)
		do(func() {
			v.mu.Lock()
			if err != nil {
				v.consulting = true // the consultation goes on, the first call held
			} else {
				v.conference = true
			}
			v.mu.Unlock()
			if err != nil {
				v.complete.Show()
				v.merge.Show()
				showErr(v.win, err)
				return
			}
			v.state.SetText("Three-way call with " + peer)
		})
	}()
}

// Conference reports whether the calls are joined in a three-way call.
func (v *PhoneView) Conference() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.conference
}

// CanTransfer reports whether Transfer… and Add call… may be used now:
// not while a call waits on hold behind the one in progress (a
// consultation, a three-way call, call waiting).
func (v *PhoneView) CanTransfer() bool { return !v.addCall.Disabled() && !v.transfer.Disabled() }

// Consulting reports whether the call in progress is a consultation
// with a call waiting to be handed over (Complete transfer showing).
func (v *PhoneView) Consulting() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.consulting
}

// AnswerRinging answers the call the incoming-call window shows, as its
// Answer button does (nothing when none rings).
func (v *PhoneView) AnswerRinging() {
	v.mu.Lock()
	answer := v.answerRing
	v.answerRing = nil
	v.mu.Unlock()
	if answer != nil {
		answer()
	}
}

// Waiting reports the call on hold behind the one in progress, if any:
// who it is with.
func (v *PhoneView) Waiting() (bool, string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.waiting != nil, v.waitingPeer
}
