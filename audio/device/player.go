package device

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/gen2brain/malgo"
	"github.com/tetherphone/tether/audio"
)

// Player plays a source on a playback device until closed: the ringtone
// on the device chosen for ringing (the laptop's speakers while calls go
// to a headset). The source is read from the real-time callback, so it
// must neither block nor allocate (a Cadence does neither).
type Player struct {
	ctx  *malgo.AllocatedContext
	dev  *malgo.Device
	mu   sync.Mutex
	done bool
}

// Play opens cfg's playback device (cfg.Capture is ignored) and starts
// playing src on it.
func Play(cfg Config, src audio.FrameReader) (*Player, error) {
	cfg, ctx, err := openContext(cfg)
	if err != nil {
		return nil, err
	}
	p := &Player{ctx: ctx}
	dc := malgo.DefaultDeviceConfig(malgo.Playback)
	dc.Playback.Format, dc.Playback.Channels = malgo.FormatS16, 1
	dc.SampleRate = uint32(cfg.SampleRate)
	if cfg.Playback != "" {
		id, err := findDevice(ctx, malgo.Playback, cfg.Playback)
		if err != nil {
			p.Close()
			return nil, err
		}
		dc.Playback.DeviceID = id.Pointer()
	}
	frame := make([]int16, cfg.SampleRate) // the callback's scratch, allocated once
	callback := func(out, _ []byte, frames uint32) {
		n := min(int(frames), len(frame), len(out)/2)
		if !src.ReadFrame(frame[:n]) {
			clear(frame[:n])
		}
		for i := range n {
			binary.LittleEndian.PutUint16(out[2*i:], uint16(frame[i]))
		}
	}
	dev, err := malgo.InitDevice(ctx.Context, dc, malgo.DeviceCallbacks{Data: callback})
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("%w: %v", ErrDevice, err)
	}
	p.dev = dev
	if err := dev.Start(); err != nil {
		p.Close()
		return nil, fmt.Errorf("%w: %v", ErrDevice, err)
	}
	return p, nil
}

// Close stops playing and releases the device; it may be called twice.
func (p *Player) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.dev != nil {
		p.dev.Uninit()
	}
	p.ctx.Uninit()
	p.ctx.Free()
}
