package media

import "time"

// Grade is how a call sounds, in one word, from what RTP and RTCP
// measured: the app shows it in the call, phonectl after it.
type Grade string

// Grades.
const (
	GradeWaiting Grade = "waiting" // no packet expected yet
	GradeGood    Grade = "good"
	GradeFair    Grade = "fair" // some sound may break up
	GradePoor    Grade = "poor"
)

// Thresholds of the grades: at or above any of a grade's, the line is
// that grade (loss in percent of packets, either direction; jitter either
// direction; round trip). They follow ITU-T G.114's 300 ms one-way comfort
// limit loosely and the usual VoIP rule that past 1% loss G.711 is audibly
// broken and past 5% it is hard to follow.
const (
	PoorLoss, FairLoss     = 5.0, 1.0
	PoorJitter, FairJitter = 60 * time.Millisecond, 30 * time.Millisecond
	PoorRTT, FairRTT       = 500 * time.Millisecond, 300 * time.Millisecond
)

// LossPercent is the worse of the two directions' loss: the far end's
// stream as counted here, ours as its last report said.
func (q Quality) LossPercent() float64 {
	loss := 0.0
	if q.Expected > 0 {
		loss = 100 * float64(q.Lost) / float64(q.Expected)
	}
	return max(loss, 100*q.RemoteLoss)
}

// Grade grades the call.
func (q Quality) Grade() Grade {
	loss, jitter := q.LossPercent(), max(q.Jitter, q.RemoteJitter)
	switch {
	case q.Expected == 0:
		return GradeWaiting
	case loss >= PoorLoss || jitter >= PoorJitter || q.RTT >= PoorRTT:
		return GradePoor
	case loss >= FairLoss || jitter >= FairJitter || q.RTT >= FairRTT:
		return GradeFair
	}
	return GradeGood
}
