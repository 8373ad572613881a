package switchboard

import (
	"runtime"
	"testing"
)

// TestTrimmer: quiet (no collection since the last look) and holding a
// burst's heap, a tick gives it back at once; a tick after a collection
// it did not make (load) does nothing.
func TestTrimmer(t *testing.T) {
	burst := make([][]byte, 0, 4000)
	for range 4000 { // 250 MB
		burst = append(burst, make([]byte, 64<<10))
	}
	runtime.KeepAlive(burst)
	burst = nil
	var tr trimmer
	tr.cycles, _ = heapState()
	tr.cycles-- // a collection since the last look: load
	if tr.tick() {
		t.Fatal("trimmed under load")
	}
	trimmed := false
	for range 5 { // (a collection of the test runtime's own may intervene)
		tr.cycles, _ = heapState()
		if trimmed = tr.tick(); trimmed {
			break
		}
	}
	if !trimmed {
		t.Fatal("quiet with a burst's heap held, nothing was given back")
	}
	if _, held := heapState(); held > 100<<20 {
		t.Errorf("%d MB still held after the trim", held>>20)
	}
}
