package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const exo = "/compat/exolink"

// exolinkWorld: tenants acme and globex; in acme an admin, a user, a viewer, a member with
// admin and user, and one with only a custom role.
type exolinkWorld struct {
	e                                  *env
	root, adm, usr, vw, oadm, outsider principal
	both, cust                         string
}

func newExolinkWorld(t *testing.T) *exolinkWorld {
	e := newEnv(t)
	w := &exolinkWorld{e: e, root: e.bootstrap()}
	e.createTenant(w.root, "acme")
	e.createTenant(w.root, "globex")
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: w.root.token,
		body: map[string]any{"name": "billing", "permissions": []string{"invoices:read"}}})
	w.adm = e.newUser(w.root, "adm@example.com")
	w.usr = e.newUser(w.root, "usr@example.com")
	w.vw = e.newUser(w.root, "vw@example.com")
	w.oadm = e.newUser(w.root, "oadm@example.com")
	w.outsider = e.newUser(w.root, "out@example.com")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + w.usr.id, token: w.root.token,
		body: map[string]any{"given_name": "Una", "family_name": "Ser"}})
	e.addMember(w.root, "acme", w.adm.id, "admin")
	e.addMember(w.root, "acme", w.usr.id, "user")
	e.addMember(w.root, "acme", w.vw.id, "viewer")
	w.both = e.createUser(w.root, "both@example.com")
	e.addMember(w.root, "acme", w.both, "admin", "user")
	w.cust = e.createUser(w.root, "cust@example.com")
	e.addMember(w.root, "acme", w.cust, "billing")
	e.addMember(w.root, "globex", w.oadm.id, "admin")
	return w
}

func (w *exolinkWorld) roles(userID string) []string {
	m := w.e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + userID, token: w.root.token}).object(w.e.t)
	return strs(w.e.t, m["roles"])
}

func TestExolinkListUsers(t *testing.T) {
	w := newExolinkWorld(t)
	res := w.e.must(http.StatusOK, req{method: "GET", path: exo + "/tenant/acme/user", token: w.vw.token}) // reads need membership
	var got []map[string]any
	res.decode(t, &got)
	want := []map[string]any{
		{"userId": w.adm.id, "username": "adm@example.com", "givenName": "", "familyName": "", "role": "admin"},
		{"userId": w.usr.id, "username": "usr@example.com", "givenName": "Una", "familyName": "Ser", "role": "user"},
		{"userId": w.vw.id, "username": "vw@example.com", "givenName": "", "familyName": "", "role": "viewer"},
		{"userId": w.both, "username": "both@example.com", "givenName": "", "familyName": "", "role": "admin"},
		{"userId": w.cust, "username": "cust@example.com", "givenName": "", "familyName": "", "role": "viewer"},
	}
	slices.SortFunc(want, func(a, b map[string]any) int { return strings.Compare(a["userId"].(string), b["userId"].(string)) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tenant users (-want +got):\n%s", diff)
	}
	// An API token works as the Bearer token too.
	tok := w.e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: w.usr.token, body: map[string]any{"name": "exo"}}).object(t)["token"].(string)
	w.e.must(http.StatusOK, req{method: "GET", path: exo + "/tenant/acme/user", token: tok})
}

