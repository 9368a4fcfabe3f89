package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The scripted walk through the console in a real browser: every step an operator takes on
// a first day, each found afterwards in the audit screen.
func TestConsoleWalk(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	b := newTab(t, e.url)

	// Signed out, the console sends the browser to sign in, and back afterwards.
	b.visit("/console/")
	if !strings.Contains(b.location(), "/console/sign-in") {
		t.Fatalf("signed out, / landed on %s", b.location())
	}
	b.screenshot("sign-in")
	b.signIn("root@example.com", testPassword)

	// Create a tenant.
	b.fill("#create-tenant #f-name", "Acme Inc.", "#create-tenant #f-slug", "acme")
	if status := b.submit("#create-tenant button[type=submit]"); status != 200 {
		t.Fatalf("create tenant: %d %s", status, b.text("main"))
	}
	b.at("/console/tenants/acme")
	if got := b.text("#flash"); got != "Tenant Acme Inc. created." {
		t.Errorf("flash %q", got)
	}
	b.visit("/console/tenants")
	b.screenshot("tenants")

	// Create a user.
	b.visit("/console/users")
	b.fill("#new-email", "ann@example.com", "#new-given", "Ann", "#new-family", "Smith", "#new-password", testPassword)
	b.submit("#create-user button[type=submit]")
	annID := strings.TrimPrefix(b.location(), e.url+"/console/users/")
	b.visit("/console/users?q=ann")
	if got := b.text("#users tbody"); !strings.Contains(got, "ann@example.com") {
		t.Errorf("user search for ann: %q", got)
	}
	b.screenshot("users")
	if !strings.HasPrefix(annID, "usr_") {
		t.Fatalf("after creating a user: at %s: %s", b.location(), b.text("main"))
	}

	// Add the member, as a viewer.
	b.visit("/console/tenants/acme/members")
	b.fill("#add-user", "ann@example.com")
	b.check("#add-member input[name=roles][value=viewer]", true)
	b.submit("#add-member button[type=submit]")
	if got := b.text("#m-" + annID + " .roles"); got != "viewer" {
		t.Fatalf("ann's roles after adding: %q (%s)", got, b.text("main"))
	}

	// Change roles inline: viewer → user.
	b.do(chromedp.Click(chromedp.CSS("#m-" + annID + " summary")))
	b.check("#m-"+annID+" input[name^=roles-][value=viewer]", false)
	b.check("#m-"+annID+" input[name^=roles-][value=user]", true)
	b.submit("#m-" + annID + " .save-roles")
	if got := b.text("#m-" + annID + " .roles"); got != "user" {
		t.Fatalf("ann's roles after the change: %q", got)
	}
	b.screenshot("members")

	// Readable at 360 px: nothing but a table's own scroll box is wider than the screen.
	b.do(chromedp.EmulateViewport(360, 740))
	b.visit("/console/tenants/acme/members")
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("at 360 px the members page is %d px wide", w)
	}
	b.screenshot("members-360px")
	b.do(chromedp.ResetViewport())

	// Create a service account and a key, and copy the key.
	b.visit("/console/tenants/acme/service-accounts")
	b.fill("#create-service-account #f-name", "billing backend")
	b.check("#create-service-account input[name=roles][value=viewer]", true)
	b.submit("#create-service-account button[type=submit]")
	b.submit("#create-key button[type=submit]")
	key := eval[string](b, `document.getElementById("key-secret").value`)
	if !strings.HasPrefix(key, "sk:") {
		t.Fatalf("no key shown: %s", b.text("main"))
	}
	b.screenshot("service-account-key")
	b.do(chromedp.Click(chromedp.CSS("#copy-key")))
	copied := eval[string](b, `navigator.clipboard.readText()`)
	if copied != key {
		t.Errorf("clipboard holds %q, want the key", copied)
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme", token: copied})
	b.visit(strings.TrimPrefix(b.location(), e.url))
	if n := b.count("#key-secret"); n != 0 {
		t.Error("the key is shown again on reload")
	}

	// A custom role from the permission picker: a ticked permission and a typed one.
	b.visit("/console/tenants/acme/roles")
	b.fill("#create-role #f-name", "billing", "#create-role #f-other", "invoices:approve")
	b.check(`#create-role input[name=permissions][value="members:read"]`, true)
	b.submit("#create-role button[type=submit]")
	var role struct{ Permissions []string }
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/roles/billing", token: root.token}).decode(t, &role)
	if got := strings.Join(role.Permissions, " "); got != "invoices:approve members:read" {
		t.Errorf("role made in the picker holds %q", got)
	}
	b.screenshot("roles")

	// Revoke a session of Ann's from her user page.
	annToken := e.login("ann@example.com", testPassword)
	b.visit("/console/users/" + annID)
	b.screenshot("user")
	if n := b.count("#sessions tbody tr"); n != 1 {
		t.Fatalf("ann has %d sessions listed, want 1", n)
	}
	b.submit("#sessions tbody tr button[type=submit]")
	if got := b.text("#flash"); got != "Session revoked." {
		t.Errorf("flash %q", got)
	}
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: annToken})

	// Every step is on the audit trail.
	for _, action := range []string{"auth.login", "tenant.created", "user.created", "member.added", "member.roles_set",
		"service_account.created", "service_account_key.created", "session.revoked"} {
		b.visit("/console/audit?action=" + action)
		if n := b.count("#events tbody tr"); n == 0 {
			t.Errorf("audit trail: no %s event", action)
		}
	}
	b.visit("/console/audit?tenant=acme")
	b.screenshot("audit")
	b.visit("/console/account")
	b.screenshot("account")

	// Sign out: the session ends, and the console asks to sign in again.
	sessions := func() int {
		var out struct{ Items []any }
		e.must(http.StatusOK, req{method: "GET", path: "/v1/me/sessions", token: root.token}).decode(t, &out)
		return len(out.Items)
	}
	before := sessions()
	b.submit("#sign-out")
	if got := b.text("main .flash"); got != "You are signed out." {
		t.Errorf("after sign-out: %q", got)
	}
	if after := sessions(); after != before-1 {
		t.Errorf("sessions before sign-out %d, after %d", before, after)
	}
	b.visit("/console/tenants/acme/members")
	if !strings.Contains(b.location(), "/console/sign-in") {
		t.Errorf("signed out, the members page answered at %s", b.location())
	}
}

