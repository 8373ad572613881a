package api

// HashToken is hashToken, for tests that plant invitations.
var HashToken = hashToken

// HashPeak is the most password hashes s has run at once.
func HashPeak(s *Server) int32 { return s.hashing.peak.Load() }
