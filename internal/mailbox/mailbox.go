// Package mailbox is a real SMTP server for tests (emersion/go-smtp) on
// 127.0.0.1, port 0: STARTTLS with a self-signed certificate, AUTH PLAIN
// with one account, and a mailbox of what it was given, read back parsed.
package mailbox

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/tetherphone/tether/phone/selfcert"
)

// Message is one delivered message.
type Message struct {
	From    string // the envelope sender
	To      []string
	Header  mail.Header
	Subject string // decoded
	Text    string // the body, decoded from quoted-printable when it was
	Raw     []byte
}

// Server is a running SMTP server.
type Server struct {
	Addr     string         // 127.0.0.1:PORT
	RootCAs  *x509.CertPool // trusts its certificate
	CertPEM  []byte         // its certificate, for programs told to trust it
	Username string
	Password string

	srv  *smtp.Server
	mu   sync.Mutex
	msgs []Message
	more chan struct{}
}

// Start starts a server that requires STARTTLS and AUTH PLAIN as
// Username/Password before it takes mail; it stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	cert, err := selfcert.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{RootCAs: cert.Pool, CertPEM: cert.CertPEM, Username: "tether", Password: "mail-secret", more: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Messages returns what was delivered so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits up to d for a message to address and returns the latest.
func (s *Server) WaitFor(t testing.TB, address string, d time.Duration) Message {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		more := s.more
		for i := len(s.msgs) - 1; i >= 0; i-- {
			for _, to := range s.msgs[i].To {
				if strings.EqualFold(to, address) {
					m := s.msgs[i]
					s.mu.Unlock()
					return m
				}
			}
		}
		s.mu.Unlock()
		select {
		case <-more:
		case <-deadline.C:
			t.Fatalf("no email to %s within %s (%d delivered)", address, d, len(s.Messages()))
		}
	}
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.Username || password != ss.s.Password {
			return errors.New("invalid username or password")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: ss.from, To: ss.to, Raw: raw}
	if pm, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Header = pm.Header
		m.Subject, _ = new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
		body := io.Reader(pm.Body)
		if strings.EqualFold(pm.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, _ := io.ReadAll(body)
		// The transport ends the last line; the text is what was written.
		m.Text = strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	close(ss.s.more)
	ss.s.more = make(chan struct{})
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }
