package audio_test

import (
	"sync"
	"testing"

	"github.com/tetherphone/tether/audio"
)

func TestRingOrderAndOverflow(t *testing.T) {
	r := audio.NewRing(8)
	if n := r.Write([]int16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}); n != 8 {
		t.Fatalf("wrote %d into 8", n)
	}
	out := make([]int16, 5)
	if n := r.Read(out); n != 5 || out[0] != 1 || out[4] != 5 {
		t.Fatalf("read %d: %v", n, out)
	}
	r.Write([]int16{11, 12})
	out = make([]int16, 10)
	if n := r.Read(out); n != 5 || out[0] != 6 || out[2] != 8 || out[3] != 11 || out[4] != 12 {
		t.Fatalf("read %d: %v", n, out)
	}
	r.Write([]int16{1, 2})
	r.Discard()
	if r.Len() != 0 {
		t.Fatal("Discard left samples")
	}
}

// TestRingConcurrent runs a writer and a reader at once (go test -race):
// every sample read is the next one written.
func TestRingConcurrent(t *testing.T) {
	r := audio.NewRing(64)
	const total = 100000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		next := int16(0)
		buf := make([]int16, 7)
		for sent := 0; sent < total; {
			for i := range buf {
				buf[i] = next + int16(i)
			}
			n := r.Write(buf)
			next += int16(n)
			sent += n
		}
	}()
	want := int16(0)
	buf := make([]int16, 5)
	for got := 0; got < total; {
		n := r.Read(buf)
		for i := 0; i < n; i++ {
			if buf[i] != want {
				t.Fatalf("sample %d: %d, want %d", got+i, buf[i], want)
			}
			want++
		}
		got += n
	}
	wg.Wait()
	allocs := testing.AllocsPerRun(100, func() { r.Write(buf); r.Read(buf) })
	if allocs != 0 {
		t.Fatalf("%v allocations", allocs)
	}
}
