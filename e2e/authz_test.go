package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/internal/server"
)

// matrix is the cast of the authorization matrix: one principal per kind of caller, in a
// world with tenants acme (also the Ella Core surface's tenant) and doomed (same memberships),
// and globex.
type matrix struct {
	e                                                   *env
	root, tadmin, tuser, tviewer, oadmin, sa, osa, anon principal
	target                                              string // a viewer of acme, without a password, managed by the instance
	managed                                             string // a viewer of acme that acme manages
	saID                                                string // the service account behind sa
	invitation                                          string // a pending invitation to acme
	seq                                                 atomic.Int64
}

func newMatrix(t *testing.T) *matrix {
	e := newEnv(t, func(c *server.Config) { c.EllaCoreTenant = "acme"; c.Mail.Dir = t.TempDir() })
	m := &matrix{e: e, root: e.bootstrap()}
	for _, slug := range []string{"doomed", "globex"} { // acme: the server made it at start-up
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
	m.managed = e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: m.root.token,
		body: map[string]any{"email": "managed@example.com", "managed_by": "acme"}}).object(t)["id"].(string)
	e.addMember(m.root, "acme", m.managed, "viewer")
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: m.root.token,
		body: map[string]any{"name": "billing", "permissions": []string{"invoices:read"}}})
	m.saID, m.sa.token = e.newServiceAccount(m.root, "acme", "matrix-sa", "admin")
	m.invitation = m.freshInvitation()
	_, m.osa.token = e.newServiceAccount(m.root, "globex", "other-sa", "admin")
	return m
}

// fresh returns a name no earlier call returned.
func (m *matrix) fresh(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, m.seq.Add(1))
}

// freshMember creates a user who is a viewer of acme and returns its id and email; its
// username is the email's local part.
func (m *matrix) freshMember() (id, email string) {
	email = m.fresh("member") + "@example.com"
	id = m.e.createUser(m.root, email)
	m.e.addMember(m.root, "acme", id, "viewer")
	return id, email
}

func (m *matrix) freshMemberID() string { id, _ := m.freshMember(); return id }

// freshServiceAccount creates a viewer service account in acme and returns its id.
func (m *matrix) freshServiceAccount() string {
	res := m.e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/service-accounts", token: m.root.token,
		body: map[string]any{"name": m.fresh("sa"), "roles": []string{"viewer"}}})
	return res.object(m.e.t)["id"].(string)
}

// freshInvitation invites a new address to acme as a viewer and returns the invitation's id.
func (m *matrix) freshInvitation() string {
	res := m.e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/invitations", token: m.root.token,
		body: map[string]any{"email": m.fresh("invitee") + "@example.com", "roles": []string{"viewer"}}})
	return res.object(m.e.t)["id"].(string)
}

// want is the status each kind of caller gets; 0 skips the caller.
type want struct{ anon, viewer, user, admin, other, sa, osa, root int }

// every is the same status for every caller, for routes that need no credential.
func every(s int) want { return want{s, s, s, s, s, s, s, s} }

// matrixRow is one route of one surface and what every kind of caller gets from it.
type matrixRow struct {
	route string        // the route's pattern, as the server registers it
	path  func() string // may create a fresh target for each caller
	body  func() any
	links bool // the Links surface's X-Access-Token header, not Authorization
	want  want
}

const (
	ok, created, gone = http.StatusOK, http.StatusCreated, http.StatusNoContent
	bad, unauth       = http.StatusBadRequest, http.StatusUnauthorized
	forbid, hidden    = http.StatusForbidden, http.StatusNotFound
	conflict          = http.StatusConflict
)

