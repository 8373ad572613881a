package switchboard

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/sdp"
)

// maxVoicemail is the longest message kept.
const maxVoicemail = 2 * time.Minute

// VoicemailGreeting is what a caller hears before leaving a message: two
// falling notes, a pause, and the beep.
func VoicemailGreeting(rate int) []int16 {
	var out []int16
	for _, f := range []float64{880, 660} {
		note := make([]int16, rate/4)
		audio.Sine(note, f, rate, 9000, 0)
		out = append(out, note...)
	}
	out = append(out, make([]int16, rate/2)...)
	beep := make([]int16, rate*2/5)
	audio.Sine(beep, BeepHz, rate, 12000, 0)
	return append(out, beep...)
}

// greeting is what callers to num hear before the beep: its own
// recording (kept at 8 kHz mono under the data directory) and the beep,
// or the standard greeting when it has none or it cannot be read.
func (s *Server) greeting(num team.Number) []int16 {
	rel := num.OwnGreeting()
	if rel == "" {
		return VoicemailGreeting(8000)
	}
	p, err := audio.LoadWAV(filepath.Join(s.cfg.VoicemailDir, rel))
	if err != nil || p.Rate != 8000 {
		s.log.Warn("switchboard: a number's greeting cannot be played; the standard one instead", "number", num.E164, "err", err)
		return VoicemailGreeting(8000)
	}
	out := append(p.Mono(), make([]int16, 8000/4)...)
	beep := make([]int16, 8000*2/5)
	audio.Sine(beep, BeepHz, 8000, 12000, 0)
	return append(out, beep...)
}

// BeepHz is the voicemail beep's pitch: speak after it.
const BeepHz = 1000

// voicemail answers a call to a number outside its hours: the greeting,
// the beep, then a recording of up to maxVoicemail, kept as a WAV file
// under VoicemailDir and listed on the number.
func (s *Server) voicemail(req *sip.Request, tx sip.ServerTransaction, num team.Number, caller team.User) {
	from := caller.Extension
	if s.cfg.VoicemailDir == "" {
		tx.Respond(sip.NewResponseFromRequest(req, 480, "Temporarily Unavailable", nil))
		return
	}
	c := s.newCall(caller, from, num.E164, "internal")
	c.selfRecorded = true
	if caller.Email == "" {
		c.direction = "inbound"
	}
	m, sess, cleanup, ok := s.answerLocally(req, tx, "voicemail", c)
	if !ok {
		return
	}
	defer cleanup()
	s.takeMessage(m, sess, num, c)
}

// takeMessage plays the greeting and records a message on a call the
// switchboard has answered, then writes the call's record.
func (s *Server) takeMessage(m *media.Session, sess *sipgo.DialogServerSession, num team.Number, c *call) {
	from := c.from
	// The greeting, then the recording until the caller hangs up.
	ctx, cancel := context.WithTimeout(context.Background(), maxVoicemail+10*time.Second)
	defer cancel()
	media.Pump(ctx, m, &media.PCMSource{Samples: s.greeting(num)}, nil, true, sess.Context().Done())
	var rec media.PCMSink
	rctx, stop := context.WithTimeout(ctx, maxVoicemail)
	media.Pump(rctx, m, nil, &rec, false, sess.Context().Done())
	stop()
	if sess.Context().Err() == nil { // time is up: say goodbye
		bctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.byeCaller(bctx, sess, "")
		cancel()
	}
	if s.keepVoicemail(num, from, rec.Samples) {
		s.record(c, records.Voicemail, "a message was left")
	} else {
		s.record(c, records.Missed, "the caller hung up at the greeting")
	}
}

