package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrWAV means a file is not a WAV this package reads.
var ErrWAV = errors.New("audio: not a 16-bit PCM WAV file")

// PCM is 16-bit linear PCM audio, interleaved when it has several channels.
type PCM struct {
	Rate     int // samples per second per channel
	Channels int
	Samples  []int16
}

// Duration-related limits on what ReadWAV accepts.
const (
	maxWAVRate     = 192000
	maxWAVChannels = 8
	maxWAVSamples  = 64 << 20 // 128 MiB of samples: hours of telephone audio
)

const (
	formatPCM        = 1
	formatExtensible = 0xFFFE
)

// ReadWAV reads a RIFF/WAVE file holding 16-bit PCM (plain, or
// WAVE_FORMAT_EXTENSIBLE with a PCM sub-format). Chunks it does not need
// (LIST, fact, cue) are skipped.
func ReadWAV(r io.Reader) (*PCM, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWAV, err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: no RIFF/WAVE header", ErrWAV)
	}
	var p *PCM
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, fmt.Errorf("%w: no data chunk", ErrWAV)
		}
		id, size := string(ch[0:4]), binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			f, err := readFmt(r, size)
			if err != nil {
				return nil, err
			}
			p = f
		case "data":
			if p == nil {
				return nil, fmt.Errorf("%w: data before fmt", ErrWAV)
			}
			return p, readData(r, size, p)
		default:
			if err := skip(r, int64(size)+int64(size&1)); err != nil {
				return nil, fmt.Errorf("%w: chunk %q: %v", ErrWAV, id, err)
			}
		}
	}
}

func readFmt(r io.Reader, size uint32) (*PCM, error) {
	if size < 16 || size > 1024 {
		return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrWAV, size)
	}
	b := make([]byte, size+size&1)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("%w: fmt: %v", ErrWAV, err)
	}
	format := binary.LittleEndian.Uint16(b[0:2])
	channels := int(binary.LittleEndian.Uint16(b[2:4]))
	rate := int(binary.LittleEndian.Uint32(b[4:8]))
	bits := binary.LittleEndian.Uint16(b[14:16])
	if format == formatExtensible && size >= 26 {
		format = binary.LittleEndian.Uint16(b[24:26]) // the sub-format GUID's first two bytes
	}
	switch {
	case format != formatPCM:
		return nil, fmt.Errorf("%w: format %#x is not PCM", ErrWAV, format)
	case bits != 16:
		return nil, fmt.Errorf("%w: %d bits per sample", ErrWAV, bits)
	case channels < 1 || channels > maxWAVChannels:
		return nil, fmt.Errorf("%w: %d channels", ErrWAV, channels)
	case rate < 1000 || rate > maxWAVRate:
		return nil, fmt.Errorf("%w: %d Hz", ErrWAV, rate)
	}
	return &PCM{Rate: rate, Channels: channels}, nil
}

func readData(r io.Reader, size uint32, p *PCM) error {
	// Writers that stream set the size to 0 or 0xFFFFFFFF: read to the end.
	limit := int64(size)
	if size == 0 || size == 0xFFFFFFFF {
		limit = maxWAVSamples * 2
	}
	if limit > maxWAVSamples*2 {
		return fmt.Errorf("%w: %d bytes of audio is too long", ErrWAV, size)
	}
	b, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return fmt.Errorf("%w: data: %v", ErrWAV, err)
	}
	n := len(b) / 2
	n -= n % p.Channels
	p.Samples = make([]int16, n)
	for i := range p.Samples {
		p.Samples[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return nil
}

func skip(r io.Reader, n int64) error {
	if n > 1<<30 {
		return fmt.Errorf("a %d-byte chunk", n)
	}
	_, err := io.CopyN(io.Discard, r, n)
	return err
}

// WriteWAV writes p as a canonical 16-bit PCM WAV file.
func WriteWAV(w io.Writer, p *PCM) error {
	if p.Channels < 1 || p.Channels > maxWAVChannels || p.Rate < 1000 || p.Rate > maxWAVRate {
		return fmt.Errorf("audio: cannot write %d channels at %d Hz", p.Channels, p.Rate)
	}
	if len(p.Samples) > maxWAVSamples {
		return fmt.Errorf("audio: %d samples is too long for one file", len(p.Samples))
	}
	data := uint32(2 * len(p.Samples))
	b := make([]byte, 44+data)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], 36+data)
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], formatPCM)
	binary.LittleEndian.PutUint16(b[22:], uint16(p.Channels))
	binary.LittleEndian.PutUint32(b[24:], uint32(p.Rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(p.Rate*p.Channels*2))
	binary.LittleEndian.PutUint16(b[32:], uint16(p.Channels*2))
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], data)
	for i, s := range p.Samples {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	_, err := w.Write(b)
	return err
}

// LoadWAV reads a WAV file (see ReadWAV).
func LoadWAV(path string) (*PCM, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// SaveWAV writes p to a WAV file, replacing it.
func SaveWAV(path string, p *PCM) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteWAV(f, p); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Mono returns the first channel of p.
func (p *PCM) Mono() []int16 {
	if p.Channels <= 1 {
		return p.Samples
	}
	mono := make([]int16, len(p.Samples)/p.Channels)
	for i := range mono {
		mono[i] = p.Samples[i*p.Channels]
	}
	return mono
}