// A tenant admin sees its own tenant and nothing of another's.
func TestConsoleTenantIsolation(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	e.createTenant(root, "acme")
	e.createTenant(root, "globex")
	admin := e.newUser(root, "tadmin@example.com")
	e.addMember(root, "acme", admin.id, "admin")
	other := e.createUser(root, "secret@globex.example")
	e.addMember(root, "globex", other, "admin")
	b := newTab(t, e.url)
	b.signIn("tadmin@example.com", testPassword)

	if got := b.text("#tenants tbody"); !strings.Contains(got, "acme") || strings.Contains(got, "globex") {
		t.Errorf("tenants listed: %q", got)
	}
	for path, want := range map[string]int{
		"/console/tenants/globex":                  http.StatusNotFound,
		"/console/tenants/globex/members":          http.StatusNotFound,
		"/console/tenants/globex/roles":            http.StatusNotFound,
		"/console/tenants/globex/service-accounts": http.StatusNotFound,
		"/console/audit?tenant=globex":             http.StatusNotFound,
		"/console/users/" + other:                  http.StatusNotFound,
		"/console/users":                           http.StatusForbidden,
		"/console/tenants/acme/members":            http.StatusOK,
	} {
		if status := b.visit(path); status != want {
			t.Errorf("%s: status %d, want %d", path, status, want)
		}
	}
	b.visit("/console/tenants/acme/members?email=secret")
	if b.count("#members tbody tr") != 0 || b.count("#no-members") != 1 {
		t.Errorf("an email-prefix search in acme found another tenant's member: %s", b.text("main"))
	}
	b.visit("/console/tenants/acme/members?q=globex")
	if b.count("#members tbody tr") != 0 {
		t.Errorf("a name search in acme found another tenant's member")
	}
	b.visit("/console/audit")
	if got := b.text("#audit-tenants"); got != "Tenant acme" {
		t.Errorf("audit offers tenants %q", got)
	}

	// A viewer of acme may read no trail, and is offered none.
	viewer := e.newUser(root, "viewer@example.com")
	e.addMember(root, "acme", viewer.id, "viewer")
	b.submit("#sign-out")
	b.signIn("viewer@example.com", testPassword)
	b.visit("/console/audit")
	if got := b.text("#audit-tenants"); got != "You may read the audit trail of no tenant." {
		t.Errorf("audit offers a viewer %q", got)
	}
	if status := b.visit("/console/audit?tenant=acme"); status != http.StatusForbidden {
		t.Errorf("a viewer reading acme's trail: status %d", status)
	}
	b.visit("/console/tenants/acme")
	if n := b.count(`main a[href*="/members"]`); n != 0 {
		t.Errorf("a viewer is offered the members page (%d links)", n)
	}
}

