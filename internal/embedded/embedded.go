// Package embedded runs a whole phone system in-process on the demo
// account: the billing system, the switchboard (SIP on loopback, any
// free port), the network simulator as its trunk, and the account API.
// The desktop app starts it when no server is configured, so a new user
// can call, text, top up and manage numbers and team with nothing else
// installed.
package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/phone/netsim"
	"github.com/tetherphone/tether/phone/switchboard"
)

// System is a running in-process phone system.
type System struct {
	API   string            // the account API's base URL, http://127.0.0.1:PORT
	SIP   string            // the switchboard's UDP address, HOST:PORT
	Users map[string]string // the demo users' emails and passwords
	Sim   *netsim.Network   // the simulated telephone network

	sys  *demo.System
	sb   *switchboard.Server
	http *http.Server
}

// Start starts the demo phone system kept in dir.
func Start(ctx context.Context, dir string, log *slog.Logger) (*System, error) {
	if log == nil {
		log = slog.Default()
	}
	sys, err := demo.OpenWith(ctx, dir, demo.Options{Demo: true})
	if err != nil {
		return nil, err
	}
	s := &System{sys: sys, Users: map[string]string{}}
	fail := func(err error) (*System, error) {
		s.Close()
		return nil, err
	}
	s.sb, err = switchboard.New(switchboard.Config{Listen: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}, Directory: sys.Store, Billing: sys.Engine,
		Records: sys.Store, VoicemailDir: dir, Log: log})
	if err != nil {
		return fail(err)
	}
	udp, _ := s.sb.Addr("udp")
	ws, _ := s.sb.Addr("ws") // for WebRTC phones (a user's choice in Settings)
	s.SIP = udp.String()
	if s.Sim, err = netsim.Start(netsim.Config{Switchboard: udp, Log: log}); err != nil {
		return fail(err)
	}
	s.sb.SetTrunk(s.Sim.Addr())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	s.API = "http://" + l.Addr().String()
	s.http = &http.Server{Handler: api.New(api.Config{Users: sys.Store, Billing: sys.Engine, Records: sys.Store, DataDir: dir,
		Realm: "tether", SIP: map[string]string{"udp": s.SIP, "ws": ws.String()}, Log: log}), ReadHeaderTimeout: 10 * time.Second}
	go s.http.Serve(l)
	if s.Users, err = demo.ReadCredentials(dir); err != nil {
		return fail(fmt.Errorf("embedded: the demo passwords: %w", err))
	}
	return s, nil
}

// Billing is the demo system's billing engine (operators' adjustments,
// tests).
func (s *System) Billing() *billing.Engine { return s.sys.Engine }

// Close stops everything.
func (s *System) Close() {
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.http.Shutdown(ctx)
		cancel()
	}
	if s.Sim != nil {
		s.Sim.Close()
	}
	if s.sb != nil {
		s.sb.Close()
	}
	s.sys.Close()
}
