package mail_test

import (
	"context"
	"errors"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/internal/mailbox"
)

func smtpTo(box *mailbox.Server) mail.SMTP {
	return mail.SMTP{Addr: box.Addr, Username: box.Username, Password: box.Password,
		From: "Tether <no-reply@tether.test>", RootCAs: box.RootCAs, Timeout: 10 * time.Second}
}

// TestSMTP: a message goes through a real SMTP server over STARTTLS with
// AUTH PLAIN, and arrives as written: subject and body in UTF-8, long
// lines intact, the sender and recipient as given.
func TestSMTP(t *testing.T) {
	box := mailbox.Start(t)
	text := "Hello Zoë,\n\nYour code is 314159.\n" + strings.Repeat("a long line ", 20) + "\n— Tether"
	err := smtpTo(box).Send(context.Background(), mail.Message{To: "Zoë <zoe@example.test>", Subject: "Your Tether code — 314159", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	m := box.WaitFor(t, "zoe@example.test", 5*time.Second)
	if m.Subject != "Your Tether code — 314159" || m.Text != text || m.From != "no-reply@tether.test" {
		t.Errorf("delivered: subject %q from %q\n%q", m.Subject, m.From, m.Text)
	}
	if to, _ := m.Header.AddressList("To"); len(to) != 1 || to[0].Name != "Zoë" {
		t.Errorf("To: %v", m.Header.Get("To"))
	}
}

// TestSMTPRefusals: a wrong password, a server whose certificate is not
// trusted, a server that never answers, and a configuration that would
// send a password in the clear all fail with an error and deliver nothing.
func TestSMTPRefusals(t *testing.T) {
	box := mailbox.Start(t)
	ctx := context.Background()
	msg := mail.Message{To: "a@example.test", Subject: "s", Text: "t"}

	wrong := smtpTo(box)
	wrong.Password = "not it"
	if err := wrong.Send(ctx, msg); err == nil || !strings.Contains(err.Error(), "signing in") {
		t.Errorf("a wrong password: %v", err)
	}
	untrusted := smtpTo(box)
	untrusted.RootCAs = nil
	if err := untrusted.Send(ctx, msg); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("an untrusted certificate: %v", err)
	}
	clear := smtpTo(box)
	clear.Security = "none"
	if err := clear.Send(ctx, msg); !errors.Is(err, mail.ErrInvalid) {
		t.Errorf("a password without TLS: %v", err)
	}
	anonymous := smtpTo(box)
	anonymous.Username, anonymous.Password = "", ""
	if err := anonymous.Send(ctx, msg); err == nil {
		t.Error("the server took mail without a sign-in")
	}
	// A server that takes the connection and says nothing.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	silent := smtpTo(box)
	silent.Addr, silent.Timeout = l.Addr().String(), 500*time.Millisecond
	start := time.Now()
	if err := silent.Send(ctx, msg); err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("a silent server: %v after %s", err, time.Since(start))
	}
	if got := box.Messages(); len(got) != 0 {
		t.Errorf("delivered anyway: %+v", got)
	}
}

// TestHeaderInjection: a subject or recipient carrying a line break is
// refused, never written as a header.
func TestHeaderInjection(t *testing.T) {
	for _, m := range []mail.Message{
		{To: "a@example.test", Subject: "hi\r\nBcc: victim@example.test", Text: "x"},
		{To: "a@example.test\r\nBcc: victim@example.test", Subject: "hi", Text: "x"},
		{To: "not an address", Subject: "hi", Text: "x"},
		{To: "a@example.test", Subject: strings.Repeat("s", 201), Text: "x"},
	} {
		if _, _, err := mail.Compose("Tether <t@tether.test>", m, time.Now()); !errors.Is(err, mail.ErrInvalid) {
			t.Errorf("Compose(%q, %q) = %v", m.To, m.Subject, err)
		}
	}
}

// TestDir: without an SMTP server, messages are kept as .eml files only
// their owner can read, each a well-formed message.
func TestDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	d := mail.Dir{Path: dir}
	if err := d.Send(context.Background(), mail.Message{To: "ann@example.test", Subject: "Invitation", Text: "Join us: tether://invite/abc"}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("files: %v", files)
	}
	st, _ := os.Stat(files[0])
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	f, _ := os.Open(files[0])
	defer f.Close()
	m, err := netmail.ReadMessage(f)
	if err != nil || m.Header.Get("Subject") != "Invitation" || m.Header.Get("To") != "<ann@example.test>" {
		t.Errorf("the file: %v %v", m, err)
	}
}

func TestCheck(t *testing.T) {
	good := mail.SMTP{Addr: "mail.example.test:587", From: "t@example.test"}
	if err := good.Check(); err != nil {
		t.Error(err)
	}
	for _, bad := range []mail.SMTP{
		{Addr: "mail.example.test", From: "t@example.test"},
		{Addr: "mail.example.test:0", From: "t@example.test"},
		{Addr: "mail.example.test:587", From: "nobody"},
		{Addr: "mail.example.test:587", From: "t@example.test", Security: "ssl"},
	} {
		if err := bad.Check(); !errors.Is(err, mail.ErrInvalid) {
			t.Errorf("Check(%+v) = %v", bad, err)
		}
	}
}
