package e2e

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const lnk = "/compat/links"

// links sends r with the token as X-Access-Token.
func (e *env) links(token string, r req) *resp {
	e.t.Helper()
	r.path = lnk + r.path
	if token != "" {
		r.header = map[string]string{"X-Access-Token": token}
	}
	return e.do(r)
}

func expectBody(t *testing.T, res *resp, status int, want map[string]any) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d: %s", res.status, status, res.body)
	}
	if diff := cmp.Diff(want, res.object(t)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestLinksLoginAndTokens(t *testing.T) {
	e := newEnv(t)
	e.bootstrap()
	res := e.links("", req{method: "POST", path: "/login", body: map[string]any{"username": "root", "password": testPassword}})
	got := res.object(t)
	token, _ := got["token"].(string)
	if res.status != 200 || got["status"] != 200.0 || got["auth"] != true || token == "" {
		t.Fatalf("login: %d %v", res.status, got)
	}
	expectBody(t, e.links("", req{method: "POST", path: "/login", body: map[string]any{"username": "root", "password": "not the password"}}),
		401, map[string]any{"status": 401.0, "auth": false, "message": "Invalid username or password."})
	expectBody(t, e.links("", req{method: "GET", path: "/users"}), 401, map[string]any{"status": 401.0, "auth": false, "message": "No token provided."})
	expectBody(t, e.links("rss_garbage", req{method: "GET", path: "/users"}), 401,
		map[string]any{"status": 401.0, "auth": false, "message": "Failed to authenticate token."})
	// The Authorization header is not this surface's.
	expectBody(t, e.do(req{method: "GET", path: lnk + "/users", token: token}), 401, map[string]any{"status": 401.0, "auth": false, "message": "No token provided."})

	soon := time.Now().Add(1200 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	short := e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: token,
		body: map[string]any{"name": "short", "expires_at": soon}}).object(t)["token"].(string)
	if res := e.links(short, req{method: "GET", path: "/users"}); res.status != 200 {
		t.Fatalf("fresh API token: %d %s", res.status, res.body)
	}
	time.Sleep(time.Until(mustTime(t, soon)) + 50*time.Millisecond)
	expectBody(t, e.links(short, req{method: "GET", path: "/users"}), 401, map[string]any{"status": 401.0, "auth": false, "message": "Token has expired."})
}

