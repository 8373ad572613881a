// Package mail sends the switchboard's emails (sign-up codes,
// invitations, billing warnings): through an SMTP server the operator
// names, or, when none is configured, into a directory of .eml files the
// operator can read. Messages are plain text, UTF-8, quoted-printable.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid means a message or a configuration is malformed; the
// message says how.
var ErrInvalid = errors.New("mail: invalid")

// Message is one plain-text email to one person.
type Message struct {
	To      string // an address: "ann@example.com" or "Ann <ann@example.com>"
	Subject string
	Text    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Compose renders m as an RFC 5322 message from from, with its
// recipient's bare address; a subject or address that would smuggle a
// header (a line break) is refused.
func Compose(from string, m Message, now time.Time) (to string, raw []byte, err error) {
	f, err := mail.ParseAddress(from)
	if err != nil {
		return "", nil, fmt.Errorf("%w: the sender %q: %v", ErrInvalid, from, err)
	}
	t, err := mail.ParseAddress(m.To)
	if err != nil {
		return "", nil, fmt.Errorf("%w: the recipient %q: %v", ErrInvalid, m.To, err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || len(m.Subject) > 200 {
		return "", nil, fmt.Errorf("%w: a subject is one line of at most 200 bytes", ErrInvalid)
	}
	id := make([]byte, 12)
	rand.Read(id)
	domain := f.Address[strings.LastIndexByte(f.Address, '@')+1:]
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", f.String())
	fmt.Fprintf(&b, "To: %s\r\n", t.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")))
	qp.Close()
	return t.Address, b.Bytes(), nil
}

// SMTP sends through an SMTP server (a relay or the company's mail
// server), one connection per message.
type SMTP struct {
	Addr string // HOST:PORT
	// Security is "starttls" (the default: upgrade, and refuse a server
	// that cannot), "tls" (TLS from the first byte, usually port 465) or
	// "none" (plain text: only for a relay on the same machine).
	Security string
	Username string // with Password: AUTH PLAIN, only over TLS
	Password string
	From     string         // the sender: "Tether <no-reply@example.com>"
	RootCAs  *x509.CertPool // nil: the system's
	Timeout  time.Duration  // per message (30 s when 0)
}

// Check reports a configuration that cannot work.
func (s SMTP) Check() error {
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil || host == "" {
		return fmt.Errorf("%w: the SMTP server %q is not HOST:PORT", ErrInvalid, s.Addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%w: the SMTP port %q", ErrInvalid, port)
	}
	switch s.Security {
	case "", "starttls", "tls", "none":
	default:
		return fmt.Errorf("%w: SMTP security is starttls, tls or none, not %q", ErrInvalid, s.Security)
	}
	if s.Security == "none" && s.Username != "" {
		return fmt.Errorf("%w: a password is never sent without TLS: use starttls or tls", ErrInvalid)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return fmt.Errorf("%w: the sender %q: %v", ErrInvalid, s.From, err)
	}
	return nil
}

// Send implements Sender.
func (s SMTP) Send(ctx context.Context, m Message) error {
	if err := s.Check(); err != nil {
		return err
	}
	to, raw, err := Compose(s.From, m, time.Now())
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(s.Addr)
	tlsConf := &tls.Config{ServerName: host, RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	var conn net.Conn
	if s.Security == "tls" {
		conn, err = (&tls.Dialer{Config: tlsConf}).DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return fmt.Errorf("mail: reaching %s: %w", s.Addr, err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: %s: %w", s.Addr, err)
	}
	defer c.Close()
	if s.Security == "" || s.Security == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("mail: %s does not offer STARTTLS (set security to tls or, for a local relay, none)", s.Addr)
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("mail: STARTTLS with %s: %w", s.Addr, err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("mail: signing in to %s: %w", s.Addr, err)
		}
	}
	from, _ := mail.ParseAddress(s.From)
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("mail: %s refused the sender: %w", s.Addr, err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("mail: %s refused %s: %w", s.Addr, to, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: %s: %w", s.Addr, err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("mail: sending to %s: %w", s.Addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: %s did not take the message: %w", s.Addr, err)
	}
	return c.Quit()
}

// Dir writes each message as a .eml file into a directory (readable by
// its owner only): what a switchboard does with its emails when no SMTP
// server is configured, so an operator can still pass them on.
type Dir struct {
	Path string
	From string // "" for "Tether <tether@localhost>"
}

// Outbox is a Sender that keeps messages for its operator rather than
// delivering them: they have not reached their recipient.
type Outbox interface {
	Sender
	Outbox() string // where they are kept
}

// Outbox implements Outbox.
func (d Dir) Outbox() string { return d.Path }

// Send implements Sender.
func (d Dir) Send(_ context.Context, m Message) error {
	from := d.From
	if from == "" {
		from = "Tether <tether@localhost>"
	}
	to, raw, err := Compose(from, m, time.Now())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return err
	}
	id := make([]byte, 6)
	rand.Read(id)
	name := fmt.Sprintf("%s-%s-%s.eml", time.Now().UTC().Format("20060102T150405"), safe(to), hex.EncodeToString(id))
	return os.WriteFile(filepath.Join(d.Path, name), raw, 0o600)
}

// safe keeps an address's letters, digits and a few marks for a file name.
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '@' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
