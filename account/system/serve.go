package system

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/crm"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/phone/netguard"
	"github.com/tetherphone/tether/phone/netsim"
	"github.com/tetherphone/tether/phone/switchboard"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// Trunk is where calls to outside numbers go.
type Trunk struct {
	// Simulator runs the built-in network simulator as the trunk (it needs
	// a udp:// listener): any number answers with a short prompt and then
	// echoes. For the demo and tests; it reaches nobody real.
	Simulator bool
	// Addr is a carrier's SIP trunk (UDP); invalid and no simulator: no
	// outside calls.
	Addr netip.AddrPort
	// Auth, when set, registers with the carrier as this account.
	Auth *switchboard.TrunkAuth
}

// Serve says how a running system listens.
type Serve struct {
	SIP  []string    // SIP listen URIs (udp://, tcp://, tls://, ws://, wss://); port 0 picks one
	TLS  *tls.Config // for tls:// and wss://
	HTTP string      // the account API's listen address, HOST:PORT
	// Realm is the digest realm ("tether" when empty).
	Realm string
	Trunk Trunk
	// PhoneMedia is what signed-in phones are told to use, "rtp" (the
	// default) or "webrtc" (which needs a ws:// or wss:// listener); ICE
	// lists the STUN and TURN servers for WebRTC legs, as URLs.
	PhoneMedia string
	ICE        []string
	// Webhooks are payment processors' event endpoints by path.
	Webhooks map[string]http.Handler
	// SweepEvery is how often open reservations are expired, unknown
	// top-ups reconciled and the rate decks re-read (a minute when 0).
	SweepEvery time.Duration
	// HTTPRead bounds reading one API request, head and body (30 s when
	// 0): a client trickling bytes is cut off. HTTPPerAddr is how many
	// API connections one address may hold (256 when 0).
	HTTPRead    time.Duration
	HTTPPerAddr int
	// CheckpointEvery is how often calls in progress are noted, so that a
	// crash costs a call's charge at most that much (5 s when 0).
	CheckpointEvery time.Duration
	// NoAnswer is how long a number's call rings before voicemail (25 s
	// when 0).
	NoAnswer time.Duration
	// Mail sends the system's emails (sign-up codes, invitations); nil:
	// they are written to DIR/outbox as .eml files.
	Mail mail.Sender
	// SignupClosed turns self-serve sign-up off: the operator opens
	// accounts (switchboard accounts create).
	SignupClosed bool
	// PublicURL is the account API as people reach it (behind a proxy,
	// https://phone.example.com), for the links in emails; empty: the
	// address it listens on.
	PublicURL string
	// WebhooksAnywhere lets accounts' webhooks post over plain http and
	// to private addresses; HooksEvery is how often due deliveries are
	// made (2 s when 0).
	WebhooksAnywhere bool
	HooksEvery       time.Duration
	// CRMOAuth are the OAuth apps accounts sign in to their CRMs with,
	// by kind (crm.KindHubSpot); without one, a CRM is connected with a
	// token. CRMAPIs point a kind at another address than the vendor's
	// (a sandbox; tests). The credentials are sealed with DIR/crm.key.
	CRMOAuth map[string]crm.OAuth
	CRMAPIs  map[string]string
}

// mailer is where the system's emails go: Mail, else DIR/outbox.
func (cfg Serve) mailer(dir string) mail.Sender {
	if cfg.Mail != nil {
		return cfg.Mail
	}
	return mail.Dir{Path: filepath.Join(dir, "outbox")}
}

// Running is a system serving phones and the API.
type Running struct {
	API   string            // the account API's base URL, http://HOST:PORT
	SIP   map[string]string // bound SIP addresses by transport ("udp" -> "127.0.0.1:5060")
	Sim   *netsim.Network   // the simulated network, when it is the trunk
	Trunk netip.AddrPort    // where outside calls go; invalid: nowhere

	Switchboard *switchboard.Server

	http   *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// ErrServe means a Serve configuration is unusable (an operator's flag is
// wrong), as opposed to a failure to start.
var ErrServe = errors.New("system: bad configuration")

// Start starts the switchboard, its trunk, the account API and the
// periodic sweep on the open system. Close the Running before the System.
func (s *System) Start(ctx context.Context, cfg Serve) (*Running, error) {
	if cfg.Realm == "" {
		cfg.Realm = "tether"
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = time.Minute
	}
	switch cfg.PhoneMedia {
	case "":
		cfg.PhoneMedia = "rtp"
	case "rtp", "webrtc":
	default:
		return nil, fmt.Errorf("%w: phone media %q: rtp or webrtc", ErrServe, cfg.PhoneMedia)
	}
	var ice []webrtcgw.ICEServer
	for _, u := range cfg.ICE {
		is, err := webrtcgw.ParseICEServer(u)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrServe, err)
		}
		ice = append(ice, is)
	}
	log := s.Parts.Log
	sender := cfg.mailer(s.Dir())
	s.mail.Store(&sender)
	sb, err := switchboard.New(switchboard.Config{Realm: cfg.Realm, Listen: cfg.SIP, TLS: cfg.TLS, Directory: s.Store, Billing: SwitchboardBilling(s.Engine),
		Records: s.Store, VoicemailDir: s.Dir(), ICEServers: ice, Log: log, Now: s.Parts.Clock, CheckpointEvery: cfg.CheckpointEvery, NoAnswer: cfg.NoAnswer})
	if err != nil {
		if errors.Is(err, switchboard.ErrConfig) {
			return nil, fmt.Errorf("%w: %v", ErrServe, err)
		}
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Running{Switchboard: sb, SIP: map[string]string{}, cancel: cancel}
	fail := func(err error) (*Running, error) {
		r.Close()
		return nil, err
	}
	for _, n := range []string{"udp", "tcp", "tls", "ws", "wss"} {
		if a, ok := sb.Addr(n); ok {
			r.SIP[n] = a.String()
		}
	}
	if cfg.PhoneMedia == "webrtc" && r.SIP["ws"] == "" && r.SIP["wss"] == "" {
		return fail(fmt.Errorf("%w: phones on WebRTC media need a ws:// or wss:// SIP listener", ErrServe))
	}
	switch {
	case cfg.Trunk.Simulator:
		udp, ok := sb.Addr("udp")
		if !ok {
			return fail(fmt.Errorf("%w: the network simulator needs a udp:// SIP listener", ErrServe))
		}
		if r.Sim, err = netsim.Start(netsim.Config{Switchboard: udp, Log: log}); err != nil {
			return fail(err)
		}
		r.Trunk = r.Sim.Addr()
		sb.SetTrunk(r.Trunk)
	case cfg.Trunk.Addr.IsValid():
		r.Trunk = cfg.Trunk.Addr
		sb.SetTrunk(r.Trunk)
		if cfg.Trunk.Auth != nil {
			sb.SetTrunkAuth(cfg.Trunk.Auth)
		}
	}
	l, err := net.Listen("tcp", cfg.HTTP)
	if err != nil {
		return fail(err)
	}
	r.API = "http://" + l.Addr().String()
	read := cmp.Or(cfg.HTTPRead, 30*time.Second)
	guarded := netguard.Listen(l, netguard.Options{PerAddr: cmp.Or(cfg.HTTPPerAddr, 256)})
	key, err := crm.LoadKey(filepath.Join(s.Dir(), "crm.key"))
	if err != nil {
		return fail(err)
	}
	sealer, err := crm.NewSealer(key)
	if err != nil {
		return fail(err)
	}
	crmSync := &crm.Sync{Store: s.Store, Sealer: sealer, OAuth: cfg.CRMOAuth, APIs: cfg.CRMAPIs, Now: s.Parts.Clock, Log: log,
		Recordings: &crm.Recordings{Base: cmp.Or(cfg.PublicURL, r.API), Key: crm.DeriveKey(key, "recording links"), Now: s.Parts.Clock}}
	r.http = &http.Server{Handler: api.New(api.Config{CRM: crmSync, Users: s.Store, Billing: s.Engine, Records: s.Store, DataDir: s.Dir(),
		Realm: cfg.Realm, SIP: r.SIP, PhoneMedia: cfg.PhoneMedia, ICE: cfg.ICE, Catalog: s.Catalog, Webhooks: cfg.Webhooks,
		Log: log, Now: s.Parts.Clock, Presence: sb, Dialer: sb, Mail: sender,
		SignupClosed: cfg.SignupClosed, PublicURL: cmp.Or(cfg.PublicURL, r.API), WebhooksAnywhere: cfg.WebhooksAnywhere}),
		ReadHeaderTimeout: min(read, 10*time.Second), ReadTimeout: read, WriteTimeout: 2 * read, IdleTimeout: 4 * read,
		MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	r.wg.Add(3)
	go func() {
		defer r.wg.Done()
		r.http.Serve(guarded)
	}()
	go func() {
		defer r.wg.Done()
		d := &hooks.Deliverer{Store: s.Store, Now: s.Parts.Clock, Log: log, Targets: map[string]hooks.Target{"crm": crmSync}, Disabled: func(ctx context.Context, x hooks.Due) {
			if kind, ok := strings.CutPrefix(x.URL, "crm:"); ok {
				s.emailOwner(ctx, x.Account, "crm-disabled", fmt.Sprintf("Tether stopped logging calls and texts in your CRM (%s): "+
					"for three days every attempt failed (Settings > Integrations shows the last error). What happened since is kept: "+
					"connect it again in Settings > Integrations, then replay what it missed from its delivery log (GET /v1/webhooks/%s/deliveries).", kind, x.Webhook))
				return
			}
			s.emailOwner(ctx, x.Account, "webhook-disabled", fmt.Sprintf("Tether stopped sending events to %s: "+
				"for three days it answered nothing but errors. Deliveries since are kept; turn it on again by subscribing it anew "+
				"(Settings, or POST /v1/webhooks), and replay what it missed from its delivery log.", x.URL))
		}}
		d.Run(ctx, cmp.Or(cfg.HooksEvery, 2*time.Second))
	}()
	go func() {
		defer r.wg.Done()
		s.sweep(ctx, cfg.SweepEvery)
	}()
	return r, nil
}

// sweep expires the reservations of calls that stopped settling, finishes
// top-ups whose outcome the processor had not told, and picks up rate
// decks imported by another process, every period until ctx ends.
func (s *System) sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Engine.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.Parts.Log.Warn("system: sweep", "err", err)
		}
		if _, err := s.ReloadRates(ctx); err != nil && ctx.Err() == nil {
			s.Parts.Log.Error("system: rate decks", "err", err)
		}
	}
}

// Close stops the API (letting requests in flight finish, 2 s at most),
// the trunk, the switchboard (its calls hung up, 4 s at most) and the
// sweep: under 10 s at any load.
func (r *Running) Close() {
	r.once.Do(func() {
		r.cancel()
		if r.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			r.http.Shutdown(ctx)
			cancel()
		}
		if r.Sim != nil {
			r.Sim.Close()
		}
		r.Switchboard.Close()
		r.wg.Wait()
	})
}
