package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/tetherphone/tether/internal/version"
)

// Preference keys the settings view writes and the app reads.
const (
	PrefCapture  = "audio.capture"
	PrefPlayback = "audio.playback"
	PrefRing     = "audio.ring"
	// PrefCleanup is whether calls clean the microphone's audio (echo
	// cancellation, noise suppression, automatic gain): true unless
	// turned off.
	PrefCleanup = "audio.cleanup"
	// PrefMedia is how calls carry audio: "" as the server says, "rtp"
	// or "webrtc".
	PrefMedia = "calls.media"
)

// Media choices as the settings view shows them, by preference value.
var mediaChoices = []struct{ value, label string }{
	{"", "As the server says"},
	{"rtp", "Plain RTP over UDP"},
	{"webrtc", "WebRTC (ICE, DTLS-SRTP)"},
}

// SettingsHooks are what the settings view asks of the machine; the app
// wires them (tests use their own).
type SettingsHooks struct {
	Devices       func() (capture, playback []string, err error)
	TestTone      func(playback string) error
	RegisterLinks func() (string, error)
	Autostart     func() bool
	SetAutostart  func(on bool) error
	// Media describes how this session's calls travel ("WebRTC over
	// ws://...").
	Media func() string
}

// SettingsView chooses the sound devices (with a test tone), where the
// ringtone plays, tel: links and starting at login.
type SettingsView struct {
	s        Session
	h        SettingsHooks
	prefs    fyne.Preferences
	capture  *widget.Select
	playback *widget.Select
	ring     *widget.Select
	autoOn   *widget.Check
	cleanup  *widget.Check
	media    *widget.Select
	status   *widget.Label
	about    *widget.Label
	crm      *fyne.Container // the Integrations section, when the shell has one
	content  fyne.CanvasObject
}

// setIntegrations puts the CRM section in the view.
func (v *SettingsView) setIntegrations(o fyne.CanvasObject) {
	v.crm.Objects = []fyne.CanvasObject{o}
	v.crm.Refresh()
}

const systemDefault = "System default"

// NewSettingsView builds the view.
func NewSettingsView(s Session, h SettingsHooks, prefs fyne.Preferences) *SettingsView {
	v := &SettingsView{s: s, h: h, prefs: prefs, status: widget.NewLabel(""), crm: container.NewVBox(),
		about: widget.NewLabel(version.Short() + "\nTether talks only to your company's switchboard: it checks nothing on the internet by itself (updates come with your package manager).")}
	v.about.Wrapping = fyne.TextWrapWord
	v.status.Wrapping = fyne.TextWrapWord
	save := func(key string) func(string) {
		return func(val string) {
			if val == systemDefault {
				val = ""
			}
			prefs.SetString(key, val)
		}
	}
	v.capture = widget.NewSelect(nil, save(PrefCapture))
	v.playback = widget.NewSelect(nil, save(PrefPlayback))
	v.ring = widget.NewSelect(nil, save(PrefRing))
	test := widget.NewButton("Play a test tone", func() {
		if h.TestTone == nil {
			return
		}
		if err := h.TestTone(prefs.String(PrefPlayback)); err != nil {
			v.status.SetText("The speaker did not open: " + err.Error())
			return
		}
		v.status.SetText("Playing a one-second 440 Hz tone on the speaker.")
	})
	links := widget.NewButton("Open tel: and callto: links with Tether", func() {
		if h.RegisterLinks == nil {
			return
		}
		path, err := h.RegisterLinks()
		if err != nil {
			v.status.SetText("Could not register: " + err.Error())
			return
		}
		v.status.SetText("Registered (" + path + "): clicking a phone number on a web page or in your CRM opens the dialer.")
	})
	v.autoOn = widget.NewCheck("Start Tether when I log in", func(on bool) {
		if h.SetAutostart != nil {
			if err := h.SetAutostart(on); err != nil {
				v.status.SetText("Could not change it: " + err.Error())
			}
		}
	})
	v.cleanup = widget.NewCheck("Cancel echo, suppress noise and level my voice", func(on bool) {
		if prefs.BoolWithFallback(PrefCleanup, true) == on {
			return
		}
		prefs.SetBool(PrefCleanup, on)
		if on {
			v.status.SetText("Your microphone is cleaned up from the next call: the other side no longer hears your speaker.")
		} else {
			v.status.SetText("From the next call your microphone is sent as it is: fine with a headset; with laptop speakers the other side may hear themselves.")
		}
	})
	v.cleanup.SetChecked(prefs.BoolWithFallback(PrefCleanup, true))
	var labels []string
	for _, c := range mediaChoices {
		labels = append(labels, c.label)
	}
	v.media = widget.NewSelect(labels, func(label string) {
		for _, c := range mediaChoices {
			if c.label == label && prefs.String(PrefMedia) != c.value {
				prefs.SetString(PrefMedia, c.value)
				v.status.SetText("Call audio: " + label + ", from your next sign-in.")
			}
		}
	})
	now := "Calls travel as the server says."
	if h.Media != nil {
		now = "This session: " + h.Media() + "."
	}
	v.content = container.NewVScroll(container.NewPadded(container.NewVBox(
		widget.NewLabelWithStyle("Sound", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewForm(widget.NewFormItem("Microphone", v.capture), widget.NewFormItem("Speaker", v.playback),
			widget.NewFormItem("Ringtone plays on", v.ring)),
		test, v.cleanup,
		widget.NewLabelWithStyle("Calls", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewForm(widget.NewFormItem("Audio travels as", v.media)),
		widget.NewLabel(now),
		widget.NewLabelWithStyle("Desktop", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		links, v.autoOn,
		v.crm,
		widget.NewLabelWithStyle("Account", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel(s.Me.Email+" · "+roleName(s.Me.Role)+" · extension "+s.Me.Extension),
		v.status,
		widget.NewLabelWithStyle("About", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.about)))
	v.reload()
	return v
}

// Object is the view's content.
func (v *SettingsView) Object() fyne.CanvasObject { return v.content }

// reload lists the devices and shows the saved choices.
func (v *SettingsView) reload() {
	var capture, playback []string
	if v.h.Devices != nil {
		var err error
		if capture, playback, err = v.h.Devices(); err != nil {
			v.status.SetText("Sound devices: " + err.Error())
		}
	}
	set := func(sel *widget.Select, names []string, key string) {
		sel.SetOptions(append([]string{systemDefault}, names...))
		cur := v.prefs.String(key)
		if cur == "" {
			cur = systemDefault
		}
		sel.SetSelected(cur)
	}
	set(v.capture, capture, PrefCapture)
	set(v.playback, playback, PrefPlayback)
	set(v.ring, playback, PrefRing)
	if v.h.Autostart != nil {
		v.autoOn.SetChecked(v.h.Autostart())
	}
	for _, c := range mediaChoices {
		if c.value == v.prefs.String(PrefMedia) {
			v.media.SetSelected(c.label)
		}
	}
}

// Choose picks a device as a person would (for tests).
func (v *SettingsView) Choose(which, name string) {
	switch which {
	case "capture":
		v.capture.SetSelected(name)
	case "playback":
		v.playback.SetSelected(name)
	case "ring":
		v.ring.SetSelected(name)
	case "media":
		v.media.SetSelected(name)
	}
}

// About is what the About section says (the version and build).
func (v *SettingsView) About() string { return v.about.Text }

// Status is the view's last message.
func (v *SettingsView) Status() string { return v.status.Text }
