package switchboard

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/jonboulle/clockwork"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/phone/netguard"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// Directory is what the switchboard needs to know about people: team.Store
// is one.
type Directory interface {
	Device(ctx context.Context, username string) (team.Device, error)
	User(ctx context.Context, email string) (team.User, error)
	UserByExtension(ctx context.Context, account, extension string) (team.User, error)
	Users(ctx context.Context, account string) ([]team.User, error)
	Number(ctx context.Context, e164 string) (team.Number, error)
	NumbersOf(ctx context.Context, email string) ([]team.Number, error)
	MessageStore
	AddVoicemail(ctx context.Context, v team.Voicemail) error
}

// Billing is the credit gate and the meter: the billing engine is one.
type Billing interface {
	// Gate says whether an account may start anything: nil, or an error
	// (a *billing.CreditError) whose reason the phone is given (402).
	Gate(ctx context.Context, account string) error
	// StartCall passes a credit-billed call through the gate and pays for
	// its first chunk.
	StartCall(ctx context.Context, s billing.CallStart) (Metered, billing.Grant, error)
	// ChargeMessage rates a text per segment and charges it.
	ChargeMessage(ctx context.Context, m billing.Message) (billing.Charge, error)
	// Customer is an account's settings: its region reads the numbers its
	// people dial without a country code.
	Customer(ctx context.Context, account string) (billing.Customer, error)
	// Resume takes up a call's meter from its Snapshot (after a crash,
	// to end it).
	Resume(ctx context.Context, snapshot []byte) (Metered, error)
}

// Metered is a credit-billed call's meter, as the switchboard drives it:
// each next chunk paid before it starts, and the call settled at its end.
type Metered interface {
	// Extend pays for the chunk after elapsed seconds; the grant says
	// until when the call is paid and whether that is the last.
	Extend(ctx context.Context, elapsed int64) (billing.Grant, error)
	// End settles the call for seconds of talk.
	End(ctx context.Context, seconds int64) (billing.Charge, error)
	// Snapshot writes the meter down, for Billing.Resume.
	Snapshot() []byte
}

