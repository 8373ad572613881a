package switchboard

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/media"
)

// recorder keeps both sides of a relayed call as 8 kHz tracks, each
// packet decoded and appended to its side (the caller left, the callee
// right).
type recorder struct {
	mu     sync.Mutex
	start  time.Time
	pt     uint8
	dec    [2]audio.Codec
	down   [2]*audio.Resampler // codec rate to 8 kHz, when they differ
	tracks [2][]int16
	frame  []int16
	out    []int16
	limit  int // samples kept at most per track
}

// newRecorder records a call whose stream the SDP describes; nil when it
// cannot be (encrypted, or a codec this switchboard does not decode).
func newRecorder(desc []byte, maxLen time.Duration) *recorder {
	c0, pt := codecForSDP(desc)
	c1, _ := codecForSDP(desc)
	if c0 == nil || c1 == nil {
		return nil
	}
	r := &recorder{start: time.Now(), pt: pt, dec: [2]audio.Codec{c0, c1}, frame: make([]int16, c0.SampleRate()/10),
		out: make([]int16, 8000/10+1), limit: int(maxLen.Seconds() * 8000)}
	for i := range r.dec {
		if r.dec[i].SampleRate() != 8000 {
			r.down[i], _ = audio.NewResampler(r.dec[i].SampleRate(), 8000)
		}
	}
	return r
}

// packet decodes one relayed packet into its side's track.
func (r *recorder) packet(toCaller bool, b []byte, pkt *rtp.Packet) {
	if len(b) < 12 || b[1]&0x7f != r.pt || media.IsRTCP(b) {
		return
	}
	side := 0 // the caller speaking
	if toCaller {
		side = 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if pkt.Unmarshal(b) != nil {
		return
	}
	n, err := r.dec[side].Decode(pkt.Payload, r.frame)
	if err != nil || n == 0 {
		return
	}
	pcm := r.frame[:n]
	if r.down[side] != nil {
		pcm = r.out[:r.down[side].Process(pcm, r.out)]
	}
	// Frames follow one another; only a gap of more than 100 ms (the far
	// end paused sending: hold, silence suppression) moves a side on to
	// the arrival time, which keeps the two sides in step.
	at := len(r.tracks[side])
	if arrival := int(time.Since(r.start).Seconds()*8000) - len(pcm); arrival > at+800 {
		at = arrival
	}
	if at+len(pcm) > r.limit {
		return
	}
	if grow := at + len(pcm) - len(r.tracks[side]); grow > 0 {
		r.tracks[side] = append(r.tracks[side], make([]int16, grow)...)
	}
	copy(r.tracks[side][at:], pcm)
}

// newPCMRecorder records a call the switchboard bridges itself, frame
// by frame (add).
func newPCMRecorder(maxLen time.Duration) *recorder {
	return &recorder{start: time.Now(), limit: int(maxLen.Seconds() * 8000)}
}

// add appends a frame of 8 kHz audio to one side (0 the caller, 1 the
// callee).
func (r *recorder) add(side int, pcm []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.tracks[side])+len(pcm) <= r.limit {
		r.tracks[side] = append(r.tracks[side], pcm...)
	}
}

// stereo returns the recording: the caller left, the callee right.
func (r *recorder) stereo() *audio.PCM {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := max(len(r.tracks[0]), len(r.tracks[1]))
	out := make([]int16, 2*n)
	for i := range n {
		if i < len(r.tracks[0]) {
			out[2*i] = r.tracks[0][i]
		}
		if i < len(r.tracks[1]) {
			out[2*i+1] = r.tracks[1][i]
		}
	}
	return &audio.PCM{Rate: 8000, Channels: 2, Samples: out}
}

// RecordingNotice is heard by both sides when a recorded call connects:
// a falling two-note chime (1200 then 900 Hz), twice.
func RecordingNotice(rate int) []int16 {
	var out []int16
	for range 2 {
		for _, f := range []float64{1200, 900} {
			note := make([]int16, rate/4)
			audio.Sine(note, f, rate, 9000, 0)
			out = append(out, note...)
		}
		out = append(out, make([]int16, rate/4)...)
	}
	return out
}

// keepRecording writes a recorded call's two sides to
// DATA/recordings/NUMBER/CALL.wav (stereo: the caller left).
func (s *Server) keepRecording(c *call) {
	rec := c.bridgeRec
	if c.relay != nil && c.relay.rec != nil {
		rec = c.relay.rec
	}
	if rec == nil {
		return
	}
	pcm := rec.stereo()
	if len(pcm.Samples) == 0 {
		return
	}
	rel := filepath.Join("recordings", strings.TrimPrefix(c.recordOn, "+"), c.id+".wav")
	path := filepath.Join(s.cfg.VoicemailDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		s.log.Error("switchboard: recordings directory", "err", err)
		return
	}
	if err := audio.SaveWAV(path, pcm); err != nil {
		s.log.Error("switchboard: writing a recording", "err", err)
		return
	}
	c.mu.Lock()
	c.recording = rel
	c.mu.Unlock()
	s.log.Info("switchboard: call recorded", "call", c.id, "number", c.recordOn, "path", path)
}
