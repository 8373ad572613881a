package ui

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/audio"
)

// Voicemails is what the voicemail view reads from the account API.
type Voicemails interface {
	Numbers(ctx context.Context) ([]api.NumberInfo, error)
	Voicemails(ctx context.Context, number string) ([]api.VoicemailInfo, error)
	VoicemailAudio(ctx context.Context, id string) ([]byte, error)
	MarkVoicemail(ctx context.Context, id string, heard bool) error
}

var _ Voicemails = (*api.Client)(nil)

// VoicemailView lists the messages left on my numbers, newest first, and
// plays them.
type VoicemailView struct {
	s       Session
	vm      Voicemails
	win     fyne.Window
	list    *fyne.Container
	status  *widget.Label
	content fyne.CanvasObject
	items   []api.VoicemailInfo
	// Play plays a message's audio (8 kHz mono); the app wires it to the
	// speaker. nil: messages can be listed, not heard.
	Play func(pcm *audio.PCM) (stop func(), err error)
	stop func()
}

// NewVoicemailView builds the view.
func NewVoicemailView(s Session, vm Voicemails, win fyne.Window) *VoicemailView {
	v := &VoicemailView{s: s, vm: vm, win: win, list: container.NewVBox(), status: widget.NewLabel("")}
	v.content = container.NewBorder(container.NewVBox(widget.NewLabelWithStyle("Voicemail", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.status),
		nil, nil, nil, container.NewVScroll(v.list))
	return v
}

// Object is the view's content.
func (v *VoicemailView) Object() fyne.CanvasObject { return v.content }

// Items are the messages listed.
func (v *VoicemailView) Items() []api.VoicemailInfo { return v.items }

// Load reads the messages on every number I answer; off the UI thread.
func (v *VoicemailView) Load(ctx context.Context) error {
	nums, err := v.vm.Numbers(ctx)
	if err != nil {
		return err
	}
	var all []api.VoicemailInfo
	for _, n := range nums {
		vs, err := v.vm.Voicemails(ctx, n.Number)
		if err != nil {
			return err
		}
		all = append(all, vs...)
	}
	slices.SortFunc(all, func(a, b api.VoicemailInfo) int { return b.Created.Compare(a.Created) })
	do(func() {
		v.items = all
		v.render()
	})
	return nil
}

func (v *VoicemailView) render() {
	v.list.RemoveAll()
	if len(v.items) == 0 {
		v.list.Add(widget.NewLabel("No messages."))
	}
	for _, m := range v.items {
		m := m
		title := fmt.Sprintf("%s   from %s to %s   %d s", m.Created.Local().Format("Jan 2 15:04"), callerName(m.From, v.s.Region()), m.Number, m.Seconds)
		label := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: !m.Heard})
		play := widget.NewButton("Play", func() { v.PlayMessage(m) })
		if v.Play == nil {
			play.Disable()
		}
		v.list.Add(container.NewBorder(nil, nil, nil, play, label))
	}
}

// PlayMessage fetches a message's audio, plays it and marks it heard.
func (v *VoicemailView) PlayMessage(m api.VoicemailInfo) {
	if v.stop != nil {
		v.stop()
		v.stop = nil
	}
	v.status.SetText("Fetching the message…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		b, err := v.vm.VoicemailAudio(ctx, m.ID)
		var pcm *audio.PCM
		if err == nil {
			pcm, err = audio.ReadWAV(bytes.NewReader(b))
		}
		if err == nil {
			err = v.vm.MarkVoicemail(ctx, m.ID, true)
		}
		do(func() {
			if err != nil {
				v.status.SetText("")
				showErr(v.win, err)
				return
			}
			v.status.SetText(fmt.Sprintf("Playing the message from %s (%d s).", callerName(m.From, v.s.Region()), m.Seconds))
			if v.Play != nil {
				if stop, err := v.Play(pcm); err == nil {
					v.stop = stop
				} else {
					v.status.SetText("Cannot play: " + err.Error())
				}
			}
		})
		v.Load(ctx)
	}()
}

// Status is the line above the list.
func (v *VoicemailView) Status() string { return v.status.Text }
