package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ellaTenantAdmin makes an administrator of the Ella Core tenant who is no instance
// administrator, through Ella Core itself, and logs it in there.
func ellaTenantAdmin(t *testing.T, e *env, root principal) string {
	t.Helper()
	expectResult(t, e.ella(root.token, req{method: "POST", path: "/users",
		body: map[string]any{"email": "ella-admin@example.com", "password": "plum-tree-41", "role_id": 1}}), 201, message("User created successfully"))
	return ellaLogin(t, e, "ella-admin@example.com", "plum-tree-41")
}

// stillOwned checks that the person behind an account still logs in with its password and that
// its session still works.
func stillOwned(t *testing.T, e *env, p principal) {
	t.Helper()
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: p.token})
	e.login(p.email, testPassword)
}

// Attack (issue 14): an Ella Core administrator added, by id, a user who belonged to no
// tenant, then set that user's password on Ella Core and signed in as them. A tenant now sets
// the password of the accounts it manages (those it created) only, whatever tenants the
// account is in; adding one it does not manage invites it.
func TestEllaCoreAdminCannotTakeOverAccounts(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	ella := ellaTenantAdmin(t, e, root)
	e.createTenant(root, "globex")
	loner := e.newUser(root, "loner@example.com")    // in no tenant
	elsewhere := e.newUser(root, "else@example.com") // in another tenant
	e.addMember(root, "globex", elsewhere.id, "user")
	member := e.newUser(root, "member@example.com") // in the Ella Core tenant only, added by an instance administrator
	e.addMember(root, "ellacore", member.id, "user")

	for _, victim := range []principal{loner, elsewhere} {
		res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/ellacore/members", token: ella,
			body: map[string]any{"user_id": victim.id, "roles": []string{"viewer"}}})
		if got := res.object(t)["status"]; got != "invited" {
			t.Errorf("adding %s, whom ellacore does not manage: status %v, want invited", victim.email, got)
		}
		// The tenant cannot even name the invited account by its email; by its id it is refused.
		expectResult(t, e.ella(ella, req{method: "PUT", path: "/users/" + victim.email + "/password", body: map[string]any{"password": "taken over 123"}}),
			404, ellaError("User not found"))
		res = e.ella(ella, req{method: "PUT", path: "/users/" + victim.id + "/password", body: map[string]any{"password": "taken over 123"}})
		if res.status != http.StatusForbidden {
			t.Errorf("set %s's password by id: %d %s, want 403", victim.email, res.status, res.body)
		}
		stillOwned(t, e, victim)
	}
	expectResult(t, e.ella(ella, req{method: "PUT", path: "/users/member@example.com/password", body: map[string]any{"password": "taken over 123"}}),
		403, ellaError("This account is not managed by your tenant: only an instance administrator, or the tenant that created it, may set its password, delete, deactivate or edit it."))
	stillOwned(t, e, member)
	// Nor on the native API, nor by deleting or deactivating it.
	for _, victim := range []principal{loner, elsewhere, member} {
		for _, r := range []req{
			{method: "PUT", path: "/v1/users/" + victim.id + "/password", body: map[string]any{"password": "taken over 123"}},
			{method: "PATCH", path: "/v1/users/" + victim.id, body: map[string]any{"active": false}},
			{method: "DELETE", path: "/v1/users/" + victim.id},
		} {
			r.token = ella
			if res := e.do(r); res.status != http.StatusForbidden && res.status != http.StatusNotFound {
				t.Errorf("%s %s as Ella Core's admin: %d %s", r.method, r.path, res.status, res.body)
			}
		}
		stillOwned(t, e, victim)
	}

	// The accounts Ella Core created are its own, in this tenant or several.
	expectResult(t, e.ella(ella, req{method: "POST", path: "/users", body: map[string]any{"email": "ops@example.com", "password": "plum-tree-41", "role_id": 2}}),
		201, message("User created successfully"))
	ops := e.must(http.StatusOK, req{method: "GET", path: "/v1/users/ops@example.com", token: ella}).object(t)
	if ops["managed_by"] == nil {
		t.Errorf("a user made through Ella Core is not managed by its tenant: %v", ops)
	}
	e.addMember(root, "globex", ops["id"].(string), "viewer")
	expectResult(t, e.ella(ella, req{method: "PUT", path: "/users/ops@example.com/password", body: map[string]any{"password": "rotated password 9"}}),
		200, message("User password updated successfully"))
	ellaLogin(t, e, "ops@example.com", "rotated password 9")
}

