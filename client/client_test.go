package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/client"
)

// Every operation of the OpenAPI document has a method named after its operationId, and every
// paginated list an All variant: a route added to the API without the client failing here
// would leave Go programs (and the CLI) without it.
func TestEveryOperationHasAMethod(t *testing.T) {
	typ := reflect.TypeFor[*client.Client]()
	ctxType := reflect.TypeFor[context.Context]()
	paginated := map[string]bool{}
	if _, err := loadSpec(); err != nil {
		t.Fatal(err)
	}
	for _, item := range specDoc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil && p.Value.Name == "cursor" {
					paginated[op.OperationID] = true
				}
			}
		}
	}
	for _, id := range operations(t) {
		if slices.Contains(notClientOperations, id) {
			continue
		}
		name := strings.ToUpper(id[:1]) + id[1:]
		m, ok := typ.MethodByName(name)
		if !ok {
			t.Errorf("operation %s has no method (*client.Client).%s", id, name)
			continue
		}
		if m.Type.NumIn() < 2 || m.Type.In(1) != ctxType {
			t.Errorf("(*client.Client).%s does not take a context.Context first", name)
		}
		if paginated[id] {
			all := "All" + strings.TrimPrefix(name, "List")
			if _, ok := typ.MethodByName(all); !ok {
				t.Errorf("paginated operation %s has no iterator (*client.Client).%s", id, all)
			}
		}
	}
}

func TestNewRefusesBadBaseURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://example.com", "http://", "http://example.com/?a=b", "http://example.com/#x", "http://%zz", "http://admin:secret@example.com"} {
		if c, err := client.New(u); err == nil {
			t.Errorf("New(%q) = %v, want an error", u, c.BaseURL())
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("New(%q): the error repeats the password: %v", u, err)
		}
	}
	c, err := client.New("https://example.com/roster/")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.BaseURL(), "https://example.com/roster"; got != want {
		t.Errorf("BaseURL() = %q, want %q", got, want)
	}
}

// A base URL with a path reaches a server that a proxy serves under that path.
func TestBaseURLWithPath(t *testing.T) {
	w := newWorld(t)
	target, _ := url.Parse(w.url)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = w.http.Transport // checks what reaches the server
	proxy := httptest.NewServer(http.StripPrefix("/roster", rp))
	defer proxy.Close()
	c, err := client.New(proxy.URL + "/roster/")
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Login(context.Background(), "admin@example.com", password)
	if err != nil {
		t.Fatalf("login through the proxy: %v", err)
	}
	if s.User.ID != w.adminID {
		t.Errorf("logged in as %s, want %s", s.User.ID, w.adminID)
	}
}

// The user agent reaches the server, which records it on the audit trail.
func TestUserAgent(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c, err := client.New(w.url, client.WithHTTPClient(w.http), client.WithUserAgent("roster-cli/1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, "admin@example.com", password); err != nil {
		t.Fatal(err)
	}
	page, err := w.admin.ListAuditEvents(ctx, client.AuditFilter{Action: "auth.login"}, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var agents []string
	for _, e := range page.Items {
		agents = append(agents, e.UserAgent)
	}
	if want := []string{"roster-cli/1.2.3"}; !slices.Equal(agents, want) {
		t.Errorf("login events' user agents = %q, want %q", agents, want)
	}
	boot, err := w.admin.ListAuditEvents(ctx, client.AuditFilter{Action: "auth.bootstrap"}, client.ListOptions{})
	if err != nil || len(boot.Items) != 1 {
		t.Fatalf("bootstrap events: %v %v", boot, err)
	}
	if got := boot.Items[0].UserAgent; got != client.DefaultUserAgent {
		t.Errorf("bootstrap's user agent = %q, want the default %q", got, client.DefaultUserAgent)
	}
}

// WithToken returns a copy: the original keeps its own credential.
func TestWithTokenCopies(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, ann := w.user(t, "ann@example.com")
	if _, err := w.anon.GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("the anonymous client: GetMe = %v, want unauthenticated", err)
	}
	me, err := ann.GetMe(ctx)
	if err != nil || me.User.Email != "ann@example.com" {
		t.Errorf("ann: GetMe = %+v, %v", me, err)
	}
	me, err = w.admin.GetMe(ctx)
	if err != nil || me.User.Email != "admin@example.com" {
		t.Errorf("admin: GetMe = %+v, %v", me, err)
	}
	if _, err := ann.WithToken("").GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("WithToken(\"\"): GetMe = %v, want unauthenticated", err)
	}
}

// An empty path parameter never leaves the client: DELETE /v1/users/{user}/sessions/ would
// otherwise come close to "revoke every session".
func TestEmptyPathParameterIsRefused(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var sent atomic.Int64
	counting := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return w.http.Transport.RoundTrip(r)
	})}
	c, _ := client.New(w.url, client.WithHTTPClient(counting))
	u, ann := w.user(t, "ann@example.com")
	c = c.WithToken(tokenOf(t, w, "admin@example.com"))
	calls := map[string]error{
		"GetUser":           func() error { _, err := c.GetUser(ctx, ""); return err }(),
		"RevokeUserSession": c.RevokeUserSession(ctx, u.ID, ""),
		"DeleteTenant":      c.DeleteTenant(ctx, "."),
		"GetRole":           func() error { _, err := c.GetRole(ctx, "..", "admin"); return err }(),
	}
	for name, err := range calls {
		var e *client.Error
		if err == nil || errors.As(err, &e) {
			t.Errorf("%s with an empty or dot parameter = %v, want a client-side error", name, err)
		}
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests were sent, want none", n)
	}
	if _, err := ann.GetMe(ctx); err != nil {
		t.Errorf("ann's session ended: %v", err)
	}
}

// Path parameters are escaped: a slash in one stays inside it.
func TestPathParametersAreEscaped(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.admin.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	_, err := w.admin.GetRole(ctx, "acme", "admin/../../../users")
	if !client.IsNotFound(err) {
		t.Errorf("GetRole with a slash in the name = %v, want not_found", err)
	}
	var e *client.Error
	if errors.As(err, &e) && e.Path != "/v1/tenants/acme/roles/admin%2F..%2F..%2F..%2Fusers" {
		t.Errorf("path = %s", e.Path)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// tokenOf logs login in with the test password and returns the session token.
func tokenOf(t testing.TB, w *world, login string) string {
	t.Helper()
	s, err := w.anon.Login(context.Background(), login, password)
	if err != nil {
		t.Fatalf("log in as %s: %v", login, err)
	}
	return s.Token
}

// Answers are read to their end, so that one connection serves call after call, also for
// answers too large for a Content-Length (chunked).
func TestConnectionsAreReused(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	seedUsers(t, w, 30) // a page of 31 users is some 10 kB: chunked
	var dials atomic.Int64
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	c, _ := client.New(w.url, client.WithHTTPClient(&http.Client{Transport: tr}), client.WithToken(w.adminToken(t)))
	for range 5 {
		page, err := c.ListUsers(ctx, client.UserFilter{}, client.ListOptions{Limit: 100})
		if err != nil || len(page.Items) != 31 {
			t.Fatalf("ListUsers = %v, %v", page, err)
		}
		if _, err := c.GetUser(ctx, w.adminID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetUser(ctx, "usr_nobody"); !client.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("15 calls in a row dialled %d connections, want 1", n)
	}
}
