package switchboard

import "net/netip"

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
