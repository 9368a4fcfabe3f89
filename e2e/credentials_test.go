package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/internal/server"
)

func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	ann := e.newUser(admin, "ann@example.com")

	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: ann.token, body: map[string]any{"name": "backup script"}})
	created := res.object(t)
	secret := created["token"].(string)
	if !strings.HasPrefix(secret, "rsp_") || created["hint"] != "rsp_…"+secret[len(secret)-4:] || created["expires_at"] != nil {
		t.Errorf("created token = %v", created)
	}
	if res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", res.header.Get("Cache-Control"))
	}
	me := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: secret}).object(t)
	if me["user"].(map[string]any)["id"] != ann.id {
		t.Errorf("the token does not act as its owner: %v", me["user"])
	}

	list := e.must(http.StatusOK, req{method: "GET", path: "/v1/me/tokens", token: ann.token})
	items := list.object(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["last_used_at"] == nil {
		t.Errorf("tokens = %v; want one, with last_used_at set", items)
	}
	e.must(http.StatusConflict, req{method: "POST", path: "/v1/me/tokens", token: ann.token, body: map[string]any{"name": "backup script"}})
	e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/me/tokens", token: ann.token,
		body: map[string]any{"name": "old", "expires_at": "2020-01-01T00:00:00Z"}})
	e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/me/tokens", token: ann.token,
		body: map[string]any{"name": "odd", "expires_at": "next tuesday"}})
	e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/auth/logout", token: secret}) // not a session

	// An administrator sees and revokes it; it is refused from the very next request.
	tokens := e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + ann.id + "/tokens", token: admin.token}).object(t)["items"].([]any)
	id := tokens[0].(map[string]any)["id"].(string)
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/users/" + ann.id + "/tokens/" + id, token: admin.token})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: secret})
	e.must(http.StatusNotFound, req{method: "DELETE", path: "/v1/me/tokens/" + id, token: ann.token})

	// Expiry takes effect on the next request after it passes.
	soon := time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	short := e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: ann.token,
		body: map[string]any{"name": "short", "expires_at": soon}}).object(t)["token"].(string)
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: short})
	time.Sleep(time.Until(mustTime(t, soon)) + 50*time.Millisecond)
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: short})

	e.assertSecretNowhere(admin, secret)
}

func mustTime(t *testing.T, s string) time.Time {
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// assertSecretNowhere checks that a secret appears in no later response (the lists a user or
// an administrator can read), in no audit event and in no line of the server's log.
func (e *env) assertSecretNowhere(admin principal, secret string) {
	e.t.Helper()
	for _, path := range []string{"/v1/audit-events?limit=200", "/v1/users?limit=200"} {
		if body := e.must(http.StatusOK, req{method: "GET", path: path, token: admin.token}).body; strings.Contains(string(body), secret) {
			e.t.Errorf("GET %s shows the secret", path)
		}
	}
	if strings.Contains(e.logs.String(), secret) || strings.Contains(e.logs.String(), secret[4:20]) {
		e.t.Error("the server log holds the secret")
	}
}

// Deactivating a user ends its sessions and tokens at once, and nothing else.
func TestDeactivationEndsCredentials(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.createTenant(admin, "acme")
	ann := e.newUser(admin, "ann@example.com")
	bob := e.newUser(admin, "bob@example.com")
	e.addMember(admin, "acme", ann.id, "user")
	e.addMember(admin, "acme", bob.id, "admin")
	tokens := map[string]string{}
	for _, p := range []principal{ann, bob} {
		tokens[p.id] = e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: p.token,
			body: map[string]any{"name": "t"}}).object(t)["token"].(string)
	}
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ann.id, token: admin.token, body: map[string]any{"active": false}})
	for _, c := range []struct {
		token string
		want  int
	}{{ann.token, 401}, {tokens[ann.id], 401}, {bob.token, 200}, {tokens[bob.id], 200}} {
		if res := e.do(req{method: "GET", path: "/v1/me", token: c.token}); res.status != c.want {
			t.Errorf("GET /v1/me: %d, want %d", res.status, c.want)
		}
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + ann.id, token: admin.token}) // membership kept
	// Reactivated, the old credentials stay dead.
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ann.id, token: admin.token, body: map[string]any{"active": true}})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: tokens[ann.id]})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: ann.token})
	// Bob is acme's only admin: deactivating him would leave it without one.
	e.must(http.StatusConflict, req{method: "PATCH", path: "/v1/users/" + bob.id, token: admin.token, body: map[string]any{"active": false}})
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	ann := e.newUser(admin, "ann@example.com")
	second := e.login(ann.email, testPassword)

	list := e.must(http.StatusOK, req{method: "GET", path: "/v1/me/sessions", token: ann.token}).object(t)["items"].([]any)
	if len(list) != 2 {
		t.Fatalf("sessions = %v, want 2", list)
	}
	var current, other string
	for _, it := range list {
		s := it.(map[string]any)
		if s["current"] == true {
			current = s["id"].(string)
		} else {
			other = s["id"].(string)
		}
		if s["client_addr"] != "127.0.0.1" || s["user_agent"] != client.DefaultUserAgent { // e.login logs in with the client
			t.Errorf("session %v does not say where it came from", s)
		}
	}
	if current == "" || other == "" {
		t.Fatalf("no current session marked: %v", list)
	}
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/me/sessions/" + other, token: ann.token})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: second})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: ann.token})
	e.must(http.StatusNotFound, req{method: "DELETE", path: "/v1/me/sessions/" + other, token: ann.token})

	e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + ann.id + "/sessions", token: admin.token})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/users/" + ann.id + "/sessions", token: admin.token})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: ann.token})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: admin.token})
}

