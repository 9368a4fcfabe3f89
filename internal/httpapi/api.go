// Package httpapi serves Roster's native JSON API under /v1. It translates HTTP to service
// calls and back; it decides nothing about who may do what.
package httpapi

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the OpenAPI document of the native API.
func OpenAPIDocument() []byte { return openAPIDocument }

// API is the native HTTP API.
type API struct {
	svc      *service.Service
	log      *slog.Logger
	mux      *httpx.Mux
	observer Observer
	trusted  []netip.Prefix
	mounted  []string // routes of the mounted surfaces, with their prefixes
	// surfaces holds the mounted surfaces' routes, with their prefixes, only to name the route
	// of a request to a surface in logs and metrics; prefixes are the patterns they hang on.
	surfaces *http.ServeMux
	prefixes map[string]bool
}

// Observer hears every answered request (for metrics).
type Observer interface {
	ObserveRequest(route, method string, status int, d time.Duration)
}

// New returns the native API as an http.Handler; observer may be nil. Requests from a
// trusted proxy have their client address taken from X-Forwarded-For.
func New(svc *service.Service, log *slog.Logger, observer Observer, trustedProxies []netip.Prefix) *API {
	a := &API{svc: svc, log: log, mux: httpx.NewMux(), observer: observer, trusted: trustedProxies,
		surfaces: http.NewServeMux(), prefixes: map[string]bool{}}
	a.routes()
	return a
}

// Handle serves h at pattern beside the API, behind the same request ids, logging and
// panic recovery (for /readyz and /metrics).
func (a *API) Handle(pattern string, h http.Handler) {
	a.mux.Handle(pattern, h)
}

// handlerFunc is an HTTP handler that returns its error for one adapter to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *API) routes() {
	a.public("GET /healthz", a.health)
	a.public("GET /v1/openapi.json", a.openAPI)
	a.public("POST /v1/bootstrap", a.bootstrap)
	a.public("POST /v1/auth/login", a.login)
	a.authed("POST /v1/auth/logout", a.logout)
	a.authed("GET /v1/me", a.me)
	a.authed("POST /v1/me/memberships/{tenant}/accept", a.acceptMembership)

	a.authed("GET /v1/tenants", a.listTenants)
	a.authed("POST /v1/tenants", a.createTenant)
	a.authed("GET /v1/tenants/{tenant}", a.getTenant)
	a.authed("PATCH /v1/tenants/{tenant}", a.updateTenant)
	a.authed("DELETE /v1/tenants/{tenant}", a.deleteTenant)

	a.authed("GET /v1/users", a.listUsers)
	a.authed("POST /v1/users", a.createUser)
	a.authed("GET /v1/users/{user}", a.getUser)
	a.authed("PATCH /v1/users/{user}", a.updateUser)
	a.authed("DELETE /v1/users/{user}", a.deleteUser)
	a.authed("PUT /v1/users/{user}/password", a.setPassword)

	a.authed("GET /v1/tenants/{tenant}/members", a.listMembers)
	a.authed("POST /v1/tenants/{tenant}/members", a.addMember)
	a.authed("PATCH /v1/tenants/{tenant}/members", a.bulkSetMemberRoles)
	a.authed("GET /v1/tenants/{tenant}/members/{user}", a.getMember)
	a.authed("PUT /v1/tenants/{tenant}/members/{user}", a.setMemberRoles)
	a.authed("DELETE /v1/tenants/{tenant}/members/{user}", a.removeMember)

	a.authed("GET /v1/tenants/{tenant}/roles", a.listRoles)
	a.authed("POST /v1/tenants/{tenant}/roles", a.createRole)
	a.authed("GET /v1/tenants/{tenant}/roles/{role}", a.getRole)
	a.authed("PATCH /v1/tenants/{tenant}/roles/{role}", a.updateRole)
	a.authed("DELETE /v1/tenants/{tenant}/roles/{role}", a.deleteRole)

	a.authed("GET /v1/me/tokens", a.listMyTokens)
	a.authed("POST /v1/me/tokens", a.createToken)
	a.authed("DELETE /v1/me/tokens/{id}", a.revokeMyToken)
	a.authed("GET /v1/users/{user}/tokens", a.listUserTokens)
	a.authed("DELETE /v1/users/{user}/tokens/{id}", a.revokeUserToken)

	a.authed("GET /v1/me/sessions", a.listMySessions)
	a.authed("DELETE /v1/me/sessions/{id}", a.revokeMySession)
	a.authed("GET /v1/users/{user}/sessions", a.listUserSessions)
	a.authed("DELETE /v1/users/{user}/sessions", a.revokeAllUserSessions)
	a.authed("DELETE /v1/users/{user}/sessions/{id}", a.revokeUserSession)

	a.authed("GET /v1/tenants/{tenant}/service-accounts", a.listServiceAccounts)
	a.authed("POST /v1/tenants/{tenant}/service-accounts", a.createServiceAccount)
	a.authed("GET /v1/tenants/{tenant}/service-accounts/{sa}", a.getServiceAccount)
	a.authed("PATCH /v1/tenants/{tenant}/service-accounts/{sa}", a.updateServiceAccount)
	a.authed("DELETE /v1/tenants/{tenant}/service-accounts/{sa}", a.deleteServiceAccount)
	a.authed("GET /v1/tenants/{tenant}/service-accounts/{sa}/keys", a.listKeys)
	a.authed("POST /v1/tenants/{tenant}/service-accounts/{sa}/keys", a.createKey)
	a.authed("DELETE /v1/tenants/{tenant}/service-accounts/{sa}/keys/{key}", a.revokeKey)

	a.authed("POST /v1/auth/introspect", a.introspect)
	a.authed("GET /v1/audit-events", a.listAuditEvents)
	a.authed("GET /v1/tenants/{tenant}/audit-events", a.listTenantAuditEvents)
	a.authed("GET /v1/events", a.listEvents)
	a.authed("GET /v1/tenants/{tenant}/events", a.listTenantEvents)
	a.lifecycleRoutes()
	a.invitationRoutes()
}