// Config sets up a switchboard.
type Config struct {
	Realm     string   // digest realm; "tether" when empty
	Listen    []string // "udp://127.0.0.1:5060", "tcp://...", "tls://...", "ws://...", "wss://..." (RFC 7118)
	TLS       *tls.Config
	Directory Directory
	Billing   Billing // nil: no gate, and no calls off the network
	// Trunk is where calls to numbers outside the switchboard go
	// (HOST:PORT, UDP): a carrier's SIP trunk, or the network simulator.
	// Requests from it need no digest (IP authentication). Invalid: no
	// external calls.
	Trunk netip.AddrPort
	// TrunkRegion is the carrier's country: numbers the trunk sends
	// without a country code are read as in it (rating.DefaultRegion when
	// empty). Numbers the switchboard's own people dial are read in their
	// account's region.
	TrunkRegion string
	// TrunkAuth, when set, has the switchboard register with the trunk and
	// answer its digest challenges as that account; calls then go out From
	// the account, with the caller's number as display name and in
	// P-Asserted-Identity.
	TrunkAuth *TrunkAuth
	// RingTimeout is how long a call rings its callee's phones before it
	// is given up as unanswered (2 minutes when 0).
	RingTimeout time.Duration
	// NoAnswer is how long a call to a number that takes voicemail rings
	// its members before the caller reaches voicemail (25 s when 0).
	NoAnswer time.Duration
	// WarnBefore is how long before a credit-billed call's paid time runs
	// out the caller hears the warning (60 s by default); MeterEvery is how
	// often a call's credit is topped up (5 s).
	WarnBefore, MeterEvery time.Duration
	// CheckpointEvery is how often calls in progress are noted in the
	// records store (5 s by default): what a crash can cost a call's
	// charge at most (see live.go).
	CheckpointEvery time.Duration
	// MinSE is the shortest session timer interval a phone may ask for
	// (RFC 4028: 90 s, the default); shorter gets 422 with Min-SE.
	MinSE time.Duration
	// TrimEvery is how often free heap left by a burst is given back to
	// the system (5 s by default; negative: never, the runtime's own
	// pace). See memory.go.
	TrimEvery time.Duration
	// Records keeps call detail and message records; nil keeps none.
	Records records.Store
	// VoicemailDir is where voicemail recordings are kept (under
	// voicemail/NUMBER/); empty: no voicemail (calls after hours get 480).
	VoicemailDir string
	// MD5OnlyAgents lists User-Agent substrings of phones challenged with
	// MD5 alone: baresip 1.x (libre) aborts on a SHA-256 challenge rather
	// than answer the MD5 one beside it, and sipp signs with MD5 only. Nil
	// means DefaultMD5OnlyAgents.
	// (Device passwords are 128-bit random, so MD5 digest costs them
	// nothing against guessing.)
	MD5OnlyAgents []string
	// MinExpires and MaxExpires bound registrations (60 s and 3600 s by
	// default).
	MinExpires, MaxExpires time.Duration
	// Connections over TCP, TLS and WebSocket: StreamIdle is how long one
	// may stay silent before a request on it authenticates (60 s by
	// default; after that, MaxExpires and a minute, time for the phone's
	// next REGISTER), and MaxConnsPerAddr how many one source address may
	// hold at once (128 by default: a whole office behind one NAT).
	StreamIdle      time.Duration
	MaxConnsPerAddr int
	// MaxPending bounds the new requests (REGISTER, MESSAGE, a call's
	// setup) worked on at once (256 by default); beyond it the
	// switchboard answers 503 with Retry-After at once rather than let
	// every answer slow down (see admit.go).
	MaxPending int
	// MaxLag is how long new requests may take, standing, from the front
	// door to their handler (queued for the CPU and the SIP stack's
	// transaction lock) before the front door turns new requests away
	// with 503 itself (50 ms by default; admit.go).
	MaxLag time.Duration
	// ICEServers are STUN and TURN servers the switchboard's WebRTC legs
	// gather candidates from (behind NAT); none: host candidates on the
	// listening address, right for a switchboard with a public address.
	ICEServers []webrtcgw.ICEServer
	Log        *slog.Logger
	// Clock runs the switchboard's timers (ringing, metering, the trunk's
	// registration); nil for the real one. Now, when nil, is its Now.
	Clock clockwork.Clock
	Now   func() time.Time
}

// regionOf is the region an account's people dial in; the trunk's when
// the account has none on record.
func (s *Server) regionOf(ctx context.Context, account string) string {
	if s.cfg.Billing != nil {
		if c, err := s.cfg.Billing.Customer(ctx, account); err == nil && c.Region != "" {
			return c.Region
		}
	}
	return s.cfg.TrunkRegion
}

// DefaultMD5OnlyAgents are the phones known to need an MD5-only challenge.
var DefaultMD5OnlyAgents = []string{"baresip", "sipp"}

// Server is a running switchboard's SIP side.
type Server struct {
	cfg    Config
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	log    *slog.Logger

	nonces  *nonces
	bans    *bans
	pending atomic.Int64 // new requests being worked on (admit.go)
	shed    atomic.Int64 // and those answered 503 for it
	backlog backlog      // how long new work waits to start
	reader  reader       // how busy the UDP listener's reader is (admit.go)
	trimmed atomic.Int64 // times free heap was given back (memory.go)
	// parser reads requests at the front door (front.go), which counts
	// those it answered itself in frontRefused.
	parser       *sip.Parser
	frontRefused atomic.Int64
	guards       []*netguard.Listener // the stream listeners (under mu)
	location     *location

	mu        sync.Mutex
	listeners []io_closer
	addrs     map[string]netip.AddrPort // network -> bound address
	udpConn   net.PacketConn            // the UDP listener, for the front door's answers
	calls     *calls
	closed    bool
	trunkReg  trunkState
	saver     regSaver
	gws       gateways

	// The goroutines of calls (ring legs, meters, watchers): Close waits
	// for them.
	wg      sync.WaitGroup
	running atomic.Int64
	// life ends when Close begins: calls still ringing stop ringing.
	life     context.Context
	stopLife context.CancelCauseFunc
}

// closeWait bounds how long Close waits for calls' goroutines to end.
const closeWait = 3 * time.Second

