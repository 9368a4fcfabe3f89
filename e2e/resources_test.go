package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTenantLifecycle(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants", token: admin.token,
		body: map[string]any{"slug": "acme", "name": "Acme Inc."}})
	tenant := res.object(t)
	id := tenant["id"].(string)
	if res.header.Get("Location") != "/v1/tenants/"+id || res.header.Get("ETag") != `"1"` {
		t.Errorf("Location %q, ETag %q", res.header.Get("Location"), res.header.Get("ETag"))
	}
	bySlug := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme", token: admin.token}).object(t)
	if diff := cmp.Diff(tenant, bySlug); diff != "" {
		t.Errorf("GET by slug differs from POST (-post +get):\n%s", diff)
	}

	e.must(http.StatusConflict, req{method: "POST", path: "/v1/tenants", token: admin.token,
		body: map[string]any{"slug": "acme", "name": "Again"}})

	e.must(http.StatusPreconditionFailed, req{method: "PATCH", path: "/v1/tenants/" + id, token: admin.token,
		body: map[string]any{"name": "Stale"}, header: map[string]string{"If-Match": `"7"`}})
	res = e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/" + id, token: admin.token,
		body: map[string]any{"name": "Acme Corporation", "slug": "acme-corp"}, header: map[string]string{"If-Match": `"1"`}})
	if got := res.object(t)["slug"]; got != "acme-corp" || res.header.Get("ETag") != `"2"` {
		t.Errorf("after PATCH slug %v, ETag %s", got, res.header.Get("ETag"))
	}
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/acme", token: admin.token})

	// The list holds it and the Ella Core surface's tenant, which the server binds at start-up.
	list := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants", token: admin.token}).object(t)
	var slugs []string
	for _, it := range list["items"].([]any) {
		slugs = append(slugs, it.(map[string]any)["slug"].(string))
	}
	if diff := cmp.Diff([]string{"ellacore", "acme-corp"}, slugs); diff != "" || list["next_cursor"] != nil {
		t.Errorf("list = %v (-want +got):\n%s", list, diff)
	}
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/" + id, token: admin.token})
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/" + id, token: admin.token})
}

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: admin.token, body: map[string]any{
		"email": "Grace@Example.com", "username": "grace", "given_name": "Grace", "family_name": "Hopper", "locale": "en_GB",
	}})
	u := res.object(t)
	id := u["id"].(string)
	for k, want := range map[string]any{"email": "Grace@Example.com", "locale": "en-GB", "active": true,
		"email_verified": false, "instance_admin": false, "last_login_at": nil} {
		if u[k] != want {
			t.Errorf("%s = %v, want %v", k, u[k], want)
		}
	}
	// Case-insensitively unique.
	res = e.must(http.StatusConflict, req{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"email": "grace@example.COM"}})
	if diff := cmp.Diff([]any{map[string]any{"pointer": "/email", "detail": "is already used by another user"}}, res.object(t)["errors"]); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	e.must(http.StatusConflict, req{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"email": "someone@example.com", "username": "GRACE"}})

	e.createUser(admin, "alan@example.com")
	e.createUser(admin, "ada@example.org")
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"email=a", []string{"alan@example.com", "ada@example.org"}},
		{"email=ADA", []string{"ada@example.org"}},
		{"q=hopp", []string{"Grace@Example.com"}},
		{"q=example.org", []string{"ada@example.org"}},
		{"username=gr", []string{"Grace@Example.com"}},
		{"active=false", nil},
		{"email=%25", nil}, // a literal %, not a wildcard
	} {
		list := e.must(http.StatusOK, req{method: "GET", path: "/v1/users?" + c.query, token: admin.token}).object(t)
		var got []string
		for _, it := range list["items"].([]any) {
			got = append(got, it.(map[string]any)["email"].(string))
		}
		slices.Sort(got)
		slices.Sort(c.want)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("?%s (-want +got):\n%s", c.query, diff)
		}
	}

	res = e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + id, token: admin.token,
		body: map[string]any{"family_name": "Murray Hopper", "email_verified": true}})
	if got := res.object(t); got["family_name"] != "Murray Hopper" || got["email_verified"] != true {
		t.Errorf("after PATCH: %v", got)
	}
	etag := res.header.Get("ETag")
	got := e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + id, token: admin.token})
	if got.header.Get("ETag") != etag {
		t.Errorf("GET ETag %s, PATCH ETag %s", got.header.Get("ETag"), etag)
	}
	e.must(http.StatusPreconditionFailed, req{method: "DELETE", path: "/v1/users/" + id, token: admin.token,
		header: map[string]string{"If-Match": `"1"`}})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/users/" + id, token: admin.token,
		header: map[string]string{"If-Match": etag}})
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/users/" + id, token: admin.token})
}