// Mount serves h under prefix (such as "/compat/exolink"), behind the same request ids,
// logging and panic recovery as the native API. h sees paths with the prefix removed. A
// surface with an OpenAPI document has it served at prefix/openapi.json.
func (a *API) Mount(prefix string, h interface {
	http.Handler
	Routes() []string
}) {
	a.mux.ServeMux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	a.prefixes[prefix+"/"] = true
	for _, p := range h.Routes() {
		method, path, _ := strings.Cut(p, " ")
		a.mounted = append(a.mounted, method+" "+prefix+path)
		a.surfaces.Handle(method+" "+prefix+path, http.NotFoundHandler()) // never served
	}
	if d, ok := h.(interface{ OpenAPIDocument() []byte }); ok {
		doc := d.OpenAPIDocument()
		a.public("GET "+prefix+"/openapi.json", func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "application/json")
			_, err := w.Write(doc)
			return err
		})
	}
}

// route is the pattern that names r's route in logs and metrics: the native route's, or
// for a mounted surface its own route's with the prefix ("GET /compat/links/users/{username}"),
// or the surface's prefix when none of its routes matches.
func (a *API) route(r *http.Request) string {
	_, pattern := a.mux.Handler(r)
	if a.prefixes[pattern] {
		if _, p := a.surfaces.Handler(r); p != "" {
			return p
		}
	}
	return pattern
}

// Routes returns every route pattern the API serves, the mounted surfaces' included.
func (a *API) Routes() []string { return append(a.mux.Routes(), a.mounted...) }

// public registers a route that needs no credentials.
func (a *API) public(pattern string, h handlerFunc) {
	a.mux.Handle(pattern, a.adapt(h))
}

// authed registers a route that needs a bearer token; the principal is in the context.
func (a *API) authed(pattern string, h handlerFunc) {
	a.mux.Handle(pattern, a.adapt(func(w http.ResponseWriter, r *http.Request) error {
		secret, err := httpx.BearerToken(r)
		if err != nil {
			return err
		}
		p, err := a.svc.Authenticate(r.Context(), secret)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(roster.NewContextWithPrincipal(r.Context(), p)))
	}))
}

