package switchboard

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/tetherphone/tether/phone/sdp"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// WebRTC phones (SIP over WebSocket with ICE and DTLS-SRTP media, as
// browsers and the softphone in WebRTC mode send it) are bridged through a
// gateway per leg: the gateway speaks WebRTC to the phone and plain RTP to
// the rest of the switchboard, so the relay, the meter, recording, menus
// and voicemail treat the leg like any other.

// gateways are the live WebRTC legs, closed with the server.
type gateways struct {
	mu  sync.Mutex
	set map[*webrtcgw.Gateway]struct{}
}

// newGateway opens a WebRTC leg whose host candidates are on ip (every
// address when ip is unspecified). It closes itself when the phone goes
// away (ICE fails); calls close it sooner when they end.
func (s *Server) newGateway(ip netip.Addr) (*webrtcgw.Gateway, error) {
	cfg := webrtcgw.Config{ICEServers: s.cfg.ICEServers, PlainIP: ip, Log: s.log}
	if !ip.IsUnspecified() {
		cfg.IPs = []netip.Addr{ip}
	} else {
		cfg.PlainIP = netip.MustParseAddr("127.0.0.1")
	}
	g, err := webrtcgw.New(cfg)
	if err != nil {
		return nil, err
	}
	s.gws.mu.Lock()
	if s.gws.set == nil {
		s.gws.set = map[*webrtcgw.Gateway]struct{}{}
	}
	s.gws.set[g] = struct{}{}
	s.gws.mu.Unlock()
	s.spawn(func() {
		<-g.Failed()
		g.Close()
		s.gws.mu.Lock()
		delete(s.gws.set, g)
		s.gws.mu.Unlock()
	})
	return g, nil
}

// WebRTCLegs returns how many WebRTC legs are open now.
func (s *Server) WebRTCLegs() int {
	s.gws.mu.Lock()
	defer s.gws.mu.Unlock()
	return len(s.gws.set)
}

// failed is a leg's gateway's Failed channel; nil (never ready) for a leg
// without one.
func failed(gw *webrtcgw.Gateway) <-chan struct{} {
	if gw == nil {
		return nil
	}
	return gw.Failed()
}

// closeGateways ends every WebRTC leg (the server stops).
func (s *Server) closeGateways() {
	s.gws.mu.Lock()
	var all []*webrtcgw.Gateway
	for g := range s.gws.set {
		all = append(all, g)
	}
	s.gws.mu.Unlock()
	for _, g := range all {
		g.Close()
	}
}

// rtcTx is the INVITE transaction of a WebRTC caller: whatever answer the
// switchboard writes for the caller (plain, pointing at the relay or the
// switchboard's own media) goes out as the gateway's WebRTC answer, and a
// refusal closes the gateway.
type rtcTx struct {
	sip.ServerTransaction
	req *sip.Request
	gw  *webrtcgw.Gateway
	s   *Server
}

// Respond implements sip.ServerTransaction.
func (t *rtcTx) Respond(res *sip.Response) error {
	body := res.Body()
	switch {
	case res.StatusCode >= 300:
		defer t.gw.Close()
	case len(body) > 0 && !webrtcgw.IsWebRTC(body): // (a 2xx sent again is already converted)
		plain, err := sdp.Parse(body)
		var answer []byte
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			answer, err = t.gw.Answer(ctx, plain)
			cancel()
		}
		if err != nil {
			t.s.log.Warn("switchboard: answering a WebRTC caller", "err", err)
			t.gw.Close()
			return t.ServerTransaction.Respond(sip.NewResponseFromRequest(t.req, 488, "Not Acceptable Here", nil))
		}
		res.SetBody(answer)
	}
	return t.ServerTransaction.Respond(res)
}

// acceptWebRTC turns a WebRTC caller's INVITE into a plain one: its offer
// becomes the gateway's plain offer, and its transaction answers through
// the gateway. Callers without WebRTC pass unchanged.
func (s *Server) acceptWebRTC(req *sip.Request, tx sip.ServerTransaction) (sip.ServerTransaction, *webrtcgw.Gateway, bool) {
	if !webrtcgw.IsWebRTC(req.Body()) {
		return tx, nil, true
	}
	gw, err := s.newGateway(s.localIP(req))
	if err != nil {
		s.log.Error("switchboard: WebRTC leg", "err", err)
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return nil, nil, false
	}
	plain, err := gw.Receive(req.Body())
	var body []byte
	if err == nil {
		body, err = plain.Marshal()
	}
	if err != nil {
		gw.Close()
		res := sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil)
		res.AppendHeader(sip.NewHeader("Warning", `399 switchboard "`+err.Error()+`"`))
		tx.Respond(res)
		return nil, nil, false
	}
	req.SetBody(body)
	return &rtcTx{ServerTransaction: tx, req: req, gw: gw, s: s}, gw, true
}

// offerWebRTC writes the WebRTC offer for a ringing leg to a WebRTC phone,
// through a new gateway whose plain side sends to where plain says.
func (s *Server) offerWebRTC(ip netip.Addr, plain []byte) (*webrtcgw.Gateway, []byte, error) {
	d, err := sdp.Parse(plain)
	if err != nil {
		return nil, nil, err
	}
	gw, err := s.newGateway(ip)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offer, err := gw.Offer(ctx, d)
	if err != nil {
		gw.Close()
		return nil, nil, err
	}
	return gw, offer, nil
}

// across carries a description in a re-INVITE (or its answer) from one
// leg to the other: read as plain from the sending leg (through its
// gateway, for a WebRTC phone), pointed at the relay's ports on ip, and
// written for the receiving leg (as its gateway's own description, with
// the direction asked for). It returns where the sending leg's media now
// goes.
func across(body []byte, from, to *webrtcgw.Gateway, ip netip.Addr, rtpPort, rtcpPort int) ([]byte, mediaAddr, error) {
	if from != nil {
		d, err := from.Reread(body)
		if err != nil {
			return nil, mediaAddr{}, err
		}
		if body, err = d.Marshal(); err != nil {
			return nil, mediaAddr{}, err
		}
	}
	out, m, err := rewriteSDP(body, ip, rtpPort, rtcpPort)
	if err != nil || to == nil {
		return out, m, err
	}
	d, err := sdp.Parse(out)
	if err != nil {
		return nil, mediaAddr{}, err
	}
	out, err = to.Redescribe(d.Audio.Direction)
	return out, m, err
}
