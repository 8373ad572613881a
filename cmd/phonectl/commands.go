package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/audio/device"
	"github.com/tetherphone/tether/audio/echo"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/dtmf"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/softphone"
)

func cmdRegister(ctx context.Context, cfg phone.Config, args []string, o out, stderr io.Writer) int {
	fs := flag.NewFlagSet("register", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dur := fs.Duration("for", 0, "stay registered this long, then unregister (default: until interrupted)")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) > 0 || *dur < 0 {
		return usageErr(stderr, err, "register takes no arguments")
	}
	u, code := newUA(cfg, stderr)
	if u == nil {
		return code
	}
	defer u.Close()
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	done := make(chan struct{})
	go func() { u.Register(ctx); close(done) }()
	var last error
	for {
		select {
		case e := <-u.Events():
			printReg(o, e)
			if e.State == phone.Retrying {
				last = e.Err
			}
			if e.State == phone.Registered {
				last = nil
			}
		case <-done:
			for {
				select {
				case e := <-u.Events():
					printReg(o, e)
				default:
					return outcome(o, last, "unregistered")
				}
			}
		}
	}
}

func usageErr(stderr io.Writer, err error, msg string) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err == nil {
		fmt.Fprintln(stderr, "phonectl:", msg)
	}
	return exitUsage
}

// readPlay loads a WAV to play into a call.
func readPlay(path string) (*media.PCMSource, error) {
	if path == "" {
		return nil, nil
	}
	p, err := audio.LoadWAV(path)
	if err != nil {
		return nil, err
	}
	if p.Rate != 8000 || p.Channels != 1 {
		return nil, fmt.Errorf("%s is %d Hz with %d channels; calls play 8 kHz mono (convert with: sox %s -r 8000 -c 1 out.wav)",
			path, p.Rate, p.Channels, path)
	}
	return &media.PCMSource{Samples: p.Samples}, nil
}

func writeRecord(path string, sink *media.PCMSink) error {
	if path == "" {
		return nil
	}
	return audio.SaveWAV(path, &audio.PCM{Rate: 8000, Channels: 1, Samples: sink.Samples})
}

// audioFlags are the flags calls share.
type audioFlags struct {
	play, record              *string
	backend, capture, speaker *string
	period                    *time.Duration
	echoCancel                *bool
}

// deviceRate is the rate the sound devices run at: wideband, so Opus
// calls carry 16 kHz audio; G.711 calls are resampled to it.
const deviceRate = 16000

func addAudioFlags(fs *flag.FlagSet) audioFlags {
	return audioFlags{
		play:       fs.String("play", "", "WAV file (8 kHz mono) to play into the call instead of the microphone"),
		record:     fs.String("record", "", "WAV file to record what the far end sends instead of playing it"),
		backend:    fs.String("audio-backend", "", "sound system: pulse, alsa or null (default: the system's)"),
		capture:    fs.String("capture", "", "microphone device name, or part of it (default: the system's)"),
		speaker:    fs.String("playback", "", "speaker device name, or part of it (default: the system's)"),
		period:     fs.Duration("audio-period", 10*time.Millisecond, "sound device period, 1ms to 100ms: shorter is less delay, more CPU"),
		echoCancel: fs.Bool("echo-cancel", true, "with the sound devices: remove the speaker's echo from the microphone, suppress steady noise and level the voice (speexdsp); --echo-cancel=false sends the microphone as it is"),
	}
}

// devices reports whether the call uses the sound devices: without --play
// and --record it does.
func (a audioFlags) devices() bool { return *a.play == "" && *a.record == "" }

// load reads the play file and, when the call uses the sound devices (and
// may), opens them; a non-zero status means stop.
func (a audioFlags) load(stderr io.Writer, mayUseDevices bool) (*media.PCMSource, *device.Device, int) {
	src, err := readPlay(*a.play)
	if err != nil {
		fmt.Fprintln(stderr, "phonectl:", err)
		return nil, nil, exitUsage
	}
	if !mayUseDevices || !a.devices() {
		return src, nil, exitOK
	}
	dev, err := device.Open(device.Config{Backend: *a.backend, Capture: *a.capture, Playback: *a.speaker, Period: *a.period,
		SampleRate: deviceRate})
	if err != nil {
		fmt.Fprintln(stderr, "phonectl:", err)
		return nil, nil, exitFailure
	}
	return src, dev, exitOK
}