// spawn runs f on a goroutine Close waits for.
func (s *Server) spawn(f func()) {
	s.wg.Add(1)
	s.running.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.running.Add(-1)
		f()
	}()
}

type io_closer interface{ Close() error }

// ErrConfig means the configuration is unusable.
var ErrConfig = errors.New("switchboard: bad configuration")

// New checks cfg, binds every listen address and starts serving.
func New(cfg Config) (*Server, error) {
	if cfg.Realm == "" {
		cfg.Realm = "tether"
	}
	if cfg.Directory == nil {
		return nil, fmt.Errorf("%w: no directory", ErrConfig)
	}
	if cfg.MinExpires <= 0 {
		cfg.MinExpires = time.Minute
	}
	if cfg.MaxExpires <= 0 {
		cfg.MaxExpires = time.Hour
	}
	if cfg.StreamIdle <= 0 {
		cfg.StreamIdle = time.Minute
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 256
	}

	if cfg.MaxLag <= 0 {
		cfg.MaxLag = 50 * time.Millisecond
	}
	if cfg.MaxConnsPerAddr <= 0 {
		cfg.MaxConnsPerAddr = 128
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Now == nil {
		cfg.Now = cfg.Clock.Now
	}
	if cfg.TrunkRegion == "" {
		cfg.TrunkRegion = rating.DefaultRegion
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = 2 * time.Minute
	}
	if cfg.NoAnswer <= 0 {
		cfg.NoAnswer = 25 * time.Second
	}
	if cfg.WarnBefore <= 0 {
		cfg.WarnBefore = billing.WarnBefore
	}
	if cfg.MinSE <= 0 {
		cfg.MinSE = 90 * time.Second
	}
	if cfg.TrimEvery == 0 {
		cfg.TrimEvery = 5 * time.Second
	}
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = 5 * time.Second
	}
	if cfg.MeterEvery <= 0 {
		cfg.MeterEvery = 5 * time.Second
	}
	if cfg.MD5OnlyAgents == nil {
		cfg.MD5OnlyAgents = DefaultMD5OnlyAgents
	}
	if len(cfg.Listen) == 0 {
		cfg.Listen = []string{"udp://127.0.0.1:5060", "tcp://127.0.0.1:5060"}
	}
	life, stopLife := context.WithCancelCause(context.Background())
	s := &Server{life: life, stopLife: stopLife, cfg: cfg, log: cfg.Log, nonces: newNonces(5*time.Minute, cfg.Now),
		bans: newBans(20, time.Minute, 10*time.Minute, cfg.Now), location: newLocation(cfg.Now),
		addrs: map[string]netip.AddrPort{}, calls: newCalls()}
	s.parser = sip.NewParser()
	uaOpts := []sipgo.UserAgentOption{sipgo.WithUserAgent("Tether switchboard"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerReadFilter(s.frontFilter))}
	if cfg.TLS != nil {
		uaOpts = append(uaOpts, sipgo.WithUserAgenTLSConfig(cfg.TLS))
	}
	// The switchboard sends only to addresses (phones' sources, the
	// trunk's): it never looks a name up, so a name in a message (a
	// WebSocket phone's .invalid Contact, RFC 7118) cannot send a query
	// anywhere.
	uaOpts = append(uaOpts, sipgo.WithUserAgentDNSResolver(noDNS))
	ua, err := sipgo.NewUA(uaOpts...)
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		ua.Close()
		return nil, err
	}
	s.ua, s.srv = ua, srv
	srv.OnRegister(s.admitted(s.onRegister))
	srv.OnInvite(s.onInvite)
	srv.OnAck(s.onAck)
	srv.OnBye(s.onBye)
	srv.OnInfo(s.onInfo)
	srv.OnMessage(s.admitted(s.onMessage))
	// sipgo answers a CANCEL that matches an INVITE's transaction and
	// signals it; one that matches none gets here: 481 (RFC 3261 9.2).
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	})
	srv.OnUpdate(s.onUpdate)
	srv.OnRefer(s.onRefer)
	srv.OnNoRoute(methodNotAllowed)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Allow", allowed))
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		res.AppendHeader(sip.NewHeader("Supported", "timer"))
		tx.Respond(res)
	})
	if err := s.loadRegistrations(); err != nil {
		ua.Close()
		return nil, err
	}
	s.startSaver() // before any REGISTER can arrive
	// Calls a crash cut off are settled before any new call can draw on
	// the same credit.
	if err := s.recoverCalls(); err != nil {
		s.log.Error("switchboard: some calls a restart cut off could not be settled; they are tried again at the next start", "err", err)
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.checkpoints() }()
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.trims() }()
	for _, l := range cfg.Listen {
		if err := s.listen(l); err != nil {
			s.Close()
			return nil, err
		}
	}
	var host string
	for _, a := range s.addrs {
		host = a.Addr().String()
		break
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(host))
	if err != nil {
		s.Close()
		return nil, err
	}
	s.client = client
	s.startTrunkRegistration()
	return s, nil
}

