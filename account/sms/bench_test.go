package sms_test

import (
	"strings"
	"testing"

	"github.com/tetherphone/tether/account/sms"
)

// BenchmarkCount measures counting the segments of a long GSM-7 message.
func BenchmarkCount(b *testing.B) {
	text := strings.Repeat("Your appointment is confirmed. ", 10)
	for b.Loop() {
		sms.Count(text)
	}
}
