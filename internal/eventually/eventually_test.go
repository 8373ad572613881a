package eventually_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherphone/tether/internal/eventually"
)

func TestTrue(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 5 {
			n.Add(1)
			time.Sleep(time.Millisecond)
		}
	}()
	if !eventually.True(10*time.Second, func() bool { return n.Load() == 5 }) {
		t.Error("a condition that comes to hold did not")
	}
	start := time.Now()
	if eventually.True(50*time.Millisecond, func() bool { return false }) {
		t.Error("a condition that never holds did")
	}
	if took := time.Since(start); took < 50*time.Millisecond || took > 5*time.Second {
		t.Errorf("a failing wait of 50 ms took %v", took)
	}
}