func TestExolinkErrors(t *testing.T) {
	w := newExolinkWorld(t)
	for _, c := range []struct {
		name   string
		r      req
		status int
		msg    string
	}{
		{"no token", req{method: "GET", path: exo + "/tenant/acme/user"}, 401, "Authentication required: send Authorization: Bearer <token>."},
		{"bad token", req{method: "GET", path: exo + "/tenant/acme/user", token: "rss_nope"}, 401, "The bearer token is invalid or has expired."},
		{"other tenant", req{method: "GET", path: exo + "/tenant/acme/user", token: w.oadm.token}, 404, "Tenant not found."},
		{"unknown tenant", req{method: "GET", path: exo + "/tenant/nope/user", token: w.root.token}, 404, "Tenant not found."},
		{"write as user", req{method: "PUT", path: exo + "/tenant/acme/user/" + w.vw.id, token: w.usr.token, body: map[string]any{"role": "user"}},
			403, `You lack the permission "members:write" in tenant "acme".`},
		{"role outside enum", req{method: "PUT", path: exo + "/tenant/acme/user/" + w.vw.id, token: w.adm.token, body: map[string]any{"role": "owner"}},
			400, "Invalid request: role must be one of admin, user, viewer."},
		{"role missing", req{method: "PUT", path: exo + "/tenant/acme/user/" + w.vw.id, token: w.adm.token, body: map[string]any{}},
			400, "Invalid request: role is required."},
		{"malformed body", req{method: "PUT", path: exo + "/tenant/acme/user/" + w.vw.id, token: w.adm.token, body: `{"role":`},
			400, "The request body is not valid JSON: it ends too early."},
		{"unknown user", req{method: "PUT", path: exo + "/tenant/acme/user/usr_00000000000000000000000000", token: w.adm.token, body: map[string]any{"role": "user"}},
			404, "Member not found."},
		{"unknown user read", req{method: "GET", path: exo + "/user/usr_00000000000000000000000000", token: w.adm.token}, 404, "User not found."},
		{"user in no shared tenant", req{method: "GET", path: exo + "/user/" + w.oadm.id, token: w.adm.token}, 404, "User not found."},
		{"unknown route", req{method: "GET", path: exo + "/nothing", token: w.adm.token}, 404, "Not found."},
		{"wrong method", req{method: "POST", path: exo + "/tenant/acme/user", token: w.adm.token, body: map[string]any{}}, 405, "POST is not allowed here."},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := w.e.do(c.r)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
			}
			if diff := cmp.Diff(map[string]any{"message": c.msg}, res.object(t)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExolinkSetRoles(t *testing.T) {
	w := newExolinkWorld(t)
	res := w.e.must(http.StatusOK, req{method: "PUT", path: exo + "/tenant/acme/user/" + w.vw.id, token: w.adm.token, body: map[string]any{"role": "user"}})
	if diff := cmp.Diff(map[string]any{"message": "Role updated successfully"}, res.object(t)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := w.roles(w.vw.id); !slices.Equal(got, []string{"user"}) {
		t.Errorf("roles = %v", got)
	}
	// The built-in role is replaced; custom roles stay.
	w.e.must(http.StatusOK, req{method: "PUT", path: exo + "/tenant/acme/user/" + w.cust, token: w.adm.token, body: map[string]any{"role": "admin"}})
	if got := w.roles(w.cust); !slices.Equal(got, []string{"admin", "billing"}) {
		t.Errorf("roles = %v, want admin and the custom billing", got)
	}

	// One bad item: nothing changes, and every bad item is named.
	res = w.e.must(http.StatusBadRequest, req{method: "PUT", path: exo + "/tenant/acme/user", token: w.adm.token, body: []map[string]any{
		{"id": w.usr.id, "role": "viewer"},
		{"id": w.outsider.id, "role": "user"},
		{"id": w.vw.id, "role": "owner"},
		{"id": "usr_00000000000000000000000000", "role": "user"},
	}})
	want := "Invalid request: item 1 id is not a member of this tenant; item 2 role must be one of admin, user, viewer; item 3 id is not a member of this tenant."
	if diff := cmp.Diff(map[string]any{"message": want}, res.object(t)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := w.roles(w.usr.id); !slices.Equal(got, []string{"user"}) {
		t.Errorf("a refused bulk call changed roles: %v", got)
	}
	res = w.e.must(http.StatusOK, req{method: "PUT", path: exo + "/tenant/acme/user", token: w.adm.token, body: []map[string]any{
		{"id": w.usr.id, "role": "viewer"}, {"id": w.vw.id, "role": "admin"},
	}})
	if diff := cmp.Diff(map[string]any{"message": "Roles updated successfully"}, res.object(t)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if a, b := w.roles(w.usr.id), w.roles(w.vw.id); !slices.Equal(a, []string{"viewer"}) || !slices.Equal(b, []string{"admin"}) {
		t.Errorf("roles after bulk: %v, %v", a, b)
	}
}

func TestExolinkLastAdminAndRemoval(t *testing.T) {
	w := newExolinkWorld(t)
	w.e.createTenant(w.root, "solo")
	w.e.addMember(w.root, "solo", w.adm.id, "admin")
	w.e.addMember(w.root, "solo", w.usr.id, "user")
	for _, r := range []req{
		{method: "PUT", path: exo + "/tenant/solo/user/" + w.adm.id, body: map[string]any{"role": "user"}},
		{method: "PUT", path: exo + "/tenant/solo/user", body: []map[string]any{{"id": w.adm.id, "role": "viewer"}}},
		{method: "DELETE", path: exo + "/tenant/solo/user/" + w.adm.id},
	} {
		r.token = w.adm.token
		res := w.e.must(http.StatusConflict, r)
		if diff := cmp.Diff(map[string]any{"message": "A tenant must keep at least one active admin; make another member admin first."}, res.object(t)); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", r.method, r.path, diff)
		}
	}
	res := w.e.must(http.StatusOK, req{method: "DELETE", path: exo + "/tenant/solo/user/" + w.usr.id, token: w.adm.token})
	if diff := cmp.Diff(map[string]any{"message": "User removed successfully"}, res.object(t)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	w.e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/solo/members/" + w.usr.id, token: w.root.token})
}

func TestExolinkTenantAndUser(t *testing.T) {
	w := newExolinkWorld(t)
	got := w.e.must(http.StatusOK, req{method: "GET", path: exo + "/tenant/acme", token: w.vw.token}).object(t)
	if got["domainPrefix"] != "acme" || got["name"] != "Tenant acme" || got["createdAt"] == nil || got["updatedAt"] == nil || len(got) != 5 {
		t.Errorf("tenant = %v", got)
	}
	w.e.must(http.StatusForbidden, req{method: "PUT", path: exo + "/tenant/acme", token: w.vw.token, body: map[string]any{"name": "X"}})
	got = w.e.must(http.StatusOK, req{method: "PUT", path: exo + "/tenant/acme", token: w.adm.token, body: map[string]any{"name": "Acme Ltd"}}).object(t)
	if got["name"] != "Acme Ltd" {
		t.Errorf("renamed tenant = %v", got)
	}

	// perms shows only the tenants the caller shares with the user; an instance admin sees all.
	w.e.addMember(w.root, "globex", w.usr.id, "viewer")
	u := w.e.must(http.StatusOK, req{method: "GET", path: exo + "/user/" + w.usr.id, token: w.adm.token}).object(t)
	if diff := cmp.Diff(map[string]any{"acme": "user"}, u["perms"]); diff != "" {
		t.Errorf("perms seen by acme's admin (-want +got):\n%s", diff)
	}
	if u["username"] != "usr@example.com" || u["email"] != "usr@example.com" || u["givenName"] != "Una" || u["familyName"] != "Ser" {
		t.Errorf("user = %v", u)
	}
	u = w.e.must(http.StatusOK, req{method: "GET", path: exo + "/user/" + w.usr.id, token: w.root.token}).object(t)
	if diff := cmp.Diff(map[string]any{"acme": "user", "globex": "viewer"}, u["perms"]); diff != "" {
		t.Errorf("perms seen by an instance admin (-want +got):\n%s", diff)
	}
}

// An admin of one tenant gets 404 on every route of another.
func TestExolinkTenantIsolation(t *testing.T) {
	w := newExolinkWorld(t)
	for _, r := range []req{
		{method: "GET", path: exo + "/tenant/acme/user"},
		{method: "PUT", path: exo + "/tenant/acme/user", body: []map[string]any{{"id": w.usr.id, "role": "viewer"}}},
		{method: "PUT", path: exo + "/tenant/acme/user/" + w.usr.id, body: map[string]any{"role": "viewer"}},
		{method: "DELETE", path: exo + "/tenant/acme/user/" + w.usr.id},
		{method: "GET", path: exo + "/tenant/acme"},
		{method: "PUT", path: exo + "/tenant/acme", body: map[string]any{"name": "pwned"}},
		{method: "GET", path: exo + "/user/" + w.usr.id},
	} {
		r.token = w.oadm.token
		if res := w.e.do(r); res.status != http.StatusNotFound {
			t.Errorf("%s %s as globex's admin: %d %s", r.method, r.path, res.status, res.body)
		}
	}
	if got := w.roles(w.usr.id); !slices.Equal(got, []string{"user"}) {
		t.Errorf("another tenant's admin changed roles: %v", got)
	}
}
