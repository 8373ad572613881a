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
	"fyne.io/fyne/v2/dialog"
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
		title := fmt.Sprintf("%s   from %s to %s   %d s", m.Created.Local().Format("Jan 2 15:04"), callerName(m.From), m.Number, m.Seconds)
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
			v.status.SetText(fmt.Sprintf("Playing the message from %s (%d s).", callerName(m.From), m.Seconds))
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

// ContactsView is the team's shared contacts: search, add, edit, and call
// or text one.
type ContactsView struct {
	s       Session
	book    ContactBook
	win     fyne.Window
	search  *widget.Entry
	list    *fyne.Container
	content fyne.CanvasObject
	items   []api.ContactInfo
	// Call and Text put a contact's number in the dialer or the send box.
	Call, Text func(number string)
}

// ContactBook is what the contacts view reads and writes.
type ContactBook interface {
	Contacts(ctx context.Context, query string) ([]api.ContactInfo, error)
	SaveContact(ctx context.Context, c api.ContactInfo) (api.ContactInfo, error)
}

var _ ContactBook = (*api.Client)(nil)

// NewContactsView builds the view.
func NewContactsView(s Session, book ContactBook, win fyne.Window) *ContactsView {
	v := &ContactsView{s: s, book: book, win: win, list: container.NewVBox()}
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search by name, company or number")
	v.search.OnChanged = func(string) { go v.Load(context.Background()) }
	add := widget.NewButton("New contact…", func() { v.edit(api.ContactInfo{}) })
	add.Importance = widget.HighImportance
	v.content = container.NewBorder(container.NewBorder(nil, nil, nil, add, v.search), nil, nil, nil, container.NewVScroll(v.list))
	return v
}

// Object is the view's content.
func (v *ContactsView) Object() fyne.CanvasObject { return v.content }

// Items are the contacts listed.
func (v *ContactsView) Items() []api.ContactInfo { return v.items }

// Load runs the search; off the UI thread.
func (v *ContactsView) Load(ctx context.Context) error {
	var q string
	doWait(func() { q = v.search.Text })
	cs, err := v.book.Contacts(ctx, q)
	if err != nil {
		return err
	}
	do(func() {
		v.items = cs
		v.render()
	})
	return nil
}

func (v *ContactsView) render() {
	v.list.RemoveAll()
	if len(v.items) == 0 {
		v.list.Add(widget.NewLabel("No contacts."))
	}
	for _, c := range v.items {
		c := c
		line := c.Name
		if c.Company != "" {
			line += " · " + c.Company
		}
		var nums []string
		for _, n := range c.Numbers {
			nums = append(nums, callerName(n))
		}
		buttons := container.NewHBox(widget.NewButton("Edit", func() { v.edit(c) }))
		if len(c.Numbers) > 0 {
			if v.Call != nil {
				buttons.Add(widget.NewButton("Call", func() { v.Call(c.Numbers[0]) }))
			}
			if v.Text != nil {
				buttons.Add(widget.NewButton("Text", func() { v.Text(c.Numbers[0]) }))
			}
		}
		v.list.Add(container.NewBorder(nil, nil, nil, buttons, widget.NewLabel(line+"   "+strings.Join(nums, ", "))))
	}
}

func (v *ContactsView) edit(c api.ContactInfo) {
	name, company, numbers, notes := widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewMultiLineEntry()
	name.SetText(c.Name)
	company.SetText(c.Company)
	numbers.SetText(strings.Join(c.Numbers, ", "))
	numbers.SetPlaceHolder("+14155550123, +442071234567")
	notes.SetText(c.Notes)
	title := "New contact"
	if c.ID != "" {
		title = "Edit " + c.Name
	}
	dialog.ShowForm(title, "Save", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Name", name), widget.NewFormItem("Company", company),
		widget.NewFormItem("Numbers", numbers), widget.NewFormItem("Notes", notes)}, func(ok bool) {
		if !ok {
			return
		}
		next := api.ContactInfo{ID: c.ID, Name: name.Text, Company: company.Text, Notes: notes.Text}
		for _, n := range strings.Split(numbers.Text, ",") {
			if n = strings.TrimSpace(n); n != "" {
				next.Numbers = append(next.Numbers, n)
			}
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := v.book.SaveContact(ctx, next)
			if err != nil {
				do(func() { showErr(v.win, err) })
				return
			}
			v.Load(ctx)
		}()
	}, v.win)
}
