package httpx

import "net/http"

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

// Handle registers h for pattern.
func (m *Mux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern.
func (m *Mux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Routes returns the patterns registered, in order.
func (m *Mux) Routes() []string { return append([]string(nil), m.patterns...) }
