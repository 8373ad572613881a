package device_test

import (
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/audio/device"
)

// TestNullDevice runs a duplex device on miniaudio's null backend: the
// callback runs, capture data arrives (silence) and playback drains.
func TestNullDevice(t *testing.T) {
	d, err := device.Open(device.Config{Backend: "null"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tone := make([]int16, 8000)
	audio.Sine(tone, 440, 8000, 8000, 0)
	d.WriteFrame(tone[:4000])
	deadline := time.Now().Add(10 * time.Second)
	for d.Queued() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if d.Queued() > 0 {
		t.Fatalf("the speaker never drained: %d samples left", d.Queued())
	}
	if _, err := device.Open(device.Config{Backend: "null", Capture: "no such microphone"}); err == nil {
		t.Error("a missing device was accepted")
	}
	if _, err := device.Open(device.Config{Backend: "beos"}); err == nil {
		t.Error("an unknown backend was accepted")
	}
}
