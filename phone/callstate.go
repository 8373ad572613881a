package phone

import (
	"sync"
	"sync/atomic"
	"time"
)

// CallState is where a call is.
type CallState string

// Call states. A call placed starts Dialing, one received starts Ringing.
const (
	Dialing    CallState = "dialing"     // INVITE sent, nothing back yet
	Ringing    CallState = "ringing"     // the far end is alerting (180/183), or ours is
	EarlyMedia CallState = "early-media" // the far end plays its own audio before answering (183 with a description)
	Connected  CallState = "connected"   // answered; media flows both ways
	Held       CallState = "held"        // answered; one side or both put it on hold
	// Transferring: we asked the far end to call someone else in our place
	// (REFER) and wait to hear how that went.
	Transferring CallState = "transferring"
	Ended        CallState = "ended"
)

// Answered reports whether a call in state s was answered and has not
// ended: the states in which it can be held, resumed, sent keys or
// transferred.
func (s CallState) Answered() bool { return s == Connected || s == Held || s == Transferring }

// callInput is what happens to a call: the inputs of its state machine.
type callInput int

const (
	inRinging        callInput = iota // 180, or 183 without media
	inEarlyMedia                      // 183 whose description started media
	inAnswered                        // 2xx: we answered, or they did
	inHold                            // we put it on hold
	inResume                          // we took it off hold
	inRemoteHold                      // the far end put it on hold
	inRemoteResume                    // the far end took it off hold
	inTransfer                        // our REFER was accepted
	inTransferFailed                  // the transfer target did not take the call: we carry on
	inJoined                          // our REFER with Join was carried out: the call goes on, a conference
	inEnd                             // BYE either way, CANCEL, refusal, failure
)

var inputNames = [...]string{"ringing", "early media", "answered", "hold", "resume", "remote hold", "remote resume",
	"transfer", "transfer failed", "end"}

func (in callInput) String() string { return inputNames[in] }

// callStatus is a call's state with who holds it: Held is the state when
// either does.
type callStatus struct {
	State            CallState
	Held, RemoteHeld bool
}

// callStep is the call state machine: one function from (status, input)
// to the next status, as sipgo writes its transaction machines
// (RFC 3261 section 13 for the INVITE's life, RFC 3264 section 8.4 for
// hold, RFC 3515 for transfer). Inputs a state does not expect leave it
// unchanged: a 180 after the answer, a hold before it.
func callStep(s callStatus, in callInput) callStatus {
	if s.State == Ended {
		return s
	}
	if in == inEnd {
		return callStatus{State: Ended, Held: s.Held, RemoteHeld: s.RemoteHeld}
	}
	switch s.State {
	case Dialing, Ringing, EarlyMedia:
		switch in {
		case inRinging:
			if s.State == Dialing {
				s.State = Ringing
			}
		case inEarlyMedia:
			s.State = EarlyMedia
		case inAnswered:
			s.State = Connected
		}
		return s
	case Connected, Held, Transferring:
		switch in {
		case inHold, inResume:
			s.Held = in == inHold
		case inRemoteHold, inRemoteResume:
			s.RemoteHeld = in == inRemoteHold
		case inTransfer:
			s.State = Transferring
			return s
		case inTransferFailed, inJoined:
			if s.State != Transferring {
				return s
			}
		default:
			return s
		}
		if s.State != Transferring || in == inTransferFailed || in == inJoined {
			s.State = Connected
			if s.Held || s.RemoteHeld {
				s.State = Held
			}
		}
	}
	return s
}

// CallEvent reports a call's change of state.
type CallEvent struct {
	State      CallState
	Held       bool  // this phone has put the call on hold
	RemoteHold bool  // the far end has put the call on hold
	Err        error // why it ended, when it ended abnormally
	At         time.Time
}

// eventQueue hands a call's events to its reader in order without
// dropping one while the call lasts: pushes never block (they queue), and
// one goroutine per call delivers them. It stops once the call has ended
// and every event was read, when the phone closes, or when nobody has
// read the events of a call that ended orphanGrace ago (a program that
// never reads them leaves no goroutine behind).
type eventQueue struct {
	mu      sync.Mutex
	pending []CallEvent
	wake    chan struct{}
	out     chan CallEvent
}

// orphanGrace is how long an ended call's unread events wait for a reader.
const orphanGrace = time.Minute

func (q *eventQueue) start(closed, done <-chan struct{}, running *atomic.Int32, after func(time.Duration) <-chan time.Time) {
	q.wake, q.out = make(chan struct{}, 1), make(chan CallEvent)
	running.Add(1)
	go func() {
		defer running.Add(-1)
		defer close(q.out)
		ended := done
		var grace <-chan time.Time
		for {
			q.mu.Lock()
			have := len(q.pending) > 0
			var e CallEvent
			if have {
				e = q.pending[0]
			}
			q.mu.Unlock()
			if !have {
				if ended == nil {
					return // ended, and every event read
				}
				select {
				case <-q.wake:
				case <-ended:
					ended, grace = nil, after(orphanGrace)
				case <-closed:
					return
				}
				continue
			}
			select {
			case q.out <- e:
				q.mu.Lock()
				q.pending = q.pending[1:]
				q.mu.Unlock()
			case <-ended:
				ended, grace = nil, after(orphanGrace)
			case <-grace:
				return
			case <-closed:
				return
			}
		}
	}()
}

// push queues an event (under the call's lock, so events keep the order
// of the transitions).
func (q *eventQueue) push(e CallEvent) {
	q.mu.Lock()
	q.pending = append(q.pending, e)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
