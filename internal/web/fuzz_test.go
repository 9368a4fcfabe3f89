package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Any token, and any flash cookie, is refused or read without panicking; no token made up
// without the session's secret passes.
func FuzzUntrustedCookiesAndTokens(f *testing.F) {
	for _, seed := range []string{"", "x", CSRFToken("rss_other"), "AAAA.BBBB", "....", "\x00\xff", "bWVzc2FnZQ.bWFj"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validCSRF("rss_fuzz-session", s) {
			t.Fatalf("token %q passed without the secret", s)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", flashCookie+"="+s)
		if msg := (Config{}).TakeFlash(httptest.NewRecorder(), r, "rss_fuzz-session"); msg != "" {
			t.Fatalf("flash %q read without the secret's signature", msg)
		}
		r.Header.Set("Cookie", sessionCookie+"="+s)
		_ = (Config{}).SessionSecret(r)
		_ = acceptsGzip(&http.Request{Header: http.Header{"Accept-Encoding": {s}}})
	})
}
