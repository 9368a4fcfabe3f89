package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/bench"
	"github.com/rosterhq/roster/internal/server"
)

// consoleClient is a browser-like HTTP client of the console: a cookie jar, no redirects
// followed, Sec-Fetch-Site on every post as a browser sends it for its own forms.
type consoleClient struct {
	t    *testing.T
	e    *env
	http *http.Client
}

func newConsoleClient(t *testing.T, e *env) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, e: e, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *consoleClient) do(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, c.e.url+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	res, err := c.http.Do(r)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token returns the CSRF token of the page's first form.
func (c *consoleClient) token(page string) string {
	c.t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no CSRF token in the page")
	}
	return m[1]
}

func (c *consoleClient) signIn(login, password string) *http.Response {
	c.t.Helper()
	_, page := c.do("GET", "/console/sign-in", nil, nil)
	res, body := c.do("POST", "/console/sign-in", url.Values{"csrf": {c.token(page)}, "login": {login}, "password": {password}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in: %d %s", res.StatusCode, body)
	}
	return res
}

// The console's security headers, cookie, CSRF rules and page size, over plain HTTP.
func TestConsoleHTTP(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	e.createTenant(root, "acme")
	for i := range 60 {
		e.addMember(root, "acme", e.createUser(root, strings.Repeat("m", 1+i%3)+"ember"+string(rune('a'+i%26))+"-"+strings.Repeat("x", i%7)+"@example.com"), "viewer")
	}
	// A member whose names are markup: the rows, written in Go for speed, escape like templates.
	hostile := e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: root.token, body: map[string]any{
		"email": "aaa-hostile@example.com", "given_name": `<img src=x onerror=alert(1)>`, "family_name": `"'&`}}).object(t)["id"].(string)
	e.addMember(root, "acme", hostile, "viewer")
	c := newConsoleClient(t, e)

	res := c.signIn("root@example.com", testPassword)
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "roster_session" {
			session = ck
		}
	}
	switch {
	case session == nil:
		t.Fatalf("no session cookie in %v", res.Header["Set-Cookie"])
	case !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.Path != "/":
		t.Errorf("session cookie %+v", session)
	case !strings.HasPrefix(session.Value, "rss_"):
		t.Errorf("the cookie holds %.4s…, not a login session", session.Value)
	}

	// The cookie's session is an ordinary session: listed, and revocable through the API.
	var sessions struct {
		Items []struct{ ID string }
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me/sessions", token: session.Value}).decode(t, &sessions)
	if len(sessions.Items) != 2 {
		t.Errorf("root has %d sessions, want the bootstrap's and the console's", len(sessions.Items))
	}

	res, page := c.do("GET", "/console/tenants/acme/members", nil, map[string]string{"Accept-Encoding": "gzip"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("members page: %d", res.StatusCode)
	}
	h := res.Header
	for name, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Content-Encoding":        "gzip",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if n := len(page); n >= 100<<10 {
		t.Errorf("members page transferred %d bytes, want under 100 KB", n)
	}
	res, page = c.do("GET", "/console/tenants/acme/members", nil, nil) // Go's transport decodes gzip itself
	if n := len(page); n >= 100<<10 {
		t.Errorf("members page is %d bytes uncompressed", n)
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, " style=") || strings.Contains(page, " onclick=") {
		t.Error("the page holds inline script or style, which the CSP refuses")
	}
	if got := strings.Count(page, `<tr id="m-`); got != 50 {
		t.Errorf("first page has %d members, want 50", got)
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(page)
	if next == nil {
		t.Fatal("no next page link")
	}
	_, page2 := c.do("GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil, nil)
	if strings.Contains(page2, "<img") || !strings.Contains(page2, "&lt;img src=x onerror=alert(1)&gt; &#34;&#39;&amp;") {
		t.Error("a member's name is not escaped in the members table")
	}
	if got := strings.Count(page2, `<tr id="m-`); got != 11 {
		t.Errorf("second page has %d members, want 11", got)
	}

	// State-changing requests need the session's token and a same-origin request.
	token := c.token(page)
	create := func(slug string, header map[string]string, token string) int {
		res, _ := c.do("POST", "/console/tenants", url.Values{"csrf": {token}, "slug": {slug}, "name": {slug}}, header)
		return res.StatusCode
	}
	for _, tc := range []struct {
		name   string
		slug   string
		token  string
		header map[string]string
		want   int
	}{
		{"no token", "no-token", "", nil, http.StatusForbidden},
		{"a token of another session", "other-token", c.otherToken(root), nil, http.StatusForbidden},
		{"cross-site", "cross-site", token, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"foreign origin, no fetch metadata", "foreign", token, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"own form", "own-form", token, nil, http.StatusSeeOther},
	} {
		if got := create(tc.slug, tc.header, tc.token); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
		want := http.StatusNotFound
		if tc.want == http.StatusSeeOther {
			want = http.StatusOK
		}
		e.must(want, req{method: "GET", path: "/v1/tenants/" + tc.slug, token: root.token})
	}

	// An API token is not a login session: in the cookie it signs nobody in.
	apiToken := e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: root.token,
		body: map[string]any{"name": "not for cookies"}}).object(t)["token"].(string)
	r, _ := http.NewRequest("GET", e.url+"/console/tenants", nil)
	r.AddCookie(&http.Cookie{Name: "roster_session", Value: apiToken})
	if res, err := (&http.Client{CheckRedirect: c.http.CheckRedirect}).Do(r); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Errorf("an API token in the session cookie: %v %v", res.StatusCode, err)
	}

	// Revoking the cookie's session through the API signs the console out at once.
	current := ""
	for _, s := range sessions.Items {
		if res := e.do(req{method: "DELETE", path: "/v1/me/sessions/" + s.ID, token: root.token}); res.status == http.StatusNoContent {
			current = s.ID
		}
		if current != "" {
			break
		}
	}
	res, _ = c.do("GET", "/console/tenants", nil, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/sign-in") {
		t.Errorf("after its session was revoked the console answered %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	// Assets are served with their hash and cached for a year; no external origin anywhere.
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page refers to another origin")
	}
	res, _ = c.do("GET", regexp.MustCompile(`href="(/assets/roster.css\?v=[0-9a-f]+)"`).FindStringSubmatch(page)[1], nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %v", res.StatusCode, res.Header)
	}
}

