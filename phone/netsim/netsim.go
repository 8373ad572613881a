// Package netsim is the telephone network in a box, for the demo: a SIP
// endpoint the switchboard uses as its trunk when there is no carrier. It
// answers any number it is called on, plays a short prompt, then echoes
// what it hears until the caller hangs up; and it answers texts. So the
// product can be tried, external calls, billing and all, with nothing else
// installed. It is a real SIP peer (a phone.UA), not a shortcut inside the
// switchboard.
package netsim

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/media"
)

// Prompt is what a call hears first: three rising notes (E5, G5, C6), 150
// ms each, then 100 ms of quiet.
var Prompt = []float64{659.25, 783.99, 1046.5}

const noteLen = 150 * time.Millisecond

// Config sets up the simulator.
type Config struct {
	// Switchboard is the switchboard's SIP address (HOST:PORT, UDP): where
	// replies to texts go.
	Switchboard netip.AddrPort
	// Listen is the simulator's own SIP address; "127.0.0.1:0" when empty.
	Listen string
	Log    *slog.Logger
}

// Network is a running simulator.
type Network struct {
	ua     *phone.UA
	log    *slog.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	calls  int
	texts  int
	last   string // the caller shown on the last call offered
}

// LastCaller is the caller the network saw on the last call offered to it
// (the From header: the number the switchboard presented).
func (n *Network) LastCaller() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.last
}

// Start starts the simulator.
func Start(cfg Config) (*Network, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ua, err := phone.New(phone.Config{User: fmt.Sprintf("sip:network@%s", cfg.Switchboard), Listen: cfg.Listen,
		Transport: "udp", KeepAlive: -1, UserAgent: "Tether network simulator"})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Network{ua: ua, log: cfg.Log, cancel: cancel}
	n.wg.Add(2)
	go n.answerCalls(ctx)
	go n.answerTexts(ctx)
	return n, nil
}

// Addr is the simulator's SIP address: the switchboard's trunk.
func (n *Network) Addr() netip.AddrPort { return n.ua.LocalAddr() }

// Stats returns how many calls and texts the simulator has answered.
func (n *Network) Stats() (calls, texts int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.calls, n.texts
}

// Call places a call from an outside number to one of the switchboard's
// numbers, as the telephone network would: the demo's way to ring the
// team, and the tests' way to call in.
func (n *Network) Call(ctx context.Context, from, to string) (*phone.Call, error) {
	return n.ua.Dial(ctx, to, phone.As(from))
}

// Close hangs up every call and stops.
func (n *Network) Close() error {
	n.cancel()
	err := n.ua.Close()
	n.wg.Wait()
	return err
}

func (n *Network) answerCalls(ctx context.Context) {
	defer n.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case in := <-n.ua.Incoming():
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				n.serve(ctx, in)
			}()
		}
	}
}

// serve answers one call: the prompt, then the echo, until either side
// hangs up.
func (n *Network) serve(ctx context.Context, in *phone.Incoming) {
	// The caller is noted before answering, so that whoever sees the
	// answer also sees it here.
	n.mu.Lock()
	n.last = in.Remote()
	n.mu.Unlock()
	if err := in.Answer(ctx); err != nil {
		n.log.Warn("netsim: answering", "err", err)
		return
	}
	n.mu.Lock()
	n.calls++
	n.mu.Unlock()
	m := in.Media()
	rate := m.FrameSize() * 50
	var prompt []int16
	for _, f := range Prompt {
		note := make([]int16, rate*int(noteLen/time.Millisecond)/1000)
		audio.Sine(note, f, rate, 9000, 0)
		prompt = append(prompt, note...)
	}
	prompt = append(prompt, make([]int16, rate/10)...)
	media.Pump(ctx, m, &media.PCMSource{Samples: prompt}, nil, true, in.Done())
	e := &media.Echo{}
	media.Pump(ctx, m, e, e, false, in.Done())
	select {
	case <-in.Done():
	default:
		in.Hangup(context.Background())
	}
}

// answerTexts replies to every text.
func (n *Network) answerTexts(ctx context.Context) {
	defer n.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-n.ua.Messages():
			n.mu.Lock()
			n.texts++
			n.mu.Unlock()
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				n.reply(ctx, m)
			}()
		}
	}
}

// Reply is what the simulator answers a text with.
func Reply(text string) string {
	if len([]rune(text)) > 40 {
		text = string([]rune(text)[:40]) + "..."
	}
	return fmt.Sprintf("Auto-reply: got your message %q", text)
}

// reply answers a text from the number it was sent to, back through the
// switchboard.
func (n *Network) reply(ctx context.Context, m phone.Message) {
	var to, from sip.Uri
	if sip.ParseUri(m.To, &to) != nil || sip.ParseUri(m.From, &from) != nil || from.User == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := n.ua.SendMessageAs(ctx, to.User, from.User, Reply(m.Text)); err != nil {
		n.log.Warn("netsim: replying to a text", "to", from.User, "err", err)
	}
}
