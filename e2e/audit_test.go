package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// walk follows next_cursor through every page of a list and returns all items.
func (e *env) walk(token, path string, limit int) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	cursor := ""
	for {
		p := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		page := e.must(http.StatusOK, req{method: "GET", path: p, token: token}).object(e.t)
		items := page["items"].([]any)
		if len(items) > limit {
			e.t.Fatalf("page of %d items, limit %d", len(items), limit)
		}
		for _, it := range items {
			out = append(out, it.(map[string]any))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// auditEvents returns every event of an audit listing.
func (e *env) auditEvents(token, path string) []map[string]any {
	return e.walk(token, path, 50)
}

func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	start := time.Now().UTC()
	tid := e.createTenant(admin, "acme")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme", token: admin.token, body: map[string]any{"name": "Acme"}})
	ann := e.newUser(admin, "ann@example.com")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ann.id, token: admin.token, body: map[string]any{"given_name": "Ann"}})
	e.must(http.StatusNoContent, req{method: "PUT", path: "/v1/users/" + ann.id + "/password", token: admin.token,
		body: map[string]any{"password": "a second password"}})
	ann.token = e.login(ann.email, "a second password")
	e.addMember(admin, "acme", ann.id, "admin")
	setRoles := e.must(http.StatusOK, req{method: "PUT", path: "/v1/tenants/acme/members/" + ann.id, token: admin.token,
		body: map[string]any{"roles": []string{"admin", "user"}}})
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: admin.token, body: map[string]any{"name": "r"}})
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme/roles/r", token: admin.token, body: map[string]any{"description": "d"}})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/roles/r", token: admin.token})
	tok := e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: ann.token, body: map[string]any{"name": "t"}}).object(t)
	annToken := tok["token"].(string)
	bob := e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: admin.token, // acme's to add at once
		body: map[string]any{"email": "bob@example.com", "managed_by": "acme"}}).object(t)["id"].(string)
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/members", token: annToken,
		body: map[string]any{"user_id": bob, "roles": []string{"viewer"}}}) // acting through the API token
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/members/" + bob, token: admin.token})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/me/tokens/" + tok["id"].(string), token: ann.token})
	saID, _ := e.newServiceAccount(admin, "acme", "bot", "viewer")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/tenants/acme/service-accounts/" + saID, token: admin.token, body: map[string]any{"name": "bot2"}})
	keys := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/service-accounts/" + saID + "/keys", token: admin.token}).object(t)["items"].([]any)
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/service-accounts/" + saID + "/keys/" + keys[0].(map[string]any)["id"].(string), token: admin.token})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/service-accounts/" + saID, token: admin.token})
	other := e.login(ann.email, "a second password")
	sessions := e.must(http.StatusOK, req{method: "GET", path: "/v1/me/sessions", token: other}).object(t)["items"].([]any)
	for _, s := range sessions {
		if s.(map[string]any)["current"] != true {
			e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/me/sessions/" + s.(map[string]any)["id"].(string), token: other})
		}
	}
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/users/" + ann.id + "/sessions", token: admin.token})
	e.must(http.StatusNoContent, req{method: "POST", path: "/v1/auth/logout", token: e.login("root", testPassword)})
	e.must(http.StatusUnauthorized, req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": "ann@example.com", "password": "wrong guess!"}})
	e.must(http.StatusUnauthorized, req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": "nobody@example.com", "password": "wrong guess!"}})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/users/" + bob, token: admin.token})
	e.createTenant(admin, "gone")
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/gone", token: admin.token})

	// Rolled-back writes leave no event: the last admin's demotion, a refused bulk call.
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/tenants/acme/members/" + ann.id, token: admin.token, body: map[string]any{"roles": []string{"admin"}}})
	before := len(e.auditEvents(admin.token, "/v1/audit-events"))
	e.must(http.StatusConflict, req{method: "PUT", path: "/v1/tenants/acme/members/" + ann.id, token: admin.token, body: map[string]any{"roles": []string{"user"}}})
	e.must(http.StatusBadRequest, req{method: "PATCH", path: "/v1/tenants/acme/members", token: admin.token,
		body: []map[string]any{{"user_id": ann.id, "roles": []string{"user"}}, {"user_id": bob, "roles": []string{"user"}}}})
	events := e.auditEvents(admin.token, "/v1/audit-events")
	if len(events) != before {
		t.Errorf("rolled-back writes added %d events: %v", len(events)-before, events[before:])
	}

	var actions []string
	for _, ev := range events {
		actions = append(actions, fmt.Sprintf("%s/%s", ev["action"], ev["outcome"]))
	}
	for _, want := range []string{
		"auth.bootstrap", "auth.login", "auth.logout", "tenant.created", "tenant.updated", "tenant.deleted",
		"user.created", "user.updated", "user.deleted", "user.password_set",
		"member.added", "member.roles_set", "member.removed", "role.created", "role.updated", "role.deleted",
		"api_token.created", "api_token.revoked", "service_account.created", "service_account.updated", "service_account.deleted",
		"service_account_key.created", "service_account_key.revoked", "session.revoked", "session.revoked_all",
	} {
		if !slices.Contains(actions, want+"/success") {
			t.Errorf("no successful %s event", want)
		}
	}

	find := func(match func(map[string]any) bool) map[string]any {
		for _, ev := range events {
			if match(ev) {
				return ev
			}
		}
		t.Fatal("no matching event")
		return nil
	}
	rolesSet := find(func(ev map[string]any) bool { return ev["request_id"] == setRoles.header.Get("X-Request-Id") })
	delete(rolesSet, "id")
	delete(rolesSet, "occurred_at")
	want := map[string]any{
		"action": "member.roles_set", "outcome": "success", "tenant_id": tid,
		"actor":      map[string]any{"kind": "user", "id": admin.id, "user_id": admin.id},
		"target":     map[string]any{"kind": "member", "id": ann.id},
		"request_id": setRoles.header.Get("X-Request-Id"), "client_addr": "127.0.0.1", "user_agent": "Go-http-client/1.1",
	}
	if diff := cmp.Diff(want, rolesSet); diff != "" {
		t.Errorf("member.roles_set event (-want +got):\n%s", diff)
	}
	viaToken := find(func(ev map[string]any) bool {
		return ev["action"] == "member.added" && ev["target"].(map[string]any)["id"] == bob
	})
	if diff := cmp.Diff(map[string]any{"kind": "api_token", "id": tok["id"], "user_id": ann.id}, viaToken["actor"]); diff != "" {
		t.Errorf("actor of a write made with an API token (-want +got):\n%s", diff)
	}
	var failures []any
	for _, ev := range events {
		if ev["outcome"] == "failure" {
			failures = append(failures, []any{ev["action"], ev["actor"].(map[string]any)["kind"], ev["target"].(map[string]any)["id"]})
		}
	}
	if diff := cmp.Diff([]any{[]any{"auth.login", "anonymous", ann.id}, []any{"auth.login", "anonymous", ""}}, failures); diff != "" {
		t.Errorf("failed logins (-want +got):\n%s", diff)
	}

	// A tenant's admin sees that tenant's events only; filters narrow them.
	for _, ev := range e.auditEvents(e.login(ann.email, "a second password"), "/v1/tenants/acme/audit-events") {
		if ev["tenant_id"] != tid {
			t.Errorf("tenant listing shows %v", ev)
		}
	}
	for _, ev := range e.auditEvents(admin.token, "/v1/audit-events?action=member.added&actor="+ann.id) {
		if ev["action"] != "member.added" || ev["actor"].(map[string]any)["user_id"] != ann.id {
			t.Errorf("filtered listing shows %v", ev)
		}
	}
	if n := len(e.auditEvents(admin.token, "/v1/audit-events?target="+ann.id+"&since="+start.Format(time.RFC3339Nano))); n == 0 {
		t.Error("no events for ann since the start")
	}
	if n := len(e.auditEvents(admin.token, "/v1/audit-events?until="+start.Add(-time.Hour).Format(time.RFC3339))); n != 0 {
		t.Errorf("%d events before the test began", n)
	}
	e.must(http.StatusBadRequest, req{method: "GET", path: "/v1/audit-events?since=yesterday", token: admin.token})

	body := string(e.must(http.StatusOK, req{method: "GET", path: "/v1/audit-events?limit=200", token: admin.token}).body)
	for _, secret := range []string{testPassword, "a second password", "wrong guess!", annToken} {
		if strings.Contains(body, secret) || strings.Contains(e.logs.String(), secret) {
			t.Errorf("a secret (%.6s…) is on the audit trail or in the log", secret)
		}
	}
}