func (m *matrix) rows() []matrixRow {
	at := func(p string) func() string { return func() string { return p } }
	obj := func(kv ...any) func() any {
		return func() any {
			out := map[string]any{}
			for i := 0; i < len(kv); i += 2 {
				if f, ok := kv[i+1].(func() string); ok {
					out[kv[i].(string)] = f()
				} else {
					out[kv[i].(string)] = kv[i+1]
				}
			}
			return out
		}
	}
	freshEmail := func() string { return m.fresh("new") + "@example.com" }
	strong := func() string { return m.fresh("quiet harbour ") }
	const el = "/compat/ellacore/api/v1"
	return []matrixRow{
		// Open to everyone.
		{"GET /healthz", at("/healthz"), nil, false, every(ok)},
		{"GET /readyz", at("/readyz"), nil, false, every(ok)},
		{"GET /metrics", at("/metrics"), nil, false, every(unauth)}, // the metrics token's, nobody else's
		{"GET /v1/openapi.json", at("/v1/openapi.json"), nil, false, every(ok)},
		{"GET /compat/exolink/openapi.json", at("/compat/exolink/openapi.json"), nil, false, every(ok)},
		{"GET /compat/links/openapi.json", at("/compat/links/openapi.json"), nil, false, every(ok)},
		{"GET /compat/ellacore/openapi.json", at("/compat/ellacore/openapi.json"), nil, false, every(ok)},
		{"GET /compat/partner/openapi.json", at("/compat/partner/openapi.json"), nil, false, every(ok)},
		{"POST /v1/bootstrap", at("/v1/bootstrap"), obj("email", freshEmail, "password", strong), false, every(conflict)},
		{"POST /v1/auth/login", at("/v1/auth/login"), obj("login", freshEmail, "password", "not the one"), false, every(unauth)},
		{"POST /v1/auth/logout", at("/v1/auth/logout"), nil, false, want{unauth, 0, 0, 0, 0, bad, bad, 0}},

		// The caller itself.
		{"GET /v1/me", at("/v1/me"), nil, false, want{unauth, ok, ok, ok, ok, forbid, forbid, ok}},
		// Accepting what is active already returns it; no membership there is 404.
		{"POST /v1/me/memberships/{tenant}/accept", at("/v1/me/memberships/acme/accept"), nil, false,
			want{unauth, ok, ok, ok, hidden, forbid, forbid, hidden}},
		{"GET /v1/me/tokens", at("/v1/me/tokens"), nil, false, want{unauth, ok, ok, ok, ok, forbid, forbid, ok}},
		{"POST /v1/me/tokens", at("/v1/me/tokens"), obj("name", func() string { return m.fresh("tok") }), false,
			want{unauth, created, created, created, created, forbid, forbid, created}},
		{"DELETE /v1/me/tokens/{id}", at("/v1/me/tokens/tok_00000000000000000000000000"), nil, false,
			want{unauth, hidden, hidden, hidden, hidden, forbid, forbid, hidden}},
		{"GET /v1/me/sessions", at("/v1/me/sessions"), nil, false, want{unauth, ok, ok, ok, ok, forbid, forbid, ok}},
		{"DELETE /v1/me/sessions/{id}", at("/v1/me/sessions/ses_00000000000000000000000000"), nil, false,
			want{unauth, hidden, hidden, hidden, hidden, forbid, forbid, hidden}},

		// Tenants.
		{"GET /v1/tenants", at("/v1/tenants"), nil, false, want{unauth, ok, ok, ok, ok, ok, ok, ok}},
		{"POST /v1/tenants", at("/v1/tenants"), obj("slug", func() string { return m.fresh("t") }, "name", "T"), false,
			want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, created}},
		{"GET /v1/tenants/{tenant}", at("/v1/tenants/acme"), nil, false, want{unauth, ok, ok, ok, hidden, ok, hidden, ok}},
		{"PATCH /v1/tenants/{tenant}", at("/v1/tenants/acme"), obj("name", "Acme"), false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"DELETE /v1/tenants/{tenant}", at("/v1/tenants/doomed"), nil, false, want{unauth, forbid, forbid, forbid, hidden, hidden, hidden, gone}},

		// Users.
		{"GET /v1/users", at("/v1/users"), nil, false, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},
		{"POST /v1/users", at("/v1/users"), obj("email", freshEmail), false, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, created}},
		// A user's stored profile and its password are its manager's: acme's admins may not
		// touch the instance's target, and may its own managed one.
		{"GET /v1/users/{user}", func() string { return "/v1/users/" + m.target }, nil, false, want{unauth, hidden, hidden, forbid, hidden, forbid, hidden, ok}},
		{"PATCH /v1/users/{user}", func() string { return "/v1/users/" + m.managed }, obj("given_name", "T"), false,
			want{unauth, hidden, hidden, ok, hidden, ok, hidden, ok}},
		{"DELETE /v1/users/{user}", func() string { return "/v1/users/" + m.freshMemberID() }, nil, false,
			want{unauth, hidden, hidden, forbid, hidden, forbid, hidden, gone}},
		{"PUT /v1/users/{user}/password", func() string { return "/v1/users/" + m.managed + "/password" }, obj("password", strong), false,
			want{unauth, hidden, hidden, gone, hidden, gone, hidden, gone}},
		{"GET /v1/users/{user}/tokens", func() string { return "/v1/users/" + m.target + "/tokens" }, nil, false,
			want{unauth, hidden, hidden, hidden, hidden, forbid, forbid, ok}},
		{"DELETE /v1/users/{user}/tokens/{id}", func() string { return "/v1/users/" + m.target + "/tokens/tok_00000000000000000000000000" }, nil, false,
			want{unauth, hidden, hidden, hidden, hidden, forbid, forbid, hidden}},
		{"GET /v1/users/{user}/sessions", func() string { return "/v1/users/" + m.target + "/sessions" }, nil, false,
			want{unauth, hidden, hidden, hidden, hidden, forbid, forbid, ok}},
		{"DELETE /v1/users/{user}/sessions", func() string { return "/v1/users/" + m.target + "/sessions" }, nil, false,
			want{unauth, hidden, hidden, hidden, hidden, forbid, forbid, gone}},
		{"DELETE /v1/users/{user}/sessions/{id}", func() string { return "/v1/users/" + m.target + "/sessions/ses_00000000000000000000000000" }, nil, false,
			want{unauth, hidden, hidden, hidden, hidden, forbid, forbid, hidden}},

		// Members.
		{"GET /v1/tenants/{tenant}/members", at("/v1/tenants/acme/members"), nil, false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"POST /v1/tenants/{tenant}/members", at("/v1/tenants/acme/members"),
			func() any {
				return map[string]any{"user_id": m.e.createUser(m.root, freshEmail()), "roles": []string{"viewer"}}
			}, false,
			want{unauth, forbid, forbid, created, hidden, created, hidden, created}},
		{"PATCH /v1/tenants/{tenant}/members", at("/v1/tenants/acme/members"),
			func() any { return []map[string]any{{"user_id": m.target, "roles": []string{"viewer"}}} }, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"GET /v1/tenants/{tenant}/members/{user}", func() string { return "/v1/tenants/acme/members/" + m.target }, nil, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"PUT /v1/tenants/{tenant}/members/{user}", func() string { return "/v1/tenants/acme/members/" + m.target }, obj("roles", []string{"viewer"}), false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"DELETE /v1/tenants/{tenant}/members/{user}", func() string { return "/v1/tenants/acme/members/" + m.freshMemberID() }, nil, false,
			want{unauth, forbid, forbid, gone, hidden, gone, hidden, gone}},

		// Roles.
		{"GET /v1/tenants/{tenant}/roles", at("/v1/tenants/acme/roles"), nil, false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"POST /v1/tenants/{tenant}/roles", at("/v1/tenants/acme/roles"), obj("name", func() string { return m.fresh("role") }), false,
			want{unauth, forbid, forbid, created, hidden, created, hidden, created}},
		{"GET /v1/tenants/{tenant}/roles/{role}", at("/v1/tenants/acme/roles/billing"), nil, false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"PATCH /v1/tenants/{tenant}/roles/{role}", at("/v1/tenants/acme/roles/billing"), obj("description", "d"), false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"DELETE /v1/tenants/{tenant}/roles/{role}", func() string {
			name := m.fresh("gone")
			m.e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: m.root.token, body: map[string]any{"name": name}})
			return "/v1/tenants/acme/roles/" + name
		}, nil, false, want{unauth, forbid, forbid, gone, hidden, gone, hidden, gone}},

		// Service accounts and keys.
		{"GET /v1/tenants/{tenant}/service-accounts", at("/v1/tenants/acme/service-accounts"), nil, false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"POST /v1/tenants/{tenant}/service-accounts", at("/v1/tenants/acme/service-accounts"),
			obj("name", func() string { return m.fresh("bot") }, "roles", []string{"viewer"}), false, want{unauth, forbid, forbid, created, hidden, created, hidden, created}},
		{"GET /v1/tenants/{tenant}/service-accounts/{sa}", func() string { return "/v1/tenants/acme/service-accounts/" + m.saID }, nil, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"PATCH /v1/tenants/{tenant}/service-accounts/{sa}", func() string { return "/v1/tenants/acme/service-accounts/" + m.saID }, obj("name", "matrix bot"), false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"DELETE /v1/tenants/{tenant}/service-accounts/{sa}", func() string { return "/v1/tenants/acme/service-accounts/" + m.freshServiceAccount() }, nil, false,
			want{unauth, forbid, forbid, gone, hidden, gone, hidden, gone}},
		{"GET /v1/tenants/{tenant}/service-accounts/{sa}/keys", func() string { return "/v1/tenants/acme/service-accounts/" + m.saID + "/keys" }, nil, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"POST /v1/tenants/{tenant}/service-accounts/{sa}/keys", func() string { return "/v1/tenants/acme/service-accounts/" + m.freshServiceAccount() + "/keys" },
			obj(), false, want{unauth, forbid, forbid, created, hidden, created, hidden, created}},
		{"DELETE /v1/tenants/{tenant}/service-accounts/{sa}/keys/{key}", func() string {
			return "/v1/tenants/acme/service-accounts/" + m.saID + "/keys/key_00000000000000000000000000"
		}, nil, false, want{unauth, forbid, forbid, hidden, hidden, hidden, hidden, hidden}},

		// Introspection and the audit trail.
		{"POST /v1/auth/introspect", at("/v1/auth/introspect"), func() any { return map[string]any{"token": m.tuser.token} }, false,
			want{unauth, forbid, forbid, forbid, forbid, ok, ok, ok}},
		{"GET /v1/audit-events", at("/v1/audit-events"), nil, false, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},
		{"GET /v1/tenants/{tenant}/audit-events", at("/v1/tenants/acme/audit-events"), nil, false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"GET /v1/events", at("/v1/events"), nil, false, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},
		{"GET /v1/tenants/{tenant}/events", at("/v1/tenants/acme/events"), nil, false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},

		// Mail: reset and verification links, address changes.
		{"POST /v1/auth/password-reset", at("/v1/auth/password-reset"), obj("login", freshEmail), false, every(http.StatusAccepted)},
		{"POST /v1/auth/password-reset/complete", at("/v1/auth/password-reset/complete"), obj("token", "rsl_x", "password", strong), false, every(bad)},
		{"POST /v1/auth/email-verification/complete", at("/v1/auth/email-verification/complete"), obj("token", "rsl_x"), false, every(bad)},
		{"POST /v1/me/email-verification", at("/v1/me/email-verification"), nil, false,
			want{unauth, http.StatusAccepted, http.StatusAccepted, http.StatusAccepted, http.StatusAccepted, forbid, forbid, http.StatusAccepted}},
		{"POST /v1/me/email-change", at("/v1/me/email-change"), obj("email", freshEmail, "current_password", testPassword), false,
			want{unauth, http.StatusAccepted, http.StatusAccepted, http.StatusAccepted, http.StatusAccepted, forbid, forbid, http.StatusAccepted}},
		{"POST /v1/users/{user}/password-reset", func() string { return "/v1/users/" + m.target + "/password-reset" }, nil, false,
			want{unauth, hidden, hidden, forbid, hidden, forbid, hidden, http.StatusAccepted}},

		// Invitations: a tenant's are read with members:read and written with members:write
		// (and the roles offered); a link's calls need no credential but the link.
		{"GET /v1/tenants/{tenant}/invitations", at("/v1/tenants/acme/invitations"), nil, false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"POST /v1/tenants/{tenant}/invitations", at("/v1/tenants/acme/invitations"), obj("email", freshEmail, "roles", []string{"viewer"}), false,
			want{unauth, forbid, forbid, created, hidden, created, hidden, created}},
		{"GET /v1/tenants/{tenant}/invitations/{invitation}", func() string { return "/v1/tenants/acme/invitations/" + m.invitation }, nil, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"POST /v1/tenants/{tenant}/invitations/{invitation}/resend", func() string { return "/v1/tenants/acme/invitations/" + m.invitation + "/resend" }, nil, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"POST /v1/tenants/{tenant}/invitations/{invitation}/revoke", func() string { return "/v1/tenants/acme/invitations/" + m.freshInvitation() + "/revoke" }, nil, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"POST /v1/invitations/lookup", at("/v1/invitations/lookup"), obj("token", "rsl_x"), false, every(bad)},
		{"POST /v1/invitations/accept", at("/v1/invitations/accept"), obj("token", "rsl_x", "password", strong), false, every(bad)},
		{"POST /v1/me/invitations/accept", at("/v1/me/invitations/accept"), obj("token", "rsl_x"), false, want{unauth, bad, bad, bad, bad, forbid, forbid, bad}},

		// Exolink: reads need membership, writes admin.
		{"GET /compat/exolink/tenant/{tenant}/user", at("/compat/exolink/tenant/acme/user"), nil, false, want{unauth, ok, ok, ok, hidden, ok, hidden, ok}},
		{"PUT /compat/exolink/tenant/{tenant}/user", at("/compat/exolink/tenant/acme/user"),
			func() any { return []map[string]any{{"id": m.target, "role": "viewer"}} }, false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"PUT /compat/exolink/tenant/{tenant}/user/{userId}", func() string { return "/compat/exolink/tenant/acme/user/" + m.target }, obj("role", "viewer"), false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"DELETE /compat/exolink/tenant/{tenant}/user/{userId}", func() string { return "/compat/exolink/tenant/acme/user/" + m.freshMemberID() }, nil, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"GET /compat/exolink/tenant/{tenant}", at("/compat/exolink/tenant/acme"), nil, false, want{unauth, ok, ok, ok, hidden, ok, hidden, ok}},
		{"PUT /compat/exolink/tenant/{tenant}", at("/compat/exolink/tenant/acme"), obj("name", "Acme"), false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"GET /compat/exolink/user/{userId}", func() string { return "/compat/exolink/user/" + m.target }, nil, false,
			want{unauth, ok, ok, ok, hidden, forbid, forbid, ok}},

		// Links: instance administrators only.
		{"POST /compat/links/login", at("/compat/links/login"), obj("username", func() string { return m.fresh("nobody") }, "password", "not the one"), true, every(unauth)},
		{"GET /compat/links/users", at("/compat/links/users"), nil, true, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},
		{"POST /compat/links/users", at("/compat/links/users"),
			obj("username", func() string { return m.fresh("linked") }, "password", strong, "email", freshEmail), true,
			want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, created}},
		{"GET /compat/links/users/{username}", at("/compat/links/users/target"), nil, true, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},
		{"PUT /compat/links/users/{username}", at("/compat/links/users/target"), obj("confirm", true), true,
			want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},
		{"DELETE /compat/links/users/{username}", func() string {
			_, email := m.freshMember()
			return "/compat/links/users/" + strings.Split(email, "@")[0]
		}, nil, true,
			want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},

		// Ella Core, bound to acme: the service decides, as natively (members:read, members:write,
		// and the account's manager for passwords); everyone manages itself; keys of acme's
		// service accounts are callers like any other, but have no "me".
		{"GET /compat/ellacore/api/v1/status", at(el + "/status"), nil, false, every(ok)},
		{"POST /compat/ellacore/api/v1/auth/login", at(el + "/auth/login"), obj("email", freshEmail, "password", "not the one"), false, every(unauth)},
		{"POST /compat/ellacore/api/v1/auth/lookup-token", at(el + "/auth/lookup-token"), nil, false, want{bad, ok, ok, ok, ok, ok, ok, ok}},
		{"POST /compat/ellacore/api/v1/users", at(el + "/users"), obj("email", freshEmail, "password", strong, "role_id", 3), false,
			want{unauth, forbid, forbid, created, forbid, created, forbid, created}},
		{"GET /compat/ellacore/api/v1/users", at(el + "/users"), nil, false, want{unauth, forbid, forbid, ok, forbid, ok, forbid, ok}},
		{"GET /compat/ellacore/api/v1/users/me", at(el + "/users/me"), nil, false, want{unauth, ok, ok, ok, forbid, forbid, forbid, ok}},
		{"PUT /compat/ellacore/api/v1/users/me/password", at(el + "/users/me/password"), obj("password", strong), false,
			want{unauth, ok, ok, ok, forbid, forbid, forbid, ok}},
		{"GET /compat/ellacore/api/v1/users/me/api-tokens", at(el + "/users/me/api-tokens"), nil, false, want{unauth, ok, ok, ok, forbid, forbid, forbid, ok}},
		{"POST /compat/ellacore/api/v1/users/me/api-tokens", at(el + "/users/me/api-tokens"), obj("name", func() string { return m.fresh("ella") }), false,
			want{unauth, created, created, created, forbid, forbid, forbid, created}},
		{"DELETE /compat/ellacore/api/v1/users/me/api-tokens/{id}", at(el + "/users/me/api-tokens/aaaaaaaaaaaa"), nil, false,
			want{unauth, hidden, hidden, hidden, forbid, forbid, forbid, hidden}},
		{"GET /compat/ellacore/api/v1/users/{email}", at(el + "/users/target@example.com"), nil, false, want{unauth, forbid, forbid, ok, forbid, ok, forbid, ok}},
		{"PUT /compat/ellacore/api/v1/users/{email}", at(el + "/users/target@example.com"), obj("role_id", 3), false,
			want{unauth, forbid, forbid, ok, forbid, ok, forbid, ok}},
		{"DELETE /compat/ellacore/api/v1/users/{email}", func() string { _, email := m.freshMember(); return el + "/users/" + email }, nil, false,
			want{unauth, forbid, forbid, ok, forbid, ok, forbid, ok}},
		{"PUT /compat/ellacore/api/v1/users/{email}/password", at(el + "/users/target@example.com/password"), obj("password", strong), false,
			want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},

		// Partner portals: the portal's keys, members with members:read/write, instance admins.
		{"GET /compat/partner/v1/partner-portals/{portalId}/users", at("/compat/partner/v1/partner-portals/acme/users"), nil, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"POST /compat/partner/v1/partner-portals/{portalId}/users", at("/compat/partner/v1/partner-portals/acme/users"),
			obj("first_name", "F", "last_name", "L", "email", freshEmail, "roles", []string{"viewer"}), false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"GET /compat/partner/v1/partner-portals/{portalId}/users/{userId}", func() string { return "/compat/partner/v1/partner-portals/acme/users/" + m.target }, nil, false,
			want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
		{"DELETE /compat/partner/v1/partner-portals/{portalId}/users/{userId}", func() string {
			return "/compat/partner/v1/partner-portals/acme/users/" + m.freshMemberID()
		}, nil, false, want{unauth, forbid, forbid, ok, hidden, ok, hidden, ok}},
	}
}

