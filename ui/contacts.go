package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
)

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
			nums = append(nums, callerName(n, v.s.Region()))
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