// Attack (issue 14): a partner-portal key "created" a user with an email Roster knew, which
// added the existing account, then deleted it: the account was gone for the instance. And the
// create answered with another tenant's stored names and last login, not the names sent.
func TestPartnerCreateWithAKnownEmail(t *testing.T) {
	e, root, acme, globex, _ := partnerWorld(t)
	loner := e.newUser(root, "loner@example.com")
	bob := e.must(http.StatusOK, req{method: "POST", path: portals + "globex/users", token: globex, body: map[string]any{
		"first_name": "Bob", "last_name": "Builder", "email": "bob@example.com", "roles": []string{"viewer"}, "password": testPassword,
	}}).object(t)
	bobP := principal{id: bob["id"].(string), email: "bob@example.com", token: e.login("bob@example.com", testPassword)}

	// The answer holds what the caller sent, and nothing Roster stores.
	created := e.must(http.StatusOK, req{method: "POST", path: portals + "acme/users", token: acme, body: map[string]any{
		"first_name": "Eve", "last_name": "Mallory", "email": "BOB@example.com", "roles": []string{"viewer"}, "password": "hijack attempt 77",
	}}).object(t)
	want := map[string]any{"id": bobP.id, "first_name": "Eve", "last_name": "Mallory", "email": "BOB@example.com", "last_logged_at": nil}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("create with a known email (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, e.must(http.StatusOK, req{method: "GET", path: portals + "acme/users/" + bobP.id, token: acme}).object(t)); diff != "" {
		t.Errorf("the invited user read back (-want +got):\n%s", diff)
	}
	stillOwned(t, e, bobP)

	// Removing either one takes it out of acme; neither account goes.
	lonerAdded := e.must(http.StatusOK, req{method: "POST", path: portals + "acme/users", token: acme, body: map[string]any{
		"first_name": "L", "last_name": "L", "email": "loner@example.com", "roles": []string{"viewer"},
	}}).object(t)
	for _, id := range []string{bobP.id, lonerAdded["id"].(string)} {
		e.must(http.StatusOK, req{method: "DELETE", path: portals + "acme/users/" + id, token: acme})
		e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + id, token: root.token})
	}
	stillOwned(t, e, loner)
	stillOwned(t, e, bobP)
	e.must(http.StatusOK, req{method: "GET", path: portals + "globex/users/" + bobP.id, token: globex})
}

