package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/internal/peers"
	"github.com/tetherphone/tether/phone"
)

// TestCallWithSoundDevices places a call that uses the sound devices, on a
// real PulseAudio daemon with null sinks: a tone played into the
// microphone sink reaches the far end, and the far end's tone comes out of
// the speaker sink.
func TestCallWithSoundDevices(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	p := peers.StartPulse(t)
	dir := t.TempDir()
	toneWAV(t, filepath.Join(dir, "440.wav"), 440, 4)
	toneWAV(t, filepath.Join(dir, "1000.wav"), 1000, 6)

	bob, bobOut := background(t, append(account(k, "bob"), "answer", "--play", filepath.Join(dir, "1000.wav"),
		"--record", filepath.Join(dir, "bob.wav"), "--duration", "5s")...)
	waitLine(t, bobOut, "registered")

	alice := exec.Command(bin, append(account(k, "alice"), "call", "bob", "--audio-backend", "pulse",
		"--capture", "Monitor of mic", "--playback", "spk", "--duration", "5s")...)
	alice.Env = append(os.Environ(), p.Env()...)
	stdout, _ := alice.StdoutPipe()
	alice.Stderr = os.Stderr
	if err := alice.Start(); err != nil {
		t.Fatal(err)
	}
	lines := scanLines(stdout)
	waitLine(t, lines, "answered")

	// Speak into the microphone, and listen at the speaker, meanwhile.
	play := exec.Command("paplay", "--server="+p.Server, "--device=mic", filepath.Join(dir, "440.wav"))
	rec := p.StartRecording(t, "spk.monitor")
	if err := play.Start(); err != nil {
		t.Fatal(err)
	}
	play.Wait()
	if err := alice.Wait(); err != nil {
		t.Fatalf("call: %v", err)
	}
	speaker := rec.Stop()
	if err := bob.Wait(); err != nil {
		t.Fatalf("answer: %v", err)
	}
	heardByBob := readWAV(t, filepath.Join(dir, "bob.wav"))
	if s := audio.BestShare(heardByBob, 440, 8000, quarter); s < 0.8 {
		t.Errorf("the tone played into the microphone reached bob at share %.2f", s)
	}
	if s := audio.BestShare(speaker, 1000, 8000, quarter); s < 0.8 {
		t.Errorf("bob's tone came out of the speaker at share %.2f", s)
	}
}

// quarter is the window tones are looked for in (audio.BestShare): proof
// the sound got through, not that the machine had spare CPU.
const quarter = 250 * time.Millisecond

// TestRingbackOnTheSpeaker: while the far end rings, the caller's speaker
// plays ringback (440+480 Hz).
func TestRingbackOnTheSpeaker(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	p := peers.StartPulse(t)
	// Bob answers, but only after three seconds of ringing.
	bob, err := phone.New(phone.Config{User: fmt.Sprintf("sip:bob@127.0.0.1:%d", k.Port), Password: "bob-secret", Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go bob.Register(ctx)
	for e := range bob.Events() {
		if e.State == phone.Registered {
			break
		}
	}
	go func() {
		in := <-bob.Incoming()
		time.Sleep(3 * time.Second)
		in.Answer(ctx)
	}()
	rec := p.StartRecording(t, "spk.monitor")
	alice := exec.Command(bin, append(account(k, "alice"), "call", "bob", "--audio-backend", "pulse",
		"--capture", "Monitor of mic", "--playback", "spk", "--duration", "1s")...)
	alice.Env = append(os.Environ(), p.Env()...)
	if out, err := alice.CombinedOutput(); err != nil {
		t.Fatalf("call: %v\n%s", err, out)
	}
	speaker := rec.Stop()
	if s := audio.BestShare(speaker, 440, 8000, quarter) + audio.BestShare(speaker, 480, 8000, quarter); s < 0.7 {
		t.Errorf("no ringback on the speaker: 440+480 Hz share %.2f", s)

	}
}

// TestRingtoneAndKeyTones: the called phone rings on the device chosen for
// ringing (not the call's), then answers; the caller's keys sound on its
// own speaker as they are sent.
func TestRingtoneAndKeyTones(t *testing.T) {
	k := peers.StartKamailio(t, map[string]string{"alice": "alice-secret", "bob": "bob-secret"}, "MD5")
	p := peers.StartPulse(t)
	if err := exec.Command("pactl", "--server="+p.Server, "load-module", "module-null-sink",
		"sink_name=bell", "sink_properties=device.description=bell").Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bobCmd := exec.Command(bin, append(account(k, "bob"), "answer", "--record", filepath.Join(dir, "bob.wav"),
		"--audio-backend", "pulse", "--ring", "3s", "--ring-device", "bell")...)
	bobCmd.Env = append(os.Environ(), p.Env()...)
	bobOut, _ := bobCmd.StdoutPipe()
	bobCmd.Stderr = os.Stderr
	if err := bobCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bobCmd.Process.Kill(); bobCmd.Wait() })
	bobLines := scanLines(bobOut)
	waitLine(t, bobLines, "registered")

	bellRec, speakerRec := p.StartRecording(t, "bell.monitor"), p.StartRecording(t, "spk.monitor")
	alice := exec.Command(bin, append(account(k, "alice"), "call", "bob", "--audio-backend", "pulse",
		"--capture", "Monitor of mic", "--playback", "spk", "--dtmf", "5", "--duration", "2s")...)
	alice.Env = append(os.Environ(), p.Env()...)
	if out, err := alice.CombinedOutput(); err != nil {
		t.Fatalf("call: %v\n%s", err, out)
	}
	waitLine(t, bobLines, "answered")
	bell, speaker := bellRec.Stop(), speakerRec.Stop()

	if s := audio.BestShare(bell, 523.25, 8000, quarter) + audio.BestShare(bell, 659.25, 8000, quarter); s < 0.7 {
		t.Errorf("no ringtone on the ring device: share %.2f", s)
	}
	found := false
	for i := 0; i+640 <= len(speaker) && !found; i += 160 {
		d, ok := audio.DetectDTMF(speaker[i:i+640], 8000)
		found = ok && d == '5'
	}
	if !found {
		t.Error("the key sent did not sound on the caller's speaker")
	}
}
