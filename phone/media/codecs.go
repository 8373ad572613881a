package media

import (
	"fmt"
	"slices"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/sdp"
)

// Formats the system's endpoints speak (the softphone, and the
// switchboard where it answers like a phone: menus, voicemail).
var (
	FormatOpus = sdp.Format{PayloadType: 111, Name: "opus", ClockRate: 48000, Channels: 2, Fmtp: "useinbandfec=1;stereo=0;sprop-stereo=0"}
	FormatPCMU = sdp.Format{PayloadType: 0, Name: "PCMU", ClockRate: 8000}
	FormatPCMA = sdp.Format{PayloadType: 8, Name: "PCMA", ClockRate: 8000}
)

// codecs are the formats offered, in preference order, with
// telephone-events on each clock. WebRTC requires Opus and G.711; these
// are those.
var codecs = []sdp.Format{
	FormatOpus, FormatPCMU, FormatPCMA,
	{PayloadType: 101, Name: "telephone-event", ClockRate: 8000, Fmtp: "0-16"},
	{PayloadType: 110, Name: "telephone-event", ClockRate: 48000, Fmtp: "0-16"},
}

// OpusRate is the rate Opus runs at here: wideband, 16 kHz.
const OpusRate = 16000

// Codecs returns the formats offered, in preference order,
// telephone-events included.
func Codecs() []sdp.Format { return slices.Clone(codecs) }

// CodecFor returns the codec for a negotiated format.
func CodecFor(f sdp.Format) (audio.Codec, error) {
	switch {
	case f.Same(FormatOpus):
		return audio.NewOpus(OpusRate)
	case f.Same(FormatPCMU):
		return audio.PCMU{}, nil
	case f.Same(FormatPCMA):
		return audio.PCMA{}, nil
	}
	return nil, fmt.Errorf("%w: %s", sdp.ErrNoCommonCodec, f.Name)
}
