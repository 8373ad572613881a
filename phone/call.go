package phone

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/phone/media"
	"github.com/tetherphone/tether/phone/sdp"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// Call is one call, placed or received.
type Call struct {
	ua       *UA
	incoming bool
	remote   string // the other party's URI
	media    *media.Session
	local    sdp.Local
	gw       *webrtcgw.Gateway // the WebRTC leg, when the call's media is WebRTC

	client *sipgo.DialogClientSession
	server *sipgo.DialogServerSession

	mu          sync.Mutex
	status      callStatus // changed by fire alone, through callStep
	updates     int        // offers and answers after the first (re-INVITEs either way)
	endErr      error
	ending      error    // why we are hanging up, kept should the far end's BYE cross ours
	referStatus chan int // final codes of a transfer we asked for
	secure      bool     // media is SRTP
	events      eventQueue
	done        chan struct{}
	once        sync.Once
}

// newCallOf makes a call in its first state: Dialing, or Ringing for one
// received.
func newCallOf(u *UA, incoming bool, remote string, m *media.Session, gw *webrtcgw.Gateway, l sdp.Local) *Call {
	c := &Call{ua: u, incoming: incoming, remote: remote, media: m, gw: gw, local: l, status: callStatus{State: Dialing},
		done: make(chan struct{})}
	if incoming {
		c.status.State = Ringing
	}
	c.events.start(u.closed, c.done, &u.pumps, u.clock.After)
	return c
}

// Events delivers the call's state changes, every one, in order (none is
// dropped when the reader is slow; the channel closes after Ended). Events
// of a call that ended a minute ago and were never read are let go.
func (c *Call) Events() <-chan CallEvent { return c.events.out }

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.done }

// Err says why the call ended, when it ended abnormally.
func (c *Call) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endErr
}

// State is the call's current state.
func (c *Call) State() CallState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status.State
}

// Secure reports whether the call's audio is encrypted (SRTP).
func (c *Call) Secure() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.secure
}

// Media is the call's audio stream.
func (c *Call) Media() *media.Session { return c.media }

// MediaPath says how the call's audio travels: "RTP", "SRTP", or for
// WebRTC media the ICE candidate pair in use ("WebRTC, relay
// 203.0.113.5:50000 <-> host 198.51.100.7:40000").
func (c *Call) MediaPath() string {
	switch {
	case c.gw != nil:
		if p := c.gw.SelectedPair(); p != "" {
			return "WebRTC, " + p
		}
		return "WebRTC, not connected"
	case c.Secure():
		return "SRTP"
	}
	return "RTP"
}

// Incoming reports whether the call came in (rather than being placed).
func (c *Call) Incoming() bool { return c.incoming }

// Remote is the other party's URI.
func (c *Call) Remote() string { return c.remote }

// fire feeds an input to the call's state machine (callStep): a change of
// state is queued as an event, and the end releases the media and closes
// Done. err is why the call ends (nil for a normal end, or the reason we
// gave when hanging up).
func (c *Call) fire(in callInput, err error) {
	c.mu.Lock()
	prev := c.status
	next := callStep(prev, in)
	if next == prev {
		c.mu.Unlock()
		return
	}
	c.status = next
	if next.State == Ended {
		if err == nil {
			err = c.ending
		}
		c.endErr = err
	} else {
		err = nil
	}
	c.events.push(CallEvent{State: next.State, Held: next.Held, RemoteHold: next.RemoteHeld, Err: err, At: c.ua.clock.Now()})
	c.mu.Unlock()
	if next.State == Ended {
		c.once.Do(func() {
			c.closeMedia()
			close(c.done)
		})
	}
}

func newSessionID() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) >> 2
}

// offerSRTP reports whether calls this phone places offer SRTP.
func (u *UA) offerSRTP() bool {
	return u.cfg.SRTP == "required" || u.cfg.SRTP == "" && u.transport == "tls"
}