func TestLastInstanceAdminStays(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.must(http.StatusConflict, req{method: "PATCH", path: "/v1/users/" + admin.id, token: admin.token, body: map[string]any{"active": false}})
	e.must(http.StatusConflict, req{method: "PATCH", path: "/v1/users/" + admin.id, token: admin.token, body: map[string]any{"instance_admin": false}})
	e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/users/" + admin.id, token: admin.token})
	second := e.newUser(admin, "second@example.com")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + second.id, token: admin.token, body: map[string]any{"instance_admin": true}})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/users/" + admin.id, token: second.token})
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.createTenant(admin, "acme")
	list := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/roles", token: admin.token}).object(t)
	perms := map[string][]string{}
	for _, it := range list["items"].([]any) {
		r := it.(map[string]any)
		perms[r["name"].(string)] = strs(t, r["permissions"])
	}
	want := map[string][]string{
		"admin":  {"*"},
		"user":   {"resources:read", "resources:write", "tenant:read"},
		"viewer": {"resources:read", "tenant:read"},
	}
	if diff := cmp.Diff(want, perms); diff != "" {
		t.Errorf("built-in roles (-want +got):\n%s", diff)
	}

	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: admin.token,
		body: map[string]any{"name": "billing", "description": "Sees invoices", "permissions": []string{"invoices:read", "invoices:read", "members:read"}}})
	role := res.object(t)
	if diff := cmp.Diff([]string{"invoices:read", "members:read"}, strs(t, role["permissions"])); diff != "" {
		t.Errorf("permissions are not normalized (-want +got):\n%s", diff)
	}
	e.must(http.StatusConflict, req{method: "POST", path: "/v1/tenants/acme/roles", token: admin.token, body: map[string]any{"name": "billing"}})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/roles/billing", token: admin.token})
	res = e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme/roles/" + role["id"].(string), token: admin.token,
		body: map[string]any{"permissions": []string{"invoices:*"}}})
	if got := strs(t, res.object(t)["permissions"]); !slices.Equal(got, []string{"invoices:*"}) {
		t.Errorf("permissions after PATCH = %v", got)
	}

	for _, name := range []string{"admin", "user", "viewer"} {
		e.must(http.StatusConflict, req{method: "PATCH", path: "/v1/tenants/acme/roles/" + name, token: admin.token, body: map[string]any{"description": "x"}})
		e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/tenants/acme/roles/" + name, token: admin.token})
	}

	// A role held by a member cannot be deleted until nobody holds it.
	uid := e.createUser(admin, "u@example.com")
	e.addMember(admin, "acme", uid, "billing")
	e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/tenants/acme/roles/billing", token: admin.token})
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/tenants/acme/members/" + uid, token: admin.token, body: map[string]any{"roles": []string{"viewer"}}})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/roles/billing", token: admin.token})
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/acme/roles/billing", token: admin.token})
}

