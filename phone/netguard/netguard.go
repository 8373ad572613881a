// Package netguard keeps a stream listener (SIP over TCP, TLS and
// WebSocket; the HTTP API) usable when someone opens connections and
// leaves them idle, or trickles bytes: each source address may hold only
// so many connections at once (more are closed as they arrive), a
// connection that stays silent too long is closed, and the slow first
// steps of a connection (a TLS handshake, a WebSocket upgrade request)
// happen beside the accept loop, each with its own deadline, so one slow
// client never holds up the others.
//
// A connection can be trusted (Listener.Trust), once it has carried a
// request that authenticated: from then on it may stay quiet longer (a
// registered phone needs to send nothing but its next REGISTER).
package netguard

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Options bound a listener's connections.
type Options struct {
	// PerAddr is how many connections one source address may hold at
	// once (0: unlimited).
	PerAddr int
	// Idle is how long a connection may go without sending a byte
	// (0: forever); TrustedIdle the same once trusted (0: Idle).
	Idle, TrustedIdle time.Duration
	// Setup bounds the first steps below (10 s when 0).
	Setup time.Duration
	// TLS, when set, makes the listener do the TLS handshake itself.
	TLS *tls.Config
	// HTTPHead has the listener read the client's first request head
	// (up to the blank line) before handing the connection on: for a
	// WebSocket upgrade done inline by the server's accept loop.
	HTTPHead bool
}

// Listener is a guarded net.Listener.
type Listener struct {
	inner net.Listener
	opts  Options

	mu    sync.Mutex
	open  map[netip.Addr]int
	conns map[netip.AddrPort]*Conn

	ready  chan net.Conn
	errc   chan error
	closed chan struct{}
	once   sync.Once

	refused atomic.Int64
}

// Listen wraps l.
func Listen(l net.Listener, o Options) *Listener {
	if o.Setup <= 0 {
		o.Setup = 10 * time.Second
	}
	if o.TrustedIdle <= 0 {
		o.TrustedIdle = o.Idle
	}
	g := &Listener{inner: l, opts: o, open: map[netip.Addr]int{}, conns: map[netip.AddrPort]*Conn{},
		ready: make(chan net.Conn), errc: make(chan error, 1), closed: make(chan struct{})}
	go g.loop()
	return g
}

func (g *Listener) loop() {
	for {
		c, err := g.inner.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			g.errc <- err
			return
		}
		ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		g.mu.Lock()
		if g.opts.PerAddr > 0 && g.open[ap.Addr()] >= g.opts.PerAddr {
			g.mu.Unlock()
			g.refused.Add(1)
			c.Close()
			continue
		}
		g.open[ap.Addr()]++
		gc := &Conn{Conn: c, g: g, remote: ap}
		g.conns[ap] = gc
		g.mu.Unlock()
		go g.setup(gc)
	}
}

// setup runs a new connection's first steps, then hands it to Accept.
func (g *Listener) setup(c *Conn) {
	if g.opts.TLS != nil || g.opts.HTTPHead {
		c.Conn.SetDeadline(time.Now().Add(g.opts.Setup))
		if g.opts.TLS != nil {
			t := tls.Server(c.Conn, g.opts.TLS)
			if err := t.Handshake(); err != nil {
				c.Close()
				return
			}
			c.Conn = t
		}
		if g.opts.HTTPHead {
			head, err := readHead(c.Conn)
			if err != nil {
				c.Close()
				return
			}
			c.prefix = head
		}
		c.Conn.SetDeadline(time.Time{})
	}
	select {
	case g.ready <- c:
	case <-g.closed:
		c.Close()
	}
}

// readHead reads up to and including the first blank line (at most 16
// KiB), one byte at a time so nothing after it is taken.
func readHead(c net.Conn) ([]byte, error) {
	var head []byte
	b := make([]byte, 1)
	for len(head) < 16<<10 {
		if _, err := c.Read(b); err != nil {
			return nil, err
		}
		head = append(head, b[0])
		if bytes.HasSuffix(head, []byte("\r\n\r\n")) {
			return head, nil
		}
	}
	return nil, errors.New("netguard: request head over 16 KiB")
}

// Accept returns the next connection that is through its first steps.
func (g *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-g.ready:
		return c, nil
	case err := <-g.errc:
		g.errc <- err // every later Accept fails alike
		return nil, err
	case <-g.closed:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; connections already handed on stay open.
func (g *Listener) Close() error {
	g.once.Do(func() { close(g.closed) })
	return g.inner.Close()
}

// Addr is the listening address.
func (g *Listener) Addr() net.Addr { return g.inner.Addr() }

// Trust lets the connection from remote (if it is one of ours) stay quiet
// for TrustedIdle from now on.
func (g *Listener) Trust(remote netip.AddrPort) {
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	g.mu.Lock()
	c := g.conns[remote]
	g.mu.Unlock()
	if c != nil && !c.trusted.Swap(true) {
		c.Conn.SetReadDeadline(c.deadline()) // a read may be waiting
	}
}

// Open is how many connections are open now; Refused how many were
// closed on arrival for their address's limit.
func (g *Listener) Open() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// Refused is how many connections were closed on arrival, their address
// holding its limit.
func (g *Listener) Refused() int64 { return g.refused.Load() }

// Conn is a guarded connection.
type Conn struct {
	net.Conn
	g       *Listener
	remote  netip.AddrPort
	prefix  []byte // read ahead during setup, returned first
	trusted atomic.Bool
	set     atomic.Value // time.Time: the server's own read deadline
	once    sync.Once
}

// Read reads with the idle deadline renewed.
func (c *Conn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	c.Conn.SetReadDeadline(c.deadline())
	return c.Conn.Read(b)
}

// deadline is the earlier of the idle deadline from now and one set by
// the server (zero: none).
func (c *Conn) deadline() time.Time {
	idle := c.g.opts.Idle
	if c.trusted.Load() {
		idle = c.g.opts.TrustedIdle
	}
	var d time.Time
	if idle > 0 {
		d = time.Now().Add(idle)
	}
	if set, _ := c.set.Load().(time.Time); !set.IsZero() && (d.IsZero() || set.Before(d)) {
		d = set
	}
	return d
}

// SetReadDeadline keeps the server's own deadline (an HTTP server's
// timeouts, or its way of stopping a pending read), within the idle one.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.set.Store(t)
	return c.Conn.SetReadDeadline(c.deadline())
}

// SetDeadline is SetReadDeadline and SetWriteDeadline.
func (c *Conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.Conn.SetWriteDeadline(t)
}

// Close closes the connection and frees its place.
func (c *Conn) Close() error {
	c.once.Do(func() {
		g := c.g
		g.mu.Lock()
		if g.open[c.remote.Addr()]--; g.open[c.remote.Addr()] <= 0 {
			delete(g.open, c.remote.Addr())
		}
		if g.conns[c.remote] == c {
			delete(g.conns, c.remote)
		}
		g.mu.Unlock()
	})
	return c.Conn.Close()
}
