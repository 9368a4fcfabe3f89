// Package e2e drives a real Roster server over a real listener and a real SQLite file, and
// checks every response it receives against the OpenAPI document of its surface.
package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"github.com/rosterhq/roster/internal/compat/ellacore"
	"github.com/rosterhq/roster/internal/compat/exolink"
	"github.com/rosterhq/roster/internal/compat/links"
	"github.com/rosterhq/roster/internal/compat/partner"
	"github.com/rosterhq/roster/internal/httpapi"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/testdb"
)

func TestMain(m *testing.M) {
	code := testdb.Run(m)
	closeBrowser()
	os.Exit(code)
}

// env is one running server and a client for it.
type env struct {
	t      testing.TB
	url    string
	client *http.Client
	srv    *server.Server
	dsn    string        // the server's database
	logs   *lockedBuffer // everything the server logged, at every level
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newEnv starts a server on 127.0.0.1:0 with a fresh SQLite file and stops it when t ends.
// Options, when given, change the configuration first.
func newEnv(t testing.TB, options ...func(*server.Config)) *env {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = testdb.DSN(t)
	cfg.DBOptions.MaxConns = 8
	cfg.ShutdownDelay = 0
	for _, o := range options {
		o(&cfg)
	}
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.Open(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		if leak := secretShape.FindString(logs.String()); leak != "" {
			t.Errorf("the server log holds a secret or password: %.12s…", leak)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &env{t: t, url: srv.URL(), srv: srv, dsn: cfg.DB, logs: logs, client: &http.Client{
		Timeout:   60 * time.Second,
		Transport: &validatingTransport{t: t, next: http.DefaultTransport},
	}}
}

// secretShape matches every kind of secret Roster issues, and the tests' passwords: none may
// ever reach a log line.
var secretShape = regexp.MustCompile(`rs[spl]_[0-9A-Za-z]{20,}|sk:[0-9A-Za-z]{20,}|ellacore_[0-9A-Za-z]{12}_|` +
	regexp.QuoteMeta(testPassword) + `|plum-tree-4[0-9]|new password|login phrase|orchard lantern`)

// db opens the server's database directly, for tests and benchmarks that look underneath.
func (e *env) db(t testing.TB) *sql.DB {
	driver := "sqlite"
	if testdb.Kind() == testdb.Postgres {
		driver = "pgx"
	}
	db, err := sql.Open(driver, e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// credentialShape matches a secret in a response body, which only creation responses may hold.
var credentialShape = regexp.MustCompile(`"(rs[sp]_[0-9A-Za-z]{49}|sk:[0-9A-Za-z]{49}|ellacore_[0-9A-Za-z]{12}_[0-9A-Za-z]{24})"`)

// resp is a response read in full.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// object returns the body as a generic JSON object.
func (r *resp) object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// req describes one request; body is marshalled to JSON unless it is a string or []byte,
// which are sent as they are.
type req struct {
	method, path, token string
	body                any
	header              map[string]string
}

func (e *env) do(r req) *resp {
	e.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal: %v", err)
		}
		body = bytes.NewReader(raw)
	}
	hr, err := http.NewRequest(r.method, e.url+r.path, body)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	res, err := e.client.Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: b}
}

// must sends r and fails the test unless the status is want.
func (e *env) must(want int, r req) *resp {
	e.t.Helper()
	res := e.do(r)
	if res.status != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, res.status, want, res.body)
	}
	return res
}

// The OpenAPI documents, loaded once for every test: the native API's at "", each
// compatibility surface's at its base path.
var (
	specOnce    sync.Once
	specRouters map[string]routers.Router
	specErr     error
)

// surfaceDocuments are the documents of the compatibility surfaces, by base path.
var surfaceDocuments = map[string][]byte{
	"/compat/exolink":  exolink.OpenAPIDocument(),
	"/compat/links":    links.OpenAPIDocument(),
	"/compat/ellacore": ellacore.OpenAPIDocument(),
	"/compat/partner":  partner.OpenAPIDocument(),
}

// loadDocument loads and validates one OpenAPI document, and routes requests by its paths.
func loadDocument(name string, data []byte) (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("%s is invalid: %w", name, err)
	}
	doc.Servers = nil // match any host; a surface's requests are matched below its base path
	return legacyrouter.NewRouter(doc)
}

func loadSpecs() (map[string]routers.Router, error) {
	specOnce.Do(func() {
		specRouters = map[string]routers.Router{}
		docs := map[string][]byte{"": httpapi.OpenAPIDocument()}
		for base, data := range surfaceDocuments {
			docs[base] = data
		}
		for base, data := range docs {
			router, err := loadDocument(base+"/openapi.json", data)
			if err != nil {
				specErr = err
				return
			}
			specRouters[base] = router
		}
	})
	return specRouters, specErr
}

// validatingTransport checks every response against the OpenAPI document, so that the
// document cannot drift from what the server does.
type validatingTransport struct {
	t    testing.TB
	next http.RoundTripper
}

func (vt *validatingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := vt.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	routers, err := loadSpecs()
	if err != nil {
		vt.t.Errorf("%v", err)
		return res, nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if bytes.Contains(body, []byte("$argon2")) {
		vt.t.Errorf("%s %s answered with a password hash", r.Method, r.URL.Path)
	}
	if !strings.HasSuffix(r.URL.Path, "/openapi.json") && credentialShape.Match(body) && res.Header.Get("Cache-Control") != "no-store" {
		vt.t.Errorf("%s %s answered a credential without Cache-Control: no-store", r.Method, r.URL.Path)
	}
	if strings.HasPrefix(r.URL.Path, "/console/") || strings.HasPrefix(r.URL.Path, "/assets/") {
		return res, nil // the console answers in HTML
	}
	// A compatibility surface's responses are checked against its own document, whose paths
	// are below its base path.
	base, doc := "", "openapi.json"
	for b := range surfaceDocuments {
		if strings.HasPrefix(r.URL.Path, b+"/") {
			base, doc = b, b+"/openapi.json"
		}
	}
	if base != "" && r.URL.Path == base+"/openapi.json" {
		return res, nil // served beside the surface, described by no document
	}
	if base != "" {
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = strings.TrimPrefix(r.URL.Path, base), ""
	}
	route, params, err := routers[base].FindRoute(r)
	if err != nil {
		// Only unknown routes and methods may be missing from the document.
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			vt.t.Errorf("%s %s%s answered %d but is not in %s: %v", r.Method, base, r.URL.Path, res.StatusCode, doc, err)
		}
		return res, nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
		vt.t.Errorf("%s %s%s → %d does not match %s: %v\nbody: %s", r.Method, base, r.URL.Path, res.StatusCode, doc, err, body)
	}
	return res, nil
}
