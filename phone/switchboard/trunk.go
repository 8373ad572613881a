package switchboard

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TrunkAuth is a carrier account the switchboard registers with and signs
// its calls as, for trunks that want registration rather than (or as well
// as) the switchboard's address.
type TrunkAuth struct {
	User, Password string
	Expires        time.Duration // asked for; 300 s when zero
}

// ParseTrunk reads a trunk's address as an operator writes it: HOST:PORT
// (a carrier that knows the switchboard by its address), or
// sip:USER:PASSWORD@HOST:PORT (a carrier that wants it to register).
func ParseTrunk(v string) (netip.AddrPort, *TrunkAuth, error) {
	if a, err := netip.ParseAddrPort(v); err == nil {
		return a, nil, nil
	}
	u, err := url.Parse(v)
	if err == nil && u.Scheme == "sip" && u.Opaque != "" {
		// sip:user:pass@host:port parses as opaque; read it as sip://...
		u, err = url.Parse("sip://" + u.Opaque)
	}
	if err != nil || u.User == nil || u.User.Username() == "" {
		return netip.AddrPort{}, nil, fmt.Errorf("%w: trunk %q is not HOST:PORT or sip:USER:PASSWORD@HOST:PORT", ErrConfig, v)
	}
	a, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		return netip.AddrPort{}, nil, fmt.Errorf("%w: trunk %q: the carrier's address must be IP:PORT", ErrConfig, v)
	}
	pw, _ := u.User.Password()
	return a, &TrunkAuth{User: u.User.Username(), Password: pw}, nil
}

// trunkState is the registration with the carrier.
type trunkState struct {
	registered atomic.Bool
	stop       context.CancelFunc
	done       chan struct{}
}

// TrunkRegistered reports whether the switchboard holds a registration
// with its trunk (always false for trunks without TrunkAuth).
func (s *Server) TrunkRegistered() bool { return s.trunkReg.registered.Load() }

func (s *Server) trunkAuth() *TrunkAuth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.TrunkAuth
}

// SetTrunkAuth registers with the trunk as a (see Config.TrunkAuth),
// from now on.
func (s *Server) SetTrunkAuth(a *TrunkAuth) {
	s.stopTrunkRegistration()
	s.mu.Lock()
	s.cfg.TrunkAuth = a
	s.mu.Unlock()
	s.startTrunkRegistration()
}

// startTrunkRegistration keeps the switchboard registered with its trunk:
// again at half the granted time, and every 30 s after a failure.
func (s *Server) startTrunkRegistration() {
	a := s.trunkAuth()
	if a == nil || a.User == "" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.trunkReg.stop, s.trunkReg.done = cancel, make(chan struct{})
	go func() {
		defer close(s.trunkReg.done)
		for {
			wait := 30 * time.Second
			granted, err := s.registerTrunk(ctx, a)
			switch {
			case err == nil:
				s.trunkReg.registered.Store(true)
				wait = max(granted/2, 5*time.Second)
			default:
				s.trunkReg.registered.Store(false)
				s.log.Warn("switchboard: registering with the trunk", "trunk", s.trunk(), "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-s.cfg.Clock.After(wait):
			}
		}
	}()
}

func (s *Server) stopTrunkRegistration() {
	if s.trunkReg.stop != nil {
		s.trunkReg.stop()
		<-s.trunkReg.done
	}
}

// registerTrunk sends one REGISTER (answering the digest challenge) and
// returns the time granted.
func (s *Server) registerTrunk(ctx context.Context, a *TrunkAuth) (time.Duration, error) {
	trunk := s.trunk()
	udp, ok := s.Addr("udp")
	if !trunk.IsValid() || !ok {
		return 0, fmt.Errorf("no trunk address, or no udp listener")
	}
	expires := a.Expires
	if expires <= 0 {
		expires = 300 * time.Second
	}
	host := trunk.Addr().String()
	aor := sip.Uri{Scheme: "sip", User: a.User, Host: host, Port: int(trunk.Port())}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: int(trunk.Port())})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: a.User, Host: udp.Addr().String(), Port: int(udp.Port())}})
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(int(expires.Seconds()))))
	req.SetTransport("UDP")
	req.SetDestination(trunk.String())
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	res, err := s.client.Do(ctx, s.fromListener(req))
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = s.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: a.User, Password: a.Password})
	}
	if err != nil {
		return 0, err
	}
	if !res.IsSuccess() {
		return 0, fmt.Errorf("%d %s", res.StatusCode, res.Reason)
	}
	granted := expires
	if h := res.GetHeader("Expires"); h != nil {
		if d, ok := parseSeconds(h.Value()); ok && d > 0 {
			granted = d
		}
	}
	return granted, nil
}
