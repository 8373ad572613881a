package audio

import (
	"fmt"

	"gopkg.in/hraban/opus.v2"
)

// Opus is the Opus codec (RFC 7587) through libopus: its RTP clock is
// always 48 kHz, whatever rate the PCM is exchanged at. One Opus value
// serves one call: it holds the encoder's and the decoder's state (each
// used from one goroutine).
type Opus struct {
	rate int
	enc  *opus.Encoder
	dec  *opus.Decoder
}

// NewOpus returns an Opus codec exchanging mono PCM at rate Hz (8000,
// 12000, 16000, 24000 or 48000), tuned for speech with in-band FEC.
func NewOpus(rate int) (*Opus, error) {
	enc, err := opus.NewEncoder(rate, 1, opus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("audio: opus encoder: %w", err)
	}
	dec, err := opus.NewDecoder(rate, 1)
	if err != nil {
		return nil, fmt.Errorf("audio: opus decoder: %w", err)
	}
	enc.SetInBandFEC(true)
	enc.SetPacketLossPerc(5)
	return &Opus{rate: rate, enc: enc, dec: dec}, nil
}

// Name implements Codec.
func (*Opus) Name() string { return "opus" }

// PayloadType implements Codec: Opus has no static type; the SDP
// negotiates one.
func (*Opus) PayloadType() uint8 { return 0 }

// ClockRate implements Codec.
func (*Opus) ClockRate() int { return 48000 }

// SampleRate implements Codec.
func (o *Opus) SampleRate() int { return o.rate }

// Encode implements Codec.
func (o *Opus) Encode(pcm []int16, out []byte) (int, error) {
	n, err := o.enc.Encode(pcm, out)
	if err != nil {
		return 0, fmt.Errorf("audio: opus encode: %w", err)
	}
	return n, nil
}

// Decode implements Codec.
func (o *Opus) Decode(payload []byte, pcm []int16) (int, error) {
	n, err := o.dec.Decode(payload, pcm)
	if err != nil {
		return 0, fmt.Errorf("audio: opus decode: %w", err)
	}
	return n, nil
}
