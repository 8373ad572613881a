package switchboard_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/eventually"
	"github.com/tetherphone/tether/phone/switchboard"
)

// heldMB is the heap the process holds (in use, free or unswept), not
// yet returned to the system.
func heldMB() float64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapSys-m.HeapReleased) / (1 << 20)
}

// TestMemoryGivenBack: after a burst the switchboard, once quiet, gives
// the burst's heap back within a few trims (alone, the runtime keeps it:
// no collection starts while nothing is allocated; TestTrimmer tests the
// trim itself, which a busy test run may beat).
func TestMemoryGivenBack(t *testing.T) {
	newEnvWith(t, 0, switchboard.Config{TrimEvery: 200 * time.Millisecond})
	var burst [][]byte
	for range 4000 { // 250 MB, the size of a burst of calls
		burst = append(burst, make([]byte, 64<<10))
	}
	runtime.KeepAlive(burst)
	burst = nil
	if held := heldMB(); held < 200 {
		t.Fatalf("the burst left only %.0f MB held", held)
	}
	// Within 30 s: a busy package run (other tests' goroutines collecting
	// now and then) can keep it from looking quiet for a while.
	eventually.Must(t, 30*time.Second, "the burst's heap to be given back", func() bool { return heldMB() < 100 })
}
