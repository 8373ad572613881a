package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/sms"
	"github.com/tetherphone/tether/phone"
)

// Texter sends texts; *phone.UA implements it.
type Texter interface {
	SendMessage(ctx context.Context, target, text string) error
}

var _ Texter = (*phone.UA)(nil)

// Texts is what the messages view reads from the account API.
type Texts interface {
	Messages(ctx context.Context, limit int) ([]api.MessageInfo, error)
	QuoteMessage(ctx context.Context, from, to, text string) (api.MessageQuoteInfo, error)
}

var _ Texts = (*api.Client)(nil)

// bubble is one text in a thread.
type bubble struct {
	mine bool
	text string // "" when only its record is known (bodies are not kept on the server)
	at   time.Time
	note string
}

// MessagesView is the texts, a thread per person or number, with a send
// box that counts segments and prices the text as it is typed.
type MessagesView struct {
	s      Session
	gate   *Gate
	texter Texter
	texts  Texts

	threads  *widget.List
	convo    *widget.Label
	to       *widget.Entry
	box      *widget.Entry
	counter  *widget.Label
	send     *widget.Button
	content  fyne.CanvasObject
	from     string // my number texts go out from (for prices)
	mu       sync.Mutex
	byPeer   map[string][]bubble
	order    []string // peers, most recent first
	selected string
	quoteSeq int
	// refused says why the text in the box cannot go to its number (the
	// rater refused it), "" when it can: Send stays off meanwhile.
	refused string
}

// NewMessagesView builds the view.
func NewMessagesView(s Session, gate *Gate, texter Texter, texts Texts) *MessagesView {
	v := &MessagesView{s: s, gate: gate, texter: texter, texts: texts, byPeer: map[string][]bubble{}}
	v.threads = widget.NewList(func() int { v.mu.Lock(); defer v.mu.Unlock(); return len(v.order) },
		func() fyne.CanvasObject { return widget.NewLabel("+44 20 7946 0958 (12)") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			v.mu.Lock()
			defer v.mu.Unlock()
			if i < len(v.order) {
				o.(*widget.Label).SetText(fmt.Sprintf("%s (%d)", callerName(v.order[i], v.s.Region()), len(v.byPeer[v.order[i]])))
			}
		})
	v.threads.OnSelected = func(i widget.ListItemID) {
		v.mu.Lock()
		if i < len(v.order) {
			v.selected = v.order[i]
		}
		peer := v.selected
		v.mu.Unlock()
		v.to.SetText(peer)
		v.render()
	}
	v.convo = widget.NewLabel("")
	v.convo.Wrapping = fyne.TextWrapWord
	v.to = widget.NewEntry()
	v.to.SetPlaceHolder("To: a number or an extension")
	v.to.OnChanged = func(string) { v.requote() }
	v.box = widget.NewMultiLineEntry()
	v.box.SetPlaceHolder("Write a text")
	v.box.OnChanged = func(string) { v.requote() }
	v.counter = widget.NewLabel("")
	v.send = widget.NewButton("Send", v.Send)
	v.send.Importance = widget.HighImportance
	right := container.NewBorder(v.to, container.NewVBox(v.box, container.NewBorder(nil, nil, nil, v.send, v.counter)), nil, nil,
		container.NewVScroll(v.convo))
	split := container.NewHSplit(v.threads, right)
	split.Offset = 0.3
	v.content = split
	gate.Watch(func(bool) { v.refreshSend() })
	return v
}

// Object is the view's content.
func (v *MessagesView) Object() fyne.CanvasObject { return v.content }

// Load reads the texts' records; off the UI thread.
func (v *MessagesView) Load(ctx context.Context) error {
	ms, err := v.texts.Messages(ctx, 200)
	if err != nil {
		return err
	}
	nums, err := v.s.Account.Numbers(ctx)
	if err != nil {
		return err
	}
	mine := map[string]bool{v.s.Me.Extension: true}
	from := ""
	for _, n := range nums {
		if slices.Contains(n.Members, v.s.Me.Email) {
			mine[n.Number] = true
			if from == "" {
				from = n.Number
			}
		}
	}
	do(func() {
		v.mu.Lock()
		v.from = from
		for i := len(ms) - 1; i >= 0; i-- { // oldest first
			m := ms[i]
			peer, out := m.From, true
			if mine[m.From] {
				peer = m.To
			} else {
				out = false
			}
			if !mine[m.From] && !mine[m.To] {
				continue
			}
			known := false
			for _, b := range v.byPeer[peer] {
				if b.at.Equal(m.At) || b.text != "" && b.at.Sub(m.At).Abs() < 5*time.Second && b.mine == out {
					known = true
				}
			}
			if !known {
				v.add(peer, bubble{mine: out, at: m.At, note: fmt.Sprintf("%s, %d segment(s)", m.Status, m.Segments)})
			}
		}
		v.mu.Unlock()
		v.threads.Refresh()
		v.render()
	})
	return nil
}

// add files a text under its peer, the thread moving to the top; v.mu
// held.
func (v *MessagesView) add(peer string, b bubble) {
	// In time order, a tie in the order they came: a reply is never shown
	// above the text it answers because its record was read first.
	th := v.byPeer[peer]
	i := len(th)
	for i > 0 && th[i-1].at.After(b.at) {
		i--
	}
	v.byPeer[peer] = slices.Insert(th, i, b)
	v.order = slices.DeleteFunc(v.order, func(p string) bool { return p == peer })
	v.order = append([]string{peer}, v.order...)
}