func TestServiceAccounts(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.createTenant(admin, "acme")
	e.createTenant(admin, "globex")
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: admin.token,
		body: map[string]any{"name": "directory", "permissions": []string{"members:read", "tenant:read"}}})
	saID, key := e.newServiceAccount(admin, "acme", "backend", "directory")
	if !strings.HasPrefix(key, "sk:") {
		t.Errorf("key %q does not start with sk:", key)
	}
	sa := principal{id: saID, token: key}

	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members", token: sa.token})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme", token: sa.token})
	// Never another tenant, never people's tokens, never beyond its roles.
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/globex", token: sa.token})
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/globex/members", token: sa.token})
	e.must(http.StatusForbidden, req{method: "POST", path: "/v1/me/tokens", token: sa.token, body: map[string]any{"name": "x"}})
	e.must(http.StatusForbidden, req{method: "GET", path: "/v1/users", token: sa.token})
	uid := e.createUser(admin, "u@example.com")
	e.must(http.StatusForbidden, req{method: "POST", path: "/v1/tenants/acme/members", token: sa.token,
		body: map[string]any{"user_id": uid, "roles": []string{"viewer"}}})
	tenants := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants", token: sa.token}).object(t)["items"].([]any)
	if len(tenants) != 1 || tenants[0].(map[string]any)["slug"] != "acme" {
		t.Errorf("the service account sees tenants %v", tenants)
	}

	// A role held by a service account cannot be deleted.
	e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/tenants/acme/roles/directory", token: admin.token})

	// A role change applies from the next request on.
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme/service-accounts/" + saID, token: admin.token,
		body: map[string]any{"roles": []string{"viewer"}}})
	e.must(http.StatusForbidden, req{method: "GET", path: "/v1/tenants/acme/members", token: sa.token})

	keys := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/service-accounts/" + saID + "/keys", token: admin.token}).object(t)["items"].([]any)
	k := keys[0].(map[string]any)
	if k["last_used_at"] == nil || k["hint"] != "sk:…"+key[len(key)-4:] {
		t.Errorf("key = %v", k)
	}
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/service-accounts/" + saID + "/keys/" + k["id"].(string), token: admin.token})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/tenants/acme", token: sa.token})

	// Whoever manages service accounts cannot mint a key for one more powerful than itself.
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: admin.token,
		body: map[string]any{"name": "sa-manager", "permissions": []string{"service_accounts:*", "tenant:read"}}})
	mgr := e.newUser(admin, "mgr@example.com")
	e.addMember(admin, "acme", mgr.id, "sa-manager")
	powerful, _ := e.newServiceAccount(admin, "acme", "powerful", "admin")
	e.must(http.StatusForbidden, req{method: "POST", path: "/v1/tenants/acme/service-accounts/" + powerful + "/keys", token: mgr.token, body: map[string]any{}})
	e.must(http.StatusForbidden, req{method: "POST", path: "/v1/tenants/acme/service-accounts", token: mgr.token,
		body: map[string]any{"name": "sneaky", "roles": []string{"admin"}}})
	e.assertSecretNowhere(admin, key)
}

func TestIntrospection(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	tid := e.createTenant(admin, "acme")
	e.createTenant(admin, "globex")
	ann := e.newUser(admin, "ann@example.com")
	e.addMember(admin, "acme", ann.id, "user")
	e.addMember(admin, "globex", ann.id, "viewer")
	stranger := e.newUser(admin, "stranger@example.com")
	saID, key := e.newServiceAccount(admin, "acme", "backend", "viewer")

	introspect := func(as, secret string) map[string]any {
		return e.must(http.StatusOK, req{method: "POST", path: "/v1/auth/introspect", token: as, body: map[string]any{"token": secret}}).object(t)
	}
	got := introspect(key, ann.token)
	delete(got, "iat")
	delete(got, "exp")
	delete(got, "jti")
	want := map[string]any{"active": true, "token_type": "session", "sub": ann.id, "username": "ann", "instance_admin": false,
		"tenants": []any{map[string]any{"tenant_id": tid, "slug": "acme", "roles": []any{"user"},
			"permissions": []any{"resources:read", "resources:write", "tenant:read"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("introspection by acme's service account (-want +got):\n%s", diff)
	}
	if n := len(introspect(admin.token, ann.token)["tenants"].([]any)); n != 2 {
		t.Errorf("an instance administrator sees %d of ann's tenants, want 2", n)
	}
	inactive := map[string]any{"active": false}
	for name, secret := range map[string]string{"outsider": stranger.token, "garbage": "nonsense", "unknown": "rss_" + strings.Repeat("A", 49)} {
		if diff := cmp.Diff(inactive, introspect(key, secret)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	self := introspect(admin.token, key)
	if self["token_type"] != "service_account_key" || self["sub"] != saID {
		t.Errorf("introspecting a key: %v", self)
	}
	e.must(http.StatusForbidden, req{method: "POST", path: "/v1/auth/introspect", token: ann.token, body: map[string]any{"token": ann.token}})
}

func TestTokenMaxTTL(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.TokenMaxTTL = 24 * time.Hour })
	admin := e.bootstrap()
	before := time.Now()
	tok := e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: admin.token, body: map[string]any{"name": "capped"}}).object(t)
	expires := mustTime(t, tok["expires_at"].(string))
	if expires.Before(before.Add(24*time.Hour-time.Minute)) || expires.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("a token without expires_at expires at %s, want a day from now", expires)
	}
	res := e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/me/tokens", token: admin.token,
		body: map[string]any{"name": "too long", "expires_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339)}})
	if diff := cmp.Diff([]any{map[string]any{"pointer": "/expires_at", "detail": "must be at most 24h0m0s from now"}}, res.object(t)["errors"]); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
