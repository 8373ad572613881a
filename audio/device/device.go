// Package device is the sound card: duplex microphone and speaker devices
// and players (a ringtone on a device of its own) through miniaudio
// (malgo), on PulseAudio, ALSA or the null backend. It is the only package
// that links a sound library; the DSP it feeds is in package audio, so the
// headless switchboard links none.
package device

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"
	"github.com/tetherphone/tether/audio"
)

// ErrDevice means a sound device could not be found or opened.
var ErrDevice = errors.New("device: sound device")

// backendNull is miniaudio's null backend. malgo v0.11.24's BackendNull
// constant is off by one (it names ma_backend_custom), so it is spelled
// out here.
const backendNull = malgo.Backend(14)

// Config chooses sound devices.
type Config struct {
	Backend    string // "" (the system's order), "pulse", "alsa" or "null" (no sound, for headless tests)
	Capture    string // microphone: a device name, or part of one; "" for the default
	Playback   string // speaker: likewise
	SampleRate int    // the rate frames are exchanged at (default 8000)
	// Period is how much audio the device moves per callback (default 10
	// ms, two periods of buffering each way). Shorter is less delay and
	// more wake-ups.
	Period time.Duration
	// Stay keeps the devices in use when another is plugged in; by
	// default sound moves to a speaker or microphone plugged in while the
	// device is open (a headset), as it moves back to the system's
	// defaults when the devices in use go away.
	Stay bool
}

func backends(name string) ([]malgo.Backend, error) {
	switch name {
	case "":
		return nil, nil
	case "pulse", "pulseaudio":
		return []malgo.Backend{malgo.BackendPulseaudio}, nil
	case "alsa":
		return []malgo.Backend{malgo.BackendAlsa}, nil
	case "null":
		return []malgo.Backend{backendNull}, nil
	}
	return nil, fmt.Errorf("%w: unknown backend %q (pulse, alsa or null)", ErrDevice, name)
}

// Names lists the capture and playback devices of a backend.
func Names(backend string) (capture, playback []string, err error) {
	bs, err := backends(backend)
	if err != nil {
		return nil, nil, err
	}
	ctx, err := malgo.InitContext(bs, malgo.ContextConfig{}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrDevice, err)
	}
	defer func() { ctx.Uninit(); ctx.Free() }()
	for _, k := range []struct {
		kind malgo.DeviceType
		out  *[]string
	}{{malgo.Capture, &capture}, {malgo.Playback, &playback}} {
		infos, err := ctx.Devices(k.kind)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrDevice, err)
		}
		for _, in := range infos {
			*k.out = append(*k.out, in.Name())
		}
	}
	return capture, playback, nil
}

// Device is a duplex sound device: what the microphone captures waits in
// one ring for the call to read, what the call plays waits in another for
// the speaker. The real-time callback only copies between the rings and
// the device's buffers: it never blocks and never allocates.
type Device struct {
	ctx      *malgo.AllocatedContext
	dev      *malgo.Device
	cfg      malgo.DeviceConfig
	callback malgo.DataProc
	// mic holds pairs: each microphone sample, then the speaker sample
	// played in the same instant (the echo canceller's reference), so the
	// two stay in step through underruns, drops and device changes.
	mic, spk  *audio.Ring
	pairs     []int16 // the reader's scratch
	mu        sync.Mutex
	closed    bool
	last      atomic.Int64 // unix nanos of the latest callback; 0 before the first
	fallbacks atomic.Int32
	switches  atomic.Int32
	stuck     atomic.Int32 // replaced devices that never finished closing
	stay      bool
	using     atomic.Value // [2]string: the capture and playback devices in use ("" the default)
	rate      int
	underruns atomic.Int64 // callbacks that found the speaker's queue short
	wake      chan struct{}
	stop      chan struct{}
	watching  sync.WaitGroup
}

// openContext fills cfg's defaults and opens its backend's context.
func openContext(cfg Config) (Config, *malgo.AllocatedContext, error) {
	if cfg.SampleRate == 0 {
		cfg.SampleRate = 8000
	}
	bs, err := backends(cfg.Backend)
	if err != nil {
		return cfg, nil, err
	}
	ctx, err := malgo.InitContext(bs, malgo.ContextConfig{}, nil)
	if err != nil {
		return cfg, nil, fmt.Errorf("%w: %v", ErrDevice, err)
	}
	return cfg, ctx, nil
}

