package e2e

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
)

// matrix is the cast of the authorization matrix: one principal per kind of caller, in a
// world with tenants acme and doomed (same memberships) and globex.
type matrix struct {
	e                                              *env
	root, tadmin, tuser, tviewer, oadmin, sa, anon principal
	target                                         string // a viewer of acme
	saID                                           string // the service account behind sa
	seq                                            atomic.Int64
}

func newMatrix(t *testing.T) *matrix {
	e := newEnv(t)
	m := &matrix{e: e, root: e.bootstrap()}
	for _, slug := range []string{"acme", "doomed", "globex"} {
		e.createTenant(m.root, slug)
	}
	m.tadmin = e.newUser(m.root, "tadmin@example.com")
	m.tuser = e.newUser(m.root, "tuser@example.com")
	m.tviewer = e.newUser(m.root, "tviewer@example.com")
	m.oadmin = e.newUser(m.root, "oadmin@example.com")
	for _, slug := range []string{"acme", "doomed"} {
		e.addMember(m.root, slug, m.tadmin.id, "admin")
		e.addMember(m.root, slug, m.tuser.id, "user")
		e.addMember(m.root, slug, m.tviewer.id, "viewer")
	}
	e.addMember(m.root, "globex", m.oadmin.id, "admin")
	m.target = e.createUser(m.root, "target@example.com")
	e.addMember(m.root, "acme", m.target, "viewer")
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: m.root.token,
		body: map[string]any{"name": "billing", "permissions": []string{"invoices:read"}}})
	m.saID, m.sa.token = e.newServiceAccount(m.root, "acme", "matrix-sa", "admin")
	m.sa.id = m.saID
	return m
}

// freshServiceAccount creates a viewer service account in acme and returns its id.
func (m *matrix) freshServiceAccount() string {
	res := m.e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/service-accounts", token: m.root.token,
		body: map[string]any{"name": m.fresh("sa"), "roles": []string{"viewer"}}})
	return res.object(m.e.t)["id"].(string)
}

// fresh returns a name no earlier call returned.
func (m *matrix) fresh(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, m.seq.Add(1))
}

// freshMember creates a user who is a viewer of acme and returns its id.
func (m *matrix) freshMember() string {
	id := m.e.createUser(m.root, m.fresh("member")+"@example.com")
	m.e.addMember(m.root, "acme", id, "viewer")
	return id
}

