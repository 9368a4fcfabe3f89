package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Protect serves h only to requests that send token as "Authorization: Bearer <token>", and
// answers every other request with 401. With an empty token no request is let through: the
// metrics are then to be scraped on a separate address (--metrics-addr) instead.
func Protect(h http.Handler, token string) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if token != "" && strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare(sum[:], want[:]) == 1 {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		msg := "GET /metrics here needs Authorization: Bearer <the --metrics-token>.\n"
		if token == "" {
			msg = "GET /metrics is served on --metrics-addr, or here to a bearer of --metrics-token (or --metrics-token-file); neither is set.\n"
		}
		_, _ = w.Write([]byte(msg))
	})
}
