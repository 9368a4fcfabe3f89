package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/server"
)

const portals = "/compat/partner/v1/partner-portals/"

// partnerWorld: tenants acme and globex, each with a key of an admin service account, and a
// key of a viewer service account in acme.
func partnerWorld(t *testing.T, options ...func(*server.Config)) (e *env, root principal, acme, globex, viewer string) {
	e = newEnv(t, options...)
	root = e.bootstrap()
	e.createTenant(root, "acme")
	e.createTenant(root, "globex")
	_, acme = e.newServiceAccount(root, "acme", "portal", "admin")
	_, globex = e.newServiceAccount(root, "globex", "portal", "admin")
	_, viewer = e.newServiceAccount(root, "acme", "reader", "viewer")
	return
}

var requestIDShape = regexp.MustCompile(`^[0-9a-f]{32}$`)

func expectPartnerError(t *testing.T, res *resp, status int, msg string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d: %s", res.status, status, res.body)
	}
	got := res.object(t)
	if id, _ := got["request_id"].(string); !requestIDShape.MatchString(id) || id != res.header.Get("X-Request-Id") {
		t.Errorf("request_id %v, X-Request-Id %q", got["request_id"], res.header.Get("X-Request-Id"))
	}
	delete(got, "request_id")
	if diff := cmp.Diff(map[string]any{"status_code": float64(status), "message": msg}, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestPartnerUsers(t *testing.T) {
	e, root, acme, globex, _ := partnerWorld(t)
	res := e.must(http.StatusOK, req{method: "POST", path: portals + "acme/users", token: acme, body: map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "roles": []string{"user"}, "locale": "en_GB",
		"attributes": map[string]any{"team": "engines"},
	}})
	ada := res.object(t)
	id := ada["id"].(string)
	if diff := cmp.Diff(map[string]any{"id": id, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "last_logged_at": nil}, ada); diff != "" {
		t.Errorf("created user (-want +got):\n%s", diff)
	}
	native := e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + id, token: root.token}).object(t)
	if native["locale"] != "en-GB" {
		t.Errorf("locale stored as %v, want en-GB", native["locale"])
	}
	// Without a password the user cannot log in.
	e.must(http.StatusUnauthorized, req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": "ada@example.com", "password": "anything at all"}})

	// With a password; then the user logs in and last_logged_at follows.
	bob := e.must(http.StatusOK, req{method: "POST", path: portals + "acme/users", token: acme, body: map[string]any{
		"first_name": "Bob", "last_name": "B", "email": "bob@example.com", "roles": []string{"viewer"}, "password": "first login phrase",
	}}).object(t)
	e.login("bob@example.com", "first login phrase")
	got := e.must(http.StatusOK, req{method: "GET", path: portals + "acme/users/" + bob["id"].(string), token: acme}).object(t)
	if got["last_logged_at"] == nil {
		t.Errorf("last_logged_at after a login: %v", got)
	}

	// An email Roster knows joins the portal with its password unchanged; a member again is 409.
	e.must(http.StatusOK, req{method: "POST", path: portals + "globex/users", token: globex, body: map[string]any{
		"first_name": "Bob", "last_name": "B", "email": "BOB@example.com", "roles": []string{"viewer"}, "password": "different phrase 77",
	}})
	e.login("bob@example.com", "first login phrase")
	expectPartnerError(t, e.do(req{method: "POST", path: portals + "globex/users", token: globex, body: map[string]any{
		"first_name": "Bob", "last_name": "B", "email": "bob@example.com", "roles": []string{"viewer"},
	}}), 409, "The user is already a member of this tenant.")

	// Removing: Bob stays in Roster (globex), Ada is gone (no other tenant).
	expectDeleted := func(tenant, key, id string) {
		t.Helper()
		res := e.must(http.StatusOK, req{method: "DELETE", path: portals + tenant + "/users/" + id, token: key})
		if diff := cmp.Diff(map[string]any{"id": id, "isDeleted": true}, res.object(t)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
	expectDeleted("acme", acme, bob["id"].(string))
	expectDeleted("acme", acme, id)
	e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + bob["id"].(string), token: root.token})
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/users/" + id, token: root.token})
	expectPartnerError(t, e.do(req{method: "GET", path: portals + "acme/users/" + bob["id"].(string), token: acme}), 404, "Member not found.")

	// The portal's last admin stays.
	adminID := e.createUser(root, "boss@example.com")
	e.addMember(root, "acme", adminID, "admin")
	expectPartnerError(t, e.do(req{method: "DELETE", path: portals + "acme/users/" + adminID, token: acme}), 409,
		"A tenant must keep at least one active admin; make another member admin first.")
	// An instance administrator's token works too, with the tenant's id as portalId.
	tid := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme", token: root.token}).object(t)["id"].(string)
	e.must(http.StatusOK, req{method: "GET", path: portals + tid + "/users", token: root.token})
}

