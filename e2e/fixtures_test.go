package e2e

import (
	"net/http"
	"testing"
)

const testPassword = "correct horse battery staple"

// principal is a logged-in user.
type principal struct {
	id, email, token string
}

// bootstrap creates the first instance administrator.
func (e *env) bootstrap() principal {
	e.t.Helper()
	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/bootstrap",
		body: map[string]any{"email": "root@example.com", "password": testPassword}})
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	res.decode(e.t, &out)
	return principal{id: out.User.ID, email: "root@example.com", token: out.Token}
}

// newUser creates a user with testPassword (as admin) and logs it in.
func (e *env) newUser(admin principal, email string) principal {
	e.t.Helper()
	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"email": email, "password": testPassword}})
	id := res.object(e.t)["id"].(string)
	return principal{id: id, email: email, token: e.login(email, testPassword)}
}

// createUser creates a user without a password and returns its id.
func (e *env) createUser(admin principal, email string) string {
	e.t.Helper()
	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"email": email}})
	return res.object(e.t)["id"].(string)
}

func (e *env) login(login, password string) string {
	e.t.Helper()
	res := e.must(http.StatusOK, req{method: "POST", path: "/v1/auth/login",
		body: map[string]any{"login": login, "password": password}})
	return res.object(e.t)["token"].(string)
}

func (e *env) createTenant(admin principal, slug string) string {
	e.t.Helper()
	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants", token: admin.token,
		body: map[string]any{"slug": slug, "name": "Tenant " + slug}})
	return res.object(e.t)["id"].(string)
}

func (e *env) addMember(by principal, tenant, userID string, roles ...string) {
	e.t.Helper()
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/" + tenant + "/members", token: by.token,
		body: map[string]any{"user_id": userID, "roles": roles}})
}

// newServiceAccount creates a service account with roles in tenant and a key for it.
func (e *env) newServiceAccount(by principal, tenant, name string, roles ...string) (id, key string) {
	e.t.Helper()
	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/" + tenant + "/service-accounts", token: by.token,
		body: map[string]any{"name": name, "roles": roles}})
	id = res.object(e.t)["id"].(string)
	res = e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/" + tenant + "/service-accounts/" + id + "/keys",
		token: by.token, body: map[string]any{}})
	return id, res.object(e.t)["key"].(string)
}

func strs(t testing.TB, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = x.(string)
	}
	return out
}