// converse runs a connected call's audio until it ends, ctx ends, or the
// duration passes (0: until the far end hangs up, or the play file ends
// when there is no recording to make).
func converse(ctx context.Context, c *phone.Call, src *media.PCMSource, sink *media.PCMSink, d time.Duration) {
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var s media.Source
	if src != nil {
		s = src
	}
	var k media.Sink // (a nil *PCMSink is not a nil Sink: --play without --record crashed)
	if sink != nil {
		k = sink
	}
	stopAtEnd := d == 0 && src != nil && sink == nil
	media.Pump(ctx, c.Media(), s, k, stopAtEnd, c.Done())
}

// converseDevice runs a call's audio through the sound device, with the
// echo canceller unless echoCancel is off.
func converseDevice(ctx context.Context, c *phone.Call, dev *device.Device, speaker media.Sink, echoCancel bool, d time.Duration) {
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var aec media.Canceller
	if echoCancel {
		if e, err := echo.New(echo.Options{Rate: dev.SampleRate(), Frame: c.Media().FrameSize()}); err == nil {
			defer e.Close()
			aec = e
		}
	}
	media.PumpDevice(ctx, c.Media(), dev, speaker, aec, c.Done())
}

func cmdCall(ctx context.Context, cfg phone.Config, args []string, o out, stderr io.Writer) int {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	af := addAudioFlags(fs)
	dur := fs.Duration("duration", 0, "hang up after this long (default: when the far end does, or the play file ends)")
	digits := fs.String("dtmf", "", "keypad digits to send (RFC 4733) once answered")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) != 1 {
		return usageErr(stderr, err, "call takes one TARGET: a SIP URI, a user or a number")
	}
	if *digits != "" && !dtmf.ValidDigits(*digits) {
		fmt.Fprintf(stderr, "phonectl: --dtmf %q: digits are 0-9, *, #, A-D\n", *digits)
		return exitUsage
	}
	src, dev, code := af.load(stderr, true)
	if code != exitOK {
		return code
	}
	if dev != nil {
		defer dev.Close()
		cfg.SampleRate = dev.SampleRate() // calls exchange audio at the device's rate
	}
	u, code := newUA(cfg, stderr)
	if u == nil {
		return code
	}
	defer u.Close()
	o.event("call", "calling "+pos[0], map[string]any{"state": "dialing", "target": pos[0]})
	dctx, cancel := context.WithTimeout(ctx, 90*time.Second) // ring for at most this long
	defer cancel()
	// With the sound devices, the caller hears ringback while it rings
	// (or the network's own early media), and the busy tone if refused.
	var spk softphone.Speaker
	if dev != nil {
		spk = dev
	}
	c, err := softphone.Place(dctx, u, pos[0], spk, phone.OnRinging(func() {
		o.event("call", "ringing", map[string]any{"state": "ringing"})
	}))
	if err != nil {
		if dctx.Err() != nil && ctx.Err() == nil {
			err = &phone.CallError{Code: 408, Phrase: "Request Timeout", Reason: "no answer"}
		}
		return outcome(o, err, "")
	}
	o.event("call", "answered", map[string]any{"state": "connected"})
	// With the sound devices, each key sent sounds on the speaker too.
	var speaker media.Sink
	if dev != nil {
		speaker = dev
	}
	if *digits != "" {
		sink, err := softphone.SendKeys(c, *digits, spk)
		if err != nil {
			o.event("dtmf", "digits not sent: "+err.Error(), map[string]any{"error": err.Error()})
		}
		if sink != nil {
			speaker = sink
		}
	}
	var sink *media.PCMSink
	if *af.record != "" {
		sink = &media.PCMSink{}
	}
	start := time.Now()
	if dev != nil {
		dev.Flush() // what was said before the answer is not sent
		converseDevice(ctx, c, dev, speaker, *af.echoCancel, *dur)
	} else {
		converse(ctx, c, src, sink, *dur)
	}
	remote := false
	select {
	case <-c.Done():
		remote = true
	default:
		c.Hangup(context.Background())
	}
	if err := writeRecord(*af.record, sink); err != nil {
		return outcome(o, err, "")
	}
	o.event("media", "media: "+c.MediaPath(), map[string]any{"path": c.MediaPath()})
	reportQuality(o, c.Media().Stats())
	if err := c.Err(); remote && (errors.Is(err, phone.ErrRTPTimeout) || errors.Is(err, phone.ErrMediaFailed)) {
		// Not a hang-up: the call dropped.
		return outcome(o, fmt.Errorf("answered, dropped after %.1f s: %w", time.Since(start).Seconds(), err), "")
	}
	who := "we hung up"
	if remote {
		who = "the far end hung up"
	}
	return outcome(o, nil, fmt.Sprintf("ended: answered, %s after %.1f s", who, time.Since(start).Seconds()))
}

