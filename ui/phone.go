package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/nyaruka/phonenumbers"
	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/country"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
)

// Dialer places calls; *phone.UA implements it.
type Dialer interface {
	Dial(ctx context.Context, target string, opts ...phone.DialOption) (*phone.Call, error)
}

var _ Dialer = (*phone.UA)(nil)

// FormatNumber formats a number as it is typed: once the digits make a
// possible number it is grouped the way its country writes it (national
// form for the caller's own country, international otherwise); before
// that, and for extensions, it is left as typed.
func FormatNumber(text, region string) string {
	var digits strings.Builder
	for i, r := range text {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
			digits.WriteRune(r)
		case unicode.IsSpace(r) || strings.ContainsRune("-().", r):
		default:
			return text // letters, * or #: not a number to format
		}
	}
	d := digits.String()
	if len(strings.TrimPrefix(d, "+")) < 7 {
		return text
	}
	n, err := phonenumbers.Parse(d, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return text // (a possible one is not enough: "020 7946 0958" in the US became "+1 02079460958")
	}
	if !strings.HasPrefix(d, "+") && phonenumbers.GetRegionCodeForNumber(n) == region {
		return phonenumbers.Format(n, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

// regionOf is the country of one of my numbers (fallback when unknown).
func regionOf(e164, fallback string) string {
	if n, err := phonenumbers.Parse(e164, ""); err == nil {
		if r := phonenumbers.GetRegionCodeForNumber(n); r != "" {
			return r
		}
	}
	return fallback
}

// PhoneView is the dialer and the call in progress.
type PhoneView struct {
	s      Session
	gate   *Gate
	dialer Dialer
	win    fyne.Window
	// OnMissed, when set, is told (on the UI thread) that an incoming
	// call stopped ringing unanswered.
	OnMissed func()

	number     *widget.Entry
	callerID   *widget.Select
	quote      *widget.Label
	callBtn    *widget.Button
	pad        *fyne.Container
	inCall     *fyne.Container
	peer       *widget.Label
	crmLink    *widget.Hyperlink // "Open in HubSpot (Ada Lovelace)", when the CRM knows the number
	crmSeq     int               // which call's lookup may still set it (UI thread)
	state      *widget.Label
	quality    *widget.Label
	mute       *widget.Button
	hold       *widget.Button
	hangup     *widget.Button
	content    fyne.CanvasObject
	formatting bool
	// crmConnected lists the CRMs connected (Settings' Integrations).
	crmConnected func() []api.IntegrationInfo

	// Audio runs a connected call's sound (the sound devices) until it
	// ends; nil leaves the call silent (tests, no devices).
	Audio func(ctx context.Context, c *phone.Call)
	// Ringer rings for an incoming call until the returned stop is called;
	// nil rings silently.
	Ringer func() (stop func())
	// SoftRinger rings for a second call while one is in progress, softly
	// (the call-waiting tone); nil: the incoming-call window alone.
	SoftRinger func() (stop func())
	// Speakers lists the sound devices a call can move to; nil hides the
	// choice. Moving sets the preference Audio reads, and restarts it.
	Speakers   func() []string
	SetSpeaker func(name string)

	warning  *widget.Label
	speaker  *widget.Select
	transfer *widget.Button
	addCall  *widget.Button // holds the call and calls someone else, to merge the two (or hand over)
	// complete hands the held call to the one consulted (attended
	// transfer); shown while consulting.
	complete   *widget.Button
	consulting bool // (under mu) the call in progress is a consultation for the held one
	// merge joins the held call and the consultation in one three-way
	// call (shown while consulting); conference: they are joined (under
	// mu), and hanging up ends both.
	merge      *widget.Button
	conference bool

	mu        sync.Mutex
	lastQuote api.QuoteInfo
	maxSecs   int64 // the longest the call in progress can last on credit (0: no limit)
	audioStop context.CancelFunc
	call      *phone.Call
	// waiting is the call put on hold to answer a second one (call
	// waiting), taken up again when that one ends; waitingPeer is who.
	waiting      *phone.Call
	waitingPeer  string
	waitingSince time.Time
	answerRing   func() // the Answer of the incoming-call window showing, for AnswerRinging
	cancel       context.CancelFunc
	quoteSeq     int
	// unknown is what the dialer holds when it names nobody: a name no
	// teammate answers to (Call is off and the quote line says why).
	unknown   string
	numbers   []api.NumberInfo
	dialled   string
	started   time.Time
	connected time.Time
}

// NewPhoneView builds the dialer.
func NewPhoneView(s Session, gate *Gate, dialer Dialer, win fyne.Window) *PhoneView {
	v := &PhoneView{s: s, gate: gate, dialer: dialer, win: win}
	v.number = widget.NewEntry()
	v.number.SetPlaceHolder("Number, extension or name")
	v.number.OnChanged = v.changed
	v.number.OnSubmitted = func(string) { v.Dial() }
	v.callerID = widget.NewSelect(nil, func(string) { v.requote() })
	v.callerID.PlaceHolder = "Call from…"
	v.quote = widget.NewLabel("")
	v.quote.Wrapping = fyne.TextWrapWord
	v.callBtn = widget.NewButton("Call", v.Dial)
	v.callBtn.Importance = widget.SuccessImportance
	keys := container.NewGridWithColumns(3)
	for _, k := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"} {
		keys.Add(widget.NewButton(k, func() { v.key(k) }))
	}
	v.pad = keys
	v.peer = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.crmLink = widget.NewHyperlink("", nil)
	v.crmLink.Alignment = fyne.TextAlignCenter
	v.crmLink.Hide()
	v.state = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	v.quality = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	v.mute = widget.NewButton("Mute", v.toggleMute)
	v.hold = widget.NewButton("Hold", v.toggleHold)
	v.hangup = widget.NewButton("Hang up", v.Hangup)
	v.hangup.Importance = widget.DangerImportance
	v.warning = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.warning.Importance = widget.DangerImportance
	v.warning.Wrapping = fyne.TextWrapWord
	v.transfer = widget.NewButton("Transfer…", v.showTransfer)
	v.addCall = widget.NewButton("Add call…", v.showAddCall)
	v.complete = widget.NewButton("Complete transfer", v.CompleteTransfer)
	v.complete.Importance = widget.HighImportance
	v.complete.Hide()
	v.merge = widget.NewButton("Merge calls", v.MergeCalls)
	v.merge.Hide()
	v.speaker = widget.NewSelect(nil, func(name string) {
		if v.SetSpeaker != nil && name != "" {
			v.SetSpeaker(name)
			v.restartAudio()
		}
	})
	v.speaker.PlaceHolder = "Sound device…"
	v.inCall = container.NewVBox(v.peer, v.crmLink, v.state, v.quality, v.warning,
		container.NewGridWithColumns(3, v.mute, v.hold, v.hangup), container.NewGridWithColumns(3, v.transfer, v.addCall, v.speaker), v.complete, v.merge)
	v.inCall.Hide()
	form := container.NewVBox(
		widget.NewLabelWithStyle("Dial", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.number, v.callerID, v.quote, v.callBtn, v.inCall, v.pad)
	// 360 px wide, as tall as the window allows (it scrolls below 600 px
	// of window; it was a fixed 560 px that pushed the window taller).
	v.content = container.NewPadded(container.NewCenter(container.NewGridWrap(fyne.NewSize(360, 490), container.NewVScroll(form))))
	// When the gate opens or closes, what the dialer says of the number
	// in it changes too (no "no credit available" once credit is added).
	gate.Watch(func(bool) { v.refreshButtons(); v.requote() })
	return v
}

// Object is the view's content.
func (v *PhoneView) Object() fyne.CanvasObject { return v.content }

// Load reads my numbers for the caller-ID picker; call it off the UI
// thread.
func (v *PhoneView) Load(ctx context.Context) error {
	nums, err := v.s.Account.Numbers(ctx)
	if err != nil {
		return err
	}
	var opts []string
	mine := []api.NumberInfo{}
	for _, n := range nums {
		if slices.Contains(n.Members, v.s.Me.Email) {
			mine = append(mine, n)
			label := n.Display + " (dedicated)"
			if n.Shared {
				label = n.Display + " (shared)"
			}
			opts = append(opts, label)
		}
	}
	doWait(func() {
		v.mu.Lock()
		v.numbers = mine
		v.mu.Unlock()
		v.callerID.SetOptions(opts)
		if v.callerID.SelectedIndex() < 0 && len(opts) > 0 {
			v.callerID.SetSelectedIndex(0)
		}
		if len(opts) == 0 {
			v.callerID.PlaceHolder = "No number of yours: teammates only"
			v.callerID.Refresh()
		}
	})
	return nil
}

// from is the number picked to call from.
func (v *PhoneView) from() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.callerID.SelectedIndex()
	if i < 0 || i >= len(v.numbers) {
		return ""
	}
	return v.numbers[i].Number
}

// Focus puts the keyboard in the dialer.
func (v *PhoneView) Focus() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(v.number); c != nil {
		c.Focus(v.number)
	}
}

