// Package eventually waits, in tests, for a condition rather than for a
// length of time: on a busy machine a sleep that orders events is a flake,
// a wait on the condition is not. Every wait is bounded.
package eventually

import (
	"testing"
	"time"
)

// poll is how often a condition is looked at.
const poll = 10 * time.Millisecond

// True reports whether cond holds within the time given, looking every
// 10 ms (at once first).
func True(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(poll)
	}
}

// Must fails the test, saying what was awaited, unless cond holds within
// the time given.
func Must(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !True(within, cond) {
		t.Fatalf("%s: not within %v", what, within)
	}
}

// Never fails the test if cond holds at any look during the time given:
// for what must not happen (a repeat after the ACK).
func Never(t testing.TB, during time.Duration, what string, cond func() bool) {
	t.Helper()
	if True(during, cond) {
		t.Fatalf("%s", what)
	}
}
