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
