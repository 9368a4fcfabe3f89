package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// Revoking another service account's key needs every permission that account holds, as
// minting one does: a holder of service_accounts:write alone cannot cut the admin account off.
func TestKeyRevocationNeedsTheAccountsPower(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	e.createTenant(root, "acme")
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: root.token,
		body: map[string]any{"name": "key-keeper", "permissions": []string{"service_accounts:write"}}})
	_, keeper := e.newServiceAccount(root, "acme", "keeper", "key-keeper")
	adminSA, adminKey := e.newServiceAccount(root, "acme", "admin bot", "admin")
	weakSA, weakKey := e.newServiceAccount(root, "acme", "weak bot", "key-keeper")
	keyOf := func(sa string) string {
		keys := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/service-accounts/" + sa + "/keys", token: root.token}).object(t)["items"].([]any)
		return keys[0].(map[string]any)["id"].(string)
	}

	e.must(http.StatusForbidden, req{method: "DELETE", path: "/v1/tenants/acme/service-accounts/" + adminSA + "/keys/" + keyOf(adminSA), token: keeper})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme", token: adminKey}) // still works

	// An account whose permissions the keeper holds is the keeper's to manage.
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/service-accounts/" + weakSA + "/keys/" + keyOf(weakSA), token: keeper})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/tenants/acme", token: weakKey})
}

// An Ella Core API token revoked by its Ella Core id is on the audit trail under the same
// target id as its creation.
func TestEllaCoreTokenRevocationAuditedUnderItsID(t *testing.T) {
	e, admin, _, _ := ellaWorld(t)
	res := e.ella(admin, req{method: "POST", path: "/users/me/api-tokens", body: map[string]any{"name": "deploy key"}})
	secret := res.object(t)["result"].(map[string]any)["token"].(string)
	publicID := regexp.MustCompile(`^ellacore_([A-Za-z0-9]{12})_`).FindStringSubmatch(secret)[1]
	expectResult(t, e.ella(admin, req{method: "DELETE", path: "/users/me/api-tokens/" + publicID}), 200, message("API token deleted successfully"))

	var created, revoked string
	for _, ev := range e.auditEvents(admin, "/v1/audit-events") {
		target := ev["target"].(map[string]any)["id"].(string)
		switch ev["action"] {
		case "api_token.created":
			created = target
		case "api_token.revoked":
			revoked = target
		}
	}
	if created == "" || revoked != created {
		t.Errorf("token created as %q and revoked as %q on the audit trail; want one id", created, revoked)
	}
	if n := len(e.auditEvents(admin, "/v1/audit-events?target="+url.QueryEscape(created))); n != 2 {
		t.Errorf("%d events for the token's id, want its creation and its revocation", n)
	}
}
