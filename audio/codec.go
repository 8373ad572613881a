package audio

import (
	"errors"
	"fmt"

	"github.com/zaf/g711"
)

// ErrBuffer means an output buffer is too small for the frame.
var ErrBuffer = errors.New("audio: output buffer too small")

// Codec encodes and decodes one RTP audio payload format. Encode and
// Decode write into buffers the caller owns and never allocate, so they
// may run on the real-time audio path.
type Codec interface {
	// Name is the SDP encoding name, "PCMU".
	Name() string
	// PayloadType is the static RTP payload type, or 0 with Dynamic true.
	PayloadType() uint8
	// ClockRate is the RTP timestamp rate.
	ClockRate() int
	// SampleRate is the PCM rate Encode takes and Decode gives.
	SampleRate() int
	// Encode encodes pcm into out and returns the payload length.
	Encode(pcm []int16, out []byte) (int, error)
	// Decode decodes a payload into pcm and returns the samples written.
	Decode(payload []byte, pcm []int16) (int, error)
}

// PCMU is G.711 mu-law (RTP payload type 0), the codec every SIP peer
// speaks.
type PCMU struct{}

// Name implements Codec.
func (PCMU) Name() string { return "PCMU" }

// PayloadType implements Codec.
func (PCMU) PayloadType() uint8 { return 0 }

// ClockRate implements Codec.
func (PCMU) ClockRate() int { return 8000 }

// SampleRate implements Codec.
func (PCMU) SampleRate() int { return 8000 }

// Encode implements Codec.
func (PCMU) Encode(pcm []int16, out []byte) (int, error) {
	if len(out) < len(pcm) {
		return 0, fmt.Errorf("%w: %d bytes for %d samples", ErrBuffer, len(out), len(pcm))
	}
	for i, s := range pcm {
		out[i] = g711.EncodeUlawFrame(s)
	}
	return len(pcm), nil
}

// Decode implements Codec.
func (PCMU) Decode(payload []byte, pcm []int16) (int, error) {
	if len(pcm) < len(payload) {
		return 0, fmt.Errorf("%w: %d samples for %d bytes", ErrBuffer, len(pcm), len(payload))
	}
	for i, b := range payload {
		pcm[i] = g711.DecodeUlawFrame(b)
	}
	return len(payload), nil
}

// PCMA is G.711 A-law (RTP payload type 8).
type PCMA struct{}

// Name implements Codec.
func (PCMA) Name() string { return "PCMA" }

// PayloadType implements Codec.
func (PCMA) PayloadType() uint8 { return 8 }

// ClockRate implements Codec.
func (PCMA) ClockRate() int { return 8000 }

// SampleRate implements Codec.
func (PCMA) SampleRate() int { return 8000 }

// Encode implements Codec.
func (PCMA) Encode(pcm []int16, out []byte) (int, error) {
	if len(out) < len(pcm) {
		return 0, fmt.Errorf("%w: %d bytes for %d samples", ErrBuffer, len(out), len(pcm))
	}
	for i, s := range pcm {
		out[i] = g711.EncodeAlawFrame(s)
	}
	return len(pcm), nil
}

// Decode implements Codec.
func (PCMA) Decode(payload []byte, pcm []int16) (int, error) {
	if len(pcm) < len(payload) {
		return 0, fmt.Errorf("%w: %d samples for %d bytes", ErrBuffer, len(pcm), len(payload))
	}
	for i, b := range payload {
		pcm[i] = g711.DecodeAlawFrame(b)
	}
	return len(payload), nil
}