// Open opens and starts a duplex device, mono 16-bit. If chosen
// devices stop once they had started (a headset unplugged), the system's
// defaults take over.
func Open(cfg Config) (*Device, error) {
	cfg, ctx, err := openContext(cfg)
	if err != nil {
		return nil, err
	}
	d := &Device{ctx: ctx, rate: cfg.SampleRate, mic: audio.NewRing(2 * cfg.SampleRate), spk: audio.NewRing(cfg.SampleRate), wake: make(chan struct{}, 1)}
	dc := malgo.DefaultDeviceConfig(malgo.Duplex)
	dc.Capture.Format, dc.Capture.Channels = malgo.FormatS16, 1
	dc.Playback.Format, dc.Playback.Channels = malgo.FormatS16, 1
	dc.SampleRate = uint32(cfg.SampleRate)
	if cfg.Period == 0 {
		cfg.Period = 10 * time.Millisecond
	}
	if cfg.Period < time.Millisecond || cfg.Period > 100*time.Millisecond {
		d.Close()
		return nil, fmt.Errorf("%w: a period of %v (1 to 100 ms)", ErrDevice, cfg.Period)
	}
	dc.PeriodSizeInMilliseconds = uint32(cfg.Period / time.Millisecond)
	dc.Periods = 2 // two periods of device buffering each way: enough, and no more
	if cfg.Capture != "" {
		id, err := findDevice(ctx, malgo.Capture, cfg.Capture)
		if err != nil {
			d.Close()
			return nil, err
		}
		dc.Capture.DeviceID = id.Pointer()
	}
	if cfg.Playback != "" {
		id, err := findDevice(ctx, malgo.Playback, cfg.Playback)
		if err != nil {
			d.Close()
			return nil, err
		}
		dc.Playback.DeviceID = id.Pointer()
	}
	// The callback's scratch, allocated once.
	frame, pairs := make([]int16, cfg.SampleRate), make([]int16, 2*cfg.SampleRate)
	callback := func(out, in []byte, frames uint32) {
		n := int(frames)
		if n > len(frame) {
			n = len(frame)
		}
		got := d.spk.Read(frame[:n])
		if got < n {
			clear(frame[got:n]) // underrun: silence
			d.underruns.Add(1)
		}
		for i := 0; i < n; i++ {
			var v int16
			if 2*i+1 < len(in) {
				v = int16(binary.LittleEndian.Uint16(in[2*i:]))
			}
			pairs[2*i], pairs[2*i+1] = v, frame[i]
			if 2*i+1 < len(out) {
				binary.LittleEndian.PutUint16(out[2*i:], uint16(frame[i]))
			}
		}
		d.mic.Write(pairs[:2*n])
		d.last.Store(time.Now().UnixNano())
		select { // tell the call's pump there is work; never wait
		case d.wake <- struct{}{}:
		default:
		}
	}
	d.cfg, d.callback, d.stop = dc, callback, make(chan struct{})
	if err := d.startWith(dc); err != nil {
		d.Close()
		return nil, err
	}
	d.stay = cfg.Stay
	d.using.Store([2]string{cfg.Capture, cfg.Playback})
	d.watching.Add(1)
	go d.watch()
	return d, nil
}

func (d *Device) startWith(dc malgo.DeviceConfig) error {
	dev, err := malgo.InitDevice(d.ctx.Context, dc, malgo.DeviceCallbacks{Data: d.callback})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDevice, err)
	}
	d.last.Store(0) // a device may take a while to call back the first time
	if err := dev.Start(); err != nil {
		dev.Uninit()
		return fmt.Errorf("%w: %v", ErrDevice, err)
	}
	d.mu.Lock()
	d.dev = dev
	d.mu.Unlock()
	return nil
}

// stallLimit is how long a running device may go without a callback
// before it is taken for gone (a headset unplugged).
const stallLimit = 2 * time.Second

