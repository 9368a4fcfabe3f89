// Package mail builds and sends Roster's mail: messages with a plain-text and an HTML body
// rendered from templates per locale, sent over SMTP (STARTTLS when offered, or implicit TLS)
// or written as .eml files to a directory for local development. It knows nothing of why a
// message is sent; the service decides that and the outbox retries.
package mail

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Message is one mail ready to send.
type Message struct {
	// ID is the Message-ID without angle brackets. It stays the same on every attempt, so a
	// receiver can drop a repeat.
	ID      string
	From    string // an address, optionally with a display name
	To      string // one plain address
	Subject string
	Text    string
	HTML    string // may be empty
	Date    time.Time
}

// Envelope returns the bare addresses of the sender and the recipient.
func (m *Message) Envelope() (from, to string, err error) {
	f, err := mail.ParseAddress(m.From)
	if err != nil {
		return "", "", fmt.Errorf("mail: From %q: %w", m.From, err)
	}
	t, err := mail.ParseAddress(m.To)
	if err != nil {
		return "", "", fmt.Errorf("mail: To %q: %w", m.To, err)
	}
	return f.Address, t.Address, nil
}

// Bytes renders the message as RFC 5322 text with CRLF line ends: a multipart/alternative of
// quoted-printable UTF-8 text and HTML (or the text alone). The same message renders to the
// same bytes, so a repeat is byte-for-byte a repeat.
func (m *Message) Bytes() ([]byte, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("mail: From %q: %w", m.From, err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: To %q: %w", m.To, err)
	}
	for _, v := range []string{m.ID, m.Subject} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, errors.New("mail: a header value holds a line break")
		}
	}
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", m.Date.Format(time.RFC1123Z))
	h("Message-ID", "<"+m.ID+">")
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies, please
	if m.HTML == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	// A boundary derived from the id keeps repeats identical; the prefix cannot occur in
	// quoted-printable text (which encodes "=").
	if err := mw.SetBoundary("=_" + boundarySafe(m.ID)); err != nil {
		return nil, fmt.Errorf("mail: boundary: %w", err)
	}
	h("Content-Type", "multipart/alternative; boundary=\""+mw.Boundary()+"\"")
	b.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return err
	}
	return qp.Close()
}

func boundarySafe(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' {
			b.WriteRune(c)
		}
	}
	if b.Len() > 60 {
		return b.String()[:60]
	}
	return b.String()
}
