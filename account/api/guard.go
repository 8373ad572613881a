package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// The defences of the public endpoints (sign-in, accepting an
// invitation), which anyone can reach without an account.
//
// A password hash (argon2id, 64 MiB and about 100 ms of a core each) is
// the most expensive thing the API does. hashGate runs at most a few at
// once, about one per CPU, so a flood of sign-ins costs a bounded amount
// of memory (slots x 64 MiB) and leaves the other cores to everyone
// else; the rest wait a little in line, and beyond the line they are
// told to come back (503 with Retry-After) rather than piling up.
//
// addrLimits bounds how often one source address may try (a token bucket
// per address), and lockouts lock a failing email out only for the
// address the failures come from: someone guessing the Owner's password
// from elsewhere cannot lock the Owner out of her own office.

// errBusy is hashGate's answer when the line is full.
var errBusy = errors.New("api: too many password checks at once")

type hashGate struct {
	slots   chan struct{}
	queued  atomic.Int32
	maxLine int32
	wait    time.Duration

	running, peak atomic.Int32 // for tests: hashes running now, and the most at once
}

func newHashGate(slots, line int, wait time.Duration) *hashGate {
	return &hashGate{slots: make(chan struct{}, max(slots, 1)), maxLine: int32(max(line, 0)), wait: wait}
}

// do runs f when a slot is free, or returns errBusy if the line is full
// or the wait runs out (or ctx ends: the client left).
func (g *hashGate) do(ctx context.Context, f func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		if g.queued.Add(1) > g.maxLine {
			g.queued.Add(-1)
			return errBusy
		}
		t := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			g.queued.Add(-1)
			t.Stop()
		case <-t.C:
			g.queued.Add(-1)
			return errBusy
		case <-ctx.Done():
			g.queued.Add(-1)
			t.Stop()
			return errBusy
		}
	}
	defer func() { <-g.slots }()
	n := g.running.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	defer g.running.Add(-1)
	f()
	return nil
}

// addrLimits is a token bucket per source address.
type addrLimits struct {
	mu    sync.Mutex
	every time.Duration // one try back per this long
	burst int
	now   func() time.Time
	by    map[string]*addrLimit
}

type addrLimit struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxTracked bounds the addresses kept: past it, those idle long enough
// to have a full bucket again are dropped (they are as good as new).
const maxTracked = 10000

func newAddrLimits(every time.Duration, burst int, now func() time.Time) *addrLimits {
	return &addrLimits{every: every, burst: burst, now: now, by: map[string]*addrLimit{}}
}

// allow takes a token for addr; when there is none it returns how long
// until there is.
func (a *addrLimits) allow(addr string) (bool, time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	l, ok := a.by[addr]
	if !ok {
		if len(a.by) >= maxTracked {
			full := a.every * time.Duration(a.burst)
			for k, v := range a.by {
				if now.Sub(v.seen) > full {
					delete(a.by, k)
				}
			}
		}
		l = &addrLimit{lim: rate.NewLimiter(rate.Every(a.every), a.burst)}
		a.by[addr] = l
	}
	l.seen = now
	r := l.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// lockouts counts failed sign-ins per source address and email.
type lockouts struct {
	mu       sync.Mutex
	after    int           // failures within window that lock
	window   time.Duration // failures older than this are forgotten
	duration time.Duration // how long a lock lasts from the last failure
	now      func() time.Time
	fails    map[lockKey][]time.Time
}

type lockKey struct{ addr, email string }

func newLockouts(after int, window, duration time.Duration, now func() time.Time) *lockouts {
	return &lockouts{after: after, window: window, duration: duration, now: now, fails: map[lockKey][]time.Time{}}
}

// locked reports whether email is locked out for addr, and for how long.
func (l *lockouts) locked(addr, email string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := lockKey{addr, email}
	now := l.now()
	recent := l.fails[k][:0]
	for _, t := range l.fails[k] {
		if now.Sub(t) < l.window {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(l.fails, k)
		return false, 0
	}
	l.fails[k] = recent
	if left := l.duration - now.Sub(recent[len(recent)-1]); len(recent) >= l.after && left > 0 {
		return true, left
	}
	return false, 0
}

func (l *lockouts) fail(addr, email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := lockKey{addr, email}
	if len(l.fails) >= maxTracked && l.fails[k] == nil {
		now := l.now()
		for k, ts := range l.fails {
			if now.Sub(ts[len(ts)-1]) >= max(l.window, l.duration) {
				delete(l.fails, k)
			}
		}
	}
	l.fails[k] = append(l.fails[k], l.now())
	if len(l.fails[k]) > l.after*4 { // enough to decide; no more kept
		l.fails[k] = l.fails[k][len(l.fails[k])-l.after*4:]
	}
}

func (l *lockouts) succeed(addr, email string) {
	l.mu.Lock()
	delete(l.fails, lockKey{addr, email})
	l.mu.Unlock()
}

// retryAfter writes a 429 or 503 with Retry-After in whole seconds.
func retryAfter(w http.ResponseWriter, status int, d time.Duration, code, format string, args ...any) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))))
	writeErr(w, status, code, format, args...)
}

// mayTry answers for a public endpoint: whether the address may try now (false:
// the 429 is written).
func (s *Server) mayTry(w http.ResponseWriter, r *http.Request) bool {
	if ok, d := s.tries.allow(source(r)); !ok {
		retryAfter(w, http.StatusTooManyRequests, d, "rate_limited", "too many tries from your address; try again in %d seconds", max(1, int(d.Seconds()+0.5)))
		return false
	}
	return true
}

// hash runs f (a password hash or check) through the gate; false: the 503
// is written.
func (s *Server) hash(w http.ResponseWriter, r *http.Request, f func()) bool {
	if err := s.hashing.do(r.Context(), f); err != nil {
		retryAfter(w, http.StatusServiceUnavailable, time.Second, "busy", "the server is checking too many passwords at once; try again in a moment")
		return false
	}
	return true
}