func TestMembers(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	tid := e.createTenant(admin, "acme")
	ann := e.newUser(admin, "ann@example.com")
	bob := e.createUser(admin, "bob@example.com")

	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/members", token: admin.token,
		body: map[string]any{"user_id": ann.id, "roles": []string{"user", "viewer", "user"}}})
	m := res.object(t)
	if diff := cmp.Diff([]string{"user", "viewer"}, strs(t, m["roles"])); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if m["tenant_id"] != tid || m["user"].(map[string]any)["email"] != "ann@example.com" {
		t.Errorf("member = %v", m)
	}
	e.must(http.StatusConflict, req{method: "POST", path: "/v1/tenants/acme/members", token: admin.token,
		body: map[string]any{"user_id": ann.id, "roles": []string{"user"}}})
	res = e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/tenants/acme/members", token: admin.token,
		body: map[string]any{"user_id": bob, "roles": []string{"viewer", "nope"}}})
	if diff := cmp.Diff([]any{map[string]any{"pointer": "/roles/1", "detail": `no role "nope" in this tenant`}}, res.object(t)["errors"]); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	e.addMember(admin, "acme", bob, "admin")

	// Ann sees her own membership, and /v1/me lists it with its permissions.
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + ann.id, token: ann.token})
	me := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: ann.token}).object(t)
	want := []any{map[string]any{
		"tenant":      map[string]any{"id": tid, "slug": "acme", "name": "Tenant acme"},
		"status":      "active",
		"roles":       []any{"user", "viewer"},
		"permissions": []any{"resources:read", "resources:write", "tenant:read"},
	}}
	if diff := cmp.Diff(want, me["memberships"]); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}

	res = e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members?role=admin", token: admin.token})
	items := res.object(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["user_id"] != bob {
		t.Errorf("?role=admin = %v", items)
	}
	res = e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members?email=ann", token: admin.token})
	if items := res.object(t)["items"].([]any); len(items) != 1 {
		t.Errorf("?email=ann = %v", items)
	}

	got := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + ann.id, token: admin.token})
	e.must(http.StatusPreconditionFailed, req{method: "PUT", path: "/v1/tenants/acme/members/" + ann.id, token: admin.token,
		body: map[string]any{"roles": []string{"admin"}}, header: map[string]string{"If-Match": `"99"`}})
	res = e.must(http.StatusOK, req{method: "PUT", path: "/v1/tenants/acme/members/" + ann.id, token: admin.token,
		body: map[string]any{"roles": []string{"admin"}}, header: map[string]string{"If-Match": got.header.Get("ETag")}})
	if diff := cmp.Diff([]string{"admin"}, strs(t, res.object(t)["roles"])); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}

	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/members/" + bob, token: admin.token})
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/acme/members/" + bob, token: admin.token})
	// Ann is now the only admin: she cannot leave, nor be demoted.
	e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/tenants/acme/members/" + ann.id, token: ann.token})
	e.must(http.StatusConflict, req{method: "PUT", path: "/v1/tenants/acme/members/" + ann.id, token: admin.token,
		body: map[string]any{"roles": []string{"user"}}})
	// Nor can she be deleted while she is.
	e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/users/" + ann.id, token: admin.token})
}

func TestBulkRoleSet(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.createTenant(admin, "acme")
	var ids []string
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		id := e.createUser(admin, email)
		e.addMember(admin, "acme", id, "viewer")
		ids = append(ids, id)
	}
	outsider := e.createUser(admin, "out@example.com")

	// One bad item refuses the whole request, naming every bad item.
	res := e.must(http.StatusBadRequest, req{method: "PATCH", path: "/v1/tenants/acme/members", token: admin.token, body: []map[string]any{
		{"user_id": ids[0], "roles": []string{"admin"}},
		{"user_id": outsider, "roles": []string{"user"}},
		{"user_id": ids[1], "roles": []string{"root"}},
		{"user_id": ids[2], "roles": []string{}},
	}})
	wantErrs := []any{
		map[string]any{"pointer": "/1/user_id", "detail": "is not a member of this tenant"},
		map[string]any{"pointer": "/2/roles/0", "detail": `no role "root" in this tenant`},
		map[string]any{"pointer": "/3/roles", "detail": "must name at least one role"},
	}
	if diff := cmp.Diff(wantErrs, res.object(t)["errors"]); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	list := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members?role=viewer", token: admin.token}).object(t)
	if n := len(list["items"].([]any)); n != 3 {
		t.Fatalf("a refused bulk call changed roles: %d viewers left, want 3", n)
	}

	res = e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme/members", token: admin.token, body: []map[string]any{
		{"user_id": ids[0], "roles": []string{"admin"}},
		{"user_id": ids[1], "roles": []string{"user", "viewer"}},
	}})
	items := res.object(t)["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("items = %v", items)
	}
	if diff := cmp.Diff([]string{"user", "viewer"}, strs(t, items[1].(map[string]any)["roles"])); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	// Taking admin from the only admin is refused, whatever else the call does.
	e.must(http.StatusConflict, req{method: "PATCH", path: "/v1/tenants/acme/members", token: admin.token, body: []map[string]any{
		{"user_id": ids[2], "roles": []string{"user"}},
		{"user_id": ids[0], "roles": []string{"viewer"}},
	}})
	m := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + ids[2], token: admin.token}).object(t)
	if diff := cmp.Diff([]string{"viewer"}, strs(t, m["roles"])); diff != "" {
		t.Errorf("a refused bulk call changed roles (-want +got):\n%s", diff)
	}

	tooMany := make([]map[string]any, 1001)
	for i := range tooMany {
		tooMany[i] = map[string]any{"user_id": ids[0], "roles": []string{"admin"}}
	}
	e.must(http.StatusBadRequest, req{method: "PATCH", path: "/v1/tenants/acme/members", token: admin.token, body: tooMany})
	manyRoles := make([]map[string]any, 1000)
	for i := range manyRoles { // 6,000 role names in all: over the cap of 5,000
		manyRoles[i] = map[string]any{"user_id": fmt.Sprintf("usr_%026d", i), "roles": []string{"a", "b", "c", "d", "e", "f"}}
	}
	res = e.must(http.StatusBadRequest, req{method: "PATCH", path: "/v1/tenants/acme/members", token: admin.token, body: manyRoles})
	if got := res.object(t)["detail"]; got != "must name at most 5000 roles across all items; split the call" {
		t.Errorf("detail = %v", got)
	}
}

