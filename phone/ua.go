package phone

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/jonboulle/clockwork"
	"github.com/tetherphone/tether/phone/selfcert"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// Config sets up a user agent for one SIP account.
type Config struct {
	User      string // the account's URI, "sip:alice@pbx.example.com:5060"; its host:port is the registrar and proxy
	Password  string // digest password
	Transport string // "udp" (default), "tcp", "tls", "ws" or "wss" (SIP over WebSocket, RFC 7118)
	// WSPath is the WebSocket resource the server serves SIP on, for ws
	// and wss ("/" when empty; Kamailio and others often use "/ws").
	WSPath    string
	TLS       *tls.Config   // for "tls": how to verify the server (nil: the system's roots)
	Listen    string        // local "host:port" for SIP; port 0 lets the OS pick. Default: the address that routes to the server
	Expires   time.Duration // registration lifetime asked for (default 10 minutes)
	UserAgent string        // the User-Agent header
	// RTPTimeout ends a call whose far end has sent no audio for this long
	// while it should (default 30 s; never while the far end holds).
	RTPTimeout time.Duration
	// SRTP says when calls are encrypted (SRTP with SDES keys, RFC 4568):
	// "" offers it when signalling is TLS, "required" always offers it and
	// refuses calls without it, "off" never offers it. Calls offered SRTP
	// are answered with it in any mode but "off".
	SRTP string
	// MediaMapping gives, for each call's RTP socket, the address the far
	// end should send to: behind NAT, the public mapping a STUN query or a
	// port-forwarding rule found. Nil advertises the socket's own address.
	// Symmetric RTP then latches onto wherever the far end's packets come
	// from.
	MediaMapping func(local netip.AddrPort) (netip.AddrPort, error)
	// KeepAlive is how often a registered phone pings the server (OPTIONS)
	// to keep NAT bindings open and notice a lost network; when pings come
	// back after failing, it registers again at once. Default 25 s;
	// negative turns it off.
	KeepAlive time.Duration
	// NetworkChanges, when set, tells the phone the machine's network
	// changed (an interface up or down, an address come or gone); a
	// registered or retrying phone then registers again at once. Nil
	// watches the system's (rtnetlink on Linux; nothing elsewhere):
	// after sleep or a Wi-Fi change it is registered again within moments
	// of the network returning, not at its next ping or retry.
	NetworkChanges <-chan struct{}
	// RTCPInterval is the mean time between RTCP reports in a call: 5 s
	// when zero; negative sends none.
	RTCPInterval time.Duration
	// SampleRate is the rate calls exchange audio at with the program
	// (its sound device, its files): 8000 (the default), 16000 or 48000.
	// Codecs run at their own rates; the call resamples between.
	SampleRate int
	// Media is how calls carry audio: "rtp" (the default: plain RTP, or
	// SRTP with SDES keys as SRTP says) or "webrtc" (ICE and DTLS-SRTP, as
	// browsers send it: what WebRTC servers reached over ws or wss want).
	Media string
	// ICEServers are the STUN and TURN servers WebRTC calls gather
	// candidates from; ICERelayOnly makes them use TURN relays alone.
	ICEServers   []webrtcgw.ICEServer
	ICERelayOnly bool
	Log          *slog.Logger
	// Clock is the time the phone keeps (retransmissions, registration
	// refreshes, ringing, transfers); nil for the real one. Tests pass a
	// clockwork.FakeClock.
	Clock clockwork.Clock
}

// Message is a SIP MESSAGE (RFC 3428) received.
type Message struct {
	From string // the sender's URI
	To   string
	Text string
	At   time.Time
}