// A form without its CSRF token is refused, and so is a stale edit; neither changes anything.
func TestConsoleRefusals(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	e.createTenant(root, "acme")
	ann := e.createUser(root, "ann@example.com")
	e.addMember(root, "acme", ann, "viewer")
	b := newTab(t, e.url)
	b.signIn("root@example.com", testPassword)

	// No CSRF token.
	b.visit("/console/tenants")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#create-tenant input[name=csrf]").remove()`))
	b.fill("#create-tenant #f-name", "Forged", "#create-tenant #f-slug", "forged")
	if status := b.submit("#create-tenant button[type=submit]"); status != http.StatusForbidden {
		t.Errorf("a form without its CSRF token: status %d", status)
	}
	if !strings.Contains(b.text("#problem"), "CSRF") {
		t.Errorf("refusal says %q", b.text("#problem"))
	}
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/forged", token: root.token})

	// A stale rename: the tenant changed after the page was loaded.
	b.visit("/console/tenants/acme")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme", token: root.token, body: map[string]any{"name": "Renamed by the API"}})
	b.fill("#edit-tenant #f-name", "Renamed in the console")
	if status := b.submit("#edit-tenant button[type=submit]"); status != http.StatusPreconditionFailed {
		t.Errorf("a stale rename: status %d", status)
	}
	if !strings.Contains(b.text("#problem"), "changed since you loaded the page") {
		t.Errorf("stale rename says %q", b.text("#problem"))
	}
	b.screenshot("stale-edit")
	if name := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme", token: root.token}).object(t)["name"]; name != "Renamed by the API" {
		t.Errorf("after a refused stale rename the name is %q", name)
	}
	// The page now holds the current version: the same change goes through.
	if got := eval[string](b, `document.querySelector("#edit-tenant #f-name").value`); got != "Renamed by the API" {
		t.Errorf("the form shows %q after the refusal", got)
	}
	b.fill("#edit-tenant #f-name", "Renamed in the console")
	if status := b.submit("#edit-tenant button[type=submit]"); status != http.StatusOK {
		t.Errorf("rename after reloading: status %d: %s", status, b.text("main"))
	}

	// A stale role change: the member's roles changed after the page was loaded.
	b.visit("/console/tenants/acme/members")
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/tenants/acme/members/" + ann, token: root.token, body: map[string]any{"roles": []string{"user"}}})
	b.do(chromedp.Click(chromedp.CSS("#m-" + ann + " summary")))
	b.check("#m-"+ann+" input[name^=roles-][value=admin]", true)
	if status := b.submit("#m-" + ann + " .save-roles"); status != http.StatusPreconditionFailed {
		t.Errorf("a stale role change: status %d", status)
	}
	var m struct{ Roles []string }
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + ann, token: root.token}).decode(t, &m)
	if strings.Join(m.Roles, ",") != "user" {
		t.Errorf("after a refused stale role change the roles are %v", m.Roles)
	}
	_ = time.Second
}