// SetNumber puts a number in the dialer (a tel: link, a contact).
func (v *PhoneView) SetNumber(n string) { v.number.SetText(n) }

// Number is what the dialer holds.
func (v *PhoneView) Number() string { return v.number.Text }

// QuoteText is the pre-dial line.
func (v *PhoneView) QuoteText() string { return v.quote.Text }

func (v *PhoneView) changed(text string) {
	if v.formatting {
		return
	}
	if f := FormatNumber(text, regionOf(v.from(), v.s.Region())); f != text {
		v.formatting = true
		v.number.SetText(f)
		v.number.CursorColumn = len([]rune(f))
		v.formatting = false
	}
	v.refreshButtons()
	v.requote()
}

// requote fetches the pre-dial price line for what is in the dialer.
func (v *PhoneView) requote() {
	to := strings.TrimSpace(v.number.Text)
	v.mu.Lock()
	v.quoteSeq++
	seq := v.quoteSeq
	v.mu.Unlock()
	v.unknown = ""
	if isName(to) {
		v.quoteName(seq, to)
		return
	}
	if len(strings.Trim(to, "+0123456789 -().")) > 0 || len(to) < 7 || !v.s.Can(team.Calls) {
		v.quote.SetText("")
		return
	}
	from := v.from()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q, err := v.s.Account.Quote(ctx, from, to)
		do(func() {
			v.mu.Lock()
			stale := seq != v.quoteSeq
			v.mu.Unlock()
			if stale {
				return
			}
			if err != nil {
				var e *api.Error
				if errors.As(err, &e) && e.Status == 400 {
					v.quote.SetText(notANumber(to, regionOf(from, v.s.Region())))
				} else {
					v.quote.SetText("")
				}
				return
			}
			v.mu.Lock()
			v.lastQuote = q
			v.mu.Unlock()
			if !q.Allowed && !v.gate.Open() {
				v.quote.SetText("") // the banner says why
				return
			}
			v.quote.SetText(QuoteLine(q))
		})
	}()
}