// newCall makes a call's media: plain (or SDES) RTP, or with withWebRTC
// a WebRTC leg.
func (u *UA) newCall(incoming bool, remote string, withWebRTC bool) (*Call, error) {
	if withWebRTC {
		return u.newWebRTCCall(incoming, remote)
	}
	m, err := media.Listen(u.local.Addr())
	if err != nil {
		return nil, err
	}
	advertised, rtcpAt := m.LocalAddr(), m.LocalRTCPAddr()
	if u.cfg.MediaMapping != nil {
		if advertised, err = u.cfg.MediaMapping(advertised); err == nil {
			rtcpAt, err = u.cfg.MediaMapping(rtcpAt)
		}
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("phone: media address: %w", err)
		}
	}
	// RTCP is offered on the RTP port (rtcp-mux, one NAT binding fewer),
	// with its own port named for peers that do not mux.
	l := sdp.Local{Addr: advertised.Addr(), Port: int(advertised.Port()), Formats: media.Codecs(),
		Direction: sdp.SendRecv, PTime: 20, SessionID: newSessionID(), SessionVersion: 1,
		RTCPPort: int(rtcpAt.Port()), RTCPMux: true}
	// A fresh SDES key per call: offered when policy says, and held ready
	// to answer an offer of SRTP.
	if u.cfg.SRTP != "off" && (incoming || u.offerSRTP()) {
		_, param := media.NewKey()
		l.Crypto = []sdp.Crypto{{Tag: 1, Suite: media.SuiteAES128, KeyParams: param}}
	}
	return newCallOf(u, incoming, remote, m, nil, l), nil
}

// newWebRTCCall makes a call whose media goes over WebRTC: the media
// session speaks plain RTP on loopback to a gateway, which speaks WebRTC
// to the far end from this phone's own address.
func (u *UA) newWebRTCCall(incoming bool, remote string) (*Call, error) {
	plainIP := netip.MustParseAddr("127.0.0.1")
	m, err := media.Listen(plainIP)
	if err != nil {
		return nil, err
	}
	gw, err := webrtcgw.New(webrtcgw.Config{IPs: []netip.Addr{u.local.Addr()}, ICEServers: u.cfg.ICEServers,
		RelayOnly: u.cfg.ICERelayOnly, PlainIP: plainIP, Log: u.log})
	if err != nil {
		m.Close()
		return nil, err
	}
	ap := m.LocalAddr()
	l := sdp.Local{Addr: ap.Addr(), Port: int(ap.Port()), Formats: media.Codecs(), Direction: sdp.SendRecv, PTime: 20,
		SessionID: newSessionID(), SessionVersion: 1, RTCPMux: true}
	return newCallOf(u, incoming, remote, m, gw, l), nil
}

// startMedia starts the negotiated stream.
func (c *Call) startMedia(n sdp.Negotiated) error {
	codec, err := media.CodecFor(n.Codec)
	if err != nil {
		return err
	}
	cfg := media.Config{Codec: codec, PayloadType: n.Codec.PayloadType, PTime: 20 * time.Millisecond,
		Remote: netip.AddrPortFrom(n.Remote.Addr, uint16(n.Remote.Port)), Symmetric: true,
		RemoteRTCP: n.Remote.RTCP(n.RTCPMux), RTCPMux: n.RTCPMux, RTCPInterval: c.ua.cfg.RTCPInterval,
		PCMRate: c.ua.cfg.SampleRate}
	if n.Remote.PTime > 0 {
		cfg.PTime = time.Duration(n.Remote.PTime) * time.Millisecond
	}
	if n.TelephoneEvent != nil {
		cfg.TelephoneEvent = n.TelephoneEvent.PayloadType
	}
	switch {
	case n.Crypto != nil && n.LocalCrypto != nil:
		remote, err := media.ParseKey(n.Crypto.KeyParams)
		if err != nil {
			return err
		}
		local, err := media.ParseKey(n.LocalCrypto.KeyParams)
		if err != nil {
			return err
		}
		cfg.SRTP = &media.SRTP{LocalKey: local, RemoteKey: remote}
	case c.ua.cfg.SRTP == "required":
		return fmt.Errorf("%w: SRTP is required and the far end does not offer it", sdp.ErrNoCommonCodec)
	}
	c.mu.Lock()
	c.secure = cfg.SRTP != nil || c.gw != nil // WebRTC media is always DTLS-SRTP
	// Later offers in this call (hold, resume) keep what was settled.
	if n.LocalCrypto != nil {
		c.local.Crypto = []sdp.Crypto{*n.LocalCrypto}
	} else {
		c.local.Crypto = nil
	}
	c.mu.Unlock()
	if err := c.media.Start(cfg); err != nil {
		return err
	}
	c.media.SetPaused(!n.Direction.Sends())
	c.media.SetExpectReceive(n.Direction.Receives())
	return nil
}