func TestAuthorizationMatrix(t *testing.T) {
	m := newMatrix(t)
	callers := []struct {
		name string
		p    *principal
	}{
		{"anonymous", &m.anon}, {"tenant admin", &m.tadmin}, {"user", &m.tuser}, {"viewer", &m.tviewer},
		{"other tenant's admin", &m.oadmin}, {"service account", &m.sa},
		{"instance admin", &m.root}, // last: its successes may be destructive
	}
	type want struct{ anon, tadmin, user, viewer, other, sa, root int }
	const (
		ok, created, gone = http.StatusOK, http.StatusCreated, http.StatusNoContent
		unauth, forbid    = http.StatusUnauthorized, http.StatusForbidden
		hidden, invalid   = http.StatusNotFound, http.StatusBadRequest
	)
	cases := []struct {
		name   string
		method string
		path   func() string // may create a fresh target for each caller
		body   func() any
		want   want
	}{
		{"me", "GET", func() string { return "/v1/me" }, nil, want{unauth, ok, ok, ok, ok, forbid, ok}},
		{"list tenants", "GET", func() string { return "/v1/tenants" }, nil, want{unauth, ok, ok, ok, ok, ok, ok}},
		{"create tenant", "POST", func() string { return "/v1/tenants" },
			func() any { return map[string]any{"slug": m.fresh("t"), "name": "T"} }, want{unauth, forbid, forbid, forbid, forbid, forbid, created}},
		{"get tenant", "GET", func() string { return "/v1/tenants/acme" }, nil, want{unauth, ok, ok, ok, hidden, ok, ok}},
		{"update tenant", "PATCH", func() string { return "/v1/tenants/acme" },
			func() any { return map[string]any{"name": "Acme"} }, want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"delete tenant", "DELETE", func() string { return "/v1/tenants/doomed" }, nil, want{unauth, forbid, forbid, forbid, hidden, hidden, gone}},

		{"list users", "GET", func() string { return "/v1/users" }, nil, want{unauth, forbid, forbid, forbid, forbid, forbid, ok}},
		{"create user", "POST", func() string { return "/v1/users" },
			func() any { return map[string]any{"email": m.fresh("new") + "@example.com"} }, want{unauth, forbid, forbid, forbid, forbid, forbid, created}},
		{"get user", "GET", func() string { return "/v1/users/" + m.target }, nil, want{unauth, ok, hidden, hidden, hidden, ok, ok}},
		{"update user", "PATCH", func() string { return "/v1/users/" + m.target },
			func() any { return map[string]any{"given_name": "T"} }, want{unauth, forbid, hidden, hidden, hidden, forbid, ok}},
		{"delete user", "DELETE", func() string { return "/v1/users/" + m.freshMember() }, nil, want{unauth, forbid, forbid, forbid, forbid, forbid, gone}},
		{"set password", "PUT", func() string { return "/v1/users/" + m.target + "/password" },
			func() any { return map[string]any{"password": "another long password"} }, want{unauth, forbid, hidden, hidden, hidden, forbid, gone}},

		{"list members", "GET", func() string { return "/v1/tenants/acme/members" }, nil, want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"add member", "POST", func() string { return "/v1/tenants/acme/members" },
			func() any {
				return map[string]any{"user_id": m.e.createUser(m.root, m.fresh("add")+"@example.com"), "roles": []string{"viewer"}}
			},
			want{unauth, created, forbid, forbid, hidden, created, created}},
		{"bulk set roles", "PATCH", func() string { return "/v1/tenants/acme/members" },
			func() any { return []map[string]any{{"user_id": m.target, "roles": []string{"viewer"}}} }, want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"get member", "GET", func() string { return "/v1/tenants/acme/members/" + m.target }, nil, want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"set member roles", "PUT", func() string { return "/v1/tenants/acme/members/" + m.target },
			func() any { return map[string]any{"roles": []string{"viewer"}} }, want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"remove member", "DELETE", func() string { return "/v1/tenants/acme/members/" + m.freshMember() }, nil,
			want{unauth, gone, forbid, forbid, hidden, gone, gone}},

		{"list roles", "GET", func() string { return "/v1/tenants/acme/roles" }, nil, want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"create role", "POST", func() string { return "/v1/tenants/acme/roles" },
			func() any { return map[string]any{"name": m.fresh("role")} }, want{unauth, created, forbid, forbid, hidden, created, created}},
		{"get role", "GET", func() string { return "/v1/tenants/acme/roles/billing" }, nil, want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"update role", "PATCH", func() string { return "/v1/tenants/acme/roles/billing" },
			func() any { return map[string]any{"description": "d"} }, want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"delete role", "DELETE", func() string {
			name := m.fresh("gone")
			m.e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: m.root.token, body: map[string]any{"name": name}})
			return "/v1/tenants/acme/roles/" + name
		}, nil, want{unauth, gone, forbid, forbid, hidden, gone, gone}},

		{"list own tokens", "GET", func() string { return "/v1/me/tokens" }, nil, want{unauth, ok, ok, ok, ok, forbid, ok}},
		{"create own token", "POST", func() string { return "/v1/me/tokens" },
			func() any { return map[string]any{"name": m.fresh("tok")} }, want{unauth, created, created, created, created, forbid, created}},
		{"revoke own token", "DELETE", func() string { return "/v1/me/tokens/tok_00000000000000000000000000" }, nil,
			want{unauth, hidden, hidden, hidden, hidden, forbid, hidden}},
		{"list a user's tokens", "GET", func() string { return "/v1/users/" + m.target + "/tokens" }, nil,
			want{unauth, hidden, hidden, hidden, hidden, forbid, ok}},
		{"list own sessions", "GET", func() string { return "/v1/me/sessions" }, nil, want{unauth, ok, ok, ok, ok, forbid, ok}},
		{"list a user's sessions", "GET", func() string { return "/v1/users/" + m.target + "/sessions" }, nil,
			want{unauth, hidden, hidden, hidden, hidden, forbid, ok}},
		{"end a user's sessions", "DELETE", func() string { return "/v1/users/" + m.target + "/sessions" }, nil,
			want{unauth, hidden, hidden, hidden, hidden, forbid, gone}},

		{"list service accounts", "GET", func() string { return "/v1/tenants/acme/service-accounts" }, nil,
			want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"create service account", "POST", func() string { return "/v1/tenants/acme/service-accounts" },
			func() any { return map[string]any{"name": m.fresh("bot"), "roles": []string{"viewer"}} },
			want{unauth, created, forbid, forbid, hidden, created, created}},
		{"get service account", "GET", func() string { return "/v1/tenants/acme/service-accounts/" + m.saID }, nil,
			want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"update service account", "PATCH", func() string { return "/v1/tenants/acme/service-accounts/" + m.saID },
			func() any { return map[string]any{"name": "matrix bot"} }, want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"delete service account", "DELETE", func() string { return "/v1/tenants/acme/service-accounts/" + m.freshServiceAccount() }, nil,
			want{unauth, gone, forbid, forbid, hidden, gone, gone}},
		{"list keys", "GET", func() string { return "/v1/tenants/acme/service-accounts/" + m.saID + "/keys" }, nil,
			want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"create key", "POST", func() string { return "/v1/tenants/acme/service-accounts/" + m.freshServiceAccount() + "/keys" },
			func() any { return map[string]any{} }, want{unauth, created, forbid, forbid, hidden, created, created}},
		{"revoke key", "DELETE", func() string {
			return "/v1/tenants/acme/service-accounts/" + m.saID + "/keys/key_00000000000000000000000000"
		}, nil,
			want{unauth, hidden, forbid, forbid, hidden, hidden, hidden}},

		{"introspect", "POST", func() string { return "/v1/auth/introspect" },
			func() any { return map[string]any{"token": m.tuser.token} }, want{unauth, forbid, forbid, forbid, forbid, ok, ok}},
		{"all audit events", "GET", func() string { return "/v1/audit-events" }, nil, want{unauth, forbid, forbid, forbid, forbid, forbid, ok}},
		{"tenant audit events", "GET", func() string { return "/v1/tenants/acme/audit-events" }, nil,
			want{unauth, ok, forbid, forbid, hidden, ok, ok}},
		{"logout", "POST", func() string { return "/v1/auth/logout" }, nil, want{unauth, 0, 0, 0, 0, invalid, 0}},
	}
	for _, c := range cases {
		statuses := []int{c.want.anon, c.want.tadmin, c.want.user, c.want.viewer, c.want.other, c.want.sa, c.want.root}
		for i, caller := range callers {
			if statuses[i] == 0 {
				continue
			}
			t.Run(c.name+"/"+caller.name, func(t *testing.T) {
				r := req{method: c.method, path: c.path(), token: caller.p.token}
				if c.body != nil {
					r.body = c.body()
				}
				res := m.e.do(r)
				if res.status != statuses[i] {
					t.Errorf("%s %s as %s: status %d, want %d; body %s", r.method, r.path, caller.name, res.status, statuses[i], res.body)
				}
			})
		}
	}
}