// isName reports whether the dialer holds a name (letters), not a
// number, an extension or key presses.
func isName(to string) bool {
	return strings.IndexFunc(to, unicode.IsLetter) >= 0
}

// notANumber says why what was typed is not a number one can call, and
// how another country's number is written.
func notANumber(to, region string) string {
	where := region
	if c, ok := country.Lookup(region); ok {
		where = c.Name
	}
	if strings.HasPrefix(strings.TrimSpace(to), "+") {
		return "Not a complete number yet."
	}
	return fmt.Sprintf("Not a complete number in %s yet. Another country's number needs its country code: +44 20 7946 0958.", where)
}

// quoteName says whom a name in the dialer calls, or that no teammate
// answers to it (Call is then off): the switchboard's rule, a teammate's
// email or the part before its @.
func (v *PhoneView) quoteName(seq int, name string) {
	v.quote.SetText("")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ms, err := v.s.Account.Team(ctx)
		do(func() {
			v.mu.Lock()
			stale := seq != v.quoteSeq
			v.mu.Unlock()
			if stale || err != nil { // (offline: the switchboard decides)
				return
			}
			for _, m := range ms {
				if team.AnswersTo(m.Email, name) && m.Extension != "" {
					v.quote.SetText(fmt.Sprintf("Calls %s (ext. %s), inside the company: free.", m.Email, m.Extension))
					return
				}
			}
			v.unknown = name
			v.quote.SetText(fmt.Sprintf("No teammate is called %q. Dial a number (+44 20 7946 0958), an extension or a teammate's name.", name))
			v.refreshButtons()
		})
	}()
}

// QuoteLine says in words what a call will cost.
func QuoteLine(q api.QuoteInfo) string {
	if !q.Allowed {
		return q.Reason
	}
	if q.InBundle {
		return fmt.Sprintf("%s: in your plan's bundle (no credit used).", q.Destination)
	}
	fee := ""
	if q.Connection != "0.0000" && q.Connection != "" {
		fee = fmt.Sprintf(", plus %s to connect", money.RateText(q.Connection, q.Currency))
	}
	return fmt.Sprintf("%s: %s a minute, billed %s%s. Paid from credits.", q.Destination, money.RateText(q.PerMinute, q.Currency), incrementWords(q.Increment), fee)
}

