package audio_test

import (
	"testing"

	"github.com/tetherphone/tether/audio"
)

// TestOpusCarriesATone encodes a tone frame by frame and decodes it: the
// tone survives, at a fraction of G.711's bytes.
func TestOpusCarriesATone(t *testing.T) {
	for _, rate := range []int{8000, 16000, 48000} {
		tx, err := audio.NewOpus(rate)
		if err != nil {
			t.Fatal(err)
		}
		rx, _ := audio.NewOpus(rate)
		frame := rate / 50
		in, out := make([]int16, frame), make([]int16, frame)
		buf := make([]byte, 1500)
		var decoded []int16
		bytes := 0
		for k := range 50 {
			audio.Sine(in, 440, rate, 12000, k*frame)
			n, err := tx.Encode(in, buf)
			if err != nil {
				t.Fatal(err)
			}
			bytes += n
			m, err := rx.Decode(buf[:n], out)
			if err != nil || m != frame {
				t.Fatalf("%d Hz: decoded %d samples, %v", rate, m, err)
			}
			decoded = append(decoded, out...)
		}
		if s := audio.ToneShare(decoded[len(decoded)/2:], 440, rate); s < 0.9 {
			t.Errorf("%d Hz: tone share %.2f after Opus", rate, s)
		}
		if bytes > 50*frame/2 {
			t.Errorf("%d Hz: %d bytes for 1 s, no better than G.711", rate, bytes)
		}
	}
}