// DialOption changes how Dial places a call.
type DialOption func(*dialOptions)

type dialOptions struct {
	onRinging    []func()
	onEarlyMedia []func(*Call)
	fromUser     string
	callerID     string
}

// CallerID asks the server to present one of the user's numbers as the
// caller (RFC 3325 P-Preferred-Identity); a server grants it only for a
// number the user answers.
func CallerID(number string) DialOption { return func(o *dialOptions) { o.callerID = number } }

// As presents another user part as the caller (a trunk placing a call on
// behalf of an outside number).
func As(user string) DialOption { return func(o *dialOptions) { o.fromUser = user } }

// OnRinging calls f when the far end starts ringing (180 or 183), after
// any f given before (options add callbacks, they do not replace them): a
// caller may then show it, or cancel the call with Dial's context.
func OnRinging(f func()) DialOption {
	return func(o *dialOptions) { o.onRinging = append(o.onRinging, f) }
}

// OnEarlyMedia calls f with the call once the far end sends audio before
// answering (183 Session Progress with SDP: ringback, announcements), so
// the caller can play it; the call is still ringing.
func OnEarlyMedia(f func(*Call)) DialOption {
	return func(o *dialOptions) { o.onEarlyMedia = append(o.onEarlyMedia, f) }
}

// Dial calls target (a SIP URI, or a user or number at the account's
// domain) through the server and waits until it is answered, refused, or
// ctx ends (which cancels it). A refusal is a *CallError: errors.Is tells
// ErrInsufficientCredit (402), ErrForbidden, ErrBusy, ErrDeclined,
// ErrUnanswered and ErrNotFound apart.
func (u *UA) Dial(ctx context.Context, target string, opts ...DialOption) (*Call, error) {
	var o dialOptions
	for _, opt := range opts {
		opt(&o)
	}
	to, err := u.targetURI(target)
	if err != nil {
		return nil, err
	}
	c, err := u.newCall(false, to.String(), u.cfg.Media == "webrtc")
	if err != nil {
		return nil, err
	}
	offer, err := c.offer(ctx)
	if err != nil {
		c.fire(inEnd, err) // releases the media and the call's event queue
		return nil, err
	}
	req := sip.NewRequest(sip.INVITE, to)
	fromURI := u.aor
	if o.fromUser != "" {
		fromURI.User = o.fromUser
	}
	from := &sip.FromHeader{Address: fromURI, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: to})
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, INFO"))
	if o.callerID != "" {
		req.AppendHeader(sip.NewHeader("P-Preferred-Identity", fmt.Sprintf("<sip:%s@%s>", o.callerID, u.registrar.Host)))
	}
	req.SetTransport(u.transport)
	req.SetDestination(fmt.Sprintf("%s:%d", u.registrar.Host, u.registrar.Port))
	sess, err := u.dialogs.WriteInvite(ctx, req)
	if err != nil {
		err = fmt.Errorf("phone: INVITE: %w", err)
		c.fire(inEnd, err)
		return nil, err
	}
	c.client = sess
	early := false
	// Hanging up before the answer is a CANCEL, which this phone sends
	// itself: sipgo's goes to the request URI's host (the account's
	// domain, port 5060), not where the INVITE went, so the switchboard
	// never saw it and the callee rang on.
	canceller := u.newCanceller(req)
	defer canceller.stop()
	waitCtx := canceller.watch(ctx)
	err = sess.WaitAnswer(waitCtx, sipgo.AnswerOptions{Username: u.aor.User, Password: u.cfg.Password,
		OnResponse: func(res *sip.Response) error {
			canceller.saw(res)
			if (res.StatusCode == 180 || res.StatusCode == 183) && c.State() == Dialing {
				c.fire(inRinging, nil)
				for _, f := range o.onRinging {
					f()
				}
			}
			if res.StatusCode == 183 && len(res.Body()) > 0 && !early {
				if d, err := c.parse(res.Body()); err == nil {
					if n, err := sdp.Accept(c.local, d); err == nil && c.startMedia(n) == nil {
						early = true
						c.fire(inEarlyMedia, nil)
						for _, f := range o.onEarlyMedia {
							f(c)
						}
					}
				}
			}
			return nil
		}})
	if err != nil {
		sess.Close()
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			err = responseError(de.Res)
			if ctx.Err() != nil && de.Res.StatusCode == 487 {
				err = &CallError{Code: 487, Phrase: "Request Terminated", Reason: "cancelled"}
			}
		} else if ctx.Err() != nil {
			err = &CallError{Code: 487, Phrase: "Request Terminated", Reason: "cancelled"}
		}
		c.fire(inEnd, err)
		return nil, err
	}
	answer, err := c.parse(sess.InviteResponse.Body())
	var n sdp.Negotiated
	if err == nil {
		n, err = sdp.Accept(c.local, answer)
	}
	if err == nil {
		err = c.startMedia(n)
	}
	if ackErr := sess.Ack(ctx); ackErr != nil && err == nil {
		err = ackErr
	}
	if err != nil {
		// Answered with an unusable answer: the call cannot work.
		sess.Bye(context.Background())
		sess.Close()
		c.fire(inEnd, err)
		return nil, fmt.Errorf("phone: answer: %w", err)
	}
	c.fire(inAnswered, nil)
	u.track(c)
	c.watch()
	return c, nil
}