// An invitation grants nothing and shows the tenant nothing it did not send until the person
// accepts it; the person may decline it by leaving.
func TestInvitations(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	e.createTenant(root, "acme")
	alice := e.newUser(root, "alice@example.com")
	e.addMember(root, "acme", alice.id, "admin") // a tenant admin, not an instance administrator
	ivy := e.newUser(root, "ivy@example.com")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ivy.id, token: root.token, body: map[string]any{"given_name": "Ivy"}})

	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/members", token: alice.token,
		body: map[string]any{"user_id": ivy.id, "roles": []string{"admin"}}})
	hidden := map[string]any{"id": ivy.id, "username": "", "email": "", "given_name": "", "family_name": "", "active": false}
	if got := res.object(t); got["status"] != "invited" || !cmp.Equal(hidden, got["user"]) {
		t.Errorf("invitation as its inviter sees it: %v", got)
	}
	e.must(http.StatusConflict, req{method: "POST", path: "/v1/tenants/acme/members", token: alice.token,
		body: map[string]any{"user_id": ivy.id, "roles": []string{"viewer"}}})
	// Not found by the account's stored email, not in searches, no stored profile.
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/acme/members/ivy@example.com", token: alice.token})
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/users/" + ivy.id, token: alice.token})
	for _, q := range []string{"email=ivy", "q=ivy", "q=Ivy"} {
		if items := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members?" + q, token: alice.token}).object(t)["items"].([]any); len(items) != 0 {
			t.Errorf("search %s finds the invited account: %v", q, items)
		}
	}
	// It grants nothing, and does not keep the tenant administrable.
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/acme", token: ivy.token})
	e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/tenants/acme/members/" + alice.id, token: alice.token})
	introspected := e.must(http.StatusOK, req{method: "POST", path: "/v1/auth/introspect", token: root.token, body: map[string]any{"token": ivy.token}}).object(t)
	if n := len(introspected["tenants"].([]any)); n != 0 {
		t.Errorf("introspection lists %d tenants for an invitation", n)
	}
	me := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: ivy.token}).object(t)["memberships"].([]any)
	if len(me) != 1 || me[0].(map[string]any)["status"] != "invited" || len(me[0].(map[string]any)["permissions"].([]any)) != 0 {
		t.Errorf("ivy's memberships: %v", me)
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + ivy.id, token: ivy.token}) // her own

	// Accepted, she is a member like any other, and the tenant sees her as one.
	accepted := e.must(http.StatusOK, req{method: "POST", path: "/v1/me/memberships/acme/accept", token: ivy.token}).object(t)
	if accepted["status"] != "active" {
		t.Errorf("accepted: %v", accepted)
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme", token: ivy.token})
	got := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members?q=ivy", token: alice.token}).object(t)["items"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["user"].(map[string]any)["email"] != "ivy@example.com" {
		t.Errorf("after acceptance the search finds %v", got)
	}
	// Ivy's account is still not acme's to read or take over; she is an admin now: Alice may leave.
	e.must(http.StatusForbidden, req{method: "GET", path: "/v1/users/" + ivy.id, token: alice.token})
	e.must(http.StatusForbidden, req{method: "PUT", path: "/v1/users/" + ivy.id + "/password", token: alice.token, body: map[string]any{"password": "taken over 123"}})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/members/" + alice.id, token: alice.token})
	e.must(http.StatusNotFound, req{method: "POST", path: "/v1/me/memberships/acme/accept", token: alice.token})

	// Declining is leaving.
	dan := e.newUser(root, "dan@example.com")
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/members", token: ivy.token,
		body: map[string]any{"user_id": dan.id, "roles": []string{"viewer"}}})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/members/" + dan.id, token: dan.token})
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/acme/members/" + dan.id, token: ivy.token})

	var actions []string
	for _, ev := range e.auditEvents(root.token, "/v1/audit-events?target="+ivy.id) {
		actions = append(actions, ev["action"].(string))
	}
	for _, ev := range e.auditEvents(root.token, "/v1/audit-events?target="+dan.id) {
		actions = append(actions, ev["action"].(string))
	}
	for _, want := range []string{"member.invited", "member.accepted", "member.declined"} {
		if !contains(actions, want) {
			t.Errorf("no %s event among %v", want, actions)
		}
	}
	// Integrations hear of it: an accepted invitation is a member added.
	stream := e.readEvents(root.token, "/v1/events", "", "type", "member.invited,member.added,member.invitation_declined")
	want := []string{"member.added", "member.invited", "member.added", "member.invited", "member.invitation_declined"}
	if diff := cmp.Diff(want, types(stream.Items)); diff != "" {
		t.Errorf("membership events (-want +got):\n%s", diff)
	}
}