func cmdAnswer(ctx context.Context, cfg phone.Config, args []string, o out, stderr io.Writer) int {
	fs := flag.NewFlagSet("answer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	af := addAudioFlags(fs)
	count := fs.Int("count", 1, "answer this many calls, then exit")
	echo := fs.Bool("echo", false, "send back what the caller says (an echo test) instead of playing or recording")
	dur := fs.Duration("duration", 0, "hang up each call after this long (default: when the far end does)")
	ringFor := fs.Duration("ring", 0, "let each call ring this long before answering, with the ringtone (default: answer at once)")
	ringDev := fs.String("ring-device", "", "speaker device to ring on, or part of its name (default: the playback device)")
	transferTo := fs.String("transfer", "", "transfer each call, once answered, to this user or number (blind)")
	consultTo := fs.String("consult", "", "once a call is answered, call this user or number and transfer the call to them when they answer (attended)")
	addTo := fs.String("add", "", "once a call is answered, hold it, call this user or number, and when they answer join all three in one call (a conference)")
	transferAfter := fs.Duration("transfer-after", 2*time.Second, "how long to talk before --transfer, --consult or --add")
	pos, err := parseArgs(fs, args)
	modes := 0
	for _, m := range []string{*transferTo, *consultTo, *addTo} {
		if m != "" {
			modes++
		}
	}
	if err != nil || len(pos) > 0 || *count < 1 || *ringFor < 0 || *ringFor > 100*time.Second || modes > 1 {
		return usageErr(stderr, err, "answer takes no arguments, --count of at least 1, --ring of 0 to 100s, and at most one of --transfer, --consult, --add")
	}
	// The ringtone sounds on the ring device, or on the call's speaker
	// when the call uses the sound devices.
	ringCfg := device.Config{Backend: *af.backend, Playback: *ringDev}
	if *ringDev == "" {
		ringCfg.Playback = *af.speaker
	}
	rings := *ringFor > 0 && (*ringDev != "" || af.devices() && !*echo)
	src, dev, code := af.load(stderr, !*echo)
	if code != exitOK {
		return code
	}
	if dev != nil {
		defer dev.Close()
		cfg.SampleRate = dev.SampleRate() // calls exchange audio at the device's rate
	}
	u, code := newUA(cfg, stderr)
	if u == nil {
		return code
	}
	defer u.Close()
	stop, err := registerUntil(ctx, u, o)
	if err != nil {
		return outcome(o, err, "")
	}
	defer stop()
	var sink *media.PCMSink
	if *af.record != "" {
		sink = &media.PCMSink{}
	}
	for n := 0; n < *count; n++ {
		select {
		case in := <-u.Incoming():
			o.event("call", "incoming call from "+in.Remote(), map[string]any{"state": "ringing", "from": in.Remote()})
			if !ring(ctx, in, *ringFor, rings, ringCfg, o, stderr) {
				o.event("call", "missed call from "+in.Remote(), map[string]any{"state": "missed", "from": in.Remote()})
				n--
				continue
			}
			if err := in.Answer(ctx); err != nil {
				return outcome(o, err, "")
			}
			o.event("call", "answered", map[string]any{"state": "connected"})
			go reportKeys(o, in.Call)
			if modes > 0 {
				var play *media.PCMSource
				if src != nil {
					play = &media.PCMSource{Samples: src.Samples}
				}
				if *addTo != "" {
					if addToCall(ctx, u, in.Call, *addTo, *transferAfter, *dur, play, sink, o) {
						continue
					}
				} else if transferCall(ctx, u, in.Call, *transferTo, *consultTo, *transferAfter, play, sink, o) {
					continue
				}
			}
			switch {
			case *echo:
				e := &media.Echo{}
				ectx, cancel := ctx, context.CancelFunc(func() {})
				if *dur > 0 {
					ectx, cancel = context.WithTimeout(ctx, *dur)
				}
				media.Pump(ectx, in.Media(), e, e, false, in.Done())
				cancel()
			case dev != nil:
				dev.Flush()
				converseDevice(ctx, in.Call, dev, dev, *af.echoCancel, *dur)
			default:
				var play *media.PCMSource
				if src != nil {
					play = &media.PCMSource{Samples: src.Samples}
				}
				converse(ctx, in.Call, play, sink, *dur)
			}
			select {
			case <-in.Done():
				o.event("call", "ended: the far end hung up", map[string]any{"state": "ended"})
			default:
				in.Hangup(context.Background())
				o.event("call", "ended: we hung up", map[string]any{"state": "ended"})
			}
		case <-ctx.Done():
			return outcome(o, errors.New("interrupted"), "")
		}
	}
	if err := writeRecord(*af.record, sink); err != nil {
		return outcome(o, err, "")
	}
	return outcome(o, nil, fmt.Sprintf("answered %d call(s)", *count))
}

func cmdSMS(ctx context.Context, cfg phone.Config, args []string, o out, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "phonectl: sms send TARGET TEXT | sms listen [--count N]")
		return exitUsage
	}
	switch args[0] {
	case "send":
		fs := flag.NewFlagSet("sms send", flag.ContinueOnError)
		fs.SetOutput(stderr)
		pos, err := parseArgs(fs, args[1:])
		if err != nil || len(pos) < 2 {
			return usageErr(stderr, err, "sms send takes TARGET and TEXT")
		}
		u, code := newUA(cfg, stderr)
		if u == nil {
			return code
		}
		defer u.Close()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err = u.SendMessage(sctx, pos[0], trimJoin(pos[1:]))
		return outcome(o, err, "sent to "+pos[0])
	case "listen":
		fs := flag.NewFlagSet("sms listen", flag.ContinueOnError)
		fs.SetOutput(stderr)
		count := fs.Int("count", 0, "exit after this many messages (default: until interrupted)")
		pos, err := parseArgs(fs, args[1:])
		if err != nil || len(pos) > 0 || *count < 0 {
			return usageErr(stderr, err, "sms listen takes no arguments")
		}
		u, code := newUA(cfg, stderr)
		if u == nil {
			return code
		}
		defer u.Close()
		stop, err := registerUntil(ctx, u, o)
		if err != nil {
			return outcome(o, err, "")
		}
		defer stop()
		got := 0
		for *count == 0 || got < *count {
			select {
			case m := <-u.Messages():
				got++
				o.event("message", fmt.Sprintf("%s: %s", m.From, m.Text), map[string]any{"from": m.From, "text": m.Text})
			case <-ctx.Done():
				return outcome(o, nil, fmt.Sprintf("received %d message(s)", got))
			}
		}
		return outcome(o, nil, fmt.Sprintf("received %d message(s)", got))
	}
	fmt.Fprintf(stderr, "phonectl: unknown sms command %q\n", args[0])
	return exitUsage
}