// If-Match must be exactly one strong entity tag of ours; near misses never match, and what
// is not entity tags at all is refused as malformed.
func TestIfMatchIsStrict(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.createTenant(admin, "acme")
	for _, tag := range []string{`"+1"`, `"01"`, `W/"1"`, `"1", "2"`} {
		e.must(http.StatusPreconditionFailed, req{method: "PATCH", path: "/v1/tenants/acme", token: admin.token,
			body: map[string]any{"name": "x"}, header: map[string]string{"If-Match": tag}})
	}
	for _, tag := range []string{`""1""`, `1`, `W/1`} {
		e.must(http.StatusBadRequest, req{method: "PATCH", path: "/v1/tenants/acme", token: admin.token,
			body: map[string]any{"name": "x"}, header: map[string]string{"If-Match": tag}})
	}
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme", token: admin.token,
		body: map[string]any{"name": "x"}, header: map[string]string{"If-Match": `"1"`}})
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme", token: admin.token,
		body: map[string]any{"name": "y"}, header: map[string]string{"If-Match": `*`}})
}

// Users change their own names and locale; nothing that would let them probe or squat
// another person's email, username or a tenant's slug.
func TestSelfServiceLimits(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.createTenant(admin, "acme")
	e.createTenant(admin, "secretcorp")
	ann := e.newUser(admin, "ann@example.com")
	e.addMember(admin, "acme", ann.id, "admin")

	res := e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ann.id, token: ann.token,
		body: map[string]any{"given_name": "Ann", "family_name": "Lee", "locale": "fr-FR"}})
	if got := res.object(t); got["given_name"] != "Ann" || got["locale"] != "fr-FR" {
		t.Errorf("after PATCH: %v", got)
	}
	for _, body := range []map[string]any{
		{"email": "root@example.com"}, {"email": "free@example.com"}, {"username": "root"}, {"active": false}, {"instance_admin": true},
	} {
		e.must(http.StatusBadRequest, req{method: "PATCH", path: "/v1/users/" + ann.id, token: ann.token, body: body})
	}
	// Mass assignment is refused, naming every field the caller may not set.
	res = e.must(http.StatusBadRequest, req{method: "PATCH", path: "/v1/users/" + ann.id, token: ann.token,
		body: map[string]any{"given_name": "A", "instance_admin": true, "email_verified": true}})
	if diff := cmp.Diff([]any{
		map[string]any{"pointer": "/email_verified", "detail": "may be set only by an instance administrator"},
		map[string]any{"pointer": "/instance_admin", "detail": "may be set only by an instance administrator"},
	}, res.object(t)["errors"]); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// A tenant admin renames the tenant but cannot try slugs.
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme", token: ann.token, body: map[string]any{"name": "Acme 2"}})
	for _, slug := range []string{"secretcorp", "free-slug"} {
		e.must(http.StatusForbidden, req{method: "PATCH", path: "/v1/tenants/acme", token: ann.token, body: map[string]any{"slug": slug}})
	}
}

// Usernames never hold "@" (so a login with "@" is always an email), and a user created
// without one gets a free one derived from the email.
func TestDerivedUsernames(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	var got []string
	for _, email := range []string{"sam@example.com", "Sam@other.example", "sam@third.example", "+++@example.com"} {
		res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: admin.token, body: map[string]any{"email": email}})
		got = append(got, res.object(t)["username"].(string))
	}
	if diff := cmp.Diff([]string{"sam", "sam2", "sam3", "user"}, got); diff != "" {
		t.Errorf("usernames (-want +got):\n%s", diff)
	}
	e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"email": "x@example.com", "username": "x@example.com"}})
}
