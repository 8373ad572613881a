// Package embedded runs the demo phone system in-process: the system
// assembled by account/system on the demo's parts (SIP on loopback, any
// free port; the network simulator as its trunk; the account API), with
// the demo account seeded. The desktop app starts it when no server is
// configured, so a new user can call, text, top up and manage numbers and
// team with nothing else installed.
package embedded

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/system"
	"github.com/tetherphone/tether/phone/netsim"
)

// System is a running in-process phone system.
type System struct {
	API   string            // the account API's base URL, http://127.0.0.1:PORT
	SIP   string            // the switchboard's UDP address, HOST:PORT
	Users map[string]string // the demo users' emails and passwords
	Sim   *netsim.Network   // the simulated telephone network

	sys *system.System
	run *system.Running
}

// Start starts the demo phone system kept in dir; opts change how it
// serves.
func Start(ctx context.Context, dir string, log *slog.Logger, opts ...func(*system.Serve)) (*System, error) {
	p := demo.Parts(dir)
	p.Log = log
	sys, err := demo.OpenWith(ctx, p)
	if err != nil {
		return nil, err
	}
	// ws as well as udp: WebRTC media is a user's choice in Settings.
	serve := system.Serve{SIP: []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}, HTTP: "127.0.0.1:0",
		Trunk: system.Trunk{Simulator: true}}
	for _, o := range opts { // (tests: a CRM's address)
		o(&serve)
	}
	run, err := sys.Start(ctx, serve)
	if err != nil {
		sys.Close()
		return nil, err
	}
	s := &System{API: run.API, SIP: run.SIP["udp"], Sim: run.Sim, sys: sys, run: run}
	if s.Users, err = demo.ReadCredentials(dir); err != nil {
		s.Close()
		return nil, fmt.Errorf("embedded: the demo passwords: %w", err)
	}
	return s, nil
}

// Billing is the demo system's billing engine (operators' adjustments,
// tests).
func (s *System) Billing() *billing.Engine { return s.sys.Engine }

// Close stops everything.
func (s *System) Close() {
	s.run.Close()
	s.sys.Close()
}
