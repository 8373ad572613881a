package rating_test

import (
	"testing"

	"github.com/tetherphone/tether/account/rating"
)

// BenchmarkRateCall measures classifying a number and rating a call to it.
func BenchmarkRateCall(b *testing.B) {
	r := rating.SampleRater()
	local, _ := rating.ParseNumber("+14155552671", "US")
	remote, _ := rating.ParseNumber("+447400123456", "US")
	for b.Loop() {
		if _, err := r.RateCall(rating.CallSpec{Direction: rating.Outbound, Local: local, Remote: remote}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNumber measures parsing and classifying a typed number.
func BenchmarkParseNumber(b *testing.B) {
	for b.Loop() {
		if _, err := rating.ParseNumber("+44 20 7946 0958", "US"); err != nil {
			b.Fatal(err)
		}
	}
}