// listen binds one "scheme://host:port" address.
func (s *Server) listen(spec string) error {
	u, err := url.Parse(spec)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: listen address %q (udp://HOST:PORT, tcp://, tls://)", ErrConfig, spec)
	}
	switch u.Scheme {
	case "udp":
		pc, err := net.ListenPacket("udp", u.Host)
		if err != nil {
			return fmt.Errorf("switchboard: %w", err)
		}
		// Room for bursts (a GC, a busy moment): a datagram dropped costs
		// its call half a second (T1) before it is sent again. The kernel
		// caps this at net.core.rmem_max.
		if uc, ok := pc.(*net.UDPConn); ok {
			uc.SetReadBuffer(udpReadBuffer)
		}
		addr := pc.LocalAddr().(*net.UDPAddr).AddrPort()
		s.track("udp", addr, pc)
		s.mu.Lock()
		s.udpConn = pc
		s.mu.Unlock()
		go s.srv.ServeUDP(timedConn{PacketConn: pc, r: &s.reader})
		// Sending before ServeUDP registered the socket would bind another.
		for range 500 {
			if c, err := s.ua.TransportLayer().GetConnection("udp", addr.String()); err == nil && c != nil {
				return nil
			}
			time.Sleep(2 * time.Millisecond)
		}
		return fmt.Errorf("switchboard: udp listener on %s did not start", addr)
	case "tcp", "tls", "ws", "wss":
		secure := u.Scheme == "tls" || u.Scheme == "wss"
		if secure && (s.cfg.TLS == nil || len(s.cfg.TLS.Certificates) == 0) {
			return fmt.Errorf("%w: %s:// needs a certificate", ErrConfig, u.Scheme)
		}
		l, err := net.Listen("tcp", u.Host)
		if err != nil {
			return fmt.Errorf("switchboard: %w", err)
		}
		o := netguard.Options{PerAddr: s.cfg.MaxConnsPerAddr, Idle: s.cfg.StreamIdle, TrustedIdle: s.cfg.MaxExpires + time.Minute,
			Setup:    min(s.cfg.StreamIdle, 10*time.Second),
			HTTPHead: u.Scheme == "ws" || u.Scheme == "wss"}
		if secure {
			o.TLS = s.cfg.TLS
		}
		g := netguard.Listen(l, o)
		s.track(u.Scheme, l.Addr().(*net.TCPAddr).AddrPort(), g)
		s.mu.Lock()
		s.guards = append(s.guards, g)
		s.mu.Unlock()
		switch u.Scheme {
		case "tcp":
			go s.srv.ServeTCP(g)
		case "tls":
			go s.srv.ServeTLS(g)
		case "ws":
			go s.srv.ServeWS(g)
		case "wss":
			go s.srv.ServeWSS(g)
		}
	default:
		return fmt.Errorf("%w: listen scheme %q (udp, tcp, tls, ws or wss)", ErrConfig, u.Scheme)
	}
	return nil
}

func (s *Server) track(network string, addr netip.AddrPort, c io_closer) {
	s.mu.Lock()
	s.listeners = append(s.listeners, c)
	s.addrs[network] = addr
	s.mu.Unlock()
}

// SetTrunk changes where calls to outside numbers go (see Config.Trunk):
// the network simulator starts after the switchboard it serves.
func (s *Server) SetTrunk(a netip.AddrPort) {
	s.mu.Lock()
	s.cfg.Trunk = a
	s.mu.Unlock()
}