// Received shows a text that arrived; on the UI thread.
func (v *MessagesView) Received(m phone.Message) {
	peer := callerUser(m.From)
	v.mu.Lock()
	v.add(peer, bubble{text: m.Text, at: m.At})
	v.mu.Unlock()
	v.threads.Refresh()
	v.render()
	if app := fyne.CurrentApp(); app != nil {
		app.SendNotification(fyne.NewNotification("Text from "+callerName(peer, v.s.Region()), m.Text))
	}
}

// callerUser is the user part of a SIP URI (a number or an extension).
func callerUser(uri string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(uri, "<"), "sip:")
	if i := strings.IndexAny(s, "@>;"); i >= 0 {
		s = s[:i]
	}
	return s
}

// Thread is the conversation with peer as shown.
func (v *MessagesView) Thread(peer string) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, b := range v.byPeer[peer] {
		out = append(out, b.line())
	}
	return out
}

func (b bubble) line() string {
	who := "them"
	if b.mine {
		who = "me"
	}
	text := b.text
	if text == "" {
		text = "(" + b.note + ")"
	}
	return fmt.Sprintf("%s %s: %s", b.at.Local().Format("Jan 2 15:04"), who, text)
}

func (v *MessagesView) render() {
	v.mu.Lock()
	peer := v.selected
	var lines []string
	for _, b := range v.byPeer[peer] {
		lines = append(lines, b.line())
	}
	v.mu.Unlock()
	if peer == "" {
		v.convo.SetText("Pick a conversation, or write to a number.")
		return
	}
	v.convo.SetText(strings.Join(lines, "\n"))
}

// SetDraft fills the send box (for tests and a contact's "text").
func (v *MessagesView) SetDraft(to, text string) {
	v.to.SetText(to)
	v.box.SetText(text)
}

// SendEnabled reports whether Send may be pressed.
func (v *MessagesView) SendEnabled() bool { return !v.send.Disabled() }

// Counter is the segment and price line.
func (v *MessagesView) Counter() string { return v.counter.Text }

func (v *MessagesView) refreshSend() {
	v.mu.Lock()
	refused := v.refused != ""
	v.mu.Unlock()
	if refused || !v.gate.Open() || v.texter == nil || strings.TrimSpace(v.box.Text) == "" || strings.TrimSpace(v.to.Text) == "" {
		v.send.Disable()
	} else {
		v.send.Enable()
	}
}

// requote counts the text's segments at once and asks the server its
// price.
func (v *MessagesView) requote() {
	v.mu.Lock()
	v.refused = "" // until the server says otherwise of what is typed now
	v.mu.Unlock()
	v.refreshSend()
	text, to := v.box.Text, dialTarget(strings.TrimSpace(v.to.Text))
	enc, segs, _ := sms.Count(text)
	base := fmt.Sprintf("%d characters · %d segment(s), %s", len([]rune(text)), segs, enc)
	if text == "" {
		v.counter.SetText("")
		return
	}
	v.counter.SetText(base)
	v.mu.Lock()
	v.quoteSeq++
	seq, from := v.quoteSeq, v.from
	v.mu.Unlock()
	if !strings.HasPrefix(to, "+") || from == "" {
		return // a teammate: texts inside the team are free
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q, err := v.texts.QuoteMessage(ctx, from, to, text)
		do(func() {
			v.mu.Lock()
			stale := seq != v.quoteSeq
			v.mu.Unlock()
			if stale {
				return
			}
			var e *api.Error
			if err != nil && errors.As(err, &e) && e.Status >= 400 && e.Status < 500 {
				// The number cannot be texted (no rate, not a number):
				// say so, and keep Send off.
				v.mu.Lock()
				v.refused = e.Message
				v.mu.Unlock()
				v.counter.SetText(base + " · cannot be sent: " + e.Message)
				v.refreshSend()
				return
			}
			if err != nil {
				return
			}
			if !q.Allowed && q.Reason != "" {
				v.counter.SetText(base + " · " + q.Reason)
				return
			}
			price := fmt.Sprintf("%s from credits", money.RateText(q.Cost, q.Currency))
			if q.InBundle {
				price = "in your bundle"
			}
			v.counter.SetText(fmt.Sprintf("%s · %s: %s", base, q.Destination, price))
		})
	}()
}

// Send sends the text in the box.
func (v *MessagesView) Send() {
	to, text := dialTarget(strings.TrimSpace(v.to.Text)), v.box.Text
	if to == "" || strings.TrimSpace(text) == "" || v.texter == nil || !v.gate.Open() {
		return
	}
	v.send.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := v.texter.SendMessage(ctx, to, text)
		do(func() {
			if err != nil {
				var ce *phone.CallError
				if asCallErr(err, &ce) && ce.Code == 402 {
					v.gate.Set(false, ce.Reason)
				}
				v.counter.SetText("Not sent: " + callFailure(err))
				v.refreshSend()
				return
			}
			v.mu.Lock()
			v.add(to, bubble{mine: true, text: text, at: time.Now()})
			v.selected = to
			v.mu.Unlock()
			v.box.SetText("")
			v.threads.Refresh()
			v.render()
		})
	}()
}