func TestLinksUsers(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	tok := root.token
	e.createTenant(root, "acme")
	e.createTenant(root, "beta")

	res := e.links(tok, req{method: "GET", path: "/users"})
	list := res.object(t)
	if list["message"] != "1 user found." || len(list["data"].([]any)) != 1 || list["status"] != 200.0 {
		t.Errorf("GET /users with only the admin: %v", list)
	}

	expectBody(t, e.links(tok, req{method: "POST", path: "/users", body: map[string]any{
		"username": "user", "password": "plum-tree-41", "email": "user@example.com", "domain": "acme",
	}}), 201, map[string]any{"status": 201.0, "data": []any{map[string]any{"username": "user"}}, "message": "User confirmed."})
	expectBody(t, e.links(tok, req{method: "POST", path: "/users", body: map[string]any{
		"username": "user2", "password": "plum-tree-42", "email": "user2@example.com", "domain": "*", "confirm": true, "active": false,
	}}), 201, map[string]any{"status": 201.0, "data": []any{map[string]any{"username": "user2"}}, "message": "User confirmed."})

	one := e.links(tok, req{method: "GET", path: "/users/user"}).object(t)
	data := one["data"].([]any)
	u := data[0].(map[string]any)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(u["updated"].(string)) {
		t.Errorf("updated %q is not RFC 3339 with milliseconds in UTC", u["updated"])
	}
	delete(u, "updated")
	if diff := cmp.Diff(map[string]any{"username": "user", "email": "user@example.com", "domain": "acme", "confirm": false, "active": true}, u); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	if one["message"] != "1 user found." || len(data) != 1 {
		t.Errorf("GET /users/user: %v", one)
	}
	user2 := e.links(tok, req{method: "GET", path: "/users/user2"}).object(t)["data"].([]any)[0].(map[string]any)
	if user2["domain"] != "*" || user2["confirm"] != true || user2["active"] != false {
		t.Errorf("user2 = %v", user2)
	}
	if got := e.links(tok, req{method: "GET", path: "/users"}).object(t)["message"]; got != "3 users found." {
		t.Errorf("message %v", got)
	}

	// domain in the other direction: what a client sets is what Roster does.
	uid := e.must(http.StatusOK, req{method: "GET", path: "/v1/users?username=user", token: tok}).object(t)["items"].([]any)[0].(map[string]any)["id"].(string)
	m := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + uid, token: tok}).object(t)
	if diff := cmp.Diff([]string{"user"}, strs(t, m["roles"])); diff != "" {
		t.Errorf("roles in acme (-want +got):\n%s", diff)
	}
	expectBody(t, e.links(tok, req{method: "PUT", path: "/users/user", body: map[string]any{"domain": "*", "email": "new@example.com", "confirm": true}}),
		200, map[string]any{"status": 200.0, "data": []any{map[string]any{"username": "user"}}, "message": "User updated."})
	if got := e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + uid, token: tok}).object(t); got["instance_admin"] != true || got["email"] != "new@example.com" || got["email_verified"] != true {
		t.Errorf("after domain \"*\": %v", got)
	}
	e.links(tok, req{method: "PUT", path: "/users/user", body: map[string]any{"domain": "beta"}})
	if got := e.links(tok, req{method: "GET", path: "/users/user"}).object(t)["data"].([]any)[0].(map[string]any)["domain"]; got != "beta" {
		t.Errorf("domain after setting beta = %v", got)
	}
	if got := e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + uid, token: tok}).object(t)["instance_admin"]; got != false {
		t.Errorf("instance_admin after domain beta = %v", got)
	}

	// A new password works at once through /login.
	expectBody(t, e.links(tok, req{method: "PUT", path: "/users/user", body: map[string]any{"password": "orchard lantern 9"}}),
		200, map[string]any{"status": 200.0, "data": []any{map[string]any{"username": "user"}}, "message": "User updated."})
	if res := e.links("", req{method: "POST", path: "/login", body: map[string]any{"username": "user", "password": "orchard lantern 9"}}); res.status != 200 {
		t.Errorf("login with the new password: %d %s", res.status, res.body)
	}

	expectBody(t, e.links(tok, req{method: "DELETE", path: "/users/user"}), 200,
		map[string]any{"status": 200.0, "data": []any{map[string]any{"username": "user"}}, "message": "User deleted."})
	expectBody(t, e.links(tok, req{method: "GET", path: "/users/user"}), 404, map[string]any{"status": 404.0, "data": nil, "message": "User user Not found."})
}

