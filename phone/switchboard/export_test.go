package switchboard

import (
	"net/netip"
	"time"
)

// Running is how many of s's call goroutines are running (for tests of
// Close).
func Running(s *Server) int64 { return s.running.Load() }

// Sources is where the device's registrations came from (for tests of
// the registrar's defences).
func Sources(s *Server, device string) []string {
	var out []string
	for _, b := range s.location.device(device) {
		out = append(out, b.Source.String())
	}
	return out
}

// Banned reports whether the address is banned now.
func Banned(s *Server, addr string) bool { return s.bans.banned(netip.MustParseAddr(addr)) }

// StreamConns is how many TCP, TLS and WebSocket connections are open.
func StreamConns(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.guards {
		n += g.Open()
	}
	return n
}

// StreamRefused is how many connections were closed on arrival for their
// address's limit.
func StreamRefused(s *Server) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, g := range s.guards {
		n += g.Refused()
	}
	return n
}

// Behind makes s's front door see work waiting lag to start, as if the
// last probes had all waited that long (0: no queue), whatever the
// probes find from now on.
func Behind(s *Server, lag time.Duration) {
	s.backlog.pinned.Store(true)
	s.backlog.standing.Store(int64(lag))
	s.backlog.until.Store(time.Now().Add(time.Hour).UnixNano())
}

// ReaderBusy makes s's front door see its UDP reader busy that share of
// its time (parts per thousand), whatever it measures from now on.
func ReaderBusy(s *Server, perMille int64) {
	s.reader.pinned.Store(true)
	s.reader.busy.Store(perMille)
}
