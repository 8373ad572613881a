package phone

import "testing"

// TestCallStep: every (state, input) the call state machine knows, and
// that inputs a state does not expect change nothing.
func TestCallStep(t *testing.T) {
	st := func(s CallState, held, remote bool) callStatus {
		return callStatus{State: s, Held: held, RemoteHeld: remote}
	}
	for _, c := range []struct {
		from callStatus
		in   callInput
		to   callStatus
	}{
		{st(Dialing, false, false), inRinging, st(Ringing, false, false)},
		{st(Dialing, false, false), inEarlyMedia, st(EarlyMedia, false, false)},
		{st(Dialing, false, false), inAnswered, st(Connected, false, false)},
		{st(Dialing, false, false), inEnd, st(Ended, false, false)},
		{st(Dialing, false, false), inHold, st(Dialing, false, false)},
		{st(Ringing, false, false), inRinging, st(Ringing, false, false)},
		{st(Ringing, false, false), inEarlyMedia, st(EarlyMedia, false, false)},
		{st(Ringing, false, false), inAnswered, st(Connected, false, false)},
		{st(Ringing, false, false), inEnd, st(Ended, false, false)},
		{st(Ringing, false, false), inTransfer, st(Ringing, false, false)},
		{st(EarlyMedia, false, false), inRinging, st(EarlyMedia, false, false)},
		{st(EarlyMedia, false, false), inAnswered, st(Connected, false, false)},
		{st(EarlyMedia, false, false), inEnd, st(Ended, false, false)},
		{st(Connected, false, false), inRinging, st(Connected, false, false)},
		{st(Connected, false, false), inAnswered, st(Connected, false, false)},
		{st(Connected, false, false), inHold, st(Held, true, false)},
		{st(Connected, false, false), inRemoteHold, st(Held, false, true)},
		{st(Connected, false, false), inResume, st(Connected, false, false)},
		{st(Connected, false, false), inTransfer, st(Transferring, false, false)},
		{st(Connected, false, false), inTransferFailed, st(Connected, false, false)},
		{st(Connected, false, false), inEnd, st(Ended, false, false)},
		{st(Held, true, false), inResume, st(Connected, false, false)},
		{st(Held, true, false), inRemoteHold, st(Held, true, true)},
		{st(Held, true, true), inResume, st(Held, false, true)},
		{st(Held, false, true), inRemoteResume, st(Connected, false, false)},
		{st(Held, true, false), inTransfer, st(Transferring, true, false)},
		{st(Held, true, false), inEnd, st(Ended, true, false)},
		{st(Transferring, false, false), inTransferFailed, st(Connected, false, false)},
		{st(Transferring, true, false), inTransferFailed, st(Held, true, false)},
		{st(Transferring, false, false), inJoined, st(Connected, false, false)},
		{st(Transferring, true, false), inJoined, st(Held, true, false)},
		{st(Connected, false, false), inJoined, st(Connected, false, false)},
		{st(Transferring, false, false), inRemoteHold, st(Transferring, false, true)},
		{st(Transferring, false, false), inEnd, st(Ended, false, false)},
		{st(Ended, false, false), inAnswered, st(Ended, false, false)},
		{st(Ended, false, false), inRinging, st(Ended, false, false)},
		{st(Ended, true, false), inResume, st(Ended, true, false)},
	} {
		if got := callStep(c.from, c.in); got != c.to {
			t.Errorf("%+v on %s: %+v, want %+v", c.from, c.in, got, c.to)
		}
	}
}

func TestAnswered(t *testing.T) {
	for s, want := range map[CallState]bool{Dialing: false, Ringing: false, EarlyMedia: false, Connected: true, Held: true,
		Transferring: true, Ended: false} {
		if s.Answered() != want {
			t.Errorf("%s.Answered() = %v", s, !want)
		}
	}
}
