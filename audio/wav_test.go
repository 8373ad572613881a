package audio_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tetherphone/tether/audio"
)

func TestWAVRoundTrip(t *testing.T) {
	in := &audio.PCM{Rate: 8000, Channels: 1, Samples: []int16{0, 1, -1, 32767, -32768, 1234}}
	var buf bytes.Buffer
	if err := audio.WriteWAV(&buf, in); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 44+12 {
		t.Fatalf("%d bytes", buf.Len())
	}
	out, err := audio.ReadWAV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if out.Rate != 8000 || out.Channels != 1 || !slices.Equal(out.Samples, in.Samples) {
		t.Fatalf("round trip: %+v", out)
	}
}

// TestReadsSoxFiles reads files written by another program (sox, from
// Debian's package), with the extra chunks real files carry.
func TestReadsSoxFiles(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args     []string
		rate, ch int
		n        int
	}{
		{[]string{"-r", "8000", "-c", "1", "-b", "16"}, 8000, 1, 8000},
		{[]string{"-r", "48000", "-c", "2", "-b", "16"}, 48000, 2, 96000},
	}
	for i, c := range cases {
		path := filepath.Join(dir, "tone"+string(rune('a'+i))+".wav")
		args := append([]string{"-n"}, c.args...)
		args = append(args, path, "synth", "1", "sine", "440")
		if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
			t.Fatalf("sox: %v: %s", err, out)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := audio.ReadWAV(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if p.Rate != c.rate || p.Channels != c.ch || len(p.Samples) != c.n {
			t.Errorf("%v: got %d Hz %d ch %d samples", c.args, p.Rate, p.Channels, len(p.Samples))
		}
		peak := int16(0)
		for _, s := range p.Samples {
			peak = max(peak, s)
		}
		if peak < 20000 {
			t.Errorf("%v: peak %d, a full-scale sine should be near 32767", c.args, peak)
		}
	}
}

func TestReadWAVRejects(t *testing.T) {
	good := func() []byte {
		var buf bytes.Buffer
		audio.WriteWAV(&buf, &audio.PCM{Rate: 8000, Channels: 1, Samples: []int16{1, 2}})
		return buf.Bytes()
	}
	mutate := map[string]func(b []byte) []byte{
		"empty":     func(b []byte) []byte { return nil },
		"not riff":  func(b []byte) []byte { copy(b, "RIFX"); return b },
		"8-bit":     func(b []byte) []byte { b[34] = 8; return b },
		"float":     func(b []byte) []byte { b[20] = 3; return b },
		"0 ch":      func(b []byte) []byte { b[22] = 0; return b },
		"no data":   func(b []byte) []byte { return b[:36] },
		"huge fmt":  func(b []byte) []byte { b[16] = 0xff; b[17] = 0xff; return b },
		"1 Hz rate": func(b []byte) []byte { b[24], b[25], b[26], b[27] = 1, 0, 0, 0; return b },
	}
	for name, m := range mutate {
		if _, err := audio.ReadWAV(bytes.NewReader(m(good()))); !errors.Is(err, audio.ErrWAV) {
			t.Errorf("%s: err = %v, want ErrWAV", name, err)
		}
	}
}

func FuzzReadWAV(f *testing.F) {
	var buf bytes.Buffer
	audio.WriteWAV(&buf, &audio.PCM{Rate: 16000, Channels: 2, Samples: []int16{1, -1, 300, -300}})
	f.Add(buf.Bytes())
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVELIST\x04\x00\x00\x00abcdfmt "))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := audio.ReadWAV(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, audio.ErrWAV) {
				t.Fatalf("unwrapped error: %v", err)
			}
			return
		}
		if len(p.Samples)%p.Channels != 0 {
			t.Fatalf("%d samples for %d channels", len(p.Samples), p.Channels)
		}
		var out bytes.Buffer
		if err := audio.WriteWAV(&out, p); err != nil {
			t.Fatal(err)
		}
		back, err := audio.ReadWAV(&out)
		if err != nil || !slices.Equal(back.Samples, p.Samples) {
			t.Fatalf("does not round-trip: %v", err)
		}
	})
}

func TestSaveLoadMono(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stereo.wav")
	in := &audio.PCM{Rate: 16000, Channels: 2, Samples: []int16{1, -1, 2, -2, 3, -3}}
	if err := audio.SaveWAV(path, in); err != nil {
		t.Fatal(err)
	}
	p, err := audio.LoadWAV(path)
	if err != nil || p.Rate != 16000 || !slices.Equal(p.Mono(), []int16{1, 2, 3}) {
		t.Fatalf("LoadWAV = %+v, %v", p, err)
	}
	if _, err := audio.LoadWAV(filepath.Join(t.TempDir(), "missing.wav")); err == nil {
		t.Fatal("a missing file loaded")
	}
}
