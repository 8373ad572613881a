package ui_test

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/ui"
)

// notFound refuses every call as the switchboard does a target it does
// not know.
type notFound struct{}

func (notFound) Dial(context.Context, string, ...phone.DialOption) (*phone.Call, error) {
	return nil, &phone.CallError{Code: 404, Phrase: "Not Found"}
}

// TestDialerWords (issue 15, also): letters in the dialer name a
// teammate or nobody: a name no teammate answers to says so and turns
// Call off (it stayed on and ended in a raw SIP "Not Found"); a teammate's
// name says whom it calls; a number of another country typed in national
// form says how to write it (with a US caller ID "020 7946 0958" became
// "+1 02079460958"); a call the switchboard cannot place says so in
// words.
func TestDialerWords(t *testing.T) {
	a := newAccount(t)
	sh, w := shell(t, session(t, a.url, a.pw, "rep"), notFound{})
	call := findButton(t, sh.Phone.Object(), "Call")
	ui.Run(func() { sh.Phone.SetNumber("nobody") })
	eventually(t, "an unknown name said, Call off", func() bool {
		return strings.Contains(sh.Phone.QuoteText(), `No teammate is called "nobody"`) && call.Disabled()
	})
	ui.Run(func() { sh.Phone.SetNumber("Admin") })
	eventually(t, "a teammate's name says whom it calls, Call on", func() bool {
		return strings.Contains(sh.Phone.QuoteText(), "Calls admin@demo.test (ext. 102)") && !call.Disabled()
	})
	ui.Run(func() { sh.Phone.SetNumber("020 7946 0958") })
	if got := sh.Phone.Number(); got != "020 7946 0958" {
		t.Errorf("a British national number with a US caller ID shows as %q", got)
	}
	eventually(t, "the country code asked for", func() bool {
		return strings.Contains(sh.Phone.QuoteText(), "Not a complete number in United States yet. Another country's number needs its country code")
	})
	ui.Run(func() {
		sh.Phone.SetNumber("999")
		test.Tap(call)
	})
	eventually(t, "a refused target said in words", func() bool {
		return strings.Contains(sh.Phone.QuoteText(), "Nobody here answers to that")
	})
	_ = w
}