// uninitWait is how long a replaced device may take to close.
const uninitWait = 2 * time.Second

// plugCheck is how often the devices are listed to notice one plugged in.
const plugCheck = time.Second

// watch keeps the sound on devices that are there. When the devices in use
// stop calling back after they had started (a headset unplugged, whatever
// the backend reports), the system's defaults take over. Unless Stay, a
// speaker or microphone that appears while the device is open (a headset
// plugged in: a name not listed before) takes over its direction; a
// PulseAudio monitor is not a microphone.
func (d *Device) watch() {
	defer d.watching.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	known := map[string]bool{}
	listed := d.list(known)
	next := time.Now().Add(plugCheck)
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
		if last := d.last.Load(); last != 0 && time.Since(time.Unix(0, last)) >= stallLimit {
			if d.restart(nil, nil, false) == nil {
				d.fallbacks.Add(1)
				d.using.Store([2]string{})
			}
			continue // (or try again at the next stall)
		}
		if d.stay || !listed || time.Now().Before(next) {
			if !listed {
				listed = d.list(known)
			}
			continue
		}
		next = time.Now().Add(plugCheck)
		seen := map[string]bool{}
		if !d.list(seen) {
			continue
		}
		var capture, playback *malgo.DeviceInfo
		for key := range seen {
			if known[key] {
				continue
			}
			info := d.info(key)
			if info == nil {
				continue
			}
			switch {
			case key[0] == 'p' && playback == nil:
				playback = info
			case key[0] == 'c' && capture == nil && !strings.HasPrefix(info.Name(), "Monitor of "):
				capture = info
			}
		}
		known = seen // (one unplugged and plugged again is new again)
		if capture == nil && playback == nil {
			continue
		}
		if d.restart(capture, playback, true) == nil {
			d.switches.Add(1)
			u := d.using.Load().([2]string)
			if capture != nil {
				u[0] = capture.Name()
			}
			if playback != nil {
				u[1] = playback.Name()
			}
			d.using.Store(u)
		}
	}
}

// list adds the devices there now to names, by kind and name ("c" or "p",
// then the name), and says whether it could list them.
func (d *Device) list(names map[string]bool) bool {
	for _, k := range []struct {
		kind malgo.DeviceType
		tag  string
	}{{malgo.Capture, "c"}, {malgo.Playback, "p"}} {
		infos, err := d.ctx.Devices(k.kind)
		if err != nil {
			return false
		}
		for _, in := range infos {
			names[k.tag+in.Name()] = true
		}
	}
	return true
}

// info finds a device by its list key.
func (d *Device) info(key string) *malgo.DeviceInfo {
	kind := malgo.Capture
	if key[0] == 'p' {
		kind = malgo.Playback
	}
	infos, err := d.ctx.Devices(kind)
	if err != nil {
		return nil
	}
	for i := range infos {
		if infos[i].Name() == key[1:] {
			return &infos[i]
		}
	}
	return nil
}

// restart stops the running device and starts it again on capture and
// playback: with keep, a nil one stays as it is; without, nil is the
// system's default.
func (d *Device) restart(capture, playback *malgo.DeviceInfo, keep bool) error {
	d.mu.Lock()
	old := d.dev
	d.dev = nil
	d.mu.Unlock()
	if old != nil {
		// A stream whose device was pulled away can keep miniaudio's
		// PulseAudio backend from ever finishing uninit (seen with a
		// headset's microphone unloaded): give it a moment, then carry on
		// without it rather than leave the call without sound.
		gone := make(chan struct{})
		go func() { old.Uninit(); close(gone) }()
		select {
		case <-gone:
		case <-time.After(uninitWait):
			d.stuck.Add(1)
		}
	}
	dc := d.cfg
	if capture != nil {
		id := capture.ID
		dc.Capture.DeviceID = id.Pointer()
	} else if !keep {
		dc.Capture.DeviceID = nil
	}
	if playback != nil {
		id := playback.ID
		dc.Playback.DeviceID = id.Pointer()
	} else if !keep {
		dc.Playback.DeviceID = nil
	}
	if err := d.startWith(dc); err != nil {
		return err
	}
	d.cfg = dc
	return nil
}

