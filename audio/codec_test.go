package audio_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tetherphone/tether/audio"
)

// TestG711MatchesSox checks the codecs against sox (Debian's package):
// decoding sox's bytes gives exactly what sox decodes, and encoding gives
// sox's byte or its neighbour (sox rounds to 14 bits before the law, the
// classic encoder truncates; both stay within one quantisation step).
func TestG711MatchesSox(t *testing.T) {
	dir := t.TempDir()
	wav := filepath.Join(dir, "in.wav")
	sox := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
			t.Fatalf("sox %v: %v: %s", args, err, out)
		}
	}
	// A sweep across the band at several levels: every segment of the law.
	sox("-n", "-r", "8000", "-c", "1", "-b", "16", wav, "synth", "2", "sine", "100-3800", "vol", "0.9", ":", "synth", "1", "sine", "300", "vol", "0.01")
	f, err := os.Open(wav)
	if err != nil {
		t.Fatal(err)
	}
	in, err := audio.ReadWAV(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		codec    audio.Codec
		encoding string
		ext      string
	}{{audio.PCMU{}, "u-law", "ul"}, {audio.PCMA{}, "a-law", "al"}} {
		raw := filepath.Join(dir, "out."+c.ext)
		sox(wav, "-t", "raw", "-e", c.encoding, "-b", "8", "-r", "8000", raw)
		want, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(in.Samples))
		n, err := c.codec.Encode(in.Samples, got)
		if err != nil || n != len(want) {
			t.Fatalf("%s: encoded %d bytes (%v), sox %d", c.codec.Name(), n, err, len(want))
		}
		ours, theirs := make([]int16, 1), make([]int16, 1)
		for i := range got {
			if got[i] == want[i] {
				continue
			}
			c.codec.Decode(got[i:i+1], ours)
			c.codec.Decode(want[i:i+1], theirs)
			if ours[0] == theirs[0] {
				continue // mu-law's +0 and -0
			}
			x := int(in.Samples[i])
			if abs(int(ours[0])-x) > spacingAt(c.codec, x) || !neighbours(c.codec, got[i], want[i]) {
				t.Fatalf("%s: sample %d (%d) encodes to %d, sox to %d: more than a step apart", c.codec.Name(), i, x, ours[0], theirs[0])
			}
		}
		// Decoding: sox's decoded 16-bit samples.
		dec := filepath.Join(dir, "dec-"+c.ext+".wav")
		sox("-t", "raw", "-e", c.encoding, "-b", "8", "-r", "8000", "-c", "1", raw, "-b", "16", "-e", "signed-integer", dec)
		f, _ := os.Open(dec)
		ref, err := audio.ReadWAV(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, len(want))
		if _, err := c.codec.Decode(want, pcm); err != nil {
			t.Fatal(err)
		}
		for i := range pcm {
			if pcm[i] != ref.Samples[i] {
				t.Fatalf("%s: sample %d decodes to %d, sox %d", c.codec.Name(), i, pcm[i], ref.Samples[i])
			}
		}
	}
}

func TestCodecBuffers(t *testing.T) {
	for _, c := range []audio.Codec{audio.PCMU{}, audio.PCMA{}} {
		if _, err := c.Encode(make([]int16, 160), make([]byte, 159)); !errors.Is(err, audio.ErrBuffer) {
			t.Errorf("%s Encode small buffer: %v", c.Name(), err)
		}
		if _, err := c.Decode(make([]byte, 160), make([]int16, 100)); !errors.Is(err, audio.ErrBuffer) {
			t.Errorf("%s Decode small buffer: %v", c.Name(), err)
		}
		// Silence encodes to the law's zero and back.
		out := make([]byte, 4)
		c.Encode(make([]int16, 4), out)
		pcm := []int16{9, 9, 9, 9}
		c.Decode(out, pcm)
		if !bytes.Equal(out[:1], out[1:2]) || pcm[0] > 8 || pcm[0] < -8 {
			t.Errorf("%s silence: % x -> %v", c.Name(), out, pcm)
		}
	}
}

// BenchmarkPCMUEncode measures one 20 ms frame; it must not allocate.
func BenchmarkPCMUEncode(b *testing.B) {
	pcm := make([]int16, 160)
	audio.Sine(pcm, 440, 8000, 12000, 0)
	out := make([]byte, 160)
	b.ReportAllocs()
	for b.Loop() {
		audio.PCMU{}.Encode(pcm, out)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// levels returns every level the codec decodes to.
func levels(c audio.Codec) []int {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	pcm := make([]int16, 256)
	c.Decode(all, pcm)
	out := make([]int, 256)
	for i, v := range pcm {
		out[i] = int(v)
	}
	return out
}

// spacingAt returns the distance between the two levels around x.
func spacingAt(c audio.Codec, x int) int {
	below, above := -1<<20, 1<<20
	for _, l := range levels(c) {
		if l <= x && l > below {
			below = l
		}
		if l >= x && l < above {
			above = l
		}
	}
	if below == above { // x is a level: the wider neighbouring gap
		return 1 << 20
	}
	return above - below
}

// neighbours reports whether two codes decode to adjacent levels of the law.
func neighbours(c audio.Codec, a, b byte) bool {
	ls := levels(c)
	la, lb := ls[a], ls[b]
	for _, l := range ls {
		if l > min(la, lb) && l < max(la, lb) {
			return false
		}
	}
	return true
}
