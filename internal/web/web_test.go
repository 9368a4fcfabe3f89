package web

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

func TestCSRFToken(t *testing.T) {
	a, b := CSRFToken("rss_secret-one"), CSRFToken("rss_secret-one")
	if a == b {
		t.Error("two tokens of one session are equal: they are not masked")
	}
	for _, tc := range []struct {
		secret, token string
		want          bool
	}{
		{"rss_secret-one", a, true},
		{"rss_secret-one", b, true},
		{"rss_secret-two", a, false},
		{"rss_secret-one", a[:len(a)-2], false},
		{"rss_secret-one", "", false},
		{"rss_secret-one", strings.Repeat("A", len(a)), false},
	} {
		if got := validCSRF(tc.secret, tc.token); got != tc.want {
			t.Errorf("validCSRF(%q, %.10q…) = %v, want %v", tc.secret, tc.token, got, tc.want)
		}
	}
}

func TestCheckCSRF(t *testing.T) {
	const secret = "rss_session"
	post := func(token string, header map[string]string) *http.Request {
		r := httptest.NewRequest("POST", "http://roster.test/console/tenants", strings.NewReader(url.Values{CSRFField: {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			r.Header.Set(k, v)
		}
		return r
	}
	pub, _ := ParsePublicURL("https://roster.example.com")
	c := Config{PublicURL: pub}
	good := CSRFToken(secret)
	for _, tc := range []struct {
		name   string
		r      *http.Request
		secret string
		ok     bool
	}{
		{"token, same origin", post(good, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "null"}), secret, true},
		{"token, no fetch metadata, own origin", post(good, map[string]string{"Origin": "http://roster.test"}), secret, true},
		{"token, public URL origin", post(good, map[string]string{"Origin": "https://roster.example.com"}), secret, true},
		{"token, old browser without either header", post(good, nil), secret, true},
		{"no token", post("", map[string]string{"Sec-Fetch-Site": "same-origin"}), secret, false},
		{"another session's token", post(CSRFToken("rss_other"), map[string]string{"Sec-Fetch-Site": "same-origin"}), secret, false},
		{"cross-site", post(good, map[string]string{"Sec-Fetch-Site": "cross-site"}), secret, false},
		{"same-site sibling", post(good, map[string]string{"Sec-Fetch-Site": "same-site"}), secret, false},
		{"foreign origin", post(good, map[string]string{"Origin": "https://evil.example"}), secret, false},
		{"no pre-session cookie", post(good, nil), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.CheckCSRF(tc.r, tc.secret)
			if (err == nil) != tc.ok {
				t.Errorf("CheckCSRF = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && roster.ErrorCodeOf(err) != roster.EForbidden {
				t.Errorf("code %s", roster.ErrorCodeOf(err))
			}
		})
	}
}

func TestPreSessionToken(t *testing.T) {
	var c Config
	w := httptest.NewRecorder()
	token := c.PreSessionToken(w, httptest.NewRequest("GET", "/console/sign-in", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("pre-session cookie %+v", cookies)
	}
	r := httptest.NewRequest("POST", "/console/sign-in", strings.NewReader(CSRFField+"="+token))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(cookies[0])
	if err := c.CheckCSRF(r, ""); err != nil {
		t.Errorf("the sign-in form's own token: %v", err)
	}
}

func TestSessionCookie(t *testing.T) {
	plain := httptest.NewRequest("GET", "http://roster.test/", nil)
	overTLS := httptest.NewRequest("GET", "https://roster.test/", nil)
	overTLS.TLS = &tls.ConnectionState{}
	pub, _ := ParsePublicURL("https://roster.example.com")
	for _, tc := range []struct {
		name   string
		c      Config
		r      *http.Request
		cookie string
		secure bool
	}{
		{"plain http", Config{}, plain, "roster_session", false},
		{"over TLS", Config{}, overTLS, "__Host-roster_session", true},
		{"https public URL behind a proxy", Config{PublicURL: pub}, plain, "__Host-roster_session", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tc.c.SetSession(w, tc.r, "rss_x", roster.Session{}.ExpiresAt)
			var got *http.Cookie
			for _, ck := range w.Result().Cookies() {
				if ck.Name == tc.cookie {
					got = ck
				}
			}
			if got == nil {
				t.Fatalf("no cookie %s in %v", tc.cookie, w.Result().Cookies())
			}
			if got.Secure != tc.secure || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/" || got.Domain != "" {
				t.Errorf("cookie %+v", got)
			}
		})
	}
}

func TestParsePublicURL(t *testing.T) {
	for s, ok := range map[string]bool{
		"": true, "https://roster.example.com": true, "http://localhost:8080": true, "https://example.com/roster": true,
		"roster.example.com": false, "ftp://x": false, "https://": false, "https://u:p@x": false, "https://x/?a=1": false, "https://x/#f": false,
	} {
		if _, err := ParsePublicURL(s); (err == nil) != ok {
			t.Errorf("ParsePublicURL(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

func TestFlash(t *testing.T) {
	var c Config
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	c.SetFlash(w, r, "rss_a", "Tenant created.")
	ck := w.Result().Cookies()[0]
	read := func(secret string, ck *http.Cookie) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(ck)
		return c.TakeFlash(httptest.NewRecorder(), r, secret)
	}
	if got := read("rss_a", ck); got != "Tenant created." {
		t.Errorf("flash %q", got)
	}
	if got := read("rss_b", ck); got != "" {
		t.Errorf("another session read the flash %q", got)
	}
	forged := *ck
	forged.Value = "UGhpc2hpbmcgaGVyZQ." + strings.SplitN(ck.Value, ".", 2)[1]
	if got := read("rss_a", &forged); got != "" {
		t.Errorf("a forged flash was shown: %q", got)
	}
}

func TestProblemOf(t *testing.T) {
	err := roster.Invalid("is required", roster.FieldError{Pointer: "/email", Detail: "is required"},
		roster.FieldError{Pointer: "/roles/1", Detail: "no role \"x\""})
	p := ProblemOf(err, nil)
	if p.Status != 400 || p.Fields["email"] != "is required" || p.Fields["roles"] != `no role "x"` {
		t.Errorf("problem %+v", p)
	}
	if p.Message != "Please correct what is marked below." {
		t.Errorf("message %q", p.Message)
	}
	stale := ProblemOf(roster.Errorf(roster.EPreconditionFailed, "If-Match does not match"), nil)
	if stale.Status != 412 || stale.Message != StaleMessage {
		t.Errorf("stale problem %+v", stale)
	}
}
