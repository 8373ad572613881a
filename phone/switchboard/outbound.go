package switchboard

import (
	"context"
	"net"
	"net/netip"
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

// A request within a dialog goes where the dialog's INVITE came from (the
// caller's leg) or went (a leg the switchboard placed), over the same
// transport and, for TCP, TLS and WebSocket, the same connection: never
// to the address a Contact names. A phone behind NAT names an address
// nobody can reach, and a WebSocket phone an .invalid host (RFC 7118);
// both are reached only back the way they came (RFC 5626). A proxy's
// Record-Route still decides when there is one (the dialog adds Route).

// toCaller addresses a request within the caller's dialog.
func (s *Server) toCaller(req *sip.Request, sess *sipgo.DialogServerSession) *sip.Request {
	inv := sess.InviteRequest
	req.SetTransport(inv.Transport())
	req.SetDestination(inv.Source())
	return s.fromListener(req)
}

// toCallee addresses a request within a dialog the switchboard placed.
func (s *Server) toCallee(req *sip.Request, sess *sipgo.DialogClientSession) *sip.Request {
	inv := sess.InviteRequest
	req.SetTransport(inv.Transport())
	req.SetDestination(inv.Destination())
	return s.fromListener(req)
}

// callerTarget is the caller's remote target (its Contact).
func callerTarget(sess *sipgo.DialogServerSession) sip.Uri {
	if ct := sess.InviteRequest.Contact(); ct != nil {
		return ct.Address
	}
	return sess.InviteRequest.From().Address
}

// calleeTarget is the answering phone's remote target (its Contact).
func calleeTarget(sess *sipgo.DialogClientSession) sip.Uri {
	if sess.InviteResponse != nil {
		if ct := sess.InviteResponse.Contact(); ct != nil {
			return ct.Address
		}
	}
	return sess.InviteRequest.Recipient
}

// byeCaller ends the dialog of a call's caller (the switchboard answered
// it), with an RFC 3326 Reason when reason is not empty.
func (s *Server) byeCaller(ctx context.Context, sess *sipgo.DialogServerSession, reason string) error {
	bye := sip.NewRequest(sip.BYE, callerTarget(sess))
	if reason != "" {
		bye.AppendHeader(sip.NewHeader("Reason", reason))
	}
	return sess.WriteBye(ctx, s.toCaller(bye, sess))
}

// byeCallee ends the dialog of a leg the switchboard placed (it was
// answered), with a Reason when reason is not empty.
func (s *Server) byeCallee(ctx context.Context, sess *sipgo.DialogClientSession, reason string) error {
	bye := sip.NewRequest(sip.BYE, calleeTarget(sess))
	if reason != "" {
		bye.AppendHeader(sip.NewHeader("Reason", reason))
	}
	return sess.WriteBye(ctx, s.toCallee(bye, sess))
}

// ourContact is the switchboard's Contact for a dialog on transport: the
// address of its listener for that transport (ip when the listener is
// bound to all addresses), with the transport named unless it is UDP, so
// the phone's requests in the dialog come back to a listener that speaks
// its transport.
func (s *Server) ourContact(user string, ip netip.Addr, transport string) sip.ContactHeader {
	a, ok := s.Addr(strings.ToLower(transport))
	if ok && !a.Addr().IsUnspecified() {
		ip = a.Addr()
	}
	ct := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: ip.String(), Port: int(a.Port())}}
	if t := strings.ToLower(transport); t != "" && t != "udp" {
		ct.Address.UriParams = sip.NewParams()
		ct.Address.UriParams.Add("transport", t)
	}
	return ct
}
