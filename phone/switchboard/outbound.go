package switchboard

import (
	"context"
	"net"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// fromListener makes a request the switchboard sends over UDP leave from
// its UDP listener, the address phones register with and a carrier
// knows. Without it sipgo opens a socket of its own for each address it
// sends to: a phone behind NAT drops packets from an address it never
// wrote to (its calls would never ring), and the answers come back to a
// socket with the kernel's default buffer, where a burst of them is lost
// (each loss costs its call half a second, then the call).
func (s *Server) fromListener(req *sip.Request) *sip.Request {
	if !strings.EqualFold(req.Transport(), "UDP") {
		return req
	}
	s.mu.Lock()
	a, ok := s.addrs["udp"]
	s.mu.Unlock()
	if ok {
		req.Laddr = sip.Addr{IP: net.IP(a.Addr().Unmap().AsSlice()), Port: int(a.Port())}
	}
	return req
}

// byeCaller ends the dialog of a call's caller (the switchboard answered
// it), with an RFC 3326 Reason when reason is not empty.
func (s *Server) byeCaller(ctx context.Context, sess *sipgo.DialogServerSession, reason string) error {
	bye := sip.NewRequest(sip.BYE, sess.InviteRequest.Contact().Address)
	bye.SetTransport(sess.InviteRequest.Transport())
	if reason != "" {
		bye.AppendHeader(sip.NewHeader("Reason", reason))
	}
	return sess.WriteBye(ctx, s.fromListener(bye))
}

// byeCallee ends the dialog of a leg the switchboard placed (it was
// answered), with a Reason when reason is not empty.
func (s *Server) byeCallee(ctx context.Context, sess *sipgo.DialogClientSession, reason string) error {
	to := sess.InviteRequest.Recipient
	if ct := sess.InviteResponse.Contact(); ct != nil {
		to = ct.Address
	}
	bye := sip.NewRequest(sip.BYE, to)
	if reason != "" {
		bye.AppendHeader(sip.NewHeader("Reason", reason))
	}
	return sess.WriteBye(ctx, s.fromListener(bye))
}