func TestPartnerErrors(t *testing.T) {
	e, root, acme, globex, viewer := partnerWorld(t)
	member := e.createUser(root, "m@example.com")
	e.addMember(root, "acme", member, "viewer")
	roleID := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/roles/user", token: root.token}).object(t)["id"].(string)
	for _, c := range []struct {
		name   string
		r      req
		status int
		msg    string
	}{
		{"no key", req{method: "GET", path: portals + "acme/users"}, 401, "Pass a service account key as the Bearer token: Authorization: Bearer sk:…."},
		{"bad key", req{method: "GET", path: portals + "acme/users", token: "sk:nope"}, 401, "Pass a service account key as the Bearer token: Authorization: Bearer sk:…."},
		{"another portal's key", req{method: "GET", path: portals + "acme/users", token: globex}, 404, "Tenant not found."},
		{"another portal's key, one user", req{method: "GET", path: portals + "acme/users/" + member, token: globex}, 404, "Tenant not found."},
		{"another portal's key, create", req{method: "POST", path: portals + "acme/users", token: globex,
			body: map[string]any{"first_name": "X", "last_name": "Y", "email": "x@example.com", "roles": []string{roleID}}}, 404, "Tenant not found."},
		{"key lacks the permission", req{method: "GET", path: portals + "acme/users", token: viewer}, 403, `You lack the permission "members:read" in tenant "acme".`},
		{"limit too large", req{method: "GET", path: portals + "acme/users?limit=201", token: acme}, 400, "Invalid request: limit must be a whole number from 1 to 200."},
		{"limit zero", req{method: "GET", path: portals + "acme/users?limit=0", token: acme}, 400, "Invalid request: limit must be a whole number from 1 to 200."},
		{"limit not a number", req{method: "GET", path: portals + "acme/users?limit=many", token: acme}, 400, "Invalid request: limit must be a whole number from 1 to 200."},
		{"malformed after", req{method: "GET", path: portals + "acme/users?after=bm90LWEta2V5", token: acme}, 400,
			"Invalid request: after is malformed; pass paging.next.after of a previous page unchanged."},
		{"malformed query", req{method: "GET", path: portals + "acme/users?after=%zz", token: acme}, 400, "The query string is malformed: after is not correctly percent-encoded (write % as %25)."},
		{"not a member", req{method: "GET", path: portals + "acme/users/usr_00000000000000000000000000", token: acme}, 404, "Member not found."},
		{"missing fields", req{method: "POST", path: portals + "acme/users", token: acme, body: map[string]any{"email": "z@example.com"}}, 400,
			"Invalid request: first_name is required; last_name is required; roles must name at least one role."},
		{"unknown role id", req{method: "POST", path: portals + "acme/users", token: acme,
			body: map[string]any{"first_name": "Z", "last_name": "Z", "email": "z@example.com", "roles": []string{"rol_00000000000000000000000000"}}}, 400,
			`Invalid request: roles.0 no role "rol_00000000000000000000000000" in this tenant.`},
	} {
		t.Run(c.name, func(t *testing.T) { expectPartnerError(t, e.do(c.r), c.status, c.msg) })
	}
	// A role id of the portal works.
	e.must(http.StatusOK, req{method: "POST", path: portals + "acme/users", token: acme,
		body: map[string]any{"first_name": "Z", "last_name": "Z", "email": "z@example.com", "roles": []string{roleID}}})
}

func TestPartnerRateLimit(t *testing.T) {
	e, _, acme, globex, _ := partnerWorld(t, func(c *server.Config) { c.PartnerRateLimit = 3 })
	for i := range 3 {
		res := e.must(http.StatusOK, req{method: "GET", path: portals + "acme/users", token: acme})
		if res.header.Get("X-RateLimit-Limit") != "3" || res.header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Errorf("request %d: limit %q remaining %q", i, res.header.Get("X-RateLimit-Limit"), res.header.Get("X-RateLimit-Remaining"))
		}
		if reset, err := strconv.Atoi(res.header.Get("X-RateLimit-Reset")); err != nil || reset < 1 || reset > 60 {
			t.Errorf("X-RateLimit-Reset %q", res.header.Get("X-RateLimit-Reset"))
		}
	}
	res := e.do(req{method: "GET", path: portals + "acme/users", token: acme})
	if res.header.Get("Retry-After") == "" || res.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 headers: %v", res.header)
	}
	expectPartnerError(t, res, 429, "Rate limit of 3 requests a minute exceeded; retry in "+res.header.Get("Retry-After")+" seconds.")
	// Another key has its own budget.
	e.must(http.StatusOK, req{method: "GET", path: portals + "globex/users", token: globex})
}

// Paging through 1,000 members seven at a time, while others join, returns each member that
// was there before exactly once.
func TestPartnerPaging(t *testing.T) {
	e, root, acme, _, _ := partnerWorld(t, func(c *server.Config) { c.PartnerRateLimit = 100000 })
	want := map[string]bool{}
	for i := range 1000 {
		id := e.createUser(root, fmt.Sprintf("p%04d@example.com", i))
		e.addMember(root, "acme", id, "viewer")
		want[id] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			id := e.createUser(root, fmt.Sprintf("late%04d@example.com", i))
			e.addMember(root, "acme", id, "viewer")
		}
	})
	seen := map[string]int{}
	after, pages := "", 0
	for {
		path := portals + "acme/users?limit=7"
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		var page struct {
			Data   []map[string]any `json:"data"`
			Paging struct {
				Next *struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		e.must(http.StatusOK, req{method: "GET", path: path, token: acme}).decode(t, &page)
		if len(page.Data) > 7 {
			t.Fatalf("page of %d", len(page.Data))
		}
		for _, u := range page.Data {
			seen[u["id"].(string)]++
		}
		pages++
		if page.Paging.Next == nil {
			break
		}
		after = page.Paging.Next.After
	}
	cancel()
	wg.Wait()
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s returned %d times", id, n)
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("%s never returned", id)
		}
	}
	t.Logf("%d pages, %d members seen", pages, len(seen))
}