// A tenant manages the accounts it created, on every surface: it sets their password, edits,
// deactivates and deletes them (when no other tenant holds them), and reads their profile.
func TestTenantManagesItsOwnAccounts(t *testing.T) {
	e, root, acme, globex, _ := partnerWorld(t)
	e.createTenant(root, "initech")
	alice := e.newUser(root, "alice@example.com")
	e.addMember(root, "acme", alice.id, "admin")
	made := e.must(http.StatusOK, req{method: "POST", path: portals + "acme/users", token: acme, body: map[string]any{
		"first_name": "Mo", "last_name": "M", "email": "mo@example.com", "roles": []string{"user"}, "password": testPassword,
	}}).object(t)
	mo := principal{id: made["id"].(string), email: "mo@example.com"}

	profile := e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + mo.id, token: alice.token}).object(t)
	if profile["managed_by"] == nil {
		t.Fatalf("a user made by a portal is not managed by its tenant: %v", profile)
	}
	e.must(http.StatusNoContent, req{method: "PUT", path: "/v1/users/" + mo.id + "/password", token: alice.token, body: map[string]any{"password": "reset by acme 42"}})
	mo.token = e.login(mo.email, "reset by acme 42")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + mo.id, token: alice.token, body: map[string]any{"family_name": "Moss", "active": false}})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: mo.token})
	e.must(http.StatusBadRequest, req{method: "PATCH", path: "/v1/users/" + mo.id, token: alice.token, body: map[string]any{"email": "elsewhere@example.com"}})
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + mo.id, token: alice.token, body: map[string]any{"active": true}})

	// Another tenant that invites Mo does not manage him; once he joins it, acme removes him
	// from acme, never from Roster.
	e.must(http.StatusOK, req{method: "POST", path: portals + "globex/users", token: globex, body: map[string]any{
		"first_name": "Mo", "last_name": "M", "email": "mo@example.com", "roles": []string{"viewer"},
	}})
	e.must(http.StatusNotFound, req{method: "PUT", path: "/v1/users/" + mo.id + "/password", token: globex, body: map[string]any{"password": "not globex's 1"}})
	mo.token = e.login(mo.email, "reset by acme 42")
	e.must(http.StatusOK, req{method: "POST", path: "/v1/me/memberships/globex/accept", token: mo.token})
	e.must(http.StatusForbidden, req{method: "PUT", path: "/v1/users/" + mo.id + "/password", token: globex, body: map[string]any{"password": "not globex's 1"}})
	e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/users/" + mo.id, token: alice.token})
	e.must(http.StatusOK, req{method: "DELETE", path: portals + "acme/users/" + mo.id, token: acme})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + mo.id, token: root.token})

	// An account only acme holds goes with its removal, or with a delete.
	for i, remove := range []func(id string){
		func(id string) {
			e.must(http.StatusOK, req{method: "DELETE", path: portals + "acme/users/" + id, token: acme})
		},
		func(id string) {
			e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/users/" + id, token: alice.token})
		},
	} {
		id := e.must(http.StatusOK, req{method: "POST", path: portals + "acme/users", token: acme, body: map[string]any{
			"first_name": "T", "last_name": "T", "email": fmt.Sprintf("temp%d@example.com", i), "roles": []string{"viewer"},
		}}).object(t)["id"].(string)
		remove(id)
		e.must(http.StatusNotFound, req{method: "GET", path: "/v1/users/" + id, token: root.token})
	}
}

// ellaService starts a server whose Ella Core tenant exists (made at start-up, or on main by a
// first call), with a root.
func ellaService(t *testing.T) (*env, principal) {
	e := newEnv(t)
	root := e.bootstrap()
	expectResult(t, e.ella(root.token, req{method: "GET", path: "/users/me"}), 200, result(map[string]any{"email": "root@example.com", "role_id": 1.0}))
	return e, root
}

// Ella Core's rules are the service's (issue 15): a member whose custom role holds members:*
// reads users there as natively.
func TestEllaCoreCustomRoleReadsUsersAsNatively(t *testing.T) {
	e, root := ellaService(t)
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/ellacore/roles", token: root.token,
		body: map[string]any{"name": "people", "permissions": []string{"members:*"}}})
	mgr := e.newUser(root, "mgr@example.com")
	e.addMember(root, "ellacore", mgr.id, "people")
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/ellacore/members", token: mgr.token}) // natively
	expectResult(t, e.ella(mgr.token, req{method: "GET", path: "/users"}), 200, result([]any{
		map[string]any{"email": "mgr@example.com", "role_id": 3.0},
	}))
	expectResult(t, e.ella(mgr.token, req{method: "GET", path: "/users/mgr@example.com"}), 200, result(map[string]any{"email": "mgr@example.com", "role_id": 3.0}))
	expectResult(t, e.ella(mgr.token, req{method: "GET", path: "/users/me"}), 200, result(map[string]any{"email": "mgr@example.com", "role_id": 3.0}))
}

