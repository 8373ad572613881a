package switchboard

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// A finished transaction is kept a while to answer retransmissions of
// its last message; RFC 3261 keeps most of them 32 s. At a thousand calls
// a second that is tens of thousands of transactions with their messages
// (over half a gigabyte). Like Kamailio's wait timer, a switchboard keeps
// them 5 s: retransmissions come within T1..T2 of each other (0.5 to 4 s),
// and one later than that is answered 481, which ends the dialog anyway.
// sipgo's timers are per process: this applies to every program with a
// switchboard in it.
const finishedWait = 5 * time.Second

func init() {
	sip.Timer_D, sip.Timer_J, sip.Timer_L, sip.Timer_M = finishedWait, finishedWait, finishedWait, finishedWait
	// sipgo sends nothing over UDP larger than 1,300 bytes: a request
	// with many Vias or long headers then never got its answer (a
	// challenge repeats all of them). Answers go back the way the request
	// came, whatever their size; IP fragments what the path cannot carry.
	sip.UDPMTUSize = 65535 + 200
}
