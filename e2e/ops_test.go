package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/testdb"
)

const metricsToken = "metrics-scraper-token-0123456789"

func TestHealthReadinessAndMetrics(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MetricsToken = metricsToken })
	e.must(http.StatusOK, req{method: "GET", path: "/healthz"})
	if got := e.must(http.StatusOK, req{method: "GET", path: "/readyz"}).object(t)["status"]; got != "ready" {
		t.Errorf("readyz status %v", got)
	}
	root := e.bootstrap()
	e.do(req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": "root", "password": "not it at all"}})
	// Each compatibility request is counted under its surface's own route.
	e.links("", req{method: "GET", path: "/users/nobody"})
	e.links("", req{method: "GET", path: "/no/such/route"})
	e.must(http.StatusOK, req{method: "GET", path: "/compat/ellacore/api/v1/status"})
	e.must(http.StatusNotFound, req{method: "GET", path: "/compat/partner/v1/partner-portals/nowhere/users", token: root.token, header: map[string]string{"X-Request-Id": "partner-1"}})
	// The metrics are the metrics token's: not anonymous callers', not a user's.
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/metrics"})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/metrics", token: root.token})
	body := string(e.must(http.StatusOK, req{method: "GET", path: "/metrics", token: metricsToken}).body)
	for _, want := range []string{
		`roster_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
		`roster_http_requests_total{method="POST",route="POST /v1/bootstrap",status="201"} 1`,
		`roster_http_requests_total{method="GET",route="GET /compat/links/users/{username}",status="401"} 1`,
		`roster_http_requests_total{method="GET",route="/compat/links/",status="404"} 1`,
		`roster_http_requests_total{method="GET",route="GET /compat/ellacore/api/v1/status",status="200"} 1`,
		`roster_http_requests_total{method="GET",route="GET /compat/partner/v1/partner-portals/{portalId}/users",status="404"} 1`,
		`roster_http_requests_total{method="GET",route="GET /metrics",status="401"} 2`,
		`roster_logins_total{outcome="failure"} 1`,
		`roster_password_hash_queue 0`,
		`roster_build_info{version="dev"} 1`,
		`go_sql_max_open_connections{db_name="roster"}`,
		`roster_http_request_duration_seconds_bucket{route="GET /readyz"`,
		`roster_http_request_duration_seconds_bucket{route="GET /compat/links/users/{username}"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The request log names the route, the actor and the tenant.
	admin := e.login("root", testPassword)
	if !credentialShape.MatchString(`"` + admin + `"`) {
		t.Error("credentialShape, which checks Cache-Control on credential answers, does not match a session token")
	}
	if !secretShape.MatchString(admin) {
		t.Error("secretShape, which keeps secrets out of every test's log, does not match a session token")
	}
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants", token: admin, body: map[string]any{"slug": "acme", "name": "A"}})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members", token: admin})
	logs := e.logs.String()
	if !strings.Contains(logs, `"route":"GET /v1/tenants/{tenant}/members","status":200`) ||
		!strings.Contains(logs, `"tenant":"tnt_`) || !strings.Contains(logs, `"actor":"user:usr_`) {
		t.Errorf("request log lines lack route, tenant or actor")
	}
	if !strings.Contains(logs, `"route":"GET /compat/partner/v1/partner-portals/{portalId}/users","status":404,"duration_ms":`) {
		t.Errorf("the request log does not name the partner surface's route")
	}
	if strings.Contains(logs, metricsToken) {
		t.Errorf("the log holds the metrics token")
	}
}

