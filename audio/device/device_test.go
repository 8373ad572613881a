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

// TestReferenceInStep: with each microphone frame the device gives what
// its speaker played at the same instants (the echo canceller's
// reference): everything written to the speaker comes back there once, in
// order, silence filling only where the speaker ran dry.
func TestReferenceInStep(t *testing.T) {
	d, err := device.Open(device.Config{Backend: "null", SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const n = 320
	next := int16(1)
	var seen []int16
	mic, played := make([]int16, n), make([]int16, n)
	frame := make([]int16, n)
	deadline := time.Now().Add(20 * time.Second)
	for next < 16000 && time.Now().Before(deadline) {
		select {
		case <-d.Wake():
		case <-time.After(time.Second):
		}
		for d.Captured() >= n {
			d.ReadFrameRef(mic, played)
			for _, v := range played {
				if v != 0 {
					seen = append(seen, v)
				}
			}
		}
		for d.Queued() < n/2 {
			for i := range frame {
				frame[i] = next
				next++
			}
			d.WriteFrame(frame)
		}
	}
	if next < 16000 {
		t.Fatalf("the device played only %d samples in 20 s", next)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("the reference went back: sample %d is %d after %d", i, seen[i], seen[i-1])
		}
	}
	if len(seen) < int(next)*8/10 {
		t.Fatalf("the reference holds %d of the %d samples played", len(seen), next-1)
	}
}
