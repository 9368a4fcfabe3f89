// Package mailtest runs a real SMTP server on loopback for tests (github.com/emersion/go-smtp):
// it speaks SMTP with optional STARTTLS, implicit TLS and AUTH PLAIN, keeps every message it
// accepts, and parses them (net/mail, mime/multipart) so tests can read the links inside.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLS modes of a test server.
const (
	Plain    = iota // no TLS at all
	StartTLS        // offers STARTTLS
	Implicit        // TLS from the first byte (smtps)
)

// Options configure a test server.
type Options struct {
	TLS int
	// User and Password, when set, are required (AUTH PLAIN) before MAIL FROM.
	User, Password string
}

// Message is one accepted message, parsed.
type Message struct {
	From      string
	To        []string
	Raw       []byte
	DataStart time.Time // when the client sent DATA
	Received  time.Time // when the data ended and the server accepted it
	Header    mail.Header
	Text      string
	HTML      string
}

// Server is a running SMTP server that accepts mail for anyone.
type Server struct {
	Addr string
	// ClientTLS trusts the server's certificate, for the client under test.
	ClientTLS *tls.Config
	opts      Options
	srv       *smtp.Server

	mu     sync.Mutex
	msgs   []*Message
	notify chan struct{}

	// RejectRcpt, when set, answers RCPT TO with 550 for addresses it returns true for.
	RejectRcpt func(to string) bool
	// TempFail makes the next that many messages fail at the end of DATA with 451.
	TempFail atomic.Int64
	// Hold, when set, makes DATA wait until the channel closes (to kill a sender mid-send).
	hold    atomic.Pointer[holdState]
	held    []*Message
	inData  atomic.Int64
	dataSig chan struct{}
}

// Start runs a server on 127.0.0.1 until t ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{opts: o, notify: make(chan struct{}, 1), dataSig: make(chan struct{}, 16)}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.AllowInsecureAuth = o.TLS == Plain
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.TLS != Plain {
		serverTLS, clientTLS := certificate(t)
		s.ClientTLS = clientTLS
		if o.TLS == Implicit {
			ln = tls.NewListener(ln, serverTLS)
		} else {
			s.srv.TLSConfig = serverTLS
		}
	}
	s.Addr = ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() {
		s.Release()
		s.srv.Close()
	})
	return s
}

// URL returns the --smtp-url that reaches this server.
func (s *Server) URL() string {
	scheme := "smtp"
	if s.opts.TLS == Implicit {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: s.Addr}
	if s.opts.User != "" {
		u.User = url.UserPassword(s.opts.User, s.opts.Password)
	}
	return u.String()
}

// HoldData makes every DATA wait until Release; with drop, a held message is then refused
// with 451 (its sender is gone by then, in the tests that use it) and kept in Held only.
func (s *Server) HoldData(drop bool) {
	s.hold.Store(&holdState{release: make(chan struct{}), drop: drop})
}

type holdState struct {
	release chan struct{}
	drop    bool
}

// Held returns the messages that were held and dropped.
func (s *Server) Held() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.held...)
}

// Release lets held DATA commands go on.
func (s *Server) Release() {
	if h := s.hold.Swap(nil); h != nil {
		close(h.release)
	}
}

// WaitInData waits until a client has sent a message's data and awaits the answer, held by
// HoldData, or fails t.
func (s *Server) WaitInData(t testing.TB, timeout time.Duration) {
	t.Helper()
	select {
	case <-s.dataSig:
	case <-time.After(timeout):
		t.Fatalf("no client reached DATA within %s", timeout)
	}
}

// Messages returns every message accepted so far, in order.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.msgs...)
}

// Wait returns the messages once there are at least n, or fails t after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []*Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if msgs := s.Messages(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-s.notify:
		case <-deadline:
			t.Fatalf("%d messages arrived within %s, want %d", len(s.Messages()), timeout, n)
		}
	}
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }

type session struct {
	srv    *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.srv.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.srv.opts.User || password != ss.srv.opts.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.opts.User != "" && !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if f := ss.srv.RejectRcpt; f != nil && f(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	start := time.Now()
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if h := ss.srv.hold.Load(); h != nil {
		select {
		case ss.srv.dataSig <- struct{}{}:
		default:
		}
		<-h.release
		if h.drop {
			if m, err := Parse(raw); err == nil {
				ss.srv.mu.Lock()
				ss.srv.held = append(ss.srv.held, m)
				ss.srv.mu.Unlock()
			}
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "held and dropped"}
		}
	}
	if ss.srv.TempFail.Add(-1) >= 0 {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.srv.TempFail.Store(0)
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	m.From, m.To, m.DataStart, m.Received = ss.from, ss.to, start, time.Now()
	ss.srv.mu.Lock()
	ss.srv.msgs = append(ss.srv.msgs, m)
	ss.srv.mu.Unlock()
	select {
	case ss.srv.notify <- struct{}{}:
	default:
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// Parse reads a message: its header, and its text and HTML bodies from a single part or a
// multipart/alternative, decoded.
func Parse(raw []byte) (*Message, error) {
	mm, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parse message: %w", err)
	}
	m := &Message{Raw: raw, Header: mm.Header}
	mt, params, err := mime.ParseMediaType(mm.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("Content-Type: %w", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := decode(mm.Header.Get("Content-Transfer-Encoding"), mm.Body)
		m.Text = body
		return m, err
	}
	mr := multipart.NewReader(mm.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("multipart: %w", err)
		}
		body, err := decode(p.Header.Get("Content-Transfer-Encoding"), p)
		if err != nil {
			return nil, err
		}
		switch pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); pt {
		case "text/plain":
			m.Text = body
		case "text/html":
			m.HTML = body
		}
	}
	return m, nil
}

func decode(cte string, r io.Reader) (string, error) {
	if strings.EqualFold(cte, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

// Subject returns the decoded Subject header.
func (m *Message) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+\?token=rsl_[0-9A-Za-z]+`)

// Link returns the single-use link in the text body, or "".
func (m *Message) Link() string { return linkPattern.FindString(m.Text) }

// certificate makes a self-signed certificate for 127.0.0.1 and localhost: the server's TLS
// configuration, and a client's that trusts it.
func certificate(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}
