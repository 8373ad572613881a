package ui

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
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
	// playing counts playbacks: a message's end (its length elapsed)
	// changes the status only if no other playback began since.
	playing int
	stopBtn *widget.Button
}

// NewVoicemailView builds the view.
func NewVoicemailView(s Session, vm Voicemails, win fyne.Window) *VoicemailView {
	v := &VoicemailView{s: s, vm: vm, win: win, list: container.NewVBox(), status: widget.NewLabel("")}
	v.stopBtn = widget.NewButton("Stop", v.StopPlaying)
	v.stopBtn.Hide()
	v.content = container.NewBorder(container.NewVBox(widget.NewLabelWithStyle("Voicemail", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, v.stopBtn, v.status)), nil, nil, nil, container.NewVScroll(v.list))
	return v
}

// StopPlaying stops the message playing, if one is.
func (v *VoicemailView) StopPlaying() {
	v.playing++
	if v.stop != nil {
		v.stop()
		v.stop = nil
	}
	v.stopBtn.Hide()
	if strings.HasPrefix(v.status.Text, "Playing") {
		v.status.SetText("Stopped.")
	}
}

// Playing reports whether a message is playing (its Stop button shows).
func (v *VoicemailView) Playing() bool { return v.stopBtn.Visible() }

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
	v.StopPlaying()
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
			who := callerName(m.From, v.s.Region())
			v.status.SetText(fmt.Sprintf("Playing the message from %s (%d s).", who, m.Seconds))
			if v.Play != nil {
				stop, err := v.Play(pcm)
				if err != nil {
					v.status.SetText("Cannot play: " + err.Error())
					return
				}
				v.stop = stop
				v.playing++
				n := v.playing
				v.stopBtn.Show()
				// When its length has played, it is over.
				length := time.Duration(len(pcm.Samples)/max(pcm.Channels, 1)) * time.Second / time.Duration(max(pcm.Rate, 1))
				time.AfterFunc(length+300*time.Millisecond, func() {
					do(func() {
						if v.playing != n {
							return
						}
						v.StopPlaying()
						v.status.SetText(fmt.Sprintf("Played the message from %s.", who))
					})
				})
			}
		})
		v.Load(ctx)
	}()
}

// Status is the line above the list.
func (v *VoicemailView) Status() string { return v.status.Text }
