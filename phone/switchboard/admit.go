// Admission: shedding load, never collapsing.

package switchboard

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Beyond what the machine can take, every answer slowing down fails
// everyone: retransmissions pile on, phones time out and retry, memory
// grows. So the switchboard counts the new requests it is working on (a
// REGISTER, a MESSAGE, a call until it starts ringing) and, past
// Config.MaxPending, answers a new one 503 Service Unavailable with
// Retry-After straight away, statelessly, for the cost of a parse. What
// it accepts stays fast; what it refuses is told when to come back.
// Requests within a dialog (ACK, BYE, CANCEL, re-INVITE, INFO) are never
// refused: they end or keep calls already up.

// retryAfter is what a shed request is told, in seconds.
const retryAfter = "1"

// admit takes a place for a new request, or answers 503 and reports
// false. The release it returns may be called more than once.
func (s *Server) admit(req *sip.Request, tx sip.ServerTransaction) (release func(), ok bool) {
	s.backlog.arrived(time.Now(), func() string {
		if req.CSeq() == nil {
			return ""
		}
		return traceKey(req.CallID().Value(), strconv.FormatUint(uint64(req.CSeq().SeqNo), 10))
	})
	if s.pending.Add(1) > int64(s.cfg.MaxPending) {
		s.pending.Add(-1)
		s.shed.Add(1)
		res := sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", retryAfter))
		tx.Respond(res)
		terminate(tx)
		return nil, false
	}
	var once sync.Once
	return func() { once.Do(func() { s.pending.Add(-1) }) }, true
}

// admitted wraps a handler whose whole run is the request's work.
func (s *Server) admitted(h func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		release, ok := s.admit(req, tx)
		if !ok {
			return
		}
		defer release()
		h(req, tx)
	}
}

// Shed is how many requests were answered 503 for want of room.
func (s *Server) Shed() int64 { return s.shed.Load() }

// Counting the requests at work is not enough: each request read is
// handed to a goroutine of its own, which must take the SIP stack's one
// transaction lock before it reaches admit; past capacity thousands queue
// there and for the CPU before anything counts them (a lock convoy), so
// even the 503 comes late and the phones' retransmissions pile on
// (16,000 REGISTER/s offered: p50 4 s, p99 9.5 s, 470,000
// retransmissions, 1.3 GB). So the front door follows some of the new
// requests it lets in (at most one a millisecond) and admit notes how
// long each took to get there. As CoDel does for packet queues, the
// queue counts as standing, not a passing burst, when even the shortest
// of the last few of those waits (all begun within a second) passes the
// target, Config.MaxLag; or when two followed requests are still on
// their way after a quarter of a second (one may have been a
// retransmission the stack answered itself: it never arrives); or when
// the UDP listener's one reader is busy most of its time (reader, below:
// then datagrams queue in the kernel, before anything here sees them).
// Then the front door answers new requests 503 itself, from their bytes,
// before the parse and the goroutine:
//
//   - first those that carry no credentials (a phone's first REGISTER, a
//     call's first INVITE): refusing them wastes no work done;
//   - past four times MaxLag (or a second on the way), with MaxPending
//     at work, or the reader all but never waiting, any new request.
//
// Requests within a dialog (a To tag; ACK, CANCEL, BYE) always go on.

const (
	lagWaits  = 4                      // the waits the shortest is taken over
	lagFresh  = time.Second            // within which they must all have begun
	lagStuck  = 250 * time.Millisecond // two followed requests on the way this long: behind
	lagTraced = 16                     // followed requests on their way at most
)

// backlog measures how long new requests take from the front door to
// admit.
type backlog struct {
	traced atomic.Int32 // requests followed and not yet arrived
	last   atomic.Int64 // when the last was followed (unix ns)
	// standing is the shortest of the last lagWaits waits, good until
	// the unix ns in until (lagFresh after the oldest of them began);
	// stuck, how long the second oldest followed request has been on its
	// way, as of stuckAt, when past lagStuck.
	standing, until, stuck, stuckAt atomic.Int64

	mu    sync.Mutex
	on    map[string]int64 // followed: its key, when read
	waits [lagWaits]int64
	began [lagWaits]int64
	n     int

	pinned atomic.Bool // for tests: what is measured changes nothing
}

// behind is how long new requests take to reach admit, as far as is
// known (0: no queue standing), and how long two followed requests have
// been on their way if past lagStuck.
func (b *backlog) behind(now time.Time) (standing, stuck time.Duration) {
	n := now.UnixNano()
	if n < b.until.Load() {
		standing = time.Duration(b.standing.Load())
	}
	if at := b.stuckAt.Load(); at != 0 && n-at < int64(lagStuck) {
		stuck = time.Duration(b.stuck.Load() + n - at)
	}
	return standing, stuck
}

