package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/testdb"
)

// Benchmarks of whole requests over loopback against a real SQLite file. They bypass the
// OpenAPI-validating transport so that they measure the server, not the validator. Run with
//
//	go test ./e2e -run '^$' -bench . -benchtime 3s
//
// b.RunParallel runs GOMAXPROCS×parallelism clients.

const benchClients = 8 // × GOMAXPROCS concurrent clients

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
}

func call(b *testing.B, c *http.Client, method, url, token, body string, want int) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		b.Fatalf("%s %s: %d, want %d", method, url, res.StatusCode, want)
	}
}

// benchWorld is a tenant with members for the benchmarks.
func benchWorld(b *testing.B, members int) (*env, principal, []string) {
	e := newEnv(b)
	admin := e.bootstrap()
	e.createTenant(admin, "acme")
	ids := make([]string, members)
	for i := range ids {
		ids[i] = e.createUser(admin, fmt.Sprintf("m%05d@example.com", i))
		e.addMember(admin, "acme", ids[i], "viewer")
	}
	return e, admin, ids
}

func BenchmarkGetUser(b *testing.B) {
	e, admin, ids := benchWorld(b, 100)
	c := benchClient()
	var n atomic.Int64
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := ids[n.Add(1)%int64(len(ids))]
			call(b, c, "GET", e.url+"/v1/users/"+id, admin.token, "", http.StatusOK)
		}
	})
}

func BenchmarkListMembers100(b *testing.B) {
	e, admin, _ := benchWorld(b, 1000)
	c := benchClient()
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			call(b, c, "GET", e.url+"/v1/tenants/acme/members?limit=100", admin.token, "", http.StatusOK)
		}
	})
}

func BenchmarkCreateUserAndAddMember(b *testing.B) {
	e, admin, _ := benchWorld(b, 0)
	c := benchClient()
	var n atomic.Int64
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := createUserID(b, c, e.url, admin.token, fmt.Sprintf("b%d@example.com", n.Add(1)))
			call(b, c, "POST", e.url+"/v1/tenants/acme/members", admin.token, `{"user_id": "`+id+`", "roles": ["viewer"]}`, http.StatusCreated)
		}
	})
}

// BenchmarkLogin logs in as users in turn: one name from one address gets at most five
// password checks at a time.
func BenchmarkLogin(b *testing.B) {
	e, admin, _ := benchWorld(b, 0)
	users := make([]string, 2*benchClients*runtime.GOMAXPROCS(0))
	for i := range users {
		users[i] = e.newUser(admin, fmt.Sprintf("login%d@example.com", i)).email
	}
	c := benchClient()
	var n atomic.Int64
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			login := users[n.Add(1)%int64(len(users))]
			call(b, c, "POST", e.url+"/v1/auth/login", "", `{"login": "`+login+`", "password": "`+testPassword+`"}`, http.StatusOK)
		}
	})
}

// BenchmarkReplicas drives real `roster serve` processes, requests alternating between them:
// one replica on the current database, and two on PostgreSQL. "read" is a token-authenticated
// GET /v1/users/{id}; "write" creates a user and adds it to a tenant (two writes).
func BenchmarkReplicas(b *testing.B) {
	counts := []int{1}
	if testdb.Kind() == testdb.Postgres {
		counts = append(counts, 2)
	}
	for _, n := range counts {
		rs := startReplicas(b, testdb.DSN(b), n)
		envs := make([]*env, n)
		for i, r := range rs {
			envs[i] = r.env
		}
		admin := envs[0].bootstrap()
		envs[0].createTenant(admin, "acme")
		var ids []string
		for i := range 100 {
			ids = append(ids, envs[0].createUser(admin, fmt.Sprintf("seed%d@example.com", i)))
		}
		c := benchClient()
		b.Run(fmt.Sprintf("%s/%d-replicas/read", testdb.Kind(), n), func(b *testing.B) {
			var k atomic.Int64
			b.SetParallelism(benchClients)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := k.Add(1)
					call(b, c, "GET", envs[i%int64(n)].url+"/v1/users/"+ids[i%int64(len(ids))], admin.token, "", http.StatusOK)
				}
			})
		})
		var seq atomic.Int64
		b.Run(fmt.Sprintf("%s/%d-replicas/write", testdb.Kind(), n), func(b *testing.B) {
			b.SetParallelism(benchClients)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					url := envs[i%int64(n)].url
					id := createUserID(b, c, url, admin.token, fmt.Sprintf("w%d@example.com", i))
					call(b, c, "POST", url+"/v1/tenants/acme/members", admin.token, `{"user_id": "`+id+`", "roles": ["viewer"]}`, http.StatusCreated)
				}
			})
		})
	}
}

