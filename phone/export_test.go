package phone

// AwaitingACK is how many of a call's phone's re-INVITE 2xx responses
// still repeat, waiting for their ACK (for tests of retransmission).
func AwaitingACK(c *Call) int {
	c.ua.acks.mu.Lock()
	defer c.ua.acks.mu.Unlock()
	return len(c.ua.acks.wait)
}

// EventPumps is how many calls of u still have an event queue running.
func EventPumps(u *UA) int { return int(u.pumps.Load()) }
