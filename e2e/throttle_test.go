package e2e

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/testdb"
)

// loginAttempt sends one native login.
func (e *env) loginAttempt(name, password string) *resp {
	return e.do(req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": name, "password": password}})
}

// auditCount counts the events of the whole trail with this action and outcome about target
// ("" for any).
func (e *env) auditCount(admin principal, action, outcome, target string) int {
	n := 0
	for _, ev := range e.auditEvents(admin.token, "/v1/audit-events?action="+action) {
		if ev["outcome"] == outcome && (target == "" || ev["target"].(map[string]any)["id"] == target) {
			n++
		}
	}
	return n
}

// Two hundred wrong passwords for one name from one address, all at once: the count is taken
// before each password is hashed, so five are checked and the rest are refused.
func TestParallelWrongPasswordsAreCountedFirst(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	ann := e.newUser(admin, "ann@example.com")
	statuses := race(200, func(int) int { return e.loginAttempt("ann@example.com", "wrong guess number").status })
	if diff := cmp.Diff(map[int]int{401: 5, 429: 195}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := e.auditCount(admin, "auth.login", "failure", ann.id); n != 5 {
		t.Errorf("%d failed checks on the audit trail, want 5", n)
	}
	if n := e.auditCount(admin, "auth.throttled", "failure", ann.id); n != 195 {
		t.Errorf("%d refused attempts on the audit trail, want 195", n)
	}
}

// The same across two replicas on one PostgreSQL database: the count is in the database.
func TestParallelWrongPasswordsAcrossReplicas(t *testing.T) {
	if testdb.Kind() != testdb.Postgres {
		t.Skip("replicas need PostgreSQL; this run is on " + testdb.Kind())
	}
	rs := startReplicas(t, testdb.DSN(t), 2)
	a, b := rs[0].env, rs[1].env
	admin := a.bootstrap()
	a.newUser(admin, "ann@example.com")
	statuses := race(200, func(i int) int {
		return []*env{a, b}[i%2].loginAttempt("ann@example.com", "wrong guess number").status
	})
	if diff := cmp.Diff(map[int]int{401: 5, 429: 195}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// A lock holds for the account, however its name is spelled: username or email, any case,
// full-width letters; on every surface and for the current-password check.
func TestThrottleKeyIsTheAccount(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"email": "ann@example.com", "username": "ann", "password": testPassword}})
	annID := res.object(t)["id"].(string)
	annToken := e.login("ann", testPassword)
	for _, name := range []string{"ann", "ANN", "ａｎｎ", "Ａｎｎ", "ann@example.com"} {
		if res := e.loginAttempt(name, "wrong guess number"); res.status != 401 {
			t.Fatalf("wrong password as %q: %d %s", name, res.status, res.body)
		}
	}
	for _, name := range []string{"ａｎｎ", "ＡＮＮ", "ann@EXAMPLE.com", "ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ann"} {
		if res := e.loginAttempt(name, testPassword); res.status != 429 || res.header.Get("Retry-After") == "" {
			t.Errorf("right password as %q while locked: %d %s", name, res.status, res.body)
		}
	}
	if res := e.links("", req{method: "POST", path: "/login", body: map[string]any{"username": "ａｎｎ", "password": testPassword}}); res.status != 429 {
		t.Errorf("Links login as ａｎｎ while locked: %d %s", res.status, res.body)
	}
	if res := e.ella("", req{method: "POST", path: "/auth/login", body: map[string]any{"email": "ANN@example.com", "password": testPassword}}); res.status != 429 {
		t.Errorf("Ella Core login while locked: %d %s", res.status, res.body)
	}
	if res := e.do(req{method: "PUT", path: "/v1/users/" + annID + "/password", token: annToken,
		body: map[string]any{"password": "a brand new password", "current_password": testPassword}}); res.status != 429 {
		t.Errorf("current-password check while locked: %d %s", res.status, res.body)
	}
	// From an address that has not failed, the full-width spelling logs in as the account.
	if res := e.from("127.0.0.2").loginAttempt("ａｎｎ", testPassword); res.status != 200 || res.object(t)["user"].(map[string]any)["id"] != annID {
		t.Errorf("full-width login from a clean address: %d %s", res.status, res.body)
	}
	if n := e.auditCount(admin, "auth.throttled", "failure", annID); n != 8 {
		t.Errorf("%d refused attempts audited, want 8", n)
	}
}

// A refused attempt is on the audit trail: who was tried, from where, refused.
func TestRefusedAttemptIsAudited(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	ann := e.newUser(admin, "ann@example.com")
	for range 5 {
		e.loginAttempt("ann@example.com", "wrong guess number")
	}
	res := e.do(req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": "ann@example.com", "password": testPassword},
		header: map[string]string{"User-Agent": "throttle-test", "X-Request-Id": "refused-1"}})
	if res.status != 429 {
		t.Fatalf("locked login: %d %s", res.status, res.body)
	}
	var got []map[string]any
	for _, ev := range e.auditEvents(admin.token, "/v1/audit-events?action=auth.throttled") {
		delete(ev, "id")
		delete(ev, "occurred_at")
		got = append(got, ev)
	}
	want := []map[string]any{{"action": "auth.throttled", "outcome": "failure", "tenant_id": nil,
		"actor": map[string]any{"kind": "anonymous", "id": "", "user_id": nil}, "target": map[string]any{"kind": "user", "id": ann.id},
		"request_id": "refused-1", "client_addr": "127.0.0.1", "user_agent": "throttle-test"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit events (-want +got):\n%s", diff)
	}
}

// Under the limit, the right password works and takes the failures of its address back, for a
// login and for the current-password check alike (failures from any address still add up
// towards the account's own limit of 20).
func TestRightPasswordUnderTheLimit(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	ann := e.newUser(admin, "ann@example.com")
	for round := range 2 {
		for range 4 {
			if res := e.loginAttempt("ann@example.com", "wrong guess number"); res.status != 401 {
				t.Fatalf("round %d: wrong password: %d %s", round, res.status, res.body)
			}
		}
		e.login("ann@example.com", testPassword)
	}
	for range 4 {
		e.must(http.StatusBadRequest, req{method: "PUT", path: "/v1/users/" + ann.id + "/password", token: ann.token,
			body: map[string]any{"password": "a brand new password", "current_password": "not it at all"}})
	}
	e.must(http.StatusNoContent, req{method: "PUT", path: "/v1/users/" + ann.id + "/password", token: ann.token,
		body: map[string]any{"password": "a brand new password", "current_password": testPassword}})
	for range 4 {
		e.must(http.StatusUnauthorized, req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": "ann", "password": testPassword}})
	}
	e.login("ann", "a brand new password")
}