// Wake is signalled after every device period: the microphone may have a
// frame ready, the speaker may want one.
func (d *Device) Wake() <-chan struct{} { return d.wake }

// SampleRate is the rate frames are exchanged at.
func (d *Device) SampleRate() int { return d.rate }

// Captured is how many samples the microphone has waiting.
func (d *Device) Captured() int { return d.mic.Len() / 2 }

// Underruns counts the device periods, since the device opened, whose
// speaker queue was short (silence was played instead).
func (d *Device) Underruns() int64 { return d.underruns.Load() }

// Fallbacks counts the times the chosen devices went away and the
// defaults took over.
func (d *Device) Fallbacks() int { return int(d.fallbacks.Load()) }

// Switches counts the times sound moved to a device plugged in.
func (d *Device) Switches() int { return int(d.switches.Load()) }

// Using names the capture and playback devices in use ("" for the
// system's default).
func (d *Device) Using() (capture, playback string) {
	u := d.using.Load().([2]string)
	return u[0], u[1]
}

func findDevice(ctx *malgo.AllocatedContext, kind malgo.DeviceType, name string) (*malgo.DeviceID, error) {
	infos, err := ctx.Devices(kind)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDevice, err)
	}
	var names []string
	for i := range infos {
		if strings.EqualFold(infos[i].Name(), name) || strings.Contains(strings.ToLower(infos[i].Name()), strings.ToLower(name)) {
			return &infos[i].ID, nil
		}
		names = append(names, infos[i].Name())
	}
	return nil, fmt.Errorf("%w: no device matches %q (there are: %s)", ErrDevice, name, strings.Join(names, "; "))
}

// Flush drops what the microphone captured so far, so a call starts with
// what is said now, not what was said before it.
func (d *Device) Flush() { d.mic.Discard() }

// maxQueued bounds, in half frames, what may wait in either direction.
// The device's clock and the call's never run exactly together; without a
// bound the difference piles up as delay. A frame and a half absorbs the
// 10 ms device periods against the 20 ms call frames.
const maxQueued = 3

// ReadFrame gives the next frame from the microphone (silence if the
// device has not caught up); it implements media.Source. Audio older than
// a few frames is dropped: it is late already.
func (d *Device) ReadFrame(pcm []int16) bool { return d.ReadFrameRef(pcm, nil) }

// ReadFrameRef is ReadFrame that also fills played (when not nil, of
// pcm's length) with what the speaker played while each sample of pcm
// was captured: the reference an echo canceller needs, exact to the
// sample. It implements media.Referenced.
func (d *Device) ReadFrameRef(pcm, played []int16) bool {
	if cap(d.pairs) < 2*len(pcm) {
		d.pairs = make([]int16, 2*len(pcm))
	}
	pairs := d.pairs[:2*len(pcm)]
	for d.Captured() > maxQueued*len(pcm)/2 {
		d.mic.Read(pairs) // drop the oldest frame
	}
	n := d.mic.Read(pairs) / 2
	for i := 0; i < n; i++ {
		pcm[i] = pairs[2*i]
		if played != nil {
			played[i] = pairs[2*i+1]
		}
	}
	clear(pcm[n:])
	if played != nil {
		clear(played[n:])
	}
	return true
}

// WriteFrame queues a frame for the speaker; it implements media.Sink.
// When the speaker is a few frames behind, the frame is dropped rather
// than queued as delay.
func (d *Device) WriteFrame(pcm []int16) {
	if d.spk.Len() > maxQueued*len(pcm)/2 {
		return
	}
	d.spk.Write(pcm)
}

// Queued is how many samples wait for the speaker.
func (d *Device) Queued() int { return d.spk.Len() }

// Close stops the device.
func (d *Device) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.mu.Unlock()
	if d.stop != nil {
		close(d.stop)
		d.watching.Wait()
	}
	d.mu.Lock()
	dev := d.dev
	d.dev = nil
	d.mu.Unlock()
	if dev != nil {
		dev.Uninit()
	}
	d.ctx.Uninit()
	d.ctx.Free()
}