// keepVoicemail writes a recording and lists it on the number.
func (s *Server) keepVoicemail(num team.Number, from string, pcm []int16) bool {
	if len(pcm) < 8000/2 { // under half a second: a hang-up, not a message
		return false
	}
	id := newID()
	rel := filepath.Join("voicemail", strings.TrimPrefix(num.E164, "+"), id+".wav")
	path := filepath.Join(s.cfg.VoicemailDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		s.log.Error("switchboard: voicemail directory", "err", err)
		return false
	}
	if err := audio.SaveWAV(path, &audio.PCM{Rate: 8000, Channels: 1, Samples: pcm}); err != nil {
		s.log.Error("switchboard: writing a voicemail", "err", err)
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v := team.Voicemail{ID: id, Account: num.Account, Number: num.E164, From: from, Seconds: len(pcm) / 8000, Path: rel, Created: s.cfg.Now()}
	if err := s.cfg.Directory.AddVoicemail(ctx, v); err != nil {
		s.log.Error("switchboard: listing a voicemail", "err", err)
		return false
	}
	s.log.Info("switchboard: voicemail kept", "number", num.E164, "from", from, "seconds", v.Seconds, "path", path)
	return true
}

// answerLocally answers a call with the switchboard's own media (for
// voicemail and announcements): it negotiates like a phone, starts the
// stream at 8 kHz and waits for the ACK. cleanup releases both.
//
// c is the call as the switchboard tracks it: known before the answer
// goes, so the ACK and a BYE find the dialog.
func (s *Server) answerLocally(req *sip.Request, tx sip.ServerTransaction, user string, c *call) (*media.Session, *sipgo.DialogServerSession, func(), bool) {
	m, body, code := s.localMedia(req)
	if code != 0 {
		tx.Respond(sip.NewResponseFromRequest(req, code, phrases[code], nil))
		return nil, nil, nil, false
	}
	ip := s.localIP(req)
	contact := s.ourContact(user, ip, req.Transport())
	sess, err := sipgo.NewDialogServerCache(s.client, contact).ReadInvite(req, tx)
	if err != nil {
		m.Close()
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return nil, nil, nil, false
	}
	c.a = sess
	s.calls.add(c, req.CallID().Value())
	cleanup := func() {
		s.calls.remove(c)
		sess.Close()
		m.Close()
		if rt, ok := tx.(*rtcTx); ok { // a WebRTC caller's leg ends with the call
			rt.gw.Close()
		}
	}
	if err := sess.RespondSDP(body); err != nil {
		cleanup()
		return nil, nil, nil, false
	}
	c.answeredA.Store(true)
	return m, sess, cleanup, true
}

// voicemailAfterRing answers a call whose ring-all nobody took (c.a, its
// dialog, was read and rang) with the switchboard's own media and takes a
// message on c.voicemailOn. Nothing is charged for the ringing.
func (s *Server) voicemailAfterRing(c *call, req *sip.Request, tx sip.ServerTransaction) {
	s.endBill(c, 0)
	if c.relay != nil {
		c.relay.close() // never started: nobody answered
	}
	c.selfRecorded = true // takeMessage writes the record
	cleanup := func() {
		s.calls.remove(c)
		c.a.Close()
		if rt, ok := tx.(*rtcTx); ok {
			rt.gw.Close()
		}
	}
	m, body, code := s.localMedia(req)
	if code != 0 {
		tx.Respond(sip.NewResponseFromRequest(req, code, phrases[code], nil))
		s.record(c, records.Missed, "480 no answer; voicemail could not answer")
		cleanup()
		return
	}
	defer m.Close()
	defer cleanup()
	if err := c.a.RespondSDP(body); err != nil { // the caller hung up meanwhile
		s.record(c, records.Missed, "487 the caller hung up")
		return
	}
	c.answeredA.Store(true)
	s.log.Info("switchboard: nobody answered; voicemail", "call", c.id, "number", c.voicemailOn.E164)
	s.takeMessage(m, c.a, *c.voicemailOn, c)
}

// localMedia opens the switchboard's own media for answering req's offer
// at 8 kHz: the session, started, and the answer's SDP; else the status
// to refuse with.
func (s *Server) localMedia(req *sip.Request) (*media.Session, []byte, int) {
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		return nil, nil, 488
	}
	ip := s.localIP(req)
	m, err := media.Listen(ip)
	if err != nil {
		return nil, nil, 500
	}
	local := sdp.Local{Addr: ip, Port: int(m.LocalAddr().Port()), Formats: media.Codecs(), Direction: sdp.SendRecv, PTime: 20,
		SessionID: uint64(time.Now().UnixNano() >> 2), SessionVersion: 1, RTCPPort: int(m.LocalRTCPAddr().Port()), RTCPMux: true}
	ans, n, err := sdp.Answer(offer, local)
	var codec audio.Codec
	if err == nil {
		codec, err = media.CodecFor(n.Codec)
	}
	if err != nil {
		m.Close()
		return nil, nil, 488
	}
	cfg := media.Config{Codec: codec, PayloadType: n.Codec.PayloadType, PTime: 20 * time.Millisecond,
		Remote: netip.AddrPortFrom(n.Remote.Addr, uint16(n.Remote.Port)), Symmetric: true, PCMRate: 8000,
		RemoteRTCP: n.Remote.RTCP(n.RTCPMux), RTCPMux: n.RTCPMux}
	if n.TelephoneEvent != nil {
		cfg.TelephoneEvent = n.TelephoneEvent.PayloadType
	}
	body, err := ans.Marshal()
	if err == nil {
		err = m.Start(cfg)
	}
	if err != nil {
		m.Close()
		return nil, nil, 500
	}
	return m, body, 0
}
