package phone

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestRegStep(t *testing.T) {
	cases := []struct {
		s    RegState
		in   regInput
		next RegState
		do   regAction
	}{
		{Unregistered, inStart, Registering, actRegister},
		{Unregistered, inStop, Unregistered, actEnd},
		{Unregistered, inTimer, Unregistered, actNone},
		{Registering, inOK, Registered, actRefresh},
		{Registering, inFail, Retrying, actBackoff},
		{Registering, inStop, Unregistering, actUnregister},
		{Registering, inTimer, Registering, actNone},
		{Registered, inTimer, Registering, actRegister},
		{Registered, inNetwork, Registering, actRegister},
		{Registered, inStop, Unregistering, actUnregister},
		{Registered, inOK, Registered, actNone},
		{Retrying, inTimer, Registering, actRegister},
		{Retrying, inNetwork, Registering, actRegister},
		{Retrying, inStop, Unregistering, actUnregister},
		{Unregistering, inOK, Unregistered, actEnd},
		{Unregistering, inFail, Unregistered, actEnd},
		{Unregistering, inDone, Unregistered, actEnd},
		{Unregistering, inTimer, Unregistering, actNone},
	}
	for _, c := range cases {
		next, do := regStep(c.s, c.in)
		if next != c.next || do != c.do {
			t.Errorf("(%s, %s) -> (%s, %q), want (%s, %q)", c.s, c.in, next, do, c.next, c.do)
		}
	}
}

func TestBackoff(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		for range 100 {
			d := backoff(i, r)
			if d < w*8/10 || d > w*12/10 {
				t.Fatalf("backoff(%d) = %s, want %s ±20%%", i, d, w)
			}
		}
	}
	for range 100 {
		if d := backoff(40, r); d > 6*time.Minute || d < 4*time.Minute {
			t.Fatalf("backoff(40) = %s, want about 5 minutes", d)
		}
	}
	// Jitter spreads retries.
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[backoff(3, r)] = true
	}
	if len(seen) < 10 {
		t.Fatalf("only %d distinct delays: no jitter", len(seen))
	}
}

func TestRefreshIn(t *testing.T) {
	for _, c := range []struct{ exp, want time.Duration }{
		{3600 * time.Second, 3540 * time.Second}, {120 * time.Second, 90 * time.Second}, {60 * time.Second, 45 * time.Second},
	} {
		if got := refreshIn(c.exp); got != c.want {
			t.Errorf("refreshIn(%s) = %s, want %s", c.exp, got, c.want)
		}
	}
}