func cmdDevices(args []string, o out, stderr io.Writer) int {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backend := fs.String("audio-backend", "", "sound system: pulse, alsa or null (default: the system's)")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) > 0 {
		return usageErr(stderr, err, "devices takes no arguments")
	}
	capture, playback, err := device.Names(*backend)
	if err != nil {
		return outcome(o, err, "")
	}
	for _, n := range capture {
		o.event("device", "capture: "+n, map[string]any{"kind": "capture", "name": n})
	}
	for _, n := range playback {
		o.event("device", "playback: "+n, map[string]any{"kind": "playback", "name": n})
	}
	return outcome(o, nil, fmt.Sprintf("%d capture and %d playback devices", len(capture), len(playback)))
}

// reportKeys prints each key the far end presses (RFC 4733 or SIP INFO)
// until the call ends.
func reportKeys(o out, c *phone.Call) {
	for {
		select {
		case d := <-c.Media().Digits():
			o.event("dtmf", "key pressed: "+string(d), map[string]any{"digit": string(d)})
		case <-c.Done():
			return
		}
	}
}

// reportQuality prints what the call's RTP and RTCP counted: packets each
// way, loss each way, jitter and round trip.
func reportQuality(o out, st media.Stats) {
	q := st.Quality
	pct := func(lost, of int) float64 {
		if of <= 0 {
			return 0
		}
		return 100 * float64(lost) / float64(of)
	}
	far, rtt := "far end lost "+strconv.Itoa(q.RemoteLost), fmt.Sprintf("round trip %.1f ms", float64(q.RTT)/float64(time.Millisecond))
	if q.Reports == 0 {
		far = "no report from the far end yet"
	}
	if q.RTT == 0 {
		rtt = "round trip not measured"
	}
	text := fmt.Sprintf("quality: sent %d, received %d; lost %d of %d here (%.1f%%), %s; jitter %.1f ms; %s",
		st.Sent, st.Received, q.Lost, q.Expected, pct(q.Lost, q.Expected), far,
		float64(q.Jitter)/float64(time.Millisecond), rtt)
	o.event("quality", text, map[string]any{"sent": st.Sent, "received": st.Received, "lost": q.Lost, "expected": q.Expected,
		"remote_lost": q.RemoteLost, "jitter_ms": q.Jitter.Milliseconds(), "rtt_ms": q.RTT.Milliseconds(), "rtcp_reports": q.Reports})
}

