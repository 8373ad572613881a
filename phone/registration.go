package phone

import (
	"math/rand/v2"
	"time"
)

// RegState is where a registration is.
type RegState string

// Registration states.
const (
	Unregistered  RegState = "unregistered"
	Registering   RegState = "registering"
	Registered    RegState = "registered"
	Retrying      RegState = "retrying" // the last attempt failed; backing off
	Unregistering RegState = "unregistering"
)

// regInput is what happens to a registration.
type regInput string

const (
	inStart   regInput = "start"   // begin registering
	inOK      regInput = "ok"      // 2xx to REGISTER
	inFail    regInput = "fail"    // error or final failure response
	inTimer   regInput = "timer"   // refresh or retry time came
	inNetwork regInput = "network" // the network came back: try now
	inStop    regInput = "stop"    // unregister and end
	inDone    regInput = "done"    // unregistration finished
)

// regAction is what the driver must do after a step.
type regAction string

const (
	actNone       regAction = ""
	actRegister   regAction = "register"   // send REGISTER now
	actRefresh    regAction = "refresh"    // arm the refresh timer
	actBackoff    regAction = "backoff"    // arm the retry timer, growing
	actUnregister regAction = "unregister" // send REGISTER with Expires: 0
	actEnd        regAction = "end"        // stop the driver
)

// regStep is the registration state machine: one function from (state,
// input) to (next state, action), as in RFC 3261 section 10.2's client
// behaviour. Inputs a state does not expect leave it unchanged.
func regStep(s RegState, in regInput) (RegState, regAction) {
	switch s {
	case Unregistered:
		switch in {
		case inStart:
			return Registering, actRegister
		case inStop:
			return Unregistered, actEnd
		}
	case Registering:
		switch in {
		case inOK:
			return Registered, actRefresh
		case inFail:
			return Retrying, actBackoff
		case inStop:
			return Unregistering, actUnregister
		}
	case Registered:
		switch in {
		case inTimer, inNetwork:
			return Registering, actRegister
		case inStop:
			return Unregistering, actUnregister
		}
	case Retrying:
		switch in {
		case inTimer, inNetwork:
			return Registering, actRegister
		case inStop:
			// A refresh may have failed with a binding still in place:
			// remove it (harmless if there is none).
			return Unregistering, actUnregister
		}
	case Unregistering:
		switch in {
		case inDone, inOK, inFail:
			return Unregistered, actEnd
		}
	}
	return s, actNone
}

// Backoff bounds for failed registrations.
const (
	backoffBase = time.Second
	backoffMax  = 5 * time.Minute
)

// backoff is the wait before retry number attempt (0 for the first
// retry): doubling from a second up to five minutes, with ±20% jitter so a
// fleet of phones that lost their server do not come back in step.
func backoff(attempt int, r *rand.Rand) time.Duration {
	d := backoffBase
	for range attempt {
		if d *= 2; d >= backoffMax {
			d = backoffMax
			break
		}
	}
	jitter := time.Duration(r.Int64N(int64(d)*2/5+1)) - d/5
	return d + jitter
}

// refreshIn is when to refresh a registration granted for expires: ahead
// of expiry by a quarter of it, at most a minute ahead.
func refreshIn(expires time.Duration) time.Duration {
	return expires - min(expires/4, time.Minute)
}

// RegEvent reports a registration's change of state.
type RegEvent struct {
	State   RegState
	Expires time.Duration // granted, when Registered
	Retry   time.Duration // when the next attempt is, when Retrying
	Err     error         // why, when Retrying
	At      time.Time
}