// A bulk role change is all or nothing, and names each member it could not change.
func TestConsoleBulkRoles(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	e.createTenant(root, "acme")
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: root.token,
		body: map[string]any{"name": "member-manager", "permissions": []string{"members:*", "roles:read", "tenant:read", "resources:*"}}})
	mgr := e.newUser(root, "mgr@example.com")
	e.addMember(root, "acme", mgr.id, "member-manager")
	a, boss, c := e.createUser(root, "a@example.com"), e.createUser(root, "boss@example.com"), e.createUser(root, "c@example.com")
	e.addMember(root, "acme", a, "viewer")
	e.addMember(root, "acme", boss, "admin")
	e.addMember(root, "acme", c, "viewer")
	roles := func(id string) string {
		var m struct{ Roles []string }
		e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + id, token: root.token}).decode(t, &m)
		return strings.Join(m.Roles, ",")
	}

	b := newTab(t, e.url)
	b.signIn("mgr@example.com", testPassword)
	b.visit("/console/tenants/acme/members")
	if n := b.count("#bulk input[name=roles][value=admin]"); n != 0 {
		t.Error("the bulk form offers admin, which the manager cannot grant")
	}
	for _, id := range []string{a, boss, c} {
		b.check("#m-"+id+" input[name=user]", true)
	}
	b.check("#bulk input[name=roles][value=user]", true)
	if status := b.submit("#bulk-apply"); status != http.StatusForbidden {
		t.Errorf("bulk change taking admin away: status %d", status)
	}
	if got := b.text("#problem"); !strings.Contains(got, "1 of the 3 selected members") {
		t.Errorf("problem %q", got)
	}
	if got := b.text("#m-" + boss + " .error"); !strings.Contains(got, `role "admin"`) {
		t.Errorf("boss's row says %q", got)
	}
	if n := b.count("tr.bad"); n != 1 {
		t.Errorf("%d rows marked, want 1", n)
	}
	b.screenshot("bulk-refused")
	if roles(a) != "viewer" || roles(c) != "viewer" || roles(boss) != "admin" {
		t.Errorf("after a refused bulk change: %s %s %s", roles(a), roles(boss), roles(c))
	}

	// Without the admin, the same change goes through for both.
	b.check("#m-"+boss+" input[name=user]", false)
	if status := b.submit("#bulk-apply"); status != http.StatusOK {
		t.Fatalf("bulk change: status %d: %s", status, b.text("main"))
	}
	if got := b.text("#flash"); got != "Roles of 2 members set." {
		t.Errorf("flash %q", got)
	}
	if roles(a) != "user" || roles(c) != "user" || roles(boss) != "admin" {
		t.Errorf("after the bulk change: %s %s %s", roles(a), roles(boss), roles(c))
	}
}

// The console follows account ownership: a tenant admin manages the accounts its tenant
// created, sees others as members, and adding someone it does not manage invites them.
func TestConsoleAccountOwnership(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	e.createTenant(root, "acme")
	e.createTenant(root, "globex")
	admin := e.newUser(root, "tadmin@example.com")
	e.addMember(root, "acme", admin.id, "admin")
	shared := e.createUser(root, "shared@example.com") // instance-managed, a member of acme
	e.addMember(root, "acme", shared, "viewer")
	outsider := e.createUser(root, "outsider@globex.example")
	e.addMember(root, "globex", outsider, "viewer")
	b := newTab(t, e.url)
	b.signIn("tadmin@example.com", testPassword)

	// A user created in the tenant is the tenant's: its admin sets its password and status.
	b.visit("/console/tenants/acme/members")
	b.fill("#new-email", "made@example.com", "#new-given", "Made")
	b.check("#create-member input[name=roles][value=viewer]", true)
	b.submit("#create-member button[type=submit]")
	var made struct{ ID string }
	e.must(http.StatusOK, req{method: "GET", path: "/v1/users/made@example.com", token: root.token}).decode(t, &made)
	b.visit("/console/users/" + made.ID)
	for _, form := range []string{"#edit-user", "#user-status", "#set-password"} {
		if b.count(form) != 1 {
			t.Errorf("the manager is not offered %s", form)
		}
	}
	b.fill("#set-password #f-password", "managed orchard 42")
	if status := b.submit("#set-password button[type=submit]"); status != http.StatusOK {
		t.Errorf("the manager setting a password: %d %s", status, b.text("main"))
	}
	b.screenshot("managed-user")

	// An account the tenant does not manage is shown as a member, with nothing to change.
	b.visit("/console/users/" + shared)
	if b.count("#not-managed") != 1 || b.count("#set-password")+b.count("#user-status")+b.count("#edit-user") != 0 {
		t.Errorf("an account acme does not manage: %s", b.text("main"))
	}

	// Adding by email someone Roster knows, whom acme does not manage, invites them.
	b.visit("/console/tenants/acme/members")
	b.fill("#add-user", "outsider@globex.example")
	b.check("#add-member input[name=roles][value=viewer]", true)
	b.submit("#add-member button[type=submit]")
	if got := b.text("#flash"); !strings.Contains(got, "invited") {
		t.Errorf("flash %q", got)
	}
	if got := b.text("#m-" + outsider); !strings.Contains(got, "invited") || b.count("#m-"+outsider+` a[href^="/console/users/"]`) != 0 {
		t.Errorf("the invited row: %q", got)
	}
	if status := b.visit("/console/users/" + outsider); status != http.StatusNotFound {
		t.Errorf("the invited account's page: status %d, want 404", status)
	}
}