func createUserID(b *testing.B, c *http.Client, url, token, email string) string {
	req, _ := http.NewRequest("POST", url+"/v1/users", strings.NewReader(`{"email": "`+email+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var u struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&u); err != nil || res.StatusCode != http.StatusCreated {
		b.Fatalf("create user: %d %v", res.StatusCode, err)
	}
	return u.ID
}

// BenchmarkLoginFailureTiming alternates logins of an unknown user and of a known user with a
// wrong password, from fresh addresses (so throttling stays out of it), and reports the median
// of each: they should not tell the two apart.
func BenchmarkLoginFailureTiming(b *testing.B) {
	e := newEnv(b)
	e.bootstrap()
	c := benchClient()
	var unknown, wrong []float64
	for i := 0; i < b.N; i++ {
		for _, name := range pairOrder(i) {
			start := time.Now()
			call(b, c, "POST", e.url+"/v1/auth/login", "", fmt.Sprintf(`{"login": %q, "password": "wrong %d"}`, name, i), http.StatusUnauthorized)
			ms := float64(time.Since(start).Microseconds()) / 1000
			if strings.HasPrefix(name, "nobody") {
				unknown = append(unknown, ms)
			} else {
				wrong = append(wrong, ms)
			}
		}
		if i%4 == 3 { // stay under the per-name-and-address threshold
			e.db(b).Exec(`DELETE FROM login_throttle`)
		}
	}
	b.ReportMetric(median(unknown), "unknown-ms")
	b.ReportMetric(median(wrong), "wrong-password-ms")
}

// pairOrder alternates which of the two logins goes first, so that neither always pays for
// the garbage the other left.
func pairOrder(i int) []string {
	unknown, known := fmt.Sprintf("nobody%d@example.com", i), "root@example.com"
	if i%2 == 0 {
		return []string{unknown, known}
	}
	return []string{known, unknown}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkConcurrentWrongLogins sends 200 wrong logins at once to a server process, each from
// its own loopback address, and reports the process's peak resident memory.
func BenchmarkConcurrentWrongLogins(b *testing.B) {
	r := startReplicasWith(b, testdb.DSN(b), 1, "--shutdown-delay", "0")[0]
	r.env.bootstrap()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for j := range 200 {
			wg.Go(func() {
				d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 1, byte(j/250), byte(j%250+1))}}
				c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: d.DialContext}}
				res, err := c.Post(r.url+"/v1/auth/login", "application/json",
					strings.NewReader(fmt.Sprintf(`{"login": "user%d@example.com", "password": "wrong password"}`, j)))
				if err == nil {
					res.Body.Close()
				}
			})
		}
		wg.Wait()
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.cmd.Process.Pid))
	if err != nil {
		b.Skip("no /proc here")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
			b.ReportMetric(kb/1024, "peak-rss-MiB")
		}
	}
}

// BenchmarkConsoleMembersPage renders the console's members page (50 of 1,000 members), as a
// browser asks for it: the session in the cookie, gzip accepted.
func BenchmarkConsoleMembersPage(b *testing.B) {
	e, admin, _ := benchWorld(b, 1000)
	c := benchClient()
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", e.url+"/console/tenants/acme/members", nil)
			req.AddCookie(&http.Cookie{Name: "roster_session", Value: admin.token})
			res, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("members page: %d", res.StatusCode)
			}
		}
	})
}