// adapt turns a handlerFunc into an http.Handler, answering its error as a problem document.
// What no handler may see is refused first: a malformed query string, a repeated credential
// header, a malformed typed id in the path, a malformed If-Match.
func (a *API) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := httpx.CheckRequest(r)
		if err == nil {
			err = httpx.CheckPathIDs(r)
		}
		if err == nil {
			err = checkIfMatch(r)
		}
		if err == nil {
			err = h(w, r)
		}
		switch {
		case err == nil:
		case errors.Is(err, httpx.ErrBodyTooLarge):
			writeProblem(w, r, http.StatusRequestEntityTooLarge, codePayloadTooLarge,
				"The request body is larger than 1 MiB.", nil)
		case errors.Is(err, httpx.ErrMediaType):
			writeProblem(w, r, http.StatusUnsupportedMediaType, codeUnsupportedMediaType,
				"Send the request body as JSON with Content-Type: application/json.", nil)
		default:
			writeError(w, r, a.log, err)
		}
	})
}

// ServeHTTP gives every request an id, recovers panics, logs one line per request, and answers
// unknown routes and methods with problem documents.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if !requestIDPattern.MatchString(id) {
		id = newRequestID()
	}
	w.Header().Set("X-Request-Id", id)
	ctx, notes := roster.NewContextWithNotes(r.Context())
	r = r.WithContext(roster.NewContextWithRequestInfo(context.WithValue(ctx, requestIDKey{}, id), a.clientInfo(r, id)))
	sw := &statusWriter{ResponseWriter: w}
	pattern := a.route(r)
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeProblem(sw, r, http.StatusInternalServerError, string(roster.EInternal), roster.ErrorMessageOf(nil), nil)
			}
		}
		d := time.Since(start)
		tenant, actor := notes.Get()
		attrs := []any{"method", r.Method, "route", pattern, "status", sw.status,
			"duration_ms", float64(d.Microseconds()) / 1000, "request_id", id}
		if tenant != "" {
			attrs = append(attrs, "tenant", tenant)
		}
		if actor.Kind != "" && actor.Kind != roster.ActorAnonymous {
			attrs = append(attrs, "actor", actor.Kind+":"+actor.ID)
		}
		a.log.Info("request", attrs...)
		if a.observer != nil {
			a.observer.ObserveRequest(pattern, r.Method, sw.status, d)
		}
	}()
	if pattern == "" {
		a.noRoute(sw, r)
		return
	}
	a.mux.ServeHTTP(sw, r)
}

// noRoute answers a request no route matches: 405 with Allow when the path exists under
// another method, else 404.
func (a *API) noRoute(w http.ResponseWriter, r *http.Request) {
	allowed := httpx.AllowedMethods(a.mux.ServeMux, r)
	if len(allowed) == 0 {
		writeProblem(w, r, http.StatusNotFound, string(roster.ENotFound), "No such route: "+r.URL.Path, nil)
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeProblem(w, r, http.StatusMethodNotAllowed, codeMethodNotAllowed,
		r.Method+" is not allowed here; use "+strings.Join(allowed, ", ")+".", nil)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

type requestIDKey struct{}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// newRequestID returns 128 random bits as 32 hex digits.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// clientInfo describes the client. X-Forwarded-For is believed only from a trusted proxy: the
// client is the nearest address in it that is not itself a trusted proxy.
func (a *API) clientInfo(r *http.Request, requestID string) roster.RequestInfo {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a.isTrusted(host) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := strings.TrimSpace(hops[i])
			if _, err := netip.ParseAddr(hop); err != nil {
				break // a forged or broken header: keep the last address we could trust
			}
			host = hop
			if !a.isTrusted(hop) {
				break
			}
		}
	}
	return roster.RequestInfo{RequestID: requestID, ClientAddr: host, UserAgent: r.UserAgent()}
}

func (a *API) isTrusted(host string) bool {
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, p := range a.trusted {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

func (a *API) health(w http.ResponseWriter, r *http.Request) error {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openAPIDocument)
	return err
}
