package billing_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
)

// BenchmarkCall measures a whole credit-billed call through the engine:
// the gate, two chunks reserved ahead, settlement at the end (a 90 s call
// to a UK mobile), many calls at once.
func BenchmarkCall(b *testing.B) {
	e := newEnv(b)
	e.open("acme", "team", "100000000")
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			call, g, err := e.engine.StartCall(e.ctx, billing.CallStart{Account: "acme", CallID: fmt.Sprint("c", n.Add(1)),
				Direction: rating.Outbound, Local: us, Remote: ukMob})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := talk(e.ctx, call, g, 90); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
