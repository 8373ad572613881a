package webrtcgw

import (
	"sync"

	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"
)

// track is the audio a Gateway sends: packets as the plain side made them,
// audio and key presses alike, with the payload types they carry. (Pion's
// own RTP track rewrites every packet to the codec's payload type, which
// would turn telephone-events into noise.)
type track struct {
	mu   sync.Mutex
	w    pion.TrackLocalWriter
	ssrc uint32
}

// Bind is called when the connection negotiated the track.
func (t *track) Bind(ctx pion.TrackLocalContext) (pion.RTPCodecParameters, error) {
	codecs := ctx.CodecParameters()
	if len(codecs) == 0 {
		return pion.RTPCodecParameters{}, pion.ErrUnsupportedCodec
	}
	t.mu.Lock()
	t.w, t.ssrc = ctx.WriteStream(), uint32(ctx.SSRC())
	t.mu.Unlock()
	return codecs[0], nil
}

// Unbind is called when the track is no longer sent.
func (t *track) Unbind(pion.TrackLocalContext) error {
	t.mu.Lock()
	t.w = nil
	t.mu.Unlock()
	return nil
}

// ID names the track.
func (t *track) ID() string { return "audio" }

// RID is empty: no simulcast.
func (t *track) RID() string { return "" }

// StreamID names the track's stream.
func (t *track) StreamID() string { return "tether" }

// Kind is audio.
func (t *track) Kind() pion.RTPCodecType { return pion.RTPCodecTypeAudio }

// write sends one packet under the track's SSRC; before the track is bound
// (ICE and DTLS not up yet) it is dropped.
func (t *track) write(p *rtp.Packet) {
	t.mu.Lock()
	w, ssrc := t.w, t.ssrc
	t.mu.Unlock()
	if w == nil {
		return
	}
	p.SSRC = ssrc
	w.WriteRTP(&p.Header, p.Payload)
}

// ssrcNow is the track's source once bound, else 0.
func (t *track) ssrcNow() uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w == nil {
		return 0
	}
	return t.ssrc
}
