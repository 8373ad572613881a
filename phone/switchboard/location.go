package switchboard

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/account/team"
)

// binding is one registered phone: where a device can be reached.
type binding struct {
	Device    string // SIP user name (the AOR's user)
	Email     string // whose device
	Account   string
	Contact   sip.Uri        // as the phone gave it
	Source    netip.AddrPort // where its REGISTER came from: behind NAT, the only address that works
	Transport string         // "UDP", "TCP", "TLS"
	Expires   time.Time
	CallID    string
	CSeq      uint32
	From      string // the caller ID to present (a trunk leg: the caller's number)
	Trunk     bool   // a leg to the trunk: signed as TrunkAuth when set
	ICE       bool   // a WebRTC phone (+sip.ice in its Contact, RFC 5768): offered ICE and DTLS-SRTP
}

// maxContacts is how many bindings one device keeps.
const maxContacts = 5

// location is the location service: bindings by device.
type location struct {
	mu       sync.Mutex
	byDevice map[string][]binding
	now      func() time.Time
}

func newLocation(now func() time.Time) *location {
	return &location{byDevice: map[string][]binding{}, now: now}
}

// set adds or refreshes a binding (same device and contact), or removes it
// when it expires now.
func (l *location) set(b binding) {
	l.mu.Lock()
	defer l.mu.Unlock()
	list := l.byDevice[b.Device][:0:0]
	for _, old := range l.byDevice[b.Device] {
		if old.Contact.String() != b.Contact.String() && old.Expires.After(l.now()) {
			list = append(list, old)
		}
	}
	if b.Expires.After(l.now()) {
		list = append(list, b)
	}
	// A device is one phone: a few contacts at most (a new one after a
	// network change while the old has not expired). The oldest go first.
	if len(list) > maxContacts {
		list = list[len(list)-maxContacts:]
	}
	if len(list) == 0 {
		delete(l.byDevice, b.Device)
		return
	}
	l.byDevice[b.Device] = list
}

// clear removes all of a device's bindings (Contact: *).
func (l *location) clear(device string) {
	l.mu.Lock()
	delete(l.byDevice, device)
	l.mu.Unlock()
}

// device returns a device's live bindings.
func (l *location) device(device string) []binding {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []binding
	for _, b := range l.byDevice[device] {
		if b.Expires.After(l.now()) {
			out = append(out, b)
		}
	}
	return out
}

// user returns the live bindings of every device of a user, newest first.
func (l *location) user(email string) []binding {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []binding
	for _, list := range l.byDevice {
		for _, b := range list {
			if b.Email == email && b.Expires.After(l.now()) {
				out = append(out, b)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Expires.After(out[j].Expires) })
	return out
}

// registrationStore keeps bindings across restarts (team.Store does).
type registrationStore interface {
	SetRegistrations(ctx context.Context, device string, rs []team.Registration) error
	Registrations(ctx context.Context, now time.Time) ([]team.Registration, error)
}

// loadRegistrations fills the location service from the store, if the
// directory keeps registrations.
func (s *Server) loadRegistrations() error {
	rs, ok := s.cfg.Directory.(registrationStore)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := rs.Registrations(ctx, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("switchboard: reading registrations: %w", err)
	}
	for _, r := range list {
		var contact sip.Uri
		src, err := netip.ParseAddrPort(r.Source)
		if sip.ParseUri(r.Contact, &contact) != nil || err != nil {
			s.log.Warn("switchboard: a stored registration does not read", "device", r.Device, "contact", r.Contact)
			continue
		}
		s.location.set(binding{Device: r.Device, Email: r.Email, Account: r.Account, Contact: contact, Source: src,
			Transport: r.Transport, Expires: r.Expires, ICE: r.ICE})
	}
	if len(list) > 0 {
		s.log.Info("switchboard: registrations restored", "count", len(list))
	}
	return nil
}

// saveRegistrations writes a device's bindings as they are now.
func (s *Server) saveRegistrations(device string) {
	rs, ok := s.cfg.Directory.(registrationStore)
	if !ok {
		return
	}
	var out []team.Registration
	for _, b := range s.location.device(device) {
		out = append(out, team.Registration{Device: b.Device, Contact: b.Contact.String(), Email: b.Email, Account: b.Account,
			Source: b.Source.String(), Transport: b.Transport, Expires: b.Expires, ICE: b.ICE})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rs.SetRegistrations(ctx, device, out); err != nil {
		s.log.Error("switchboard: saving a registration", "device", device, "err", err)
	}
}

// regSaver writes registrations behind the registrar: a REGISTER is
// answered from memory at once, and the devices it changed are written
// a moment later, many in one commit. A crash loses at most that moment
// (phones register again); a graceful stop writes everything first.
type regSaver struct {
	mu    sync.Mutex
	dirty map[string]struct{}
	kick  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

func (s *Server) startSaver() {
	if _, ok := s.cfg.Directory.(registrationStore); !ok {
		return
	}
	v := &s.saver
	v.dirty, v.kick, v.stop, v.done = map[string]struct{}{}, make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(v.done)
		for {
			select {
			case <-v.kick:
				time.Sleep(50 * time.Millisecond) // gather the devices of the moment
				s.flushRegistrations()
			case <-v.stop:
				s.flushRegistrations()
				return
			}
		}
	}()
}

func (s *Server) stopSaver() {
	if s.saver.stop != nil {
		close(s.saver.stop)
		<-s.saver.done
	}
}

// markDirty queues a device's bindings for writing.
func (s *Server) markDirty(device string) {
	v := &s.saver
	if v.kick == nil { // (set once, before any request: no registrations kept)
		return
	}
	v.mu.Lock()
	v.dirty[device] = struct{}{}
	v.mu.Unlock()
	select {
	case v.kick <- struct{}{}:
	default:
	}
}

// flushRegistrations writes every queued device, several at a time so the
// store's group commit takes them together.
func (s *Server) flushRegistrations() {
	v := &s.saver
	v.mu.Lock()
	devices := v.dirty
	v.dirty = map[string]struct{}{}
	v.mu.Unlock()
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for d := range devices {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.saveRegistrations(d)
		}()
	}
	wg.Wait()
}
