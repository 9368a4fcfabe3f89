package e2e

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// send is do with headers that may repeat.
func (e *env) send(method, path string, header http.Header, body []byte) *resp {
	e.t.Helper()
	hr, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body == nil {
		hr.Body, hr.ContentLength = nil, 0
	}
	hr.Header = header
	res, err := e.client.Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: b}
}

// withoutRequestID drops the request id a body carries, for exact comparison.
func withoutRequestID(t *testing.T, res *resp) map[string]any {
	t.Helper()
	got := res.object(t)
	delete(got, "request_id")
	return got
}

// inputWorld: tenant acme with an admin member; a portal key for acme.
func inputWorld(t *testing.T) (e *env, root principal, key, memberID string) {
	e = newEnv(t)
	root = e.bootstrap()
	e.createTenant(root, "acme")
	m := e.newUser(root, "member@example.com")
	e.addMember(root, "acme", m.id, "admin")
	_, key = e.newServiceAccount(root, "acme", "portal", "admin")
	return e, root, key, m.id
}

// A JSON string that is not valid UTF-8 (an invalid byte, or an escaped surrogate without its
// pair) would decode to U+FFFD, so that two different passwords would verify alike. Every
// surface refuses it with 400 in its own shape, naming the field.
func TestInvalidUTF8IsRefused(t *testing.T) {
	e, root, key, memberID := inputWorld(t)
	// Both spellings would decode to "correct horse battery staple\uFFFD".
	for _, bad := range []string{"\xff", `\udc00`} {
		pw := []byte(`{"login": "root@example.com", "password": "` + testPassword + bad + `"}`)
		res := e.send("POST", "/v1/auth/login", http.Header{"Content-Type": {"application/json"}}, pw)
		want := map[string]any{"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "Field /password is not valid UTF-8; send text as UTF-8 (an escaped surrogate needs its pair).",
			"errors": []any{map[string]any{"pointer": "/password", "detail": "must be valid UTF-8"}}}
		if res.status != 400 {
			t.Fatalf("native login with %q: %d %s", bad, res.status, res.body)
		}
		if diff := cmp.Diff(want, withoutRequestID(t, res)); diff != "" {
			t.Errorf("native login with %q (-want +got):\n%s", bad, diff)
		}
	}
	// A pair of escaped surrogates is one character, and fine.
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: root.token,
		body: `{"email": "emoji@example.com", "given_name": "\ud83d\ude00"}`})
	// A member name that is not UTF-8 is named as it decodes.
	res := e.send("POST", "/v1/tenants/acme/roles", http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + root.token}},
		[]byte("{\"name\": \"x\", \"permissions\": [], \"\xfe\": 1}"))
	if diff := cmp.Diff([]any{map[string]any{"pointer": "/\ufffd", "detail": "is a member name that is not valid UTF-8"}}, res.object(t)["errors"]); res.status != 400 || diff != "" {
		t.Errorf("invalid key: %d (-want +got):\n%s", res.status, diff)
	}
	json := http.Header{"Content-Type": {"application/json"}}
	for _, c := range []struct {
		name   string
		path   string
		header http.Header
		body   string
		method string
		want   map[string]any
	}{
		{"links", lnk + "/login", json, "{\"username\": \"root\", \"password\": \"p\xffw\"}", "POST",
			map[string]any{"status": 400.0, "data": nil, "message": "Field /password is not valid UTF-8; send text as UTF-8 (an escaped surrogate needs its pair)."}},
		{"ellacore", ella + "/auth/login", http.Header{}, "{\"email\": \"root@example.com\", \"password\": \"p\xffw\"}", "POST",
			map[string]any{"error": "Field /password is not valid UTF-8; send text as UTF-8 (an escaped surrogate needs its pair)."}},
		{"partner", portals + "acme/users", http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key}},
			`{"first_name": "A\ud800", "last_name": "L", "email": "a@example.com", "roles": ["user"]}`, "POST",
			map[string]any{"status_code": 400.0, "message": "Invalid request: first_name must be valid UTF-8."}},
		{"exolink", exo + "/tenant/acme/user/" + memberID, http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + root.token}},
			"{\"role\": \"admin\xc0\"}", "PUT",
			map[string]any{"message": "Invalid request: role must be valid UTF-8."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.send(c.method, c.path, c.header, []byte(c.body))
			if res.status != 400 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if diff := cmp.Diff(c.want, withoutRequestID(t, res)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// A query string that does not decode is refused, on every surface, instead of being read as
// if the broken parameter had not been sent.
func TestMalformedQueryIsRefused(t *testing.T) {
	e, root, key, _ := inputWorld(t)
	res := e.must(http.StatusBadRequest, req{method: "GET", path: "/v1/users?cursor=%%%garbage", token: root.token})
	if diff := cmp.Diff(map[string]any{"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
		"detail": "The query string is malformed: cursor is not correctly percent-encoded (write % as %25).",
		"errors": []any{map[string]any{"parameter": "cursor", "detail": "is not correctly percent-encoded (write % as %25)"}}},
		withoutRequestID(t, res)); diff != "" {
		t.Errorf("native (-want +got):\n%s", diff)
	}
	e.must(http.StatusBadRequest, req{method: "GET", path: "/v1/tenants/acme/members?limit=2;role=admin", token: root.token})
	e.must(http.StatusBadRequest, req{method: "GET", path: "/v1/me?%zz=1", token: root.token})
	msg := "The query string is malformed: cursor is not correctly percent-encoded (write % as %25)."
	for _, c := range []struct {
		name   string
		path   string
		header http.Header
		want   map[string]any
	}{
		{"links", lnk + "/users?cursor=%%%garbage", http.Header{"X-Access-Token": {root.token}},
			map[string]any{"status": 400.0, "data": nil, "message": msg}},
		{"ellacore", ella + "/users?cursor=%%%garbage", http.Header{"Authorization": {"Bearer " + root.token}}, map[string]any{"error": msg}},
		{"partner", portals + "acme/users?after=x&cursor=%%%garbage", http.Header{"Authorization": {"Bearer " + key}},
			map[string]any{"status_code": 400.0, "message": msg}},
		{"exolink", exo + "/tenant/acme/user?cursor=%%%garbage", http.Header{"Authorization": {"Bearer " + root.token}}, map[string]any{"message": msg}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.send("GET", c.path, c.header, nil)
			if res.status != 400 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if diff := cmp.Diff(c.want, withoutRequestID(t, res)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// Two credential headers: which one would count is a guess, so the request is refused.
func TestRepeatedCredentialHeadersAreRefused(t *testing.T) {
	e, root, key, _ := inputWorld(t)
	other := e.login("member@example.com", testPassword)
	two := http.Header{"Authorization": {"Bearer " + root.token, "Bearer " + other}}
	res := e.send("GET", "/v1/me", two, nil)
	if diff := cmp.Diff(map[string]any{"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
		"detail": "The request carries 2 Authorization headers; send exactly one."}, withoutRequestID(t, res)); res.status != 400 || diff != "" {
		t.Errorf("native: %d (-want +got):\n%s", res.status, diff)
	}
	msg := "The request carries 2 Authorization headers; send exactly one."
	for _, c := range []struct {
		name, path string
		header     http.Header
		want       map[string]any
	}{
		{"links", lnk + "/users", http.Header{"X-Access-Token": {root.token, other}},
			map[string]any{"status": 400.0, "data": nil, "message": "The request carries 2 X-Access-Token headers; send exactly one."}},
		{"ellacore", ella + "/users/me", two, map[string]any{"error": msg}},
		{"partner", portals + "acme/users", http.Header{"Authorization": {"Bearer " + key, "Bearer " + root.token}},
			map[string]any{"status_code": 400.0, "message": msg}},
		{"exolink", exo + "/tenant/acme/user", two, map[string]any{"message": msg}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.send("GET", c.path, c.header, nil)
			if res.status != 400 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if diff := cmp.Diff(c.want, withoutRequestID(t, res)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// A request with both Content-Length and Transfer-Encoding: chunked is answered, then the
// connection is closed: what a front end reading by the Content-Length would take for a second
// request is never served (RFC 9112 §6.1).
func TestChunkedWithContentLengthClosesTheConnection(t *testing.T) {
	e := newEnv(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"login": "nobody", "password": "x"}`
	smuggled := "GET /healthz HTTP/1.1\r\nHost: roster\r\n\r\n"
	raw := "POST /v1/auth/login HTTP/1.1\r\nHost: roster\r\nContent-Type: application/json\r\n" +
		"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strings.ToUpper(strconvHex(len(body))) + "\r\n" + body + "\r\n0\r\n\r\n" + smuggled
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(conn)
	first, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("first response: %v", err)
	}
	io.Copy(io.Discard, first.Body)
	first.Body.Close()
	if first.StatusCode != http.StatusUnauthorized || !first.Close {
		t.Errorf("first response: %d, close %v; want 401 and the connection closed", first.StatusCode, first.Close)
	}
	if second, err := http.ReadResponse(rd, nil); err == nil {
		t.Errorf("the connection served a second request: %d", second.StatusCode)
	}
	// A chunked request without a Content-Length is served as well, and its connection closed
	// too: by then the server cannot tell the two apart.
	res, err := http.Post(e.url+"/v1/auth/login", "application/json", io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !res.Close {
		t.Errorf("chunked login: %d, close %v; want 401 and the connection closed", res.StatusCode, res.Close)
	}
}

func strconvHex(n int) string {
	const digits = "0123456789abcdef"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 16 {
		b = append([]byte{digits[n%16]}, b...)
	}
	return string(b)
}

// If-Match takes quoted entity tags: an unquoted 1 is a malformed header (400), not a version
// that fails to match (412).
func TestUnquotedIfMatch(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	ann := e.newUser(root, "ann@example.com")
	patch := func(ifMatch string) *resp {
		return e.do(req{method: "PATCH", path: "/v1/users/" + ann.id, token: root.token, body: map[string]any{"given_name": "Ann"},
			header: map[string]string{"If-Match": ifMatch}})
	}
	res := patch("1")
	if res.status != 400 || res.object(t)["detail"] != `If-Match must be an entity tag in quotes, as the ETag header gives it (If-Match: "3"), or *.` {
		t.Errorf("If-Match: 1 → %d %s", res.status, res.body)
	}
	for h, want := range map[string]int{`W/"1"`: 412, `"7"`: 412, `"x", "y"`: 412, `1, 2`: 400, `"1`: 400} {
		if res := patch(h); res.status != want {
			t.Errorf("If-Match: %s → %d, want %d: %s", h, res.status, want, res.body)
		}
	}
	if res := patch(`"1"`); res.status != 200 {
		t.Errorf(`If-Match: "1" → %d %s`, res.status, res.body)
	}
}

// A malformed id in the path says it is malformed, on every surface whose route takes a typed
// id; a well-formed id that names nothing is still 404.
func TestMalformedIDsAreNamed(t *testing.T) {
	e, root, key, _ := inputWorld(t)
	msg := `"usr_!!" is not a user id, an email address or a username: user ids are usr_ followed by 26 letters and digits, as Roster returned them.`
	for _, path := range []string{"/v1/users/usr_!!", "/v1/tenants/acme/members/usr_!!"} {
		res := e.must(http.StatusBadRequest, req{method: "GET", path: path, token: root.token})
		if got := res.object(t)["detail"]; got != msg {
			t.Errorf("GET %s: detail %q", path, got)
		}
	}
	res := e.must(http.StatusBadRequest, req{method: "GET", path: "/v1/users/usr_!!/tokens", token: root.token})
	if got := res.object(t)["detail"]; got != `"usr_!!" is not a user id: user ids are usr_ followed by 26 letters and digits, as Roster returned them.` {
		t.Errorf("tokens: detail %q", got)
	}
	// A user is referred to by id, email or username: what could be one of them and names no
	// one is still 404.
	for _, ref := range []string{"usr_00000000000000000000000000", "bob", "bob@example.com", "usr_abc"} {
		e.must(http.StatusNotFound, req{method: "GET", path: "/v1/users/" + ref, token: root.token})
	}
	e.must(http.StatusBadRequest, req{method: "DELETE", path: "/v1/tenants/acme/members/bob%20smith", token: root.token})
	res = e.must(http.StatusBadRequest, req{method: "GET", path: "/v1/tenants/acme/service-accounts/sva_x", token: root.token})
	if got := res.object(t)["detail"]; got != `"sva_x" is not a service account id: service account ids are sva_ followed by 26 letters and digits, as Roster returned them.` {
		t.Errorf("service account: detail %q", got)
	}
	for _, c := range []struct {
		name, method, path string
		header             http.Header
		want               map[string]any
	}{
		{"partner", "GET", portals + "acme/users/usr_!!", http.Header{"Authorization": {"Bearer " + key}},
			map[string]any{"status_code": 400.0, "message": msg}},
		{"exolink", "GET", exo + "/user/usr_!!", http.Header{"Authorization": {"Bearer " + root.token}}, map[string]any{"message": msg}},
		{"exolink member", "DELETE", exo + "/tenant/acme/user/usr_!!", http.Header{"Authorization": {"Bearer " + root.token}}, map[string]any{"message": msg}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.send(c.method, c.path, c.header, nil)
			if res.status != 400 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if diff := cmp.Diff(c.want, withoutRequestID(t, res)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
	if res := e.send("GET", portals+"acme/users/usr_00000000000000000000000000", http.Header{"Authorization": {"Bearer " + key}}, nil); res.status != 404 {
		t.Errorf("partner, unknown well-formed id: %d %s", res.status, res.body)
	}
}