// UA is a SIP user agent for one account: it registers, sends and
// receives MESSAGEs, and (with the call code) places and answers calls.
type UA struct {
	cfg       Config
	aor       sip.Uri // sip:alice@domain
	registrar sip.Uri // sip:domain:port
	transport string
	local     netip.AddrPort
	wsHost    string // the .invalid host a WebSocket phone names itself by

	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	closer func() error
	log    *slog.Logger

	events      chan RegEvent
	messages    chan Message
	incoming    chan *Incoming
	transferred chan *Call

	dialogs       *sipgo.DialogClientCache
	serverDialogs *sipgo.DialogServerCache
	calls         calls
	acks          ackWaits // re-INVITE 2xx responses repeating until ACKed
	reAcks        reAck    // ACKs to repeat if a re-INVITE's 2xx comes again

	mu        sync.Mutex
	state     RegState
	closed    chan struct{} // closed by Close
	closeOnce sync.Once
	clock     clockwork.Clock
	pumps     atomic.Int32 // calls' event queues still delivering
}

// ErrConfig means a Config is unusable; the message says which field.
var ErrConfig = errors.New("phone: bad configuration")

// New validates cfg, opens the local SIP socket and starts serving it.
func New(cfg Config) (*UA, error) {
	u := &UA{cfg: cfg, log: cfg.Log, events: make(chan RegEvent, 64), messages: make(chan Message, 64),
		incoming: make(chan *Incoming, 4), transferred: make(chan *Call, 4), state: Unregistered,
		closed: make(chan struct{})}
	if u.log == nil {
		u.log = slog.Default()
	}
	u.clock = cfg.Clock
	if u.clock == nil {
		u.clock = clockwork.NewRealClock()
	}
	if err := sip.ParseUri(cfg.User, &u.aor); err != nil || u.aor.User == "" || u.aor.Host == "" {
		return nil, fmt.Errorf("%w: user %q is not a sip:user@host[:port] URI", ErrConfig, cfg.User)
	}
	if u.aor.Scheme != "sip" && u.aor.Scheme != "" {
		return nil, fmt.Errorf("%w: user %q: only sip: URIs are supported", ErrConfig, cfg.User)
	}
	u.transport = strings.ToLower(cfg.Transport)
	if u.transport == "" {
		u.transport = "udp"
	}
	switch u.transport {
	case "udp", "tcp", "tls", "ws", "wss":
	default:
		return nil, fmt.Errorf("%w: transport %q (udp, tcp, tls, ws or wss)", ErrConfig, cfg.Transport)
	}
	if u.cfg.WSPath == "" {
		u.cfg.WSPath = "/"
	}
	if !strings.HasPrefix(u.cfg.WSPath, "/") || strings.ContainsAny(u.cfg.WSPath, " ?#\r\n") {
		return nil, fmt.Errorf("%w: WebSocket path %q (a path such as /ws)", ErrConfig, cfg.WSPath)
	}
	switch u.cfg.SRTP {
	case "", "required", "off":
	default:
		return nil, fmt.Errorf("%w: srtp %q (\"\", required or off)", ErrConfig, cfg.SRTP)
	}
	switch u.cfg.Media {
	case "":
		u.cfg.Media = "rtp"
	case "rtp", "webrtc":
	default:
		return nil, fmt.Errorf("%w: media %q (rtp or webrtc)", ErrConfig, cfg.Media)
	}
	for _, s := range cfg.ICEServers {
		if _, err := webrtcgw.ParseICEServer(s.URL); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	switch u.cfg.SampleRate {
	case 0:
		u.cfg.SampleRate = 8000
	case 8000, 16000, 48000:
	default:
		return nil, fmt.Errorf("%w: sample rate %d (8000, 16000 or 48000)", ErrConfig, cfg.SampleRate)
	}
	if u.cfg.KeepAlive == 0 {
		u.cfg.KeepAlive = 25 * time.Second
	}
	if u.cfg.RTPTimeout <= 0 {
		u.cfg.RTPTimeout = 30 * time.Second
	}
	if u.cfg.Expires <= 0 {
		u.cfg.Expires = 10 * time.Minute
	}
	if u.cfg.Expires < 10*time.Second {
		return nil, fmt.Errorf("%w: expires %s is under 10 s", ErrConfig, cfg.Expires)
	}
	port := u.aor.Port
	if port == 0 {
		port = 5060
	}
	u.registrar = sip.Uri{Scheme: "sip", Host: u.aor.Host, Port: port}
	u.aor.Port = 0
	if err := u.listen(); err != nil {
		return nil, err
	}
	return u, nil
}

// routeAddr finds the local address that routes to the server, without
// sending anything.
func routeAddr(host string, port int) (netip.Addr, error) {
	c, err := net.Dial("udp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr(), nil
}

func (u *UA) listen() error {
	listen := u.cfg.Listen
	if listen == "" {
		a, err := routeAddr(u.registrar.Host, u.registrar.Port)
		if err != nil {
			return fmt.Errorf("phone: finding a local address for %s: %w", u.registrar.Host, err)
		}
		listen = netip.AddrPortFrom(a, 0).String()
	}
	name := u.cfg.UserAgent
	if name == "" {
		name = "Tether"
	}
	uaOpts := []sipgo.UserAgentOption{sipgo.WithUserAgent(name),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerUnhandledResponseHandler(u.onStrayResponse))}
	if u.transport == "tls" || u.transport == "wss" {
		conf := u.cfg.TLS
		if conf == nil {
			conf = &tls.Config{}
		}
		uaOpts = append(uaOpts, sipgo.WithUserAgenTLSConfig(conf))
	}
	if u.transport == "ws" || u.transport == "wss" {
		// sipgo dials WebSocket at the server's root; the path is the
		// server's to choose.
		path := u.cfg.WSPath
		uaOpts = append(uaOpts, sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerTransports(sip.TransportsConfig{
			WS:  &sip.TransportWS{DialURI: func(host string) string { return "ws://" + host + path }},
			WSS: &sip.TransportWSS{TransportWS: &sip.TransportWS{DialURI: func(host string) string { return "wss://" + host + path }}},
		})))
	}
	ua, err := sipgo.NewUA(uaOpts...)
	if err != nil {
		return err
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		ua.Close()
		return err
	}
	// Requests may arrive as soon as the socket is served, before the
	// client and dialog caches below exist: handlers wait for them.
	ready := make(chan struct{})
	defer close(ready)
	when := func(h func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
		return func(req *sip.Request, tx sip.ServerTransaction) {
			<-ready
			h(req, tx)
		}
	}
	srv.OnMessage(when(u.onMessage))
	srv.OnInvite(when(u.onInvite))
	srv.OnAck(when(u.onAck))
	srv.OnBye(when(u.onBye))
	srv.OnInfo(when(u.onInfo))
	srv.OnRefer(when(u.onRefer))
	srv.OnNotify(when(u.onNotify))
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	var opts []sipgo.ClientOption
	switch u.transport {
	case "udp":
		pc, err := net.ListenPacket("udp", listen)
		if err != nil {
			ua.Close()
			return fmt.Errorf("phone: listen udp %s: %w", listen, err)
		}
		u.local = pc.LocalAddr().(*net.UDPAddr).AddrPort()
		go srv.ServeUDP(pc)
		u.closer = pc.Close
		// ServeUDP registers the socket for sending from its goroutine;
		// sending before that would bind a second socket to the port.
		if err := waitConn(ua, "udp", u.local.String()); err != nil {
			pc.Close()
			ua.Close()
			return err
		}
		// Send from the listening socket, so replies and requests come
		// back to the port in Via and Contact.
		opts = append(opts, sipgo.WithClientConnectionAddr(u.local.String()))
	case "tcp":
		l, err := net.Listen("tcp", listen)
		if err != nil {
			ua.Close()
			return fmt.Errorf("phone: listen tcp %s: %w", listen, err)
		}
		u.local = l.Addr().(*net.TCPAddr).AddrPort()
		go srv.ServeTCP(l)
		u.closer = l.Close
	case "tls":
		// Servers mostly answer over the connection this phone opened;
		// for those that connect back, a self-signed certificate.
		cert, err := selfcert.New()
		if err != nil {
			ua.Close()
			return err
		}
		l, err := tls.Listen("tcp", listen, &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12})
		if err != nil {
			ua.Close()
			return fmt.Errorf("phone: listen tls %s: %w", listen, err)
		}
		u.local = l.Addr().(*net.TCPAddr).AddrPort()
		go srv.ServeTLS(l)
		u.closer = l.Close
	case "ws", "wss":
		// A WebSocket phone listens on nothing: the server sends its
		// requests back over the connection the phone opened. Contact and
		// Via name an .invalid host (RFC 7118).
		b := make([]byte, 6)
		rand.Read(b)
		u.wsHost = hex.EncodeToString(b) + ".invalid"
		u.closer = func() error { return nil }
		if ap, err := netip.ParseAddrPort(listen); err == nil {
			u.local = ap // the address media binds to
		} else {
			ua.Close()
			return fmt.Errorf("phone: listen address %q: %w", listen, err)
		}
		opts = append(opts, sipgo.WithClientHostname(u.wsHost))
	}
	if u.wsHost == "" {
		opts = append(opts, sipgo.WithClientHostname(u.local.Addr().String()))
	}
	client, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		ua.Close()
		return err
	}
	u.ua, u.client, u.server = ua, client, srv
	u.dialogs = sipgo.NewDialogClientCache(client, *u.contact())
	u.serverDialogs = sipgo.NewDialogServerCache(client, *u.contact())
	return nil
}

