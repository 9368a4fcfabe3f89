package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Transport delivers a message.
type Transport interface {
	Send(ctx context.Context, m *Message) error
}

// ErrRejected wraps an answer by which the mail server refuses this message for good (a 5xx
// reply to the recipient or the data); retrying it is pointless.
var ErrRejected = errors.New("the mail server refused the message")

// SMTP sends through one mail server. Its String never shows the password.
type SMTP struct {
	addr        string // host:port
	host        string
	implicitTLS bool
	user, pass  string
	// TLS, when set, is the base TLS configuration (tests give their own roots); ServerName is
	// always the URL's host.
	TLS *tls.Config
	// HelloName is the name sent in EHLO; "localhost" when empty.
	HelloName string
}

// ParseSMTP reads an smtp:// or smtps:// URL: smtp://user:pass@host:port (port 587 when
// absent) upgrades with STARTTLS when the server offers it and refuses to send a password
// otherwise, except over loopback; smtps://…(port 465) speaks TLS from the first byte. Errors
// never repeat the URL, which may hold a password.
func ParseSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("--smtp-url: not a URL; want smtp://user:password@host:port or smtps://…")
	}
	s := &SMTP{}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, s.implicitTLS = "465", true
	default:
		return nil, fmt.Errorf("--smtp-url: scheme %q: want smtp or smtps", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("--smtp-url: names no host")
	}
	if u.Port() != "" {
		port = u.Port()
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, errors.New("--smtp-url: takes no path or query")
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	return s, nil
}

// String describes the server without the password.
func (s *SMTP) String() string {
	scheme := "smtp"
	if s.implicitTLS {
		scheme = "smtps"
	}
	user := ""
	if s.user != "" {
		user = s.user + "@"
	}
	return scheme + "://" + user + s.addr
}

// Send delivers m in one SMTP session, bounded by ctx.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	from, to, err := m.Envelope()
	if err != nil {
		return err
	}
	body, err := m.Bytes()
	if err != nil {
		return err
	}
	d := net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	tlsConfig := s.tlsConfig()
	if s.implicitTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtps %s: TLS: %w", s.addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("smtp %s: greeting: %w", s.addr, err)
	}
	defer c.Close()
	hello := s.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return fmt.Errorf("smtp %s: EHLO: %w", s.addr, err)
	}
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return fmt.Errorf("smtp %s: STARTTLS: %w", s.addr, err)
			}
		}
	}
	if s.user != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("smtp %s: the server offers no AUTH, but --smtp-url names a user", s.addr)
		}
		// PlainAuth itself refuses to send the password unencrypted except to loopback.
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("smtp %s: AUTH: %w", s.addr, err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM: %w", s.addr, err)
	}
	if err := c.Rcpt(to); err != nil {
		return rejected(s.addr, "RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return rejected(s.addr, "DATA", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", s.addr, err)
	}
	if err := w.Close(); err != nil {
		return rejected(s.addr, "end of DATA", err)
	}
	if err := c.Quit(); err != nil {
		// The message was accepted at the end of DATA; a failed QUIT loses nothing.
		return nil
	}
	return nil
}

func (s *SMTP) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		cfg = s.TLS.Clone()
	}
	cfg.ServerName = s.host
	return cfg
}

// rejected wraps a 5xx reply to a step that concerns this message in ErrRejected.
func rejected(addr, step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return fmt.Errorf("smtp %s: %s: %w: %w", addr, step, ErrRejected, err)
	}
	return fmt.Errorf("smtp %s: %s: %w", addr, step, err)
}

// Dir writes each message to a directory as <id>.eml instead of sending it, for local
// development. A repeat of a message overwrites its file with the same bytes.
type Dir struct {
	Path string
}

// Send writes m to the directory, atomically (no reader sees half a file).
func (d *Dir) Send(_ context.Context, m *Message) error {
	body, err := m.Bytes()
	if err != nil {
		return err
	}
	name, _, _ := strings.Cut(m.ID, "@")
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("mail: message id %q makes no file name", m.ID)
	}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return fmt.Errorf("--mail-dir: %w", err)
	}
	tmp, err := os.CreateTemp(d.Path, ".tmp-"+name+"-*")
	if err != nil {
		return fmt.Errorf("--mail-dir: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return fmt.Errorf("--mail-dir: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("--mail-dir: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--mail-dir: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.Path, name+".eml")); err != nil {
		return fmt.Errorf("--mail-dir: %w", err)
	}
	return nil
}

// String describes the directory.
func (d *Dir) String() string { return "directory " + d.Path }
