package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/testdb"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// rosterBinary builds cmd/roster once per test run.
func rosterBinary(t testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "roster-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "roster")
		out, err := exec.Command("go", "build", "-o", binary, "../cmd/roster").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

var listening = regexp.MustCompile(`"msg":"roster listening".*"url":"(http://[^"]+)"`)

// replica is one `roster serve` process.
type replica struct {
	*env
	cmd    *exec.Cmd
	logs   *lockedBuffer
	done   chan error    // receives the exit, once
	exited chan struct{} // closed once the process has exited
}

// startReplicas starts n processes on one database at once and waits until each listens.
func startReplicas(t testing.TB, dsn string, n int) []*replica {
	return startReplicasWith(t, dsn, n)
}

// startReplicasWith is startReplicas with extra flags for `roster serve`.
func startReplicasWith(t testing.TB, dsn string, n int, extra ...string) []*replica {
	bin := rosterBinary(t)
	out := make([]*replica, n)
	var wg sync.WaitGroup
	for i := range n {
		logs := &lockedBuffer{}
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--db-max-conns", "8", "--log-format", "json",
			"--shutdown-grace", "5s"}, extra...)
		cmd := exec.Command(bin, args...)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := &replica{cmd: cmd, logs: logs, done: make(chan error, 1), exited: make(chan struct{})}
		out[i] = r
		urls := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				logs.Write(append(sc.Bytes(), '\n'))
				if m := listening.FindSubmatch(sc.Bytes()); m != nil {
					urls <- string(m[1])
				}
			}
			err := cmd.Wait()
			close(r.exited) // before done: a test that has read done must find exited closed
			r.done <- err
		}()
		wg.Go(func() {
			select {
			case u := <-urls:
				r.env = &env{t: t, url: u, logs: logs, client: &http.Client{Timeout: time.Minute, Transport: &validatingTransport{t: t, next: http.DefaultTransport}}}
			case <-time.After(60 * time.Second):
				t.Errorf("replica %d did not start:\n%s", i, logs.String())
			}
		})
		t.Cleanup(func() {
			select {
			case <-r.exited: // the test ended it itself
				return
			default:
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-r.done:
				if err != nil && !strings.Contains(err.Error(), "killed") {
					t.Errorf("replica %d exited with %v", i, err)
				}
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Errorf("replica %d did not stop on SIGTERM", i)
			}
			if t.Failed() {
				t.Logf("replica %d log:\n%s", i, logs.String())
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

// Two replicas on one PostgreSQL database: they migrate once, share every credential and
// rule, and keep the invariants when requests race across them.
func TestTwoReplicas(t *testing.T) {
	if testdb.Kind() != testdb.Postgres {
		t.Skip("replicas need PostgreSQL; this run is on " + testdb.Kind())
	}
	dsn := testdb.DSN(t)
	rs := startReplicas(t, dsn, 2)
	a, b := rs[0].env, rs[1].env

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dup int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT version_id FROM goose_db_version
		GROUP BY version_id HAVING COUNT(*) > 1) AS twice`).Scan(&dup); err != nil || dup != 0 {
		t.Errorf("migrations applied twice: %d versions (%v)", dup, err)
	}

	// Racing bootstraps across both replicas: exactly one wins.
	statuses := race(12, func(i int) int {
		return []*env{a, b}[i%2].do(req{method: "POST", path: "/v1/bootstrap",
			body: map[string]any{"email": fmt.Sprintf("admin%d@example.com", i), "password": testPassword}}).status
	})
	if diff := cmp.Diff(map[int]int{201: 1, 409: 11}, statuses); diff != "" {
		t.Fatalf("bootstrap statuses (-want +got):\n%s", diff)
	}
	var root principal
	for i := range 12 {
		if res := a.do(req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": fmt.Sprintf("admin%d@example.com", i), "password": testPassword}}); res.status == 200 {
			root = principal{token: res.object(t)["token"].(string), id: res.object(t)["user"].(map[string]any)["id"].(string),
				email: fmt.Sprintf("admin%d@example.com", i)}
		}
	}

	// A session made on A works on B; logging out on A ends it on B at once.
	s := a.login(root.email, testPassword)
	b.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: s})
	a.must(http.StatusNoContent, req{method: "POST", path: "/v1/auth/logout", token: s})
	b.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: s})

	// Case-insensitively unique emails, racing across replicas.
	statuses = race(10, func(i int) int {
		return []*env{a, b}[i%2].do(req{method: "POST", path: "/v1/users", token: root.token,
			body: map[string]any{"email": []string{"Same@Example.com", "same@example.COM"}[i%2]}}).status
	})
	if diff := cmp.Diff(map[int]int{201: 1, 409: 9}, statuses); diff != "" {
		t.Errorf("duplicate email statuses (-want +got):\n%s", diff)
	}

	// A role change or a token revocation made on A is enforced by B on its next request.
	a.createTenant(root, "acme")
	ann := a.newUser(root, "ann@example.com")
	a.addMember(root, "acme", ann.id, "admin")
	other := a.createUser(root, "other@example.com")
	a.addMember(root, "acme", other, "admin")
	b.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members", token: ann.token})
	a.must(http.StatusOK, req{method: "PUT", path: "/v1/tenants/acme/members/" + ann.id, token: root.token, body: map[string]any{"roles": []string{"viewer"}}})
	b.must(http.StatusForbidden, req{method: "GET", path: "/v1/tenants/acme/members", token: ann.token})
	tok := b.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: ann.token, body: map[string]any{"name": "t"}}).object(t)
	a.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: tok["token"].(string)})
	a.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/me/tokens/" + tok["id"].(string), token: ann.token})
	b.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: tok["token"].(string)})
	b.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ann.id, token: root.token, body: map[string]any{"active": false}})
	a.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: ann.token})

	// The last admin survives racing demotions and removals spread over both replicas.
	for round := range 8 {
		slug := fmt.Sprintf("race%d", round)
		a.createTenant(root, slug)
		x, y := a.createUser(root, slug+"x@example.com"), a.createUser(root, slug+"y@example.com")
		a.addMember(root, slug, x, "admin")
		a.addMember(root, slug, y, "admin")
		statuses := race(2, func(i int) int {
			if i == 0 {
				return a.do(req{method: "PUT", path: "/v1/tenants/" + slug + "/members/" + x, token: root.token, body: map[string]any{"roles": []string{"user"}}}).status
			}
			return b.do(req{method: "PATCH", path: "/v1/tenants/" + slug + "/members", token: root.token,
				body: []map[string]any{{"user_id": y, "roles": []string{"viewer"}}}}).status
		})
		if statuses[409] != 1 {
			t.Errorf("round %d: statuses %v; want exactly one refused", round, statuses)
		}
		admins := b.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/" + slug + "/members?role=admin", token: root.token}).object(t)["items"].([]any)
		if len(admins) != 1 {
			t.Errorf("round %d: %d admins left, want 1", round, len(admins))
		}
	}

	// Two instance admins demoting each other at once on different replicas: one stays.
	second := a.newUser(root, "second@example.com")
	a.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + second.id, token: root.token, body: map[string]any{"instance_admin": true}})
	statuses = race(2, func(i int) int {
		if i == 0 {
			return a.do(req{method: "PATCH", path: "/v1/users/" + second.id, token: root.token, body: map[string]any{"instance_admin": false}}).status
		}
		return b.do(req{method: "PATCH", path: "/v1/users/" + root.id, token: second.token, body: map[string]any{"instance_admin": false}}).status
	})
	var admins int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM users WHERE instance_admin = TRUE`).Scan(&admins); err != nil || admins != 1 {
		t.Errorf("after two admins demoted each other (%v): %d instance admins, want 1 (%v)", statuses, admins, err)
	}
}

// race runs f(0..n-1) at once and counts the statuses.
func race(n int, f func(i int) int) map[int]int {
	var mu sync.Mutex
	out := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s := f(i)
			mu.Lock()
			out[s]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}