// A read-only user reads its own record on Ella Core as natively (issue 15), and no one
// else's; a service-account key without members:read reads nothing, and has no "me".
func TestEllaCoreReadOnlyUserReadsItsOwnRecord(t *testing.T) {
	e, root := ellaService(t)
	reader := e.newUser(root, "reader@example.com")
	e.addMember(root, "ellacore", reader.id, "viewer")
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/ellacore/members/" + reader.id, token: reader.token}) // natively
	expectResult(t, e.ella(reader.token, req{method: "GET", path: "/users/reader@example.com"}), 200, result(map[string]any{"email": "reader@example.com", "role_id": 3.0}))
	expectResult(t, e.ella(reader.token, req{method: "GET", path: "/users/root@example.com"}), 403, ellaError("Forbidden"))

	_, key := e.newServiceAccount(root, "ellacore", "sync", "viewer")
	expectResult(t, e.ella(key, req{method: "GET", path: "/users"}), 403, ellaError("Forbidden"))
	expectResult(t, e.ella(key, req{method: "GET", path: "/users/me"}), 403, ellaError("Forbidden"))
}

// A leaked API token is not a takeover (issue 14): changing one's own password needs a session
// from a password login, or the current password, on every surface.
func TestOwnPasswordNeedsAPasswordSession(t *testing.T) {
	e, root := ellaService(t)
	ops := e.newUser(root, "ops@example.com")
	e.addMember(root, "ellacore", ops.id, "admin")
	leaked := e.ella(ops.token, req{method: "POST", path: "/users/me/api-tokens", body: map[string]any{"name": "ci deploy"}}).object(t)["result"].(map[string]any)["token"].(string)
	refusal := ellaError("Changing your password needs a session from a password login: log in with your email and password (POST /api/v1/auth/login) and use that session token, not an API token.")
	expectResult(t, e.ella(leaked, req{method: "PUT", path: "/users/me/password", body: map[string]any{"password": "stolen password 1"}}), 403, refusal)
	expectResult(t, e.ella(leaked, req{method: "PUT", path: "/users/ops@example.com/password", body: map[string]any{"password": "stolen password 1"}}), 403, refusal)
	stillOwned(t, e, ops)

	// The instance administrator's token on Links, naming itself.
	rootToken := e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: root.token, body: map[string]any{"name": "links"}}).object(t)["token"].(string)
	res := e.do(req{method: "PUT", path: "/compat/links/users/root", header: map[string]string{"X-Access-Token": rootToken}, body: map[string]any{"password": "stolen password 1"}})
	if res.status != http.StatusForbidden {
		t.Errorf("Links password change of oneself with an API token: %d %s", res.status, res.body)
	}
	e.login("root@example.com", testPassword)
	// The native API asks for the current password whatever the credential.
	e.must(http.StatusBadRequest, req{method: "PUT", path: "/v1/users/" + ops.id + "/password", token: leaked, body: map[string]any{"password": "stolen password 1"}})

	// With a password session it works, and keeps that session.
	expectResult(t, e.ella(ops.token, req{method: "PUT", path: "/users/me/password", body: map[string]any{"password": "my own new one 7"}}),
		200, message("User password updated successfully"))
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: ops.token})
	e.login(ops.email, "my own new one 7")
}

