package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// walkMembers pages through a tenant's members and returns their user ids in order.
func (e *env) walkMembers(token, tenant string, limit int) []string {
	e.t.Helper()
	var ids []string
	for _, m := range e.walk(token, "/v1/tenants/"+tenant+"/members", limit) {
		ids = append(ids, m["user_id"].(string))
	}
	return ids
}

// Walking 1,000 members seven at a time, while others are added, returns each member that
// existed before the walk exactly once, and never one twice.
func TestPaginationUnderConcurrentInserts(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.createTenant(admin, "big")
	start := time.Now()
	want := map[string]bool{}
	for i := range 1000 {
		id := e.createUser(admin, fmt.Sprintf("m%04d@example.com", i))
		e.addMember(admin, "big", id, "viewer")
		want[id] = true
	}
	t.Logf("1,000 users created and added in %s", time.Since(start))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			id := e.createUser(admin, fmt.Sprintf("late%04d@example.com", i))
			e.addMember(admin, "big", id, "viewer")
		}
	})
	start = time.Now()
	ids := e.walkMembers(admin.token, "big", 7)
	t.Logf("walked %d members in pages of 7 in %s", len(ids), time.Since(start))
	cancel()
	wg.Wait()

	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
		if seen[id] > 1 {
			t.Errorf("member %s returned twice", id)
		}
	}
	var missing []string
	for id := range want {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d members never returned, e.g. %s", len(missing), missing[0])
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			t.Fatalf("not in key order at %d: %s then %s", i, ids[i-1], ids[i])
		}
	}
}

// When the two admins of a tenant are demoted and removed at the same moment, exactly one
// request wins and the tenant keeps an admin.
func TestLastAdminRace(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	for round := range 10 {
		slug := fmt.Sprintf("race%d", round)
		e.createTenant(root, slug)
		a := e.createUser(root, slug+"a@example.com")
		b := e.createUser(root, slug+"b@example.com")
		e.addMember(root, slug, a, "admin")
		e.addMember(root, slug, b, "admin")
		var demote, remove *resp
		var wg sync.WaitGroup
		wg.Go(func() {
			demote = e.do(req{method: "PUT", path: "/v1/tenants/" + slug + "/members/" + a, token: root.token, body: map[string]any{"roles": []string{"user"}}})
		})
		wg.Go(func() {
			remove = e.do(req{method: "DELETE", path: "/v1/tenants/" + slug + "/members/" + b, token: root.token})
		})
		wg.Wait()
		got := []int{demote.status, remove.status}
		if diff := cmp.Diff([]int{200, 409}, got); diff != "" {
			if diff2 := cmp.Diff([]int{409, 204}, got); diff2 != "" {
				t.Errorf("round %d: demote %d, remove %d; want exactly one to succeed", round, demote.status, remove.status)
			}
		}
		admins := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/" + slug + "/members?role=admin", token: root.token}).object(t)
		if n := len(admins["items"].([]any)); n != 1 {
			t.Errorf("round %d: %d admins left, want 1", round, n)
		}
	}
}

// Logins with the old password that race a password change never leave a working session:
// either they finish first and the change ends their session, or they lose to the change.
func TestLoginRacesPasswordChange(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	ann := e.newUser(admin, "ann@example.com")
	old := testPassword
	for round := range 4 {
		next := fmt.Sprintf("new password number %d", round)
		var mu sync.Mutex
		var tokens []string
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				res := e.do(req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": ann.email, "password": old}})
				if res.status == http.StatusOK {
					mu.Lock()
					tokens = append(tokens, res.object(t)["token"].(string))
					mu.Unlock()
				}
			})
		}
		wg.Go(func() {
			e.must(http.StatusNoContent, req{method: "PUT", path: "/v1/users/" + ann.id + "/password", token: admin.token,
				body: map[string]any{"password": next}})
		})
		wg.Wait()
		for _, tok := range tokens {
			if res := e.do(req{method: "GET", path: "/v1/me", token: tok}); res.status != http.StatusUnauthorized {
				t.Errorf("round %d: a session made with the old password still works (%d)", round, res.status)
			}
		}
		old = next
	}
}
