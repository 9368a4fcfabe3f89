package mail_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/mailtest"
)

const link = "http://127.0.0.1:8080/account/reset-password?token=rsl_abc"

func mailer(t *testing.T, tr mail.Transport, templates string) *mail.Mailer {
	t.Helper()
	tpl, err := mail.NewTemplates(templates)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.NewMailer(tr, tpl, "Acme Accounts <accounts@acme.example>")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Real SMTP sessions with each kind of server: the message arrives whole, parses, and keeps its
// Message-ID.
func TestSMTP(t *testing.T) {
	for _, c := range []struct {
		name string
		opts mailtest.Options
	}{
		{"plain", mailtest.Options{}},
		{"plain with AUTH on loopback", mailtest.Options{User: "roster", Password: "s3cret pass"}},
		{"STARTTLS with AUTH", mailtest.Options{TLS: mailtest.StartTLS, User: "roster", Password: "s3cret pass"}},
		{"implicit TLS with AUTH", mailtest.Options{TLS: mailtest.Implicit, User: "roster", Password: "s3cret pass"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := mailtest.Start(t, c.opts)
			tr, err := mail.ParseSMTP(srv.URL())
			if err != nil {
				t.Fatal(err)
			}
			tr.TLS = srv.ClientTLS
			m := mailer(t, tr, "")
			msg, err := m.Compose("obx_1", "ann@example.com", "reset_password", "en-US", time.Unix(1700000000, 0),
				mail.Data{Name: "Ann", Email: "ann@example.com", Link: link, Expiry: 30 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Send(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			got := srv.Wait(t, 1, 5*time.Second)[0]
			if diff := cmp.Diff([]string{"ann@example.com"}, got.To); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
			if got.From != "accounts@acme.example" {
				t.Errorf("envelope sender %q", got.From)
			}
			for h, want := range map[string]string{"Message-Id": "<obx_1@acme.example>", "From": `"Acme Accounts" <accounts@acme.example>`,
				"To": "<ann@example.com>", "Auto-Submitted": "auto-generated"} {
				if v := got.Header.Get(h); v != want {
					t.Errorf("%s: %q, want %q", h, v, want)
				}
			}
			if got.Subject() != "Reset your password" {
				t.Errorf("subject %q", got.Subject())
			}
			if got.Link() != link || !strings.Contains(got.Text, "Hello Ann,") || !strings.Contains(got.Text, "for 30 minutes") {
				t.Errorf("text body:\n%s", got.Text)
			}
			if !strings.Contains(got.HTML, `href="`+link+`"`) || !strings.Contains(got.HTML, `<html lang="en">`) {
				t.Errorf("HTML body:\n%s", got.HTML)
			}
		})
	}
}

func TestSMTPFailures(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{User: "roster", Password: "right one"})
	srv.RejectRcpt = func(to string) bool { return to == "gone@example.com" }
	send := func(url, to string) error {
		tr, err := mail.ParseSMTP(url)
		if err != nil {
			t.Fatal(err)
		}
		msg := &mail.Message{ID: "obx_2@x", From: "r@x.example", To: to, Subject: "s", Text: "t", Date: time.Now()}
		return tr.Send(context.Background(), msg)
	}
	// A refused recipient is refused for good; bad credentials and a server that answers 451
	// are worth retrying (the operator fixes the password; the server recovers).
	if err := send(srv.URL(), "gone@example.com"); !errors.Is(err, mail.ErrRejected) {
		t.Errorf("refused recipient: %v, want ErrRejected", err)
	}
	wrong := strings.Replace(srv.URL(), "right%20one", "wrong", 1)
	if err := send(wrong, "ann@example.com"); err == nil || errors.Is(err, mail.ErrRejected) {
		t.Errorf("bad credentials: %v", err)
	} else if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error repeats the password: %v", err)
	}
	srv.TempFail.Store(1)
	if err := send(srv.URL(), "ann@example.com"); err == nil || errors.Is(err, mail.ErrRejected) {
		t.Errorf("451: %v", err)
	}
	if err := send(srv.URL(), "ann@example.com"); err != nil {
		t.Errorf("after the 451: %v", err)
	}
	// A server without AUTH is not sent a user and password.
	noAuth := mailtest.Start(t, mailtest.Options{})
	if err := send("smtp://u:p@"+noAuth.Addr, "ann@example.com"); err == nil || !strings.Contains(err.Error(), "offers no AUTH") {
		t.Errorf("credentials for a server without AUTH: %v", err)
	}
}

func TestParseSMTP(t *testing.T) {
	for _, c := range []struct{ url, str, err string }{
		{"smtp://mail.example.com", "smtp://mail.example.com:587", ""},
		{"smtps://u:hunter2@mail.example.com", "smtps://u@mail.example.com:465", ""},
		{"smtp://u:hunter2@mail.example.com:25", "smtp://u@mail.example.com:25", ""},
		{"http://mail.example.com", "", `scheme "http"`},
		{"smtp://u:hunter2@", "", "names no host"},
		{"smtp://u:hunter2@mail.example.com/x", "", "no path"},
		{"smtp://u:hunter2@mail.example.com:99999%", "", "not a URL"},
	} {
		s, err := mail.ParseSMTP(c.url)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s: error %v, want one with %q and no password", c.url, err, c.err)
			}
			continue
		}
		if err != nil || s.String() != c.str {
			t.Errorf("%s: %v, %v; want %s", c.url, s, err, c.str)
		}
	}
}

func TestDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	m := mailer(t, &mail.Dir{Path: dir}, "")
	msg, err := m.Compose("obx_3", "bea@example.com", "verify_email", "de-DE", time.Unix(1700000000, 0),
		mail.Data{Email: "bea@example.com", Link: link, Expiry: 72 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a repeat rewrites the same file with the same bytes
		if err := m.Transport.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "obx_3.eml" {
		t.Fatalf("directory holds %v", entries)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "obx_3.eml"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := msg.Bytes()
	if !bytes.Equal(raw, want) {
		t.Error("the file is not the message")
	}
	got, err := mailtest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject() != "Bestätigen Sie Ihre E-Mail-Adresse" || !strings.Contains(got.Text, "3 Tage lang") || got.Link() != link {
		t.Errorf("German verification mail: %q\n%s", got.Subject(), got.Text)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "obx_3.eml")); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v: a mail holds a link that is a secret", fi.Mode().Perm())
	}
}

func TestTemplates(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reset_password.en.txt"),
		[]byte("Subject: {{.Product}}: new password\n\nGo to {{.Link}} within {{minutes .Expiry}} min.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tpl, err := mail.NewTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := mail.Data{Link: link, Expiry: 30 * time.Minute, Email: "a@example.com"}
	subject, text, html, err := tpl.Render("reset_password", "en-GB", d)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Roster: new password" || text != "Go to "+link+" within 30 min.\n" {
		t.Errorf("override: %q %q", subject, text)
	}
	if !strings.Contains(html, "Choose a new password") {
		t.Errorf("the HTML body should stay the built-in one:\n%s", html)
	}
	// German where asked for, English for a locale Roster has no templates in.
	for locale, want := range map[string]string{"de": "Setzen Sie Ihr Passwort zurück", "de-CH": "Setzen Sie Ihr Passwort zurück", "fi-FI": "Roster: new password"} {
		if subject, _, _, err := tpl.Render("reset_password", locale, d); err != nil || subject != want {
			t.Errorf("%s: %q, %v; want %q", locale, subject, err, want)
		}
	}
	// HTML escapes what it shows.
	_, _, html, _ = tpl.Render("verify_email", "en", mail.Data{Name: "<script>x</script>", Link: link, Expiry: time.Hour})
	if strings.Contains(html, "<script>") {
		t.Error("the HTML body does not escape the name")
	}
	// A broken override is refused at start-up.
	if err := os.WriteFile(filepath.Join(dir, "verify_email.en.txt"), []byte("no subject line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.NewTemplates(dir); err == nil {
		t.Error("a template without a Subject line was accepted")
	}
}

func TestMessageBytes(t *testing.T) {
	msg := &mail.Message{ID: "obx_4@x.example", From: "r@x.example", To: "a@example.com", Subject: "Grüße", Text: "é\n", HTML: "<p>é</p>", Date: time.Unix(0, 0)}
	a, err := msg.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := msg.Bytes()
	if !bytes.Equal(a, b) {
		t.Error("one message renders to two byte strings")
	}
	if !bytes.Contains(a, []byte("Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n")) {
		t.Errorf("subject not encoded:\n%s", a)
	}
	msg.Subject = "x\r\nBcc: victim@example.com"
	if _, err := msg.Bytes(); err == nil {
		t.Error("a subject with a line break was rendered")
	}
	msg.Subject, msg.To = "x", "a@example.com\r\nBcc: victim@example.com"
	if _, err := msg.Bytes(); err == nil {
		t.Error("a recipient with a line break was rendered")
	}
}

// The invitation templates, in both languages, name the tenant and the inviter, say how long
// the link works in days or hours, and escape what the HTML shows.
func TestInvitationTemplates(t *testing.T) {
	tpl, err := mail.NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, locale, subject, lasts string
		expiry                       time.Duration
	}{
		{"invite_new", "en-US", "Ada Lovelace invited you to <Acme & Co>", "for 7 days", 7 * 24 * time.Hour},
		{"invite_new", "de-DE", "Ada Lovelace hat Sie zu <Acme & Co> eingeladen", "24 Stunden lang", 24 * time.Hour},
		{"invite_existing", "en", "Ada Lovelace invited you to <Acme & Co>", "for 3 hours", 3 * time.Hour},
		{"invite_existing", "de", "Ada Lovelace hat Sie zu <Acme & Co> eingeladen", "30 Tage lang", 30 * 24 * time.Hour},
	}
	for _, c := range cases {
		d := mail.Data{Name: "Bea", Email: "bea@example.com", Link: link, Expiry: c.expiry, Tenant: "<Acme & Co>", Inviter: "Ada Lovelace"}
		subject, text, html, err := tpl.Render(c.name, c.locale, d)
		if err != nil {
			t.Fatalf("%s.%s: %v", c.name, c.locale, err)
		}
		if subject != c.subject {
			t.Errorf("%s.%s: subject %q, want %q", c.name, c.locale, subject, c.subject)
		}
		for _, want := range []string{link, "bea@example.com", "Bea,", c.lasts} {
			if !strings.Contains(text, want) {
				t.Errorf("%s.%s: the text lacks %q:\n%s", c.name, c.locale, want, text)
			}
		}
		if strings.Contains(html, "<Acme") || !strings.Contains(html, "&lt;Acme &amp; Co&gt;") || !strings.Contains(html, `href="`+link+`"`) {
			t.Errorf("%s.%s: HTML body:\n%s", c.name, c.locale, html)
		}
	}
}