// A tenant admin holding only some permissions cannot grant, revoke or define more.
func TestNoGrantBeyondOwnPermissions(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	e.createTenant(root, "acme")
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: root.token,
		body: map[string]any{"name": "member-manager", "permissions": []string{"members:*", "tenant:read", "resources:read"}}})
	mgr := e.newUser(root, "mgr@example.com")
	e.addMember(root, "acme", mgr.id, "member-manager")
	boss := e.createUser(root, "boss@example.com")
	e.addMember(root, "acme", boss, "admin")
	u := e.createUser(root, "u@example.com")

	add := func(role string) *resp {
		return e.do(req{method: "POST", path: "/v1/tenants/acme/members", token: mgr.token, body: map[string]any{"user_id": u, "roles": []string{role}}})
	}
	for _, role := range []string{"admin", "user"} { // "*" and resources:write are not the manager's
		if res := add(role); res.status != http.StatusForbidden {
			t.Errorf("manager granted %s: status %d %s", role, res.status, res.body)
		}
	}
	if res := add("viewer"); res.status != http.StatusCreated {
		t.Fatalf("manager could not grant viewer: %d %s", res.status, res.body)
	}
	// Revoking a role the manager does not hold is granting in reverse.
	e.must(http.StatusForbidden, req{method: "PUT", path: "/v1/tenants/acme/members/" + boss, token: mgr.token,
		body: map[string]any{"roles": []string{"viewer"}}})
	e.must(http.StatusForbidden, req{method: "DELETE", path: "/v1/tenants/acme/members/" + boss, token: mgr.token})
	// The manager has no roles:write, and an admin-less role author could not define "*" anyway.
	e.must(http.StatusForbidden, req{method: "POST", path: "/v1/tenants/acme/roles", token: mgr.token,
		body: map[string]any{"name": "sneaky", "permissions": []string{"*"}}})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members", token: mgr.token})
}
