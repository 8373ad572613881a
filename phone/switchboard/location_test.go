package switchboard

import (
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// A device keeps at most maxContacts bindings, the newest; a refresh of
// the same contact replaces it; an expired one is gone.
func TestLocationBounds(t *testing.T) {
	now := time.Now()
	l := newLocation(func() time.Time { return now })
	for i := range 8 {
		l.set(binding{Device: "d1", Email: "a@b.test", Contact: sip.Uri{Scheme: "sip", User: fmt.Sprint(i), Host: "127.0.0.1"},
			Expires: now.Add(time.Hour)})
	}
	got := l.device("d1")
	if len(got) != maxContacts || got[0].Contact.User != "3" || got[len(got)-1].Contact.User != "7" {
		t.Fatalf("bindings %v", got)
	}
	l.set(binding{Device: "d1", Email: "a@b.test", Contact: sip.Uri{Scheme: "sip", User: "7", Host: "127.0.0.1"}, Expires: now.Add(time.Hour)})
	if n := len(l.device("d1")); n != maxContacts {
		t.Errorf("a refresh added a binding: %d", n)
	}
	l.set(binding{Device: "d1", Email: "a@b.test", Contact: sip.Uri{Scheme: "sip", User: "7", Host: "127.0.0.1"}, Expires: now})
	if n := len(l.device("d1")); n != maxContacts-1 {
		t.Errorf("expires=0 did not remove the binding: %d", n)
	}
	now = now.Add(2 * time.Hour)
	if n := len(l.user("a@b.test")); n != 0 {
		t.Errorf("%d bindings outlived their expiry", n)
	}
}
