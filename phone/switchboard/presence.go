package switchboard

// Presence, as the switchboard sees it: a rep about to transfer a call
// should see which teammates are on a call already. The account API shows
// it with the team (api.Config.Presence).

// Presence states.
const (
	PresenceOnline = "online"    // a phone registered, not on a call
	PresenceOnCall = "on a call" // a party to a call in progress (ringing out, or answered)
)

// Presence returns the account's users who are online or on a call, by
// email; anyone else is offline.
func (s *Server) Presence(account string) map[string]string {
	out := map[string]string{}
	l := s.location
	l.mu.Lock()
	now := l.now()
	for _, list := range l.byDevice {
		for _, b := range list {
			if b.Account == account && b.Expires.After(now) {
				out[b.Email] = PresenceOnline
			}
		}
	}
	l.mu.Unlock()
	s.calls.mu.Lock()
	cs := make([]*call, 0, len(s.calls.active))
	for c := range s.calls.active {
		cs = append(cs, c)
	}
	s.calls.mu.Unlock()
	for _, c := range cs {
		c.mu.Lock()
		parties, acct := []string{c.caller.Email, c.calleeEmail}, c.caller.Account
		c.mu.Unlock()
		if acct != account {
			continue
		}
		for _, p := range parties {
			if p != "" {
				out[p] = PresenceOnCall
			}
		}
	}
	return out
}