func (s *Server) trunk() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Trunk
}

// Addr returns the address bound for a network ("udp", "tcp", "tls").
func (s *Server) Addr(network string) (netip.AddrPort, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.addrs[network]
	return a, ok
}

// Close ends every call and stops serving.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	ls := s.listeners
	s.mu.Unlock()
	// Ringing legs stop waiting at once (sipgo's forced cancel), and their
	// ring-alls CANCEL them and tell the callers.
	s.stopLife(sipgo.WaitAnswerForceCancelErr)
	s.stopTrunkRegistration()
	s.stopSaver() // what was registered last is written before we stop
	s.calls.endAll(s)
	s.closeGateways()
	for _, l := range ls {
		l.Close()
	}
	err := s.ua.Close()
	// With the calls ended and the transport closed, every call's
	// goroutine returns promptly; a stuck one is reported, not waited for
	// forever.
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(closeWait):
		s.log.Error("switchboard: calls' goroutines still running after Close", "count", s.running.Load())
	}
	return err
}

// udpReadBuffer is the receive buffer asked for each UDP socket.
const udpReadBuffer = 4 << 20

// noDNS is a resolver that resolves nothing, without sending a query.
var noDNS = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("switchboard: no DNS: SIP destinations here are addresses")
}}

// source is where a request came from.
func source(req *sip.Request) netip.AddrPort {
	a, _ := netip.ParseAddrPort(req.Source())
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// authenticate checks a request's digest (WWW- for REGISTER, Proxy- for
// the rest) and answers the challenge itself when it fails; it returns
// the device on success.
func (s *Server) authenticate(req *sip.Request, tx sip.ServerTransaction, proxy bool) (team.Device, bool) {
	from := source(req)
	if s.bans.banned(from.Addr()) {
		tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
		return team.Device{}, false
	}
	hdr, chalHdr, code, reason := "Authorization", "WWW-Authenticate", 401, "Unauthorized"
	if proxy {
		hdr, chalHdr, code, reason = "Proxy-Authorization", "Proxy-Authenticate", 407, "Proxy Authentication Required"
	}
	var value string
	if h := req.GetHeader(hdr); h != nil {
		value = h.Value()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var dev team.Device
	var lookupErr error
	v, _ := s.nonces.checkDigest(value, string(req.Method), s.cfg.Realm, from.Addr(), func() uint64 { return fingerprint(req) }, func(user, alg string) string {
		d, err := s.cfg.Directory.Device(ctx, user)
		if err != nil && !errors.Is(err, team.ErrNotFound) {
			lookupErr = err
		}
		if err != nil || d.Realm != s.cfg.Realm {
			return ""
		}
		dev = d
		if alg == "SHA-256" {
			return d.HA1SHA256
		}
		return d.HA1MD5
	})
	if lookupErr != nil {
		// Our failure, not the phone's: it is told to come back, and
		// nothing counts toward a ban (a busy store must never ban a
		// whole office).
		s.log.Error("switchboard: looking up a device to authenticate", "err", lookupErr)
		res := sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", retryAfter))
		tx.Respond(res)
		terminate(tx)
		return team.Device{}, false
	}
	switch v {
	case authOK:
		s.bans.succeed(from.Addr())
		if req.Transport() != "UDP" {
			s.mu.Lock()
			gs := s.guards
			s.mu.Unlock()
			for _, g := range gs {
				g.Trust(from) // an authenticated phone's connection may stay quiet until its next REGISTER
			}
		}
		return dev, true
	case authFailed:
		if s.bans.fail(from.Addr()) {
			s.log.Warn("switchboard: banned an address after repeated authentication failures", "addr", from.Addr())
		}
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, c := range s.nonces.challenges(from.Addr(), s.cfg.Realm, v == authStale || v == authReplay, s.md5Only(req)) {
		res.AppendHeader(sip.NewHeader(chalHdr, c))
	}
	tx.Respond(res)
	// A challenge is sent once per request received and kept nowhere:
	// over UDP an INVITE's transaction would otherwise resend it until an
	// ACK that a forged source never sends (about eleven answers, each
	// larger than the request), and any transaction would hold it for
	// Timer J. A phone that lost it resends its request and gets another.
	terminate(tx)
	return team.Device{}, false
}

// terminate forgets a server transaction at once, its answer sent.
func terminate(tx sip.ServerTransaction) {
	if st, ok := tx.(interface{ Terminate() }); ok {
		st.Terminate()
	}
}

// md5Only reports whether the request's phone is one that needs an
// MD5-only challenge.
func (s *Server) md5Only(req *sip.Request) bool {
	h := req.GetHeader("User-Agent")
	if h == nil {
		return false
	}
	ua := strings.ToLower(h.Value())
	for _, a := range s.cfg.MD5OnlyAgents {
		if a != "" && strings.Contains(ua, strings.ToLower(a)) {
			return true
		}
	}
	return false
}

// onRegister is the registrar (RFC 3261 section 10.3).
func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	// Answered statelessly, as Kamailio's registrar does: a REGISTER
	// whose answer was lost comes again and is answered again (it is
	// idempotent; a replayed nonce count is challenged and the phone
	// signs anew). Keeping each transaction for Timer J (32 s) held
	// hundreds of MB at a few thousand REGISTERs a second.
	defer terminate(tx)
	dev, ok := s.authenticate(req, tx, false)
	if !ok {
		return
	}
	to := req.To()
	if to == nil || to.Address.User != dev.Username {
		tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil)) // one device may not register another's address
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	user, err := s.cfg.Directory.User(ctx, dev.Email)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
		return
	}
	defaultExpires := s.cfg.MaxExpires
	if h := req.GetHeader("Expires"); h != nil {
		if d, ok := parseSeconds(h.Value()); ok {
			defaultExpires = d
		}
	}
	contacts := req.GetHeaders("Contact")
	now := s.cfg.Now()
	for _, h := range contacts {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if c.Address.Wildcard {
			if len(contacts) != 1 || defaultExpires != 0 {
				tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
				return
			}
			s.location.clear(dev.Username)
			continue // saved below, with whatever else this request did
		}
		expires := defaultExpires
		if v, ok := c.Params.Get("expires"); ok {
			if d, ok := parseSeconds(v); ok {
				expires = d
			}
		}
		if expires > 0 && expires < s.cfg.MinExpires {
			res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
			res.AppendHeader(sip.NewHeader("Min-Expires", fmt.Sprint(int(s.cfg.MinExpires.Seconds()))))
			tx.Respond(res)
			return
		}
		expires = min(expires, s.cfg.MaxExpires)
		s.location.set(binding{Device: dev.Username, Email: user.Email, Account: user.Account, Contact: c.Address,
			Source: reachAt(req, c.Address), Transport: req.Transport(), Expires: now.Add(expires),
			CallID: req.CallID().Value(), CSeq: req.CSeq().SeqNo, ICE: c.Params.Has("+sip.ice")})
	}
	s.markDirty(dev.Username)
	if len(s.location.device(dev.Username)) > 0 {
		go s.flush(user.Email) // texts that waited for this user
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	for _, b := range s.location.device(dev.Username) {
		h := &sip.ContactHeader{Address: b.Contact, Params: sip.NewParams()}
		h.Params.Add("expires", fmt.Sprint(int(b.Expires.Sub(now).Seconds())))
		res.AppendHeader(h)
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	tx.Respond(res)
}

// reachAt is where requests to a registered phone go: over UDP, the
// Contact's port when the Contact names the address the REGISTER came
// from, else (behind NAT: the Contact is a private address) the address it
// came from; over TCP and TLS, the connection it came on.
func reachAt(req *sip.Request, contact sip.Uri) netip.AddrPort {
	src := source(req)
	if !strings.EqualFold(req.Transport(), "UDP") {
		return src
	}
	if a, err := netip.ParseAddr(contact.Host); err == nil && a.Unmap() == src.Addr() && contact.Port > 0 {
		return netip.AddrPortFrom(src.Addr(), uint16(contact.Port))
	}
	return src
}

func parseSeconds(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	var n int64
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n < 0 || n > 1<<31 || fmt.Sprint(n) != v {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}
