package sqlite_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/ledger"
)

// BenchmarkReserveSettle measures reserve + settle pairs per second on one
// SQLite file, with synchronous=FULL, from many concurrent callers (a busy
// switchboard), each pair on its own call.
func BenchmarkReserveSettle(b *testing.B) {
	db := open(b)
	ctx := context.Background()
	fund(b, db, "p1", "100000000")
	var n atomic.Int64
	exp := time.Now().Add(time.Hour)
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("call:%d:chunk:1", n.Add(1))
			if err := db.Reserve(ctx, ledger.Reservation{ID: id, Account: cust, Amount: dec("0.06"), Expires: exp}); err != nil {
				b.Error(err)
				return
			}
			if err := db.Settle(ctx, id, ledger.Transfer{ID: id + ":settle", From: cust, To: revenue, Amount: dec("0.0513"), Unit: usd, Code: "international-call", Ref: id}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	check(b, db)
}