// TestAuthorizationMatrix walks every route of every surface as every kind of caller. A route
// the server serves without a row here fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	m := newMatrix(t)
	callers := []struct {
		name string
		p    *principal
	}{
		{"anonymous", &m.anon}, {"viewer", &m.tviewer}, {"user", &m.tuser}, {"tenant admin", &m.tadmin},
		{"other tenant's admin", &m.oadmin}, {"service account", &m.sa}, {"other tenant's service account", &m.osa},
		{"instance admin", &m.root}, // last: its successes may be destructive
	}
	rows := m.rows()
	seen := map[string]bool{}
	for _, row := range rows {
		if seen[row.route] {
			t.Errorf("route %s has two rows", row.route)
		}
		seen[row.route] = true
	}
	for _, row := range m.consoleRows() { // the console's rows, walked with cookies
		if seen[row.route] {
			t.Errorf("route %s has two rows", row.route)
		}
		seen[row.route] = true
	}
	for _, route := range m.e.srv.Routes() {
		if !seen[route] {
			t.Errorf("route %s has no row in the authorization matrix", route)
		}
		delete(seen, route)
	}
	for route := range seen {
		t.Errorf("row %s names no route the server serves", route)
	}
	m.walkConsole(t, callers) // first: some API rows below change the cast's passwords
	for _, row := range rows {
		method, _, _ := strings.Cut(row.route, " ")
		w := row.want
		statuses := []int{w.anon, w.viewer, w.user, w.admin, w.other, w.sa, w.osa, w.root}
		for i, caller := range callers {
			if statuses[i] == 0 {
				continue
			}
			t.Run(row.route+"/"+caller.name, func(t *testing.T) {
				r := req{method: method, path: row.path()}
				if row.links {
					if caller.p.token != "" {
						r.header = map[string]string{"X-Access-Token": caller.p.token}
					}
				} else {
					r.token = caller.p.token
				}
				if row.body != nil {
					r.body = row.body()
				}
				if res := m.e.do(r); res.status != statuses[i] {
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
