package client_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/internal/httpapi"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/testdb"
)

// The tests start a real server on a real database (SQLite, then PostgreSQL when
// ROSTER_TEST_POSTGRES_DSN is set), and drive it only through the client. Every exchange is
// checked against the OpenAPI document, and a full run fails if some operation of the
// document was never called.
func TestMain(m *testing.M) {
	flag.Parse()
	code := testdb.Run(m)
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" {
		if missing := uncalledOperations(); len(missing) > 0 {
			fmt.Printf("FAIL: the client tests never called these operations of openapi.json: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}

// notClientOperations are served beside the API for operators, not by it.
var notClientOperations = []string{"readyz", "metrics"}

const password = "lunar orchid 7 tea" // passes the password policy

// world is a running server with its first administrator.
type world struct {
	url     string
	http    *http.Client // checks every exchange against the OpenAPI document
	anon    *client.Client
	admin   *client.Client
	adminID string
}

// newWorld starts a server on 127.0.0.1:0 with a fresh database, bootstraps
// admin@example.com, and stops the server when t ends.
func newWorld(t testing.TB, options ...func(*server.Config)) *world {
	t.Helper()
	w := startServer(t, options...)
	s, err := w.anon.Bootstrap(context.Background(), client.BootstrapRequest{Email: "admin@example.com", Password: password})
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	w.admin, w.adminID = w.anon.WithToken(s.Token), s.User.ID
	return w
}

// startServer starts a server with an empty database (nobody bootstrapped); options, when
// given, change the configuration first.
func startServer(t testing.TB, options ...func(*server.Config)) *world {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = testdb.DSN(t)
	cfg.DBOptions.MaxConns = 4
	cfg.ShutdownDelay = 0
	for _, o := range options {
		o(&cfg)
	}
	url := serve(t, cfg)
	h := &http.Client{Transport: &checkingTransport{t: t, next: http.DefaultTransport}}
	anon, err := client.New(url, client.WithHTTPClient(h))
	if err != nil {
		t.Fatal(err)
	}
	return &world{url: url, http: h, anon: anon}
}

// serve runs a server with cfg until t ends and returns its base URL.
func serve(t testing.TB, cfg server.Config) string {
	t.Helper()
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
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
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			mu.Lock()
			t.Logf("server log:\n%s", logs.String())
			mu.Unlock()
		}
	})
	return srv.URL()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// as returns a client that authenticates with token, on w's checking transport.
func (w *world) as(token string) *client.Client { return w.anon.WithToken(token) }

// user creates a user with password (as the administrator) and returns it logged in.
func (w *world) user(t testing.TB, email string) (*client.User, *client.Client) {
	t.Helper()
	ctx := context.Background()
	u, err := w.admin.CreateUser(ctx, client.UserCreate{Email: email, Password: password})
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	s, err := w.anon.Login(ctx, email, password)
	if err != nil {
		t.Fatalf("log in as %s: %v", email, err)
	}
	return u, w.as(s.Token)
}

// The OpenAPI document, loaded once, and the operations the tests called.
var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error

	calledMu sync.Mutex
	called   = map[string]bool{}
)

func loadSpec() (routers.Router, error) {
	specOnce.Do(func() {
		specDoc, specErr = openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument())
		if specErr != nil {
			return
		}
		if specErr = specDoc.Validate(context.Background()); specErr != nil {
			return
		}
		specDoc.Servers = nil // match any host
		specRouter, specErr = legacyrouter.NewRouter(specDoc)
	})
	return specRouter, specErr
}

// operations returns the operationId of every operation in the document.
func operations(t testing.TB) []string {
	t.Helper()
	if _, err := loadSpec(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, item := range specDoc.Paths.Map() {
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	sort.Strings(ids)
	return ids
}

func uncalledOperations() []string {
	if _, err := loadSpec(); err != nil {
		return []string{err.Error()}
	}
	calledMu.Lock()
	defer calledMu.Unlock()
	var missing []string
	for _, item := range specDoc.Paths.Map() {
		for _, op := range item.Operations() {
			if !called[op.OperationID] && !slices.Contains(notClientOperations, op.OperationID) {
				missing = append(missing, op.OperationID)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// checkingTransport checks each request the client sends and each answer it gets against the
// OpenAPI document, and records the operations called. A request the document does not allow
// is an error when the server accepted it; a refused one may be a test's purpose.
type checkingTransport struct {
	t    testing.TB
	next http.RoundTripper
}

func (ct *checkingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	router, err := loadSpec()
	if err != nil {
		ct.t.Errorf("openapi.json: %v", err)
		return ct.next.RoundTrip(r)
	}
	var reqBody []byte
	if r.Body != nil {
		if reqBody, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	route, params, routeErr := router.FindRoute(r)
	var reqErr error
	if routeErr == nil {
		clone := r.Clone(r.Context())
		clone.Body = io.NopCloser(bytes.NewReader(reqBody))
		reqErr = openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
			Request: clone, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
		})
	}
	res, err := ct.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if routeErr != nil {
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			ct.t.Errorf("%s %s answered %d but is not in openapi.json: %v", r.Method, r.URL.Path, res.StatusCode, routeErr)
		}
		return res, nil
	}
	calledMu.Lock()
	called[route.Operation.OperationID] = true
	calledMu.Unlock()
	if reqErr != nil && res.StatusCode < 400 {
		ct.t.Errorf("%s %s sent a request openapi.json does not allow, and the server took it: %v\nbody: %s", r.Method, r.URL.Path, reqErr, reqBody)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
		ct.t.Errorf("%s %s → %d does not match openapi.json: %v\nbody: %s", r.Method, r.URL.Path, res.StatusCode, err, body)
	}
	return res, nil
}