// follow is asked by the front door for each new request it lets in; it
// follows one a millisecond at most, by the key key gives ("": not one
// to follow; see traceKey), and sees how long those followed have been
// on their way.
func (b *backlog) follow(now time.Time, key func() string) {
	n := now.UnixNano()
	last := b.last.Load()
	if n-last < int64(time.Millisecond) || !b.last.CompareAndSwap(last, n) {
		return
	}
	k := ""
	if b.traced.Load() < lagTraced {
		k = key()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.on == nil {
		b.on = map[string]int64{}
	}
	// Forget what never arrived (answered by the stack, or refused), and
	// see how long the others have been on their way.
	var oldest, second int64 = n, n
	for k, at := range b.on {
		switch {
		case n-at > int64(lagFresh):
			delete(b.on, k)
		case at < oldest:
			oldest, second = at, oldest
		case at < second:
			second = at
		}
	}
	if !b.pinned.Load() {
		if n-second > int64(lagStuck) {
			b.stuck.Store(n - second)
			b.stuckAt.Store(n)
		} else {
			b.stuckAt.Store(0)
		}
	}
	if k != "" && len(b.on) < lagTraced {
		b.on[k] = n
	}
	b.traced.Store(int32(len(b.on)))
}

// arrived is told by admit of each new request that reaches it.
func (b *backlog) arrived(now time.Time, key func() string) {
	if b.traced.Load() == 0 {
		return
	}
	k := key()
	n := now.UnixNano()
	b.mu.Lock()
	defer b.mu.Unlock()
	at, ok := b.on[k]
	if !ok {
		return
	}
	delete(b.on, k)
	b.traced.Store(int32(len(b.on)))
	if b.pinned.Load() {
		return
	}
	i := b.n % lagWaits
	b.waits[i], b.began[i] = n-at, at
	b.n++
	if b.n >= lagWaits {
		b.standing.Store(slices.Min(b.waits[:]))
		b.until.Store(slices.Min(b.began[:]) + int64(lagFresh))
	}
}

// traceKey is what a followed request is known by: its Call-ID and CSeq
// number.
func traceKey(callID, cseq string) string {
	num, _, _ := strings.Cut(strings.TrimSpace(cseq), " ")
	return callID + " " + num
}

// How busy the switchboard is, as the front door sees it.
const (
	idle       = iota
	stepAside  // an eighth of MaxPending at work: the door checks nothing
	shedFresh  // MaxLag behind (or requests stuck on the way): requests without credentials get 503
	shedAllNew // MaxPending at work, four times MaxLag behind, requests stuck a second: any new request gets 503
)

// busy is how busy the switchboard is now.
func (s *Server) busy() int {
	pending, limit := s.pending.Load(), int64(s.cfg.MaxPending)
	lag, stuck := s.backlog.behind(time.Now())
	reading := s.reader.busy.Load()
	switch {
	case pending >= limit || lag > 4*s.cfg.MaxLag || stuck > time.Second || reading > readerFull:
		return shedAllNew
	case lag > s.cfg.MaxLag || stuck > 0 || reading > readerBusy:
		return shedFresh
	case pending > limit/8:
		return stepAside
	}
	return idle
}

// shedEarly says whether the front door turns a request away at a level
// of busy.
func shedEarly(r *rawRequest, level int) bool {
	if level < shedFresh || withinDialog(r) {
		return false
	}
	if level < shedAllNew {
		if _, ok := r.first("authorization"); ok {
			return false
		}
		if _, ok := r.first("proxy-authorization"); ok {
			return false
		}
	}
	return true
}

// withinDialog says whether a request belongs to a dialog or transaction
// under way (a To tag; ACK, CANCEL, BYE), or is too malformed to tell:
// never the front door's to refuse for load.
func withinDialog(r *rawRequest) bool {
	switch r.method {
	case "ACK", "CANCEL", "BYE":
		return true
	}
	to, ok := r.first("to")
	return !ok || hasParam(tightParams(to), "tag")
}

// readerWindow is how long the reader's busy share is measured over;
// past readerBusy (parts per thousand) requests without credentials are
// turned away at the door, past readerFull any new one. (Measured on two
// cores: 150-190 at 8,000 REGISTER/s, 930-980 at 16,000.)
// A window with fewer than readerMinReads reads says nothing: a reader
// that few datagrams keep busy is one the machine has descheduled (a busy
// test machine), not one that cannot keep up.
const (
	readerWindow   = 100 * time.Millisecond
	readerBusy     = 800
	readerFull     = 950
	readerMinReads = 500
)

// reader measures how much of its time the UDP listener's one reader
// spends on the datagrams it reads (parsing, handing them on) rather than
// waiting for the next: past readerBusy it cannot keep up, and datagrams
// queue in the kernel, where the followed requests' waits do not show.
// Only the reader goroutine writes it; busy is read by everyone.
type reader struct {
	lastReturn, windowFrom time.Time
	spent                  time.Duration
	reads                  int
	busy                   atomic.Int64 // the last whole window's share, in parts per thousand
	pinned                 atomic.Bool  // for tests: busy stays as set
}

// readStarts is told when the reader asks for the next datagram.
func (r *reader) readStarts(now time.Time) {
	if !r.lastReturn.IsZero() {
		r.spent += now.Sub(r.lastReturn)
		r.reads++
	}
	if w := now.Sub(r.windowFrom); w >= readerWindow {
		switch {
		case r.pinned.Load():
		case w < 2*readerWindow && r.reads >= readerMinReads:
			r.busy.Store(int64(r.spent * 1000 / w))
		default: // (a window passed without a read, or with too few to tell)
			r.busy.Store(0)
		}
		r.windowFrom, r.spent, r.reads = now, 0, 0
	}
}

// readReturns is told when a datagram has been read.
func (r *reader) readReturns(now time.Time) { r.lastReturn = now }

// timedConn is the UDP listener as the SIP stack reads it, timed.
type timedConn struct {
	net.PacketConn
	r *reader
}

func (c timedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.r.readStarts(time.Now())
	n, a, err := c.PacketConn.ReadFrom(b)
	c.r.readReturns(time.Now())
	return n, a, err
}