func waitConn(ua *sipgo.UserAgent, network, addr string) error {
	for range 500 {
		if c, err := ua.TransportLayer().GetConnection(network, addr); err == nil && c != nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("phone: the SIP socket %s did not come up", addr)
}

// LocalAddr is the SIP socket's address.
func (u *UA) LocalAddr() netip.AddrPort { return u.local }

// Events delivers registration state changes. Events the reader is too
// slow for are dropped, never blocking the phone.
func (u *UA) Events() <-chan RegEvent { return u.events }

// Messages delivers MESSAGEs received.
func (u *UA) Messages() <-chan Message { return u.messages }

// State is the registration's current state.
func (u *UA) State() RegState {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.state
}

func (u *UA) emit(e RegEvent) {
	u.mu.Lock()
	u.state = e.State
	u.mu.Unlock()
	e.At = u.clock.Now()
	select {
	case u.events <- e:
	default:
		u.log.Warn("phone: registration event dropped", "state", e.State)
	}
}

func (u *UA) contact() *sip.ContactHeader {
	c := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: u.aor.User, Host: u.local.Addr().String(), Port: int(u.local.Port())}}
	if u.wsHost != "" {
		c.Address.Host, c.Address.Port = u.wsHost, 0
	}
	if u.transport != "udp" {
		c.Address.UriParams = sip.NewParams()
		c.Address.UriParams.Add("transport", u.transport)
	}
	if u.cfg.Media == "webrtc" {
		// RFC 5768's feature tag: calls to this phone must offer ICE.
		c.Params = sip.NewParams()
		c.Params.Add("+sip.ice", "")
	}
	return c
}

// do sends a request and answers a digest challenge (401 or 407) once.
func (u *UA) do(ctx context.Context, req *sip.Request, opts ...sipgo.ClientRequestOption) (*sip.Response, error) {
	req.SetTransport(strings.ToUpper(u.transport))
	res, err := u.client.Do(ctx, req, opts...)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = u.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: u.aor.User, Password: u.cfg.Password})
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Close stops serving and releases the sockets.
func (u *UA) Close() error {
	u.closeOnce.Do(func() { close(u.closed) })
	u.server.Close()
	err := u.closer()
	u.ua.Close()
	return err
}