// offer is the call's first offer: plain, or WebRTC with every candidate
// gathered.
func (c *Call) offer(ctx context.Context) ([]byte, error) {
	if c.gw != nil {
		return c.gw.Offer(ctx, sdp.Offer(c.local))
	}
	return sdp.Offer(c.local).Marshal()
}

// parse reads the far end's answer to the call's first offer (a WebRTC
// answer as the plain one the media session understands).
func (c *Call) parse(body []byte) (*sdp.Description, error) {
	if c.gw != nil {
		return c.gw.Accept(body)
	}
	return sdp.Parse(body)
}

// closeMedia releases a call's media (and its WebRTC leg).
func (c *Call) closeMedia() {
	c.media.Close()
	if c.gw != nil {
		c.gw.Close()
	}
}

// watch ends the call if the far end's audio stops while it should flow.
func (c *Call) watch() {
	c.media.WatchTimeout(context.Background(), c.ua.cfg.RTPTimeout, func() {
		c.ua.log.Warn("phone: no RTP from the far end; hanging up", "call", c.remote)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.hangup(ctx, ErrRTPTimeout)
	})
	if c.gw == nil {
		return
	}
	// A WebRTC call whose connection fails ends at once, saying why,
	// rather than staying silent until the RTP timeout.
	go func() {
		select {
		case <-c.gw.Failed():
		case <-c.done:
			return
		}
		if c.State() == Ended { // (the gateway closes with the call, after this is set)
			return
		}
		c.ua.log.Warn("phone: the WebRTC connection failed; hanging up", "call", c.remote)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.hangup(ctx, ErrMediaFailed)
	}()
}

// Hangup ends the call with BYE.
func (c *Call) Hangup(ctx context.Context) error { return c.hangup(ctx, nil) }

func (c *Call) hangup(ctx context.Context, why error) error {
	c.mu.Lock()
	if c.status.State == Ended {
		c.mu.Unlock()
		return nil
	}
	if why != nil && c.ending == nil {
		c.ending = why
	}
	c.mu.Unlock()
	// A BYE that crosses the far end's own BYE may never be answered:
	// do not wait out the whole transaction timer for it.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var err error
	switch {
	case c.client != nil:
		err = c.client.Bye(ctx)
		c.client.Close()
	case c.server != nil:
		err = c.server.Bye(ctx)
		c.server.Close()
	}
	c.fire(inEnd, why)
	return err
}