func TestLinksErrors(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	tok := root.token
	e.createTenant(root, "acme")
	plain := e.newUser(root, "plain@example.com")
	e.links(tok, req{method: "POST", path: "/users", body: map[string]any{"username": "taken", "password": "plum-tree-41", "email": "taken@example.com"}})

	for _, c := range []struct {
		name   string
		token  string
		r      req
		status int
		want   map[string]any
	}{
		{"not an instance admin", plain.token, req{method: "GET", path: "/users"}, 403,
			map[string]any{"status": 403.0, "data": nil, "message": "Only instance administrators may do this."}},
		{"existing username", tok, req{method: "POST", path: "/users", body: map[string]any{"username": "taken", "password": "plum-tree-41", "email": "other@example.com"}}, 400,
			map[string]any{"status": 400.0, "data": nil, "message": "User taken already exists."}},
		{"existing email", tok, req{method: "POST", path: "/users", body: map[string]any{"username": "fresh", "password": "plum-tree-41", "email": "TAKEN@example.com"}}, 400,
			map[string]any{"status": 400.0, "data": nil, "message": "User with email TAKEN@example.com already exists."}},
		{"invalid fields", tok, req{method: "POST", path: "/users", body: map[string]any{"username": "ok", "password": "", "email": "not-an-email", "active": "yes"}}, 422,
			map[string]any{"status": 422.0, "errors": []any{
				map[string]any{"location": "body", "param": "active", "value": "yes", "msg": "Invalid value"},
				map[string]any{"location": "body", "param": "email", "value": "not-an-email", "msg": "Invalid value"},
				map[string]any{"location": "body", "param": "password", "msg": "Invalid value"},
			}}},
		{"empty password and bad email", tok, req{method: "POST", path: "/users", body: map[string]any{"username": "ok", "password": "", "email": "not-an-email"}}, 422,
			map[string]any{"status": 422.0, "errors": []any{
				map[string]any{"location": "body", "param": "email", "value": "not-an-email", "msg": "Invalid value"},
				map[string]any{"location": "body", "param": "password", "msg": "Invalid value"},
			}}},
		{"missing username, bad email, unknown domain", tok, req{method: "POST", path: "/users", body: map[string]any{"password": "plum-tree-41", "email": "not-an-email", "domain": "nope"}}, 422,
			map[string]any{"status": 422.0, "errors": []any{
				map[string]any{"location": "body", "param": "domain", "value": "nope", "msg": "Invalid value"},
				map[string]any{"location": "body", "param": "email", "value": "not-an-email", "msg": "Invalid value"},
				map[string]any{"location": "body", "param": "username", "msg": "Invalid value"},
			}}},
		{"update: empty password and bad email", tok, req{method: "PUT", path: "/users/taken", body: map[string]any{"password": "", "email": "not-an-email"}}, 422,
			map[string]any{"status": 422.0, "errors": []any{
				map[string]any{"location": "body", "param": "email", "value": "not-an-email", "msg": "Invalid value"},
				map[string]any{"location": "body", "param": "password", "msg": "Invalid value"},
			}}},
		{"invalid values", tok, req{method: "POST", path: "/users", body: map[string]any{"username": "ok", "password": "short", "email": "not-an-email"}}, 422,
			map[string]any{"status": 422.0, "errors": []any{
				map[string]any{"location": "body", "param": "email", "value": "not-an-email", "msg": "Invalid value"},
				map[string]any{"location": "body", "param": "password", "msg": "Invalid value"},
			}}},
		{"missing fields", tok, req{method: "POST", path: "/users", body: map[string]any{"username": "ok"}}, 422,
			map[string]any{"status": 422.0, "errors": []any{
				map[string]any{"location": "body", "param": "email", "msg": "Invalid value"},
				map[string]any{"location": "body", "param": "password", "msg": "Invalid value"},
			}}},
		{"unknown domain", tok, req{method: "POST", path: "/users", body: map[string]any{"username": "ok", "password": "plum-tree-41", "email": "ok@example.com", "domain": "nope"}}, 422,
			map[string]any{"status": 422.0, "errors": []any{map[string]any{"location": "body", "param": "domain", "value": "nope", "msg": "Invalid value"}}}},
		{"unknown field", tok, req{method: "PUT", path: "/users/taken", body: map[string]any{"colour": "blue"}}, 400,
			map[string]any{"status": 400.0, "data": nil, "message": "Unknown field colour."}},
		{"username is not updatable", tok, req{method: "PUT", path: "/users/taken", body: map[string]any{"username": "other"}}, 400,
			map[string]any{"status": 400.0, "data": nil, "message": "Unknown field username."}},
		{"no body", tok, req{method: "POST", path: "/users", body: ""}, 400,
			map[string]any{"status": 400.0, "data": nil, "message": "Invalid request. Must specify request body."}},
		{"empty object", tok, req{method: "PUT", path: "/users/taken", body: map[string]any{}}, 400,
			map[string]any{"status": 400.0, "data": nil, "message": "Invalid request. Must specify request body."}},
		{"malformed JSON", tok, req{method: "POST", path: "/users", body: `{"username": "x",`}, 400,
			map[string]any{"status": 400.0, "data": nil, "message": "Syntax error in Json request."}},
		{"unknown user", tok, req{method: "PUT", path: "/users/ghost", body: map[string]any{"active": false}}, 404,
			map[string]any{"status": 404.0, "data": nil, "message": "User ghost Not found."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectBody(t, e.links(c.token, c.r), c.status, c.want)
		})
	}
	// Nothing was half-written: the refused creations left no user behind.
	if got := e.links(tok, req{method: "GET", path: "/users"}).object(t)["message"]; got != "3 users found." {
		t.Errorf("after refused requests: %v", got)
	}
}