// Without a metrics token, /metrics on the main address answers 401 and says how to get the
// metrics; on a separate address they are open unless a token is set, given in a file.
func TestMetricsProtection(t *testing.T) {
	e := newEnv(t)
	res := e.must(http.StatusUnauthorized, req{method: "GET", path: "/metrics"})
	if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="metrics"` || !strings.Contains(string(res.body), "--metrics-addr") {
		t.Errorf("401 without a configured token: WWW-Authenticate %q, body %q", got, res.body)
	}

	scrape := func(url, token string) int {
		t.Helper()
		r, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	open := newEnv(t, func(c *server.Config) { c.MetricsAddr = "127.0.0.1:0" })
	if got := scrape(open.srv.MetricsURL(), ""); got != http.StatusOK {
		t.Errorf("separate metrics address without a token: %d, want 200", got)
	}
	open.must(http.StatusNotFound, req{method: "GET", path: "/metrics"}) // not on the main address then

	file := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(file, []byte(metricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	guarded := newEnv(t, func(c *server.Config) { c.MetricsAddr = "127.0.0.1:0"; c.MetricsTokenFile = file })
	for token, want := range map[string]int{"": http.StatusUnauthorized, "wrong-token-0123456789": http.StatusUnauthorized, metricsToken: http.StatusOK} {
		if got := scrape(guarded.srv.MetricsURL(), token); got != want {
			t.Errorf("separate metrics address with a token file, sending %q: %d, want %d", token, got, want)
		}
	}
}

// serveBinary starts the real binary on dsn.
func serveBinary(t *testing.T, dsn string, args ...string) *replica {
	t.Helper()
	return startReplicasWith(t, dsn, 1, args...)[0]
}

// A write answered 2xx survives SIGKILL: the database passes its integrity check and holds it.
func TestCrashDurability(t *testing.T) {
	if testdb.Kind() != testdb.SQLite {
		t.Skip("PostgreSQL's durability is PostgreSQL's")
	}
	dsn := testdb.DSN(t)
	r := serveBinary(t, dsn, "--shutdown-delay", "0")
	url := r.url
	e := &env{t: t, url: url, client: &http.Client{Timeout: 10 * time.Second}}
	root := e.bootstrap()
	var mu sync.Mutex
	var acknowledged []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r, _ := http.NewRequest("POST", url+"/v1/users", strings.NewReader(fmt.Sprintf(`{"email": "c%d-%d@example.com"}`, w, i)))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+root.token)
				res, err := http.DefaultClient.Do(r)
				if err != nil {
					return // the server is gone
				}
				var u struct{ ID string }
				if res.StatusCode == http.StatusCreated && decodeInto(res, &u) == nil {
					mu.Lock()
					acknowledged = append(acknowledged, u.ID)
					mu.Unlock()
				}
				res.Body.Close()
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-r.done
	close(stop)
	wg.Wait()
	mu.Lock()
	n := len(acknowledged)
	mu.Unlock()
	t.Logf("%d writes acknowledged before SIGKILL", n)
	if n == 0 {
		t.Fatal("no write was acknowledged")
	}

	e2 := &env{t: t, url: serveBinary(t, dsn, "--shutdown-delay", "0").url, client: &http.Client{Timeout: 10 * time.Second}}
	for _, id := range acknowledged {
		if res := e2.do(req{method: "GET", path: "/v1/users/" + id, token: root.token}); res.status != http.StatusOK {
			t.Errorf("acknowledged user %s lost: %d", id, res.status)
		}
	}
	db, err := sql.Open("sqlite", "file:"+dsn+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

// Under load, SIGTERM makes readiness fail before the listener closes, cuts off no request,
// and the process exits 0 within the grace period. The clients behave as behind a load
// balancer: once /readyz answers 503 they send nothing new (a connection still waiting in the
// kernel's backlog when the listener closes is reset, whatever the server does; the shutdown
// delay exists so that none is).
func TestGracefulShutdown(t *testing.T) {
	dsn := testdb.DSN(t)
	// The delay is long enough for the health check to see 503 on a loaded machine (the race
	// detector makes each login's hash many times slower).
	r := serveBinary(t, dsn, "--shutdown-delay", "2s", "--shutdown-grace", "20s")
	url := r.url
	e := &env{t: t, url: url, client: &http.Client{Timeout: 10 * time.Second}}
	root := e.bootstrap()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var notReadyAt, refusedAt atomic.Int64
	var cutOff, completed atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for ctx.Err() == nil && notReadyAt.Load() == 0 {
				var r *http.Request
				if w == 0 { // one worker hashes; the rest keep cheap requests in flight
					r, _ = http.NewRequest("POST", url+"/v1/auth/login", strings.NewReader(`{"login": "root", "password": "`+testPassword+`"}`))
					r.Header.Set("Content-Type", "application/json")
				} else {
					r, _ = http.NewRequest("GET", url+"/v1/me", nil)
					r.Header.Set("Authorization", "Bearer "+root.token)
				}
				res, err := client.Do(r)
				switch {
				case err != nil && errors.Is(err, syscall.ECONNREFUSED):
					refusedAt.CompareAndSwap(0, time.Now().UnixNano())
					return
				case err != nil:
					cutOff.Add(1)
					t.Errorf("a request was cut off: %v", err)
					return
				}
				res.Body.Close()
				if res.StatusCode < 500 {
					completed.Add(1)
				}
			}
		})
	}
	wg.Go(func() { // the load balancer's health check
		for ctx.Err() == nil {
			res, err := client.Get(url + "/readyz")
			if err != nil {
				refusedAt.CompareAndSwap(0, time.Now().UnixNano())
				return
			}
			res.Body.Close()
			if res.StatusCode == http.StatusServiceUnavailable {
				notReadyAt.CompareAndSwap(0, time.Now().UnixNano())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	time.Sleep(700 * time.Millisecond)
	sent := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := <-r.done
	took := time.Since(sent)
	for wait := time.Now(); refusedAt.Load() == 0 && time.Since(wait) < time.Second; {
		time.Sleep(10 * time.Millisecond) // let the health check see the closed listener
	}
	cancel()
	wg.Wait()
	if err != nil || !r.cmd.ProcessState.Success() {
		t.Errorf("exit: %v\n%s", err, r.logs.String())
	}
	if took > 22*time.Second {
		t.Errorf("shutdown took %s, more than delay plus grace", took)
	}
	if notReadyAt.Load() == 0 || refusedAt.Load() == 0 || notReadyAt.Load() > refusedAt.Load() {
		t.Errorf("readiness did not fail before the listener closed (503 at %d, refused at %d)", notReadyAt.Load(), refusedAt.Load())
	}
	t.Logf("%d requests completed, %d cut off; shutdown took %s", completed.Load(), cutOff.Load(), took)
}

// A backup taken during writes restores into a new file on which a user and a token from
// before the backup still work.
func TestBackupAndRestore(t *testing.T) {
	if testdb.Kind() != testdb.SQLite {
		t.Skip("PostgreSQL is backed up with pg_dump")
	}
	e := newEnv(t)
	root := e.bootstrap()
	ann := e.newUser(root, "ann@example.com")
	tok := e.must(http.StatusCreated, req{method: "POST", path: "/v1/me/tokens", token: ann.token, body: map[string]any{"name": "kept"}}).object(t)["token"].(string)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			e.createUser(root, fmt.Sprintf("during%d@example.com", i))
		}
	})
	time.Sleep(200 * time.Millisecond)
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.db")
	if out, err := exec.Command(rosterBinary(t), "backup", "--db", e.dsn, "--out", backup).CombinedOutput(); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	wg.Wait()

	restored := filepath.Join(dir, "restored.db")
	if err := os.WriteFile(restored, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(rosterBinary(t), "restore", "--db", restored, "--from", backup).CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if out, err := exec.Command(rosterBinary(t), "restore", "--db", restored, "--from", filepath.Join(dir, "missing.db")).CombinedOutput(); err == nil {
		t.Errorf("restoring a missing file succeeded: %s", out)
	}
	e2 := newEnv(t, func(c *server.Config) { c.DB = restored })
	e2.login("ann@example.com", testPassword)
	e2.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: tok})
}

func decodeInto(res *http.Response, v any) error {
	return json.NewDecoder(res.Body).Decode(v)
}
