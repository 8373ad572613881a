package switchboard

import (
	"net/netip"
	"testing"
)

// A call hung up while it is being connected closes its relay as the
// relay starts (CI's race run caught wg.Add beside wg.Wait): whichever
// comes first, close waits for every pipe start began, and a closed relay
// starts none.
func TestRelayClosedWhileStarting(t *testing.T) {
	for range 50 {
		r, err := newRelay(netip.MustParseAddr("127.0.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { r.close(); close(done) }()
		r.start()
		<-done
		r.close()
	}
	r, err := newRelay(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	r.close()
	r.start()
	r.life.Lock()
	closed := r.closed
	r.life.Unlock()
	if !closed {
		t.Fatal("a closed relay is not marked closed")
	}
	r.wg.Wait() // returns at once: nothing was started after close
}
