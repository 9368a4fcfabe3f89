package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/rosterhq/roster"
)

//go:embed templates/*.html
var layoutFS embed.FS

// Renderer renders a transport's pages inside the shared layout.
type Renderer struct {
	pages   map[string]*template.Template
	catalog Catalog
}

// NewRenderer parses the shared layout and partials, then each file of pages matching glob
// into a template set of its own, named by its base name without ".html". A page file defines
// "content" and may define "title". Files whose names start with "_" are the transport's own
// partials, parsed into every page. funcs are added to the shared ones (asset).
func NewRenderer(pages fs.FS, glob string, funcs template.FuncMap, catalog Catalog) (*Renderer, error) {
	all := template.FuncMap{"asset": AssetURL}
	for k, v := range funcs {
		all[k] = v
	}
	base, err := template.New("layout").Funcs(all).ParseFS(layoutFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(pages, glob)
	if err != nil {
		return nil, err
	}
	var pageFiles []string
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "_") {
			if base, err = base.ParseFS(pages, f); err != nil {
				return nil, fmt.Errorf("partial %s: %w", f, err)
			}
			continue
		}
		pageFiles = append(pageFiles, f)
	}
	r := &Renderer{pages: map[string]*template.Template{}, catalog: catalog}
	for _, f := range pageFiles {
		t, err := template.Must(base.Clone()).ParseFS(pages, f)
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", f, err)
		}
		r.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return r, nil
}

// NavLink is one entry of a page's navigation or breadcrumb trail.
type NavLink struct {
	Label   string
	URL     string
	Current bool
}

// Page is what the layout renders around a page's content.
type Page struct {
	Title  string
	Lang   string       // BCP 47; "en" when empty
	CSRF   string       // the token every form of the page carries
	User   *roster.User // the signed-in person; nil before sign-in
	Nav    []NavLink    // main navigation; none on hosted pages
	Crumbs []NavLink
	Flash  string   // one-line success message
	Prob   *Problem // what went wrong, shown at the top and beside fields
	Data   any      // the page's own data

	// URLs of the layout's links; empty ones are left out.
	HomeURL, AccountURL, SignOutURL string

	catalog Catalog
}

// T translates key into the page's language (see Catalog).
func (p *Page) T(key string, args ...any) string { return p.catalog.Translate(p.Lang, key, args...) }

// Err returns the problem with the form field name, or "".
func (p *Page) Err(name string) string {
	if p.Prob == nil {
		return ""
	}
	return p.Prob.Fields[name]
}

// Field is a labelled form control as the "field" partial renders it.
type Field struct {
	ID, Name, Label, Type, Value, Hint, Error, Autocomplete, Pattern string
	Required, Autofocus                                              bool
}

// Input describes a labelled input for the "field" partial, with its error from the page's
// problem. Options: "type=email", "required", "autofocus", "autocomplete=username",
// "hint=…", "id=…" (default "f-" + name), "pattern=…", "noerror" (show no error).
func (p *Page) Input(name, label string, value any, options ...string) Field {
	f := Field{ID: "f-" + name, Name: name, Label: p.T(label), Type: "text", Error: p.Err(name)}
	if value != nil {
		f.Value = fmt.Sprint(value)
	}
	for _, o := range options {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "type":
			f.Type = v
		case "required":
			f.Required = true
		case "autofocus":
			f.Autofocus = true
		case "autocomplete":
			f.Autocomplete = v
		case "hint":
			f.Hint = p.T(v)
		case "id":
			f.ID = v
		case "pattern":
			f.Pattern = v
		case "noerror": // a control whose name another form's field shares (filters)
			f.Error = ""
		}
	}
	return f
}

// Render writes the page named name with status. The page is rendered to memory first, so a
// template error yields a clean 500 and not half a page; it is compressed when the client
// accepts gzip, with a CSRF token masked per response (see CSRFToken).
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) error {
	t, ok := rd.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	p.catalog = rd.catalog
	if p.Lang == "" {
		p.Lang = "en"
	}
	buf := buffers.Get().(*bytes.Buffer) // pages are tens of kilobytes: growing a buffer for each costs more than the page
	defer func() { buf.Reset(); buffers.Put(buf) }()
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	SetSecurityHeaders(w)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", "Accept-Encoding")
	body := buf.Bytes()
	if len(body) > 1400 && acceptsGzip(r) {
		z := buffers.Get().(*bytes.Buffer)
		defer func() { z.Reset(); buffers.Put(z) }()
		zw := gzipWriters.Get().(*gzip.Writer) // a compressor allocates ~1 MB: keep them
		zw.Reset(z)
		_, _ = zw.Write(body)
		_ = zw.Close()
		gzipWriters.Put(zw)
		body = z.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