func incrementWords(inc string) string {
	switch inc {
	case "60/60":
		return "by the minute"
	case "1/1":
		return "by the second"
	}
	return inc + " seconds"
}

func (v *PhoneView) refreshButtons() {
	v.mu.Lock()
	inCall := v.call != nil
	second := v.waiting != nil // a call held behind this one: no third
	v.mu.Unlock()
	if second {
		v.transfer.Disable()
		v.addCall.Disable()
	} else {
		v.transfer.Enable()
		v.addCall.Enable()
	}
	to := strings.TrimSpace(v.number.Text)
	if inCall || !v.gate.Open() || to == "" || v.dialer == nil || to == v.unknown {
		v.callBtn.Disable()
	} else {
		v.callBtn.Enable()
	}
}

// key is a dialpad press: a digit into the dialer, or a key tone into the
// call in progress.
func (v *PhoneView) key(k string) {
	v.mu.Lock()
	c := v.call
	v.mu.Unlock()
	if c != nil && c.State() == phone.Connected {
		if err := c.Media().SendDTMF(k, 100*time.Millisecond); err != nil {
			go c.SendDTMFInfo(context.Background(), k)
		}
		return
	}
	v.number.SetText(v.number.Text + k)
}

// Dial calls what is in the dialer.
func (v *PhoneView) Dial() {
	target := strings.TrimSpace(v.number.Text)
	if target == "" || v.dialer == nil {
		return
	}
	if !v.gate.Open() {
		return // the banner says why
	}
	v.mu.Lock()
	if v.call != nil || v.cancel != nil {
		v.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel, v.dialled, v.started = cancel, target, time.Now()
	v.mu.Unlock()
	from := v.from()
	v.showCall(target, "Calling…")
	v.lookUpCRM(target)
	go func() {
		var opts []phone.DialOption
		if from != "" {
			opts = append(opts, phone.CallerID(from))
		}
		opts = append(opts, phone.OnRinging(func() { do(func() { v.state.SetText("Ringing…") }) }))
		c, err := v.dialer.Dial(ctx, dialTarget(target), opts...)
		if err != nil {
			cancel()
			do(func() {
				v.mu.Lock()
				v.cancel = nil
				v.mu.Unlock()
				v.endCall(callFailure(err))
				if !v.gate.Refused(err) && !errors.Is(err, context.Canceled) {
					var ce *phone.CallError
					if errors.As(err, &ce) && ce.Code == 402 {
						v.gate.Set(false, ce.Reason)
					}
				}
			})
			return
		}
		v.connectedCall(c)
	}()
}

// connectedCall shows a call that is now connected and runs it until it
// ends; off the UI thread.
func (v *PhoneView) connectedCall(c *phone.Call) {
	do(func() {
		v.mu.Lock()
		v.call, v.connected = c, time.Now()
		v.maxSecs = 0
		if !c.Incoming() && dialTarget(v.lastQuote.To) == dialTarget(v.dialled) {
			v.maxSecs = v.lastQuote.MaxSeconds
		}
		v.mu.Unlock()
		v.state.SetText("Connected 0:00")
		v.warning.SetText("")
		if v.Speakers != nil {
			v.speaker.SetOptions(v.Speakers())
			v.speaker.Show()
		} else {
			v.speaker.Hide()
		}
		v.refreshButtons()
	})
	v.startAudio(c)
	v.run(c)
}

// restartAudio restarts the call's sound, on the device now chosen.
func (v *PhoneView) restartAudio() {
	v.mu.Lock()
	c := v.call
	v.mu.Unlock()
	v.startAudio(c)
}

// startAudio (re)starts c's sound.
func (v *PhoneView) startAudio(c *phone.Call) {
	v.mu.Lock()
	if v.audioStop != nil {
		v.audioStop()
		v.audioStop = nil
	}
	if c == nil || v.Audio == nil {
		v.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.audioStop = cancel
	v.mu.Unlock()
	go v.Audio(ctx, c)
}

// CreditWarningText is what the in-call screen says elapsed into a call
// that credit pays for maxSecs of ("" until its last minute).
func CreditWarningText(elapsed time.Duration, maxSecs int64) string {
	return creditWarning(elapsed, maxSecs)
}

// CreditWarning is the in-call warning line ("" when none).
func (v *PhoneView) CreditWarning() string { return v.warning.Text }

// creditWarning says when a call paid from credit will be ended, from
// the switchboard's own rule (billing.CreditLeft).
func creditWarning(elapsed time.Duration, maxSecs int64) string {
	left, warn := billing.CreditLeft(elapsed, maxSecs)
	if !warn {
		return ""
	}
	return fmt.Sprintf("Your credit runs out in %d s: the call will end then. Add credits to keep talking next time.", int(left.Seconds()))
}

// dialTarget turns what was typed into what to dial: numbers lose their
// formatting.
func dialTarget(s string) string {
	if strings.Trim(s, "+0123456789 -().") == "" {
		return strings.Map(func(r rune) rune {
			if r == '+' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	return s
}

func callFailure(err error) string {
	var ce *phone.CallError
	switch {
	case errors.As(err, &ce) && ce.Reason != "":
		return ce.Reason
	case errors.Is(err, phone.ErrBusy):
		return "Busy."
	case errors.Is(err, phone.ErrDeclined):
		return "Declined."
	case errors.Is(err, phone.ErrUnanswered):
		return "No answer."
	case errors.Is(err, context.Canceled):
		return "Cancelled."
	case errors.Is(err, phone.ErrNotFound):
		return "Nobody here answers to that: dial a number with its country code (+44 20 7946 0958), an extension or a teammate's name."
	}
	return "The call failed: " + err.Error()
}

// run keeps the in-call screen up to date until the call ends.
func (v *PhoneView) run(c *phone.Call) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-c.Done():
			why := "Call ended."
			switch err := c.Err(); {
			case errors.Is(err, phone.ErrMediaFailed):
				why = "The call dropped: its connection failed (a firewall or an unreachable relay)."
			case errors.Is(err, phone.ErrRTPTimeout):
				why = "The call dropped: no sound came from the other side."
			}
			do(func() {
				v.mu.Lock()
				current, held, joined := v.call == c, v.waiting == c, v.conference
				if held {
					v.waiting, v.waitingPeer, v.conference = nil, "", false
				}
				v.mu.Unlock()
				switch {
				case current:
					v.endCall(why)
				case held && joined:
					v.quality.SetText("They left the three-way call.")
					v.refreshButtons()
				case held:
					v.quality.SetText("The call on hold ended.")
					v.refreshButtons()
				}
			})
			return
		case <-t.C:
			v.mu.Lock()
			current := v.call == c
			v.mu.Unlock()
			if !current {
				continue // on hold behind another call
			}
			q := c.Media().Quality()
			words := QualityWords(q)
			if c.Secure() { // SRTP, or WebRTC's DTLS-SRTP
				words += " · encrypted"
			}
			do(func() {
				v.mu.Lock()
				d := time.Since(v.connected)
				v.mu.Unlock()
				state := fmt.Sprintf("Connected %d:%02d", int(d.Minutes()), int(d.Seconds())%60)
				if c.OnHold() {
					state = "On hold · " + state
				}
				v.mu.Lock()
				joined, held := v.conference, v.waitingPeer
				v.mu.Unlock()
				switch {
				case joined && held != "":
					state = "Three-way call with " + held + " · " + state
				case held != "":
					state += " · " + held + " on hold"
				}
				v.state.SetText(state)
				v.quality.SetText(words)
				v.mu.Lock()
				maxSecs := v.maxSecs
				v.mu.Unlock()
				v.warning.SetText(creditWarning(d, maxSecs))
			})
		}
	}
}

// QualityWords says how a call sounds, in the grade media.Quality gives.
func QualityWords(q media.Quality) string {
	switch q.Grade() {
	case media.GradeWaiting:
		return "Waiting for audio…"
	case media.GradePoor:
		return fmt.Sprintf("Poor line: %.0f%% of the sound lost", q.LossPercent())
	case media.GradeFair:
		return "Fair line: some sound may break up"
	}
	return "Good line"
}

func (v *PhoneView) showCall(peer, state string) {
	// How the last call ended is not this call's news; a price on its way
	// for the dialer is dropped too.
	v.mu.Lock()
	v.quoteSeq++
	v.mu.Unlock()
	v.quote.SetText("")
	v.crmSeq++
	v.crmLink.Hide()
	v.peer.SetText(peer)
	v.state.SetText(state)
	v.quality.SetText("")
	v.mute.SetText("Mute")
	v.hold.SetText("Hold")
	v.inCall.Show()
	v.callBtn.Hide()
	v.refreshButtons()
}

// endCall returns to the dialer, saying how the call ended; or, with a
// call on hold behind it (call waiting), takes that one up again.
func (v *PhoneView) endCall(why string) {
	v.mu.Lock()
	c := v.call
	v.call, v.cancel = nil, nil
	v.consulting, v.conference = false, false
	v.complete.Hide()
	v.merge.Hide()
	if w := v.waiting; w != nil && w != c {
		peer := v.waitingPeer
		v.call, v.connected = w, v.waitingSince
		v.waiting, v.waitingPeer = nil, ""
		v.mu.Unlock()
		v.showCall(peer, "Taking up the call on hold…")
		v.quote.SetText(why)
		v.refreshButtons()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := w.Resume(ctx); err != nil {
				do(func() { showErr(v.win, err) })
			}
			v.startAudio(w)
		}()
		return
	}
	if v.audioStop != nil {
		v.audioStop()
		v.audioStop = nil
	}
	dialled, started := v.dialled, v.started
	v.mu.Unlock()
	v.inCall.Hide()
	v.callBtn.Show()
	v.quote.SetText(why)
	v.refreshButtons()
	if c != nil && v.s.Can(team.Dispositions) && v.win != nil {
		go v.askDisposition(dialled, started)
	}
}

// Hangup ends the call in progress, or stops one still ringing; in a
// three-way call, both calls.
func (v *PhoneView) Hangup() {
	v.mu.Lock()
	c, cancel := v.call, v.cancel
	if v.conference && v.waiting != nil {
		w := v.waiting
		v.waiting, v.waitingPeer = nil, "" // (not taken up again: it ends too)
		go w.Hangup(context.Background())
	}
	v.mu.Unlock()
	if c != nil {
		go c.Hangup(context.Background())
	} else if cancel != nil {
		cancel()
	}
}

func (v *PhoneView) toggleMute() {
	v.mu.Lock()
	c := v.call
	v.mu.Unlock()
	if c == nil {
		return
	}
	c.Mute(!c.Muted())
	if c.Muted() {
		v.mute.SetText("Unmute")
	} else {
		v.mute.SetText("Mute")
	}
}

func (v *PhoneView) toggleHold() {
	v.mu.Lock()
	c := v.call
	v.mu.Unlock()
	if c == nil {
		return
	}
	go func() {
		var err error
		held := c.OnHold()
		if held {
			err = c.Resume(context.Background())
		} else {
			err = c.Hold(context.Background())
		}
		do(func() {
			if err != nil {
				showErr(v.win, err)
				return
			}
			if held {
				v.hold.SetText("Hold")
			} else {
				v.hold.SetText("Resume")
			}
		})
	}()
}

// QualityText is the in-call line saying how the call sounds.
func (v *PhoneView) QualityText() string { return v.quality.Text }

// InCall reports whether a call is in progress, and its state line.
func (v *PhoneView) InCall() (bool, string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.call != nil, v.state.Text
}

// askDisposition offers the account's dispositions for the call just
// ended, and logs the choice on its record.
func (v *PhoneView) askDisposition(dialled string, started time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ds, err := v.s.Account.Dispositions(ctx)
	if err != nil || len(ds) == 0 {
		return
	}
	var rec api.CallInfo
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		calls, err := v.s.Account.Calls(ctx, 5)
		if err != nil {
			return
		}
		for _, c := range calls {
			if !c.Started.Before(started.Add(-2*time.Second)) && (c.To == dialTarget(dialled) || strings.HasSuffix(dialTarget(dialled), strings.TrimPrefix(c.To, "+"))) {
				rec = c
				break
			}
		}
		if rec.ID != "" {
			break
		}
	}
	if rec.ID == "" {
		return
	}
	do(func() {
		choice := widget.NewRadioGroup(ds, nil)
		notes := widget.NewMultiLineEntry()
		notes.SetPlaceHolder("Notes")
		dialog.ShowForm("How did the call go?", "Save", "Skip", []*widget.FormItem{
			widget.NewFormItem("Disposition", choice), widget.NewFormItem("Notes", notes)}, func(ok bool) {
			if !ok || choice.Selected == "" {
				return
			}
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				defer cancel()
				if _, err := v.s.Account.Dispose(ctx, rec.ID, choice.Selected, notes.Text); err != nil {
					do(func() { showErr(v.win, err) })
				}
			}()
		}, v.win)
	})
}

func asCallErr(err error, ce **phone.CallError) bool { return errors.As(err, ce) }
