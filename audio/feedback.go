package audio

import (
	"sync"
	"time"
)

// FrameReader gives audio one stretch at a time, like a call's source.
type FrameReader interface {
	ReadFrame(pcm []int16) bool
}

// Ringtone is what an incoming call rings with: C and E together (523 and
// 659 Hz), one second on, two off; distinct from ringback and busy.
var Ringtone = Cadence{Freqs: []float64{523.25, 659.25}, On: time.Second, Off: 2 * time.Second}

// CallWaiting is how a second call rings during one: a short 440 Hz beep
// every four seconds, played softly.
var CallWaiting = Cadence{Freqs: []float64{440}, On: 300 * time.Millisecond, Off: 3700 * time.Millisecond}

// Feedback mixes the tones of keys pressed into what goes to the speaker,
// quietly, so the user hears each digit they send. Wrap the speaker in it.
type Feedback struct {
	next  interface{ WriteFrame([]int16) }
	rate  int
	mu    sync.Mutex
	queue []feedbackTone
	pos   int // samples of queue[0] played
}

type feedbackTone struct {
	digit   rune // 0: a gap
	samples int
}

// FeedbackLevel is the peak of feedback tones: about -20 dBFS, audible
// under the call without drowning it.
const FeedbackLevel = 3300

// NewFeedback wraps a speaker whose frames are at rate Hz.
func NewFeedback(next interface{ WriteFrame([]int16) }, rate int) *Feedback {
	return &Feedback{next: next, rate: rate}
}

// Press queues the tones of digits, each lasting press with gap between
// them: the schedule the key presses go out on.
func (f *Feedback) Press(digits string, press, gap time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range digits {
		f.queue = append(f.queue, feedbackTone{d, int(press.Seconds() * float64(f.rate))},
			feedbackTone{0, int(gap.Seconds() * float64(f.rate))})
	}
}

// WriteFrame mixes whatever tone is due into pcm and passes it on.
func (f *Feedback) WriteFrame(pcm []int16) {
	f.mu.Lock()
	for i := 0; i < len(pcm) && len(f.queue) > 0; {
		t := &f.queue[0]
		n := min(len(pcm)-i, t.samples-f.pos)
		if t.digit != 0 {
			var tone [960]int16
			for done := 0; done < n; {
				m := min(n-done, len(tone))
				DTMF(tone[:m], t.digit, f.rate, FeedbackLevel, f.pos+done)
				for k := range m {
					pcm[i+done+k] = clip(int32(pcm[i+done+k]) + int32(tone[k]))
				}
				done += m
			}
		}
		i += n
		f.pos += n
		if f.pos >= t.samples {
			f.queue, f.pos = f.queue[1:], 0
		}
	}
	f.mu.Unlock()
	f.next.WriteFrame(pcm)
}

func clip(v int32) int16 {
	return int16(max(min(v, 32767), -32768))
}
