package e2e

import (
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBootstrapOnlyOnce(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	me := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: admin.token}).object(t)
	user := me["user"].(map[string]any)
	if user["instance_admin"] != true || user["email"] != "root@example.com" || user["username"] != "root" {
		t.Errorf("bootstrapped user = %v", user)
	}
	res := e.must(http.StatusConflict, req{method: "POST", path: "/v1/bootstrap",
		body: map[string]any{"email": "other@example.com", "password": testPassword}})
	if got := res.object(t)["code"]; got != "conflict" {
		t.Errorf("code = %v, want conflict", got)
	}
}

func TestBootstrapRace(t *testing.T) {
	e := newEnv(t)
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res := e.do(req{method: "POST", path: "/v1/bootstrap",
				body: map[string]any{"email": "admin" + string(rune('a'+i)) + "@example.com", "password": testPassword}})
			statuses[i] = res.status
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if diff := cmp.Diff(map[int]int{http.StatusCreated: 1, http.StatusConflict: n - 1}, count); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestLoginAndLogout(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"email": "Ann@Example.com", "username": "ann", "password": testPassword}})

	byEmail := e.login("ann@example.COM", testPassword)
	byUsername := e.login("ANN", testPassword)
	if byEmail == byUsername {
		t.Fatal("two logins returned the same token")
	}
	me := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: byUsername}).object(t)
	if got := me["user"].(map[string]any)["last_login_at"]; got == nil {
		t.Error("last_login_at is null after a login")
	}

	e.must(http.StatusNoContent, req{method: "POST", path: "/v1/auth/logout", token: byEmail})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: byEmail})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: byUsername})
}

// Unknown user, wrong password and deactivated user must be indistinguishable.
func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	off := e.newUser(admin, "off@example.com")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + off.id, token: admin.token, body: map[string]any{"active": false}})

	var bodies []map[string]any
	for _, c := range []struct{ login, password string }{
		{"nobody@example.com", testPassword},
		{"root@example.com", "wrong password!"},
		{"off@example.com", testPassword},
	} {
		res := e.must(http.StatusUnauthorized, req{method: "POST", path: "/v1/auth/login",
			body: map[string]any{"login": c.login, "password": c.password}})
		body := res.object(t)
		delete(body, "request_id")
		bodies = append(bodies, body)
	}
	for i := 1; i < len(bodies); i++ {
		if diff := cmp.Diff(bodies[0], bodies[i]); diff != "" {
			t.Errorf("login failure %d differs from failure 0 (-0 +%d):\n%s", i, i, diff)
		}
	}
	// The deactivated user's earlier session ended with the deactivation.
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: off.token})
}

func TestBearerTokenForms(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	for _, c := range []struct {
		name   string
		header string
		want   int
	}{
		{"lower-case scheme", "bearer " + admin.token, http.StatusOK},
		{"no header", "", http.StatusUnauthorized},
		{"basic scheme", "Basic " + admin.token, http.StatusUnauthorized},
		{"altered character", "Bearer " + admin.token[:10] + flip(admin.token[10]) + admin.token[11:], http.StatusUnauthorized},
		{"garbage", "Bearer x", http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.do(req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": c.header}})
			if res.status != c.want {
				t.Fatalf("status %d, want %d: %s", res.status, c.want, res.body)
			}
			if c.want == http.StatusUnauthorized && res.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// Credentials in the query string are ignored.
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me?access_token=" + admin.token})
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func TestPasswordChange(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	ann := e.newUser(admin, "ann@example.com")
	other := e.login("ann@example.com", testPassword)

	e.must(http.StatusBadRequest, req{method: "PUT", path: "/v1/users/" + ann.id + "/password", token: ann.token,
		body: map[string]any{"password": "a brand new password"}})
	e.must(http.StatusBadRequest, req{method: "PUT", path: "/v1/users/" + ann.id + "/password", token: ann.token,
		body: map[string]any{"password": "a brand new password", "current_password": "not it at all"}})
	e.must(http.StatusNoContent, req{method: "PUT", path: "/v1/users/" + ann.id + "/password", token: ann.token,
		body: map[string]any{"password": "a brand new password", "current_password": testPassword}})

	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: ann.token})       // this session stays
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: other}) // others end
	e.must(http.StatusUnauthorized, req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": ann.email, "password": testPassword}})
	e.login(ann.email, "a brand new password")

	// An instance administrator sets it without the current one, ending every session.
	e.must(http.StatusNoContent, req{method: "PUT", path: "/v1/users/" + ann.id + "/password", token: admin.token,
		body: map[string]any{"password": "set by the admin"}})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: ann.token})
	e.login(ann.email, "set by the admin")
}
