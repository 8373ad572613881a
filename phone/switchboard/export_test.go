package switchboard

// Running is how many of s's call goroutines are running (for tests of
// Close).
func Running(s *Server) int64 { return s.running.Load() }
