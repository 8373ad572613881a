package device_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/audio/device"
	"github.com/tetherphone/tether/internal/peers"
)

// TestUnpluggedSpeaker unplugs the speaker in use (unloads its sink on a
// real PulseAudio daemon) mid-stream: the device falls back to the
// default devices and keeps playing there.
func TestUnpluggedSpeaker(t *testing.T) {
	p := peers.StartPulse(t)
	t.Setenv("PULSE_SERVER", p.Server)
	out, err := exec.Command("pactl", "--server="+p.Server, "load-module", "module-null-sink",
		"sink_name=headset", "sink_properties=device.description=headset").Output()
	if err != nil {
		t.Fatal(err)
	}
	module := strings.TrimSpace(string(out))
	d, err := device.Open(device.Config{Backend: "pulse", Capture: "Monitor of mic", Playback: "headset"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tone := make([]int16, 160)
	audio.Sine(tone, 440, 8000, 8000, 0)
	// drains feeds the speaker for a while and says whether it consumed.
	drains := func() bool {
		deadline := time.Now().Add(10 * time.Second)
		for range 10 {
			d.WriteFrame(tone)
			time.Sleep(20 * time.Millisecond)
		}
		for d.Queued() > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		return d.Queued() == 0
	}
	if !drains() {
		t.Fatal("the headset does not play")
	}
	if d.Fallbacks() != 0 {
		t.Fatal("fell back while the headset was there")
	}
	if err := exec.Command("pactl", "--server="+p.Server, "unload-module", module).Run(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for d.Fallbacks() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if d.Fallbacks() != 1 {
		t.Fatalf("%d fallbacks after the headset went away", d.Fallbacks())
	}
	if !drains() {
		t.Fatal("after the headset went away, nothing plays")
	}
}
