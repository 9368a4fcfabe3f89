package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const ella = "/compat/ellacore/api/v1"

// ellaCall sends r under the Ella Core base URL without a Content-Type, as Ella's clients may.
func (e *env) ella(token string, r req) *resp {
	e.t.Helper()
	r.path = ella + r.path
	r.token = token
	if r.header == nil {
		r.header = map[string]string{"Content-Type": ""}
	}
	return e.do(r)
}

func expectResult(t *testing.T, res *resp, status int, want any) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d: %s", res.status, status, res.body)
	}
	var got any
	res.decode(t, &got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func result(v any) map[string]any       { return map[string]any{"result": v} }
func ellaError(m string) map[string]any { return map[string]any{"error": m} }
func message(m string) map[string]any   { return result(map[string]any{"message": m}) }

func TestEllaCoreFirstUser(t *testing.T) {
	e := newEnv(t)
	expectResult(t, e.ella("", req{method: "GET", path: "/status"}), 200, result(map[string]any{"version": "dev", "initialized": false}))
	for _, c := range []struct {
		body any
		msg  string
	}{
		{`{"email":`, "Invalid request data"},
		{`{"email": "a@example.com", "role_id": "1"}`, "Invalid request data"},
		{map[string]any{"password": "plum-tree-41", "role_id": 1}, "email is missing"},
		{map[string]any{"email": "a@example.com", "role_id": 1}, "password is missing"},
		{map[string]any{"email": "not an email", "password": "plum-tree-41", "role_id": 1}, "Invalid email format"},
		{map[string]any{"email": "a@example.com", "password": "plum-tree-41", "role_id": 4}, "Invalid role ID"},
		{map[string]any{"email": "a@example.com", "password": "plum-tree-41", "role_id": 2}, "First user must be an admin"},
	} {
		expectResult(t, e.ella("", req{method: "POST", path: "/users", body: c.body}), 400, ellaError(c.msg))
	}
	// Racing first users: exactly one wins; the others find the installation claimed.
	statuses := race(8, func(i int) int {
		return e.ella("", req{method: "POST", path: "/users", body: map[string]any{
			"email": fmt.Sprintf("first%d@example.com", i), "password": "plum-tree-41", "role_id": 1}}).status
	})
	if diff := cmp.Diff(map[int]int{201: 1, 401: 7}, statuses); diff != "" {
		t.Fatalf("first-user race (-want +got):\n%s", diff)
	}
	expectResult(t, e.ella("", req{method: "GET", path: "/status"}), 200, result(map[string]any{"version": "dev", "initialized": true}))
	expectResult(t, e.ella("", req{method: "POST", path: "/users", body: map[string]any{"email": "late@example.com", "password": "plum-tree-41", "role_id": 1}}),
		401, ellaError("Authorization header is required"))
	// The winner is an instance administrator and the admin of the bound tenant.
	users := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/ellacore/members?role=admin", token: e.login(winner(t, e), "plum-tree-41")}).object(t)["items"].([]any)
	if len(users) != 1 {
		t.Errorf("admins of ellacore: %v", users)
	}
}

// winner finds which of the racing first users was created.
func winner(t *testing.T, e *env) string {
	for i := range 8 {
		email := fmt.Sprintf("first%d@example.com", i)
		if res := e.ella("", req{method: "POST", path: "/auth/login", body: map[string]any{"email": email, "password": "plum-tree-41"}}); res.status == 200 {
			return email
		}
	}
	t.Fatal("no first user can log in")
	return ""
}

// ellaWorld: an admin (the first user), a network manager and a read-only user.
func ellaWorld(t *testing.T) (e *env, admin, manager, reader string) {
	e = newEnv(t)
	e.ella("", req{method: "POST", path: "/users", body: map[string]any{"email": "admin@example.com", "password": "plum-tree-41", "role_id": 1}})
	admin = ellaLogin(t, e, "admin@example.com", "plum-tree-41")
	for _, u := range []struct {
		email string
		role  int
	}{{"manager@example.com", 2}, {"reader@example.com", 3}} {
		expectResult(t, e.ella(admin, req{method: "POST", path: "/users", body: map[string]any{"email": u.email, "password": "plum-tree-41", "role_id": u.role}}),
			201, message("User created successfully"))
	}
	return e, admin, ellaLogin(t, e, "manager@example.com", "plum-tree-41"), ellaLogin(t, e, "reader@example.com", "plum-tree-41")
}

func ellaLogin(t *testing.T, e *env, email, password string) string {
	t.Helper()
	res := e.ella("", req{method: "POST", path: "/auth/login", body: map[string]any{"email": email, "password": password}})
	if res.status != 200 {
		t.Fatalf("login %s: %d %s", email, res.status, res.body)
	}
	return res.object(t)["result"].(map[string]any)["token"].(string)
}

func TestEllaCoreAuth(t *testing.T) {
	e, admin, _, _ := ellaWorld(t)
	expectResult(t, e.ella("", req{method: "POST", path: "/auth/login", body: map[string]any{"password": "x"}}), 400, ellaError("Email is required"))
	expectResult(t, e.ella("", req{method: "POST", path: "/auth/login", body: map[string]any{"email": "admin@example.com"}}), 400, ellaError("Password is required"))
	expectResult(t, e.ella("", req{method: "POST", path: "/auth/login", body: map[string]any{"email": "admin@example.com", "password": "wrong password"}}),
		401, ellaError("The email or password is incorrect. Try again."))
	expectResult(t, e.ella("", req{method: "POST", path: "/auth/lookup-token"}), 400, ellaError("Authorization header is required"))
	expectResult(t, e.ella(admin, req{method: "POST", path: "/auth/lookup-token"}), 200, result(map[string]any{"valid": true}))
	expectResult(t, e.ella("rss_bogus", req{method: "POST", path: "/auth/lookup-token"}), 200, result(map[string]any{"valid": false}))
	expectResult(t, e.ella("", req{method: "GET", path: "/users"}), 401, ellaError("Authorization header is required"))
	expectResult(t, e.ella("rss_bogus", req{method: "GET", path: "/users"}), 401, ellaError("Invalid token"))
	// "Bearer" is case-insensitive.
	if res := e.do(req{method: "GET", path: ella + "/users/me", header: map[string]string{"Authorization": "bearer " + admin}}); res.status != 200 {
		t.Errorf("lower-case bearer: %d", res.status)
	}
}

func TestEllaCoreUsers(t *testing.T) {
	e, admin, _, _ := ellaWorld(t)
	expectResult(t, e.ella(admin, req{method: "GET", path: "/users"}), 200, result([]any{
		map[string]any{"email": "admin@example.com", "role_id": 1.0},
		map[string]any{"email": "manager@example.com", "role_id": 2.0},
		map[string]any{"email": "reader@example.com", "role_id": 3.0},
	}))
	expectResult(t, e.ella(admin, req{method: "POST", path: "/users", body: map[string]any{"email": "MANAGER@example.com", "password": "plum-tree-41", "role_id": 3}}),
		400, ellaError("user already exists"))
	expectResult(t, e.ella(admin, req{method: "GET", path: "/users/manager@example.com"}), 200, result(map[string]any{"email": "manager@example.com", "role_id": 2.0}))
	expectResult(t, e.ella(admin, req{method: "GET", path: "/users/nobody@example.com"}), 404, ellaError("User not found"))

	expectResult(t, e.ella(admin, req{method: "PUT", path: "/users/manager@example.com", body: map[string]any{"email": "manager@example.com", "role_id": 3}}),
		200, message("User updated successfully"))
	expectResult(t, e.ella(admin, req{method: "GET", path: "/users/manager@example.com"}), 200, result(map[string]any{"email": "manager@example.com", "role_id": 3.0}))
	expectResult(t, e.ella(admin, req{method: "PUT", path: "/users/manager@example.com", body: map[string]any{"email": "reader@example.com", "role_id": 2}}),
		400, ellaError("Email does not match the user"))
	expectResult(t, e.ella(admin, req{method: "PUT", path: "/users/manager@example.com", body: map[string]any{"role_id": 9}}), 400, ellaError("Invalid role ID"))
	expectResult(t, e.ella(admin, req{method: "PUT", path: "/users/admin@example.com", body: map[string]any{"role_id": 2}}),
		409, ellaError("A tenant must keep at least one active admin; make another member admin first."))

	expectResult(t, e.ella(admin, req{method: "PUT", path: "/users/manager@example.com/password", body: map[string]any{"password": "a new password"}}),
		200, message("User password updated successfully"))
	ellaLogin(t, e, "manager@example.com", "a new password")
	expectResult(t, e.ella(admin, req{method: "PUT", path: "/users/manager@example.com/password", body: map[string]any{}}), 400, ellaError("password is missing"))

	// A user made natively and added to the tenant appears here.
	root := principal{token: admin}
	id := e.createUser(root, "native@example.com")
	e.addMember(root, "ellacore", id, "user")
	expectResult(t, e.ella(admin, req{method: "GET", path: "/users/native@example.com"}), 200, result(map[string]any{"email": "native@example.com", "role_id": 2.0}))

	// Deleting removes the user from Ella Core, and from Roster when it belongs nowhere else.
	expectResult(t, e.ella(admin, req{method: "DELETE", path: "/users/reader@example.com"}), 200, message("User deleted successfully"))
	expectResult(t, e.ella(admin, req{method: "GET", path: "/users/reader@example.com"}), 404, ellaError("User not found"))
	expectResult(t, e.ella(admin, req{method: "DELETE", path: "/users/reader@example.com"}), 404, ellaError("User not found"))
	if n := len(e.must(http.StatusOK, req{method: "GET", path: "/v1/users?email=reader@", token: admin}).object(t)["items"].([]any)); n != 0 {
		t.Errorf("the deleted user is still in Roster")
	}
}

func TestEllaCoreRoleRules(t *testing.T) {
	e, admin, manager, reader := ellaWorld(t)
	expectResult(t, e.ella(admin, req{method: "POST", path: "/users", body: map[string]any{"email": "target@example.com", "password": "plum-tree-41", "role_id": 3}}),
		201, message("User created successfully"))
	for _, c := range []struct {
		name, token, email string
		role               float64
	}{{"network manager", manager, "manager@example.com", 2}, {"read only", reader, "reader@example.com", 3}, {"admin", admin, "admin@example.com", 1}} {
		t.Run(c.name, func(t *testing.T) {
			// Everyone: their own user (also by email, as natively), password and API tokens.
			expectResult(t, e.ella(c.token, req{method: "GET", path: "/users/me"}), 200, result(map[string]any{"email": c.email, "role_id": c.role}))
			expectResult(t, e.ella(c.token, req{method: "GET", path: "/users/" + c.email}), 200, result(map[string]any{"email": c.email, "role_id": c.role}))
			expectResult(t, e.ella(c.token, req{method: "PUT", path: "/users/me/password", body: map[string]any{"password": "changed password"}}),
				200, message("User password updated successfully"))
			if res := e.ella(c.token, req{method: "POST", path: "/users/me/api-tokens", body: map[string]any{"name": "mine"}}); res.status != 201 {
				t.Errorf("create own token: %d %s", res.status, res.body)
			}
			if res := e.ella(c.token, req{method: "GET", path: "/users/me/api-tokens"}); res.status != 200 {
				t.Errorf("list own tokens: %d %s", res.status, res.body)
			}
			// Only the admin: everything else.
			want := 403
			if c.role == 1 {
				want = 0
			}
			for _, r := range []req{
				{method: "GET", path: "/users"},
				{method: "GET", path: "/users/target@example.com"},
				{method: "POST", path: "/users", body: map[string]any{"email": "x" + c.email, "password": "plum-tree-41", "role_id": 3}},
				{method: "PUT", path: "/users/target@example.com", body: map[string]any{"role_id": 2}},
				{method: "PUT", path: "/users/target@example.com/password", body: map[string]any{"password": "plum-tree-42"}},
				{method: "DELETE", path: "/users/target@example.com"},
			} {
				res := e.ella(c.token, r)
				if want == 403 {
					expectResult(t, res, 403, ellaError("Forbidden"))
				} else if res.status >= 400 {
					t.Errorf("%s %s as admin: %d %s", r.method, r.path, res.status, res.body)
				}
			}
		})
	}
}

func TestEllaCoreAPITokens(t *testing.T) {
	e, admin, _, _ := ellaWorld(t)
	res := e.ella(admin, req{method: "POST", path: "/users/me/api-tokens", body: map[string]any{"name": "My Token"}})
	tok, _ := res.object(t)["result"].(map[string]any)["token"].(string)
	m := regexp.MustCompile(`^ellacore_([A-Za-z0-9]{12})_[A-Za-z0-9]{24}$`).FindStringSubmatch(tok)
	if res.status != 201 || m == nil {
		t.Fatalf("token %q (%d) is not in Ella Core's format", tok, res.status)
	}
	// It works as a Bearer token here and on the native API.
	expectResult(t, e.ella(tok, req{method: "GET", path: "/users/me"}), 200, result(map[string]any{"email": "admin@example.com", "role_id": 1.0}))
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: tok})

	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	e.ella(admin, req{method: "POST", path: "/users/me/api-tokens", body: map[string]any{"name": "Expiring", "expires_at": at.Format(time.RFC3339)}})
	list := e.ella(admin, req{method: "GET", path: "/users/me/api-tokens"}).object(t)["result"].([]any)
	if len(list) != 2 {
		t.Fatalf("tokens: %v", list)
	}
	if diff := cmp.Diff(map[string]any{"id": m[1], "name": "My Token", "expires_at": ""}, list[0]); diff != "" {
		t.Errorf("first token (-want +got):\n%s", diff)
	}
	if got := list[1].(map[string]any)["expires_at"]; got != at.Format(time.RFC3339) {
		t.Errorf("expires_at %v, want %s", got, at.Format(time.RFC3339))
	}

	for _, c := range []struct {
		body   map[string]any
		status int
		msg    string
	}{
		{map[string]any{}, 400, "Token name is required"},
		{map[string]any{"name": "ab"}, 400, "Token name must be between 3 and 50 characters"},
		{map[string]any{"name": string(make([]byte, 51))}, 400, "Token name must be between 3 and 50 characters"},
		{map[string]any{"name": "Later", "expires_at": "tomorrow"}, 400, "Invalid expiration time format"},
		{map[string]any{"name": "Past", "expires_at": "2020-01-01T00:00:00Z"}, 400, "Expiration time must be in the future"},
		{map[string]any{"name": "My Token"}, 409, "API token with this name already exists"},
	} {
		expectResult(t, e.ella(admin, req{method: "POST", path: "/users/me/api-tokens", body: c.body}), c.status, ellaError(c.msg))
	}

	expectResult(t, e.ella(admin, req{method: "DELETE", path: "/users/me/api-tokens/" + m[1]}), 200, message("API token deleted successfully"))
	expectResult(t, e.ella(tok, req{method: "GET", path: "/users/me"}), 401, ellaError("Invalid token"))
	expectResult(t, e.ella(admin, req{method: "DELETE", path: "/users/me/api-tokens/" + m[1]}), 404, ellaError("API token not found"))
}
