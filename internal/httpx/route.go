package httpx

import (
	"context"
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
)

// AllowedMethods returns the methods mux has routes for at r's path, so that a transport can
// answer a request no route matches with 405 and Allow (some methods) or 404 (none).
func AllowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allowed []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := mux.Handler(probe); p != "" && p != "/" {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// Mux is an http.ServeMux that remembers its patterns, so that a test can check that every
// route is in the authorization matrix.
type Mux struct {
	*http.ServeMux
	patterns []string
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern. When the request came through Dispatch, a malformed typed
// id in the path (see CheckPathIDs) is answered 400 through Dispatch's fail before h runs.
func (m *Mux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail, ok := r.Context().Value(failKey{}).(func(int, string)); ok {
			if err := CheckPathIDs(r); err != nil {
				fail(http.StatusBadRequest, roster.ErrorMessageOf(err))
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
}

type failKey struct{}

// HandleFunc registers h for pattern.
func (m *Mux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Routes returns the patterns registered, in order.
func (m *Mux) Routes() []string { return append([]string(nil), m.patterns...) }

// Dispatch serves r through the mux, or answers through fail: 400 for what CheckRequest
// refuses or a malformed id in the path, 405 with Allow when the path exists under other
// methods, else 404.
func (m *Mux) Dispatch(w http.ResponseWriter, r *http.Request, fail func(status int, msg string)) {
	if err := CheckRequest(r); err != nil {
		fail(http.StatusBadRequest, roster.ErrorMessageOf(err))
		return
	}
	if _, pattern := m.Handler(r); pattern != "" {
		m.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), failKey{}, fail)))
		return
	}
	if allowed := AllowedMethods(m.ServeMux, r); len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		fail(http.StatusMethodNotAllowed, r.Method+" is not allowed here.")
		return
	}
	fail(http.StatusNotFound, "Not found.")
}

// compatStatus is the one table from error codes to the statuses of the compatibility
// surfaces. Their seeds have no If-Match, so a stale version is a conflict there.
var compatStatus = map[roster.ErrorCode]int{
	roster.EInvalid:            http.StatusBadRequest,
	roster.EUnauthenticated:    http.StatusUnauthorized,
	roster.EForbidden:          http.StatusForbidden,
	roster.ENotFound:           http.StatusNotFound,
	roster.EConflict:           http.StatusConflict,
	roster.EPreconditionFailed: http.StatusConflict,
	roster.ERateLimited:        http.StatusTooManyRequests,
	roster.EUnavailable:        http.StatusServiceUnavailable,
}

// CompatStatus returns the status a compatibility surface answers err with, and false for
// an internal error (500), which the caller should log.
func CompatStatus(err error) (int, bool) {
	status, ok := compatStatus[roster.ErrorCodeOf(err)]
	if !ok {
		return http.StatusInternalServerError, false
	}
	return status, true
}