// ring lets an incoming call ring for d, sounding the ringtone on cfg's
// device when withTone, and reports whether the call is still there to
// answer (the caller may give up first).
func ring(ctx context.Context, in *phone.Incoming, d time.Duration, withTone bool, cfg device.Config, o out, stderr io.Writer) bool {
	if d <= 0 {
		return true
	}
	if withTone {
		p, err := device.Play(cfg, audio.Ringtone.New(8000, 12000))
		if err != nil {
			fmt.Fprintln(stderr, "phonectl: ringtone:", err) // the call still rings at the far end
		} else {
			defer p.Close()
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-in.Done():
		return false
	case <-ctx.Done():
		return false
	}
}

// addToCall talks on an answered call for after, then holds it, calls add
// and, once add answers, joins the two calls in one (a three-way call
// the switchboard mixes). It then talks on the new call until either call
// ends or d passes (0: until one ends), and hangs up both. It reports
// whether the conference was made; if not, the first call is ours again.
func addToCall(ctx context.Context, u *phone.UA, c *phone.Call, add string, after, d time.Duration, play *media.PCMSource, sink *media.PCMSink, o out) bool {
	tctx, stopTalk := context.WithCancel(ctx)
	go converse(tctx, c, play, sink, 0)
	select {
	case <-time.After(after):
	case <-c.Done():
		stopTalk()
		o.event("call", "ended: the far end hung up before the conference", map[string]any{"state": "ended"})
		return true
	case <-ctx.Done():
		stopTalk()
		return false
	}
	stopTalk()
	failed := func(err error) bool {
		c.Resume(context.Background())
		o.event("call", "adding "+add+" failed, the call is still ours: "+err.Error(), map[string]any{"state": "connected", "error": err.Error()})
		return false
	}
	o.event("call", "holding the call and calling "+add, map[string]any{"state": "adding", "to": add})
	if err := c.Hold(ctx); err != nil {
		return failed(err)
	}
	other, err := u.Dial(ctx, add)
	if err != nil {
		return failed(err)
	}
	if err := c.Conference(ctx, other, 60*time.Second); err != nil {
		other.Hangup(context.Background())
		return failed(err)
	}
	o.event("call", "conference: "+add+" joined the call", map[string]any{"state": "conference", "with": add})
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select { // either call ending ends the talk
		case <-c.Done():
		case <-cctx.Done():
		}
		cancel()
	}()
	converse(cctx, other, play, sink, d)
	other.Hangup(context.Background())
	c.Hangup(context.Background())
	o.event("call", "ended: the conference is over", map[string]any{"state": "ended", "conference": true})
	return true
}

// transferCall talks on an answered call for after, then transfers it:
// to target (blind), or to consult once consult answers a call of its own
// (attended). It reports whether the call was transferred; if not, the
// call is still ours.
func transferCall(ctx context.Context, u *phone.UA, c *phone.Call, target, consult string, after time.Duration, play *media.PCMSource, sink *media.PCMSink, o out) bool {
	tctx, stopTalk := context.WithCancel(ctx)
	defer stopTalk()
	go converse(tctx, c, play, sink, 0)
	select {
	case <-time.After(after):
	case <-c.Done():
		o.event("call", "ended: the far end hung up before the transfer", map[string]any{"state": "ended"})
		return true
	case <-ctx.Done():
		return false
	}
	var err error
	if target != "" {
		o.event("call", "transferring to "+target, map[string]any{"state": "transferring", "to": target})
		err = c.Transfer(ctx, target, 60*time.Second)
	} else {
		o.event("call", "consulting "+consult, map[string]any{"state": "consulting", "to": consult})
		var other *phone.Call
		if other, err = u.Dial(ctx, consult); err == nil {
			o.event("call", consult+" answered: transferring the call to them", map[string]any{"state": "transferring", "to": consult})
			if err = c.TransferTo(ctx, other, 60*time.Second); err != nil {
				other.Hangup(context.Background())
			}
		}
	}
	if err != nil {
		o.event("call", "transfer failed, the call is still ours: "+err.Error(), map[string]any{"state": "connected", "error": err.Error()})
		return false
	}
	o.event("call", "ended: transferred", map[string]any{"state": "ended", "transferred": true})
	return true
}