// otherToken is the CSRF token of another session of the same user.
func (c *consoleClient) otherToken(p principal) string {
	other := newConsoleClient(c.t, c.e)
	other.signIn(p.email, testPassword)
	_, page := other.do("GET", "/console/tenants", nil, nil)
	return other.token(page)
}

// With an https public URL (TLS ended by a proxy), the session cookie is Secure and
// __Host- prefixed.
func TestConsoleSecureCookieBehindProxy(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Mail.PublicURL = "https://roster.example.com" })
	e.bootstrap()
	c := newConsoleClient(t, e)
	_, page := c.do("GET", "/console/sign-in", nil, nil)
	r, _ := http.NewRequest("POST", e.url+"/console/sign-in", strings.NewReader(url.Values{"csrf": {c.token(page)},
		"login": {"root@example.com"}, "password": {testPassword}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	u, _ := url.Parse(e.url)
	for _, ck := range c.http.Jar.Cookies(u) { // the jar keeps Secure cookies away from http://
		r.AddCookie(ck)
	}
	res, err := c.http.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var names []string
	for _, ck := range res.Cookies() {
		names = append(names, ck.Name)
		if ck.Name == "__Host-roster_session" && (!ck.Secure || !ck.HttpOnly || ck.Path != "/") {
			t.Errorf("cookie %+v", ck)
		}
	}
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(strings.Join(names, " "), "__Host-roster_session") {
		t.Errorf("sign-in behind an https public URL: %d, cookies %v", res.StatusCode, names)
	}
}

// The load tool's console scenarios sign in with a session cookie and get pages, not the
// sign-in redirect.
func TestBenchConsoleScenarios(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	cfg := bench.Config{URL: e.url, Login: "root@example.com", Password: testPassword, Members: 20, Clients: 2,
		Duration: 300 * time.Millisecond, Scenarios: []string{"console-members", "console-search", "console-next"}}
	var results []bench.Result
	if err := bench.Run(context.Background(), cfg, func(r bench.Result) { results = append(results, r) }); err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Requests == 0 || r.Statuses["200"] != r.Requests {
			t.Errorf("%s: %d requests, statuses %v", r.Scenario, r.Requests, r.Statuses)
		}
	}
	// An API token is not a login session, and the console refuses it as a cookie.
	e.createTenant(root, "acme")
	e.addMember(root, "acme", e.createUser(root, "m@example.com"), "viewer")
	apiToken := e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: root.token,
		body: map[string]any{"name": "bench"}}).object(t)["token"].(string)
	cfg.Login, cfg.Password, cfg.Token, cfg.Tenant = "", "", apiToken, "acme"
	if err := bench.Run(context.Background(), cfg, func(bench.Result) {}); err == nil || !strings.Contains(err.Error(), "login session") {
		t.Errorf("console scenarios with an API token: %v", err)
	}
}

// Signing in to the console is the service's login: by username too, throttled like
// POST /v1/auth/login, and on the audit trail.
func TestConsoleSignInThrottledAndAudited(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	c := newConsoleClient(t, e)
	c.signIn("root", testPassword) // the username bootstrap derived from root@example.com

	wrong := newConsoleClient(t, e)
	_, page := wrong.do("GET", "/console/sign-in", nil, nil)
	token := wrong.token(page)
	var last *http.Response
	var body string
	for range 6 {
		last, body = wrong.do("POST", "/console/sign-in", url.Values{"csrf": {token}, "login": {"root@example.com"}, "password": {"not the one"}}, nil)
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Errorf("sixth wrong password: %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
	if !strings.Contains(body, `id="problem"`) {
		t.Error("the sign-in page does not say why")
	}
	var events struct {
		Items []struct{ Outcome string }
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/audit-events?action=auth.login", token: root.token}).decode(t, &events)
	failures := 0
	for _, ev := range events.Items {
		if ev.Outcome == "failure" {
			failures++
		}
	}
	if failures < 5 {
		t.Errorf("%d failed sign-ins on the audit trail, want at least 5", failures)
	}
}
