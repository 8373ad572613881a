package media_test

import (
	"testing"
	"time"

	"github.com/tetherphone/tether/phone/media"
)

func TestQualityGrade(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name string
		q    media.Quality
		want media.Grade
		loss float64
	}{
		{"nothing yet", media.Quality{}, media.GradeWaiting, 0},
		{"clean", media.Quality{Expected: 1000, Jitter: 2 * ms, RTT: 40 * ms}, media.GradeGood, 0},
		{"0.9% lost here", media.Quality{Expected: 1000, Lost: 9}, media.GradeGood, 0.9},
		{"1% lost here", media.Quality{Expected: 1000, Lost: 10}, media.GradeFair, 1},
		{"2% lost there", media.Quality{Expected: 1000, RemoteLoss: 0.02}, media.GradeFair, 2},
		{"5% lost here", media.Quality{Expected: 1000, Lost: 50}, media.GradePoor, 5},
		{"jitter here", media.Quality{Expected: 1000, Jitter: 30 * ms}, media.GradeFair, 0},
		{"jitter there", media.Quality{Expected: 1000, RemoteJitter: 60 * ms}, media.GradePoor, 0},
		{"slow round trip", media.Quality{Expected: 1000, RTT: 300 * ms}, media.GradeFair, 0},
		{"very slow round trip", media.Quality{Expected: 1000, RTT: 500 * ms}, media.GradePoor, 0},
	} {
		if got := c.q.Grade(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		if got := c.q.LossPercent(); got < c.loss-1e-9 || got > c.loss+1e-9 {
			t.Errorf("%s: loss %.2f%%, want %.2f%%", c.name, got, c.loss)
		}
	}
}
