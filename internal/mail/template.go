package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*
var builtin embed.FS

// Data is what a template may use. Not every field is set for every template.
type Data struct {
	Name     string        // the recipient's given name, or "" (templates greet without it)
	Email    string        // the address the message goes to
	Link     string        // the single-use link the message exists for
	Expiry   time.Duration // how long the link works
	OldEmail string        // for an address change: the address being left
	NewEmail string        // for an address change: the address being moved to
	Tenant   string        // the tenant's name, for invitations
	Inviter  string        // who invites, for invitations
	Product  string        // "Roster" unless the operator's templates say otherwise
}

// Templates renders messages from the templates built into Roster, each of which an operator
// may override by putting a file of the same name in a directory. A template is a pair of
// files per locale: NAME.LANG.txt, whose first line is "Subject: …" followed by an empty line
// and the plain-text body (text/template), and NAME.LANG.html, the HTML body (html/template,
// which escapes every value). A locale falls back from "de-AT" to "de" to "en".
type Templates struct {
	dir string // the operator's overrides; "" for none

	mu     sync.Mutex
	parsed map[string]*parsedTemplate // by name and locale, parsed once
}

type parsedTemplate struct {
	text *texttemplate.Template
	html *htmltemplate.Template // nil when there is no HTML body
}

// NewTemplates returns templates overridden from dir (which may be empty). Every file in dir
// must parse, so that a mistake shows at start-up rather than in the first mail.
func NewTemplates(dir string) (*Templates, error) {
	t := &Templates{dir: dir}
	if dir == "" {
		return t, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--mail-templates: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".txt") || strings.HasSuffix(name, ".html")) {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("--mail-templates: %w", err)
		}
		if err := parseCheck(name, string(src)); err != nil {
			return nil, fmt.Errorf("--mail-templates: %s: %w", name, err)
		}
	}
	return t, nil
}

func parseCheck(name, src string) error {
	if strings.HasSuffix(name, ".html") {
		_, err := htmltemplate.New(name).Funcs(htmlFuncs).Parse(src)
		return err
	}
	if !strings.HasPrefix(src, "Subject: ") {
		return errors.New(`the first line must be "Subject: …"`)
	}
	_, err := texttemplate.New(name).Funcs(textFuncs).Parse(src)
	return err
}

var funcs = map[string]any{
	"minutes": func(d time.Duration) int { return int(d.Round(time.Minute) / time.Minute) },
	"hours":   func(d time.Duration) int { return int(d.Round(time.Hour) / time.Hour) },
	"days":    func(d time.Duration) int { return int(d.Round(24*time.Hour) / (24 * time.Hour)) },
}

var (
	textFuncs = texttemplate.FuncMap(funcs)
	htmlFuncs = htmltemplate.FuncMap(funcs)
)

// Locales lists the languages Roster's own templates are written in.
var Locales = []string{"en", "de"}

// candidates returns the file-name languages to try for locale, most specific first.
func candidates(locale string) []string {
	l := strings.ToLower(strings.ReplaceAll(locale, "_", "-"))
	var out []string
	for l != "" {
		out = append(out, l)
		i := strings.LastIndexByte(l, '-')
		if i < 0 {
			break
		}
		l = l[:i]
	}
	return append(out, "en")
}

// source finds NAME.LANG.EXT for the first language that has it, overrides before built-ins.
func (t *Templates) source(name, locale, ext string) (string, bool, error) {
	for _, lang := range candidates(locale) {
		file := name + "." + lang + "." + ext
		if t.dir != "" {
			src, err := os.ReadFile(filepath.Join(t.dir, file))
			if err == nil {
				return string(src), true, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", false, fmt.Errorf("mail template %s: %w", file, err)
			}
		}
		if src, err := builtin.ReadFile("templates/" + file); err == nil {
			return string(src), true, nil
		}
	}
	return "", false, nil
}

// load parses template name for locale, once.
func (t *Templates) load(name, locale string) (*parsedTemplate, error) {
	key := name + "\x00" + locale
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.parsed[key]; ok {
		return p, nil
	}
	src, ok, err := t.source(name, locale, "txt")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("mail: no template %q", name)
	}
	p := &parsedTemplate{}
	if p.text, err = texttemplate.New(name).Funcs(textFuncs).Option("missingkey=error").Parse(src); err != nil {
		return nil, fmt.Errorf("mail template %s: %w", name, err)
	}
	if src, ok, err = t.source(name, locale, "html"); err != nil {
		return nil, err
	}
	if ok {
		if p.html, err = htmltemplate.New(name).Funcs(htmlFuncs).Parse(src); err != nil {
			return nil, fmt.Errorf("mail template %s.html: %w", name, err)
		}
	}
	if t.parsed == nil {
		t.parsed = map[string]*parsedTemplate{}
	}
	t.parsed[key] = p
	return p, nil
}

// Render returns the subject and bodies of template name in locale.
func (t *Templates) Render(name, locale string, d Data) (subject, text, html string, err error) {
	if d.Product == "" {
		d.Product = "Roster"
	}
	p, err := t.load(name, locale)
	if err != nil {
		return "", "", "", err
	}
	var b bytes.Buffer
	if err := p.text.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail template %s: %w", name, err)
	}
	head, body, _ := strings.Cut(strings.ReplaceAll(b.String(), "\r\n", "\n"), "\n\n")
	subject, ok := strings.CutPrefix(head, "Subject: ")
	if !ok || strings.Contains(subject, "\n") {
		return "", "", "", fmt.Errorf(`mail template %s: the first line must be "Subject: …", then an empty line`, name)
	}
	text = strings.TrimLeft(body, "\n")
	if p.html == nil {
		return strings.TrimSpace(subject), text, "", nil
	}
	b.Reset()
	if err := p.html.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail template %s.html: %w", name, err)
	}
	return strings.TrimSpace(subject), text, b.String(), nil
}

// Mailer composes messages from templates and hands them to a transport.
type Mailer struct {
	Transport Transport
	Templates *Templates
	From      string // the From header: an address, optionally with a name
	domain    string // the right-hand side of Message-IDs
}

// NewMailer checks from and returns a Mailer.
func NewMailer(tr Transport, tpl *Templates, from string) (*Mailer, error) {
	m := &Message{From: from, To: "x@example.com"}
	addr, _, err := m.Envelope()
	if err != nil {
		return nil, fmt.Errorf("--mail-from %q: not an address such as \"Roster <roster@example.com>\"", from)
	}
	_, domain, _ := strings.Cut(addr, "@")
	return &Mailer{Transport: tr, Templates: tpl, From: from, domain: domain}, nil
}

// MessageID returns the Message-ID of the message with this outbox id.
func (m *Mailer) MessageID(id string) string { return id + "@" + m.domain }

// Compose renders template name for one recipient. id is the message's stable identity (its
// outbox id), from which the Message-ID derives; date is when it was first queued.
func (m *Mailer) Compose(id, to, name, locale string, date time.Time, d Data) (*Message, error) {
	subject, text, html, err := m.Templates.Render(name, locale, d)
	if err != nil {
		return nil, err
	}
	return &Message{ID: m.MessageID(id), From: m.From, To: to, Subject: subject, Text: text, HTML: html, Date: date}, nil
}