// An invited admin keeps no tenant administrable: with one invited, the two active admins
// demoted and removed at the same moment still leave exactly one.
func TestLastAdminRaceWithAnInvitedAdmin(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	inviter := e.newUser(root, "inviter@example.com")
	for round := range 6 {
		slug := fmt.Sprintf("race%d", round)
		e.createTenant(root, slug)
		a := e.createUser(root, slug+"a@example.com")
		b := e.createUser(root, slug+"b@example.com")
		c := e.createUser(root, slug+"c@example.com")
		e.addMember(root, slug, a, "admin")
		e.addMember(root, slug, b, "admin")
		e.addMember(root, slug, inviter.id, "user")
		e.must(http.StatusOK, req{method: "PUT", path: "/v1/tenants/" + slug + "/members/" + inviter.id, token: root.token, body: map[string]any{"roles": []string{"admin"}}})
		if got := e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/" + slug + "/members", token: inviter.token,
			body: map[string]any{"user_id": c, "roles": []string{"admin"}}}).object(t)["status"]; got != "invited" {
			t.Fatalf("c is %v, want invited", got)
		}
		e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/" + slug + "/members/" + inviter.id, token: inviter.token})
		var demote, remove *resp
		var wg sync.WaitGroup
		wg.Go(func() {
			demote = e.do(req{method: "PUT", path: "/v1/tenants/" + slug + "/members/" + a, token: root.token, body: map[string]any{"roles": []string{"user"}}})
		})
		wg.Go(func() {
			remove = e.do(req{method: "DELETE", path: "/v1/tenants/" + slug + "/members/" + b, token: root.token})
		})
		wg.Wait()
		if got := []int{demote.status, remove.status}; !cmp.Equal(got, []int{200, 409}) && !cmp.Equal(got, []int{409, 204}) {
			t.Errorf("round %d: demote %d, remove %d; want exactly one to succeed", round, demote.status, remove.status)
		}
		active := 0
		for _, it := range e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/" + slug + "/members?role=admin", token: root.token}).object(t)["items"].([]any) {
			if it.(map[string]any)["status"] == "active" {
				active++
			}
		}
		if active != 1 {
			t.Errorf("round %d: %d active admins left, want 1", round, active)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Wherever a path names a user it takes its id, email or username, resolved by the service;
// a username never has the shape of an id, so a reference is one or the other. A reference
// finds no more than an id would: an unknown address is "not found" like a non-member.
func TestUserReferences(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	e.createTenant(root, "acme")
	ann := e.newUser(root, "ann@example.com")
	e.addMember(root, "acme", ann.id, "user")
	for _, ref := range []string{ann.id, "ann@example.com", "ANN@example.com", "ann", "ＡＮＮ"} {
		if got := e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + ref, token: root.token}).object(t)["id"]; got != ann.id {
			t.Errorf("GET /v1/users/%s is %v", ref, got)
		}
		if got := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + ref, token: root.token}).object(t)["user_id"]; got != ann.id {
			t.Errorf("GET /v1/tenants/acme/members/%s is %v", ref, got)
		}
	}
	expectResult(t, e.ella(root.token, req{method: "GET", path: "/users/" + ann.id}), 404, ellaError("User not found")) // not in ellacore
	e.must(http.StatusOK, req{method: "GET", path: "/compat/links/users/ann@example.com", header: map[string]string{"X-Access-Token": root.token}})
	// Ann lacks members:read: a reference tells her nothing more than an id would.
	e.addMember(root, "acme", e.createUser(root, "reader@example.com"), "viewer")
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/tenants/acme/members/ann", token: root.token, body: map[string]any{"roles": []string{"user", "admin"}}})
	for _, ref := range []string{"nobody@example.com", "root@example.com", "nobody", "usr_0123456789abcdefghjkmnpqrs"} {
		res := e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/acme/members/" + ref, token: ann.token})
		if got := res.object(t)["detail"]; got != "Member not found." {
			t.Errorf("GET member %s: %v, want the answer of any non-member", ref, got)
		}
	}
	res := e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/users", token: root.token,
		body: map[string]any{"email": "odd@example.com", "username": "usr_0123456789abcdefghjkmnpqrs"}})
	if diff := cmp.Diff("/username", res.object(t)["errors"].([]any)[0].(map[string]any)["pointer"]); diff != "" {
		t.Errorf("an id-shaped username: %s", res.body)
	}
}
