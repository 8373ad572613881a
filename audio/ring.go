package audio

import "sync/atomic"

// Ring is a single-producer, single-consumer ring of samples. Write and
// Read never block and never allocate, so one side may be a real-time
// audio callback.
type Ring struct {
	buf  []int16
	mask uint64
	w, r atomic.Uint64 // total samples written and read
}

// NewRing returns a ring holding at least n samples.
func NewRing(n int) *Ring {
	size := 1
	for size < n {
		size <<= 1
	}
	return &Ring{buf: make([]int16, size), mask: uint64(size - 1)}
}

// Len is the number of samples waiting to be read.
func (r *Ring) Len() int { return int(r.w.Load() - r.r.Load()) }

// Write appends samples; what does not fit is dropped (the reader is
// behind). It returns how many were written.
func (r *Ring) Write(s []int16) int {
	w, rd := r.w.Load(), r.r.Load()
	free := uint64(len(r.buf)) - (w - rd)
	n := min(uint64(len(s)), free)
	for i := uint64(0); i < n; i++ {
		r.buf[(w+i)&r.mask] = s[i]
	}
	r.w.Store(w + n)
	return int(n)
}

// Read fills out with the oldest samples and returns how many it had;
// the rest of out is left as it was.
func (r *Ring) Read(out []int16) int {
	w, rd := r.w.Load(), r.r.Load()
	n := min(uint64(len(out)), w-rd)
	for i := uint64(0); i < n; i++ {
		out[i] = r.buf[(rd+i)&r.mask]
	}
	r.r.Store(rd + n)
	return int(n)
}

// Discard drops everything waiting (only the reader may call it).
func (r *Ring) Discard() { r.r.Store(r.w.Load()) }
