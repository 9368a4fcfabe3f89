// Package bench drives a running Roster over HTTP with concurrent clients and reports, per
// scenario, requests a second, latency percentiles and the count of each status.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says what to run.
type Config struct {
	URL       string        // base URL of the server
	Login     string        // an instance administrator's login name...
	Password  string        // ...and password; or Token
	Token     string        // a bearer token of an instance administrator
	Tenant    string        // an existing tenant to use; empty creates one and seeds it
	Members   int           // members to seed into a new tenant
	Clients   int           // concurrent clients
	Duration  time.Duration // per scenario
	Scenarios []string      // names; empty runs every scenario
}

// Result is one scenario's figures.
type Result struct {
	Scenario string         `json:"scenario"`
	Clients  int            `json:"clients"`
	Seconds  float64        `json:"seconds"`
	Requests int            `json:"requests"`
	PerSec   float64        `json:"per_second"`
	P50ms    float64        `json:"p50_ms"`
	P90ms    float64        `json:"p90_ms"`
	P99ms    float64        `json:"p99_ms"`
	MaxMs    float64        `json:"max_ms"`
	Statuses map[string]int `json:"statuses"`
}

// Scenarios lists every scenario, in the order they run.
var Scenarios = []string{"get-user", "list-members", "search-email", "create-user", "create-user-password", "set-roles", "login", "mix"}

// runner holds what the scenarios share.
type runner struct {
	cfg     Config
	client  *http.Client
	token   string
	tenant  string
	members []string // user ids of members
	emails  []string // their emails
	seq     atomic.Int64
	loginAs string // a seeded user with a password, for the login scenario
}

// Run seeds (unless told a tenant) and runs the scenarios, handing each result to report.
func Run(ctx context.Context, cfg Config, report func(Result)) error {
	r := &runner{cfg: cfg, client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: cfg.Clients * 2, MaxConnsPerHost: cfg.Clients * 2,
	}}}
	if err := r.authenticate(); err != nil {
		return err
	}
	if err := r.seed(ctx); err != nil {
		return err
	}
	names := cfg.Scenarios
	if len(names) == 0 {
		names = Scenarios
	}
	for _, name := range names {
		op, ok := r.scenario(name)
		if !ok {
			return fmt.Errorf("unknown scenario %q; known: %s", name, strings.Join(Scenarios, ", "))
		}
		report(r.measure(ctx, name, op))
	}
	return nil
}

// call sends one request and returns its status, or 0 on a transport error.
func (r *runner) call(method, path, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.cfg.URL+path, rd)
	if err != nil {
		return 0, nil
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := r.client.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (r *runner) authenticate() error {
	if r.cfg.Token != "" {
		r.token = r.cfg.Token
		return nil
	}
	status, body := r.call("POST", "/v1/auth/login", "", map[string]string{"login": r.cfg.Login, "password": r.cfg.Password})
	if status != http.StatusOK {
		return fmt.Errorf("log in as %s: status %d: %s", r.cfg.Login, status, body)
	}
	var s struct{ Token string }
	if err := json.Unmarshal(body, &s); err != nil {
		return err
	}
	r.token = s.Token
	return nil
}

// seed makes a tenant with members, or reads the members of the tenant it is told.
func (r *runner) seed(ctx context.Context) error {
	r.tenant = r.cfg.Tenant
	if r.tenant == "" {
		r.tenant = fmt.Sprintf("bench-%d", time.Now().UnixNano())
		if status, body := r.call("POST", "/v1/tenants", r.token, map[string]string{"slug": r.tenant, "name": "Benchmark"}); status != http.StatusCreated {
			return fmt.Errorf("create tenant: %d %s", status, body)
		}
		var mu sync.Mutex
		err := parallel(ctx, r.cfg.Clients, r.cfg.Members, func(i int) error {
			email := fmt.Sprintf("%s-m%07d@bench.example", r.tenant, i)
			id, err := r.createUser(email, "")
			if err != nil {
				return err
			}
			if status, body := r.call("POST", "/v1/tenants/"+r.tenant+"/members", r.token, map[string]any{"user_id": id, "roles": []string{"viewer"}}); status != http.StatusCreated {
				return fmt.Errorf("add member: %d %s", status, body)
			}
			mu.Lock()
			r.members, r.emails = append(r.members, id), append(r.emails, email)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		status, body := r.call("GET", "/v1/tenants/"+r.tenant+"/members?limit=200", r.token, nil)
		if status != http.StatusOK {
			return fmt.Errorf("list members of %s: %d %s", r.tenant, status, body)
		}
		var page struct {
			Items []struct {
				UserID string `json:"user_id"`
				User   struct{ Email string }
			}
		}
		_ = json.Unmarshal(body, &page)
		for _, it := range page.Items {
			r.members, r.emails = append(r.members, it.UserID), append(r.emails, it.User.Email)
		}
	}
	if len(r.members) == 0 {
		return fmt.Errorf("tenant %s has no members to read", r.tenant)
	}
	r.loginAs = fmt.Sprintf("%s-login@bench.example", r.tenant)
	if _, err := r.createUser(r.loginAs, benchPassword); err != nil && !strings.Contains(err.Error(), "409") {
		return err // a 409 is the user an earlier run made, with the same password
	}
	return nil
}

const benchPassword = "orbit quartz meadow 77"

func (r *runner) createUser(email, password string) (string, error) {
	body := map[string]string{"email": email}
	if password != "" {
		body["password"] = password
	}
	status, b := r.call("POST", "/v1/users", r.token, body)
	if status != http.StatusCreated {
		return "", fmt.Errorf("create user: %d %s", status, b)
	}
	var u struct{ ID string }
	err := json.Unmarshal(b, &u)
	return u.ID, err
}

// scenario returns the operation a client repeats; it returns the status.
func (r *runner) scenario(name string) (func() int, bool) {
	pick := func() int { return rand.IntN(len(r.members)) }
	ops := map[string]func() int{
		"get-user": func() int { s, _ := r.call("GET", "/v1/users/"+r.members[pick()], r.token, nil); return s },
		"list-members": func() int {
			s, _ := r.call("GET", "/v1/tenants/"+r.tenant+"/members?limit=100", r.token, nil)
			return s
		},
		"search-email": func() int {
			e := r.emails[pick()]
			s, _ := r.call("GET", "/v1/tenants/"+r.tenant+"/members?limit=100&email="+e[:len(e)-14], r.token, nil)
			return s
		},
		"create-user": func() int {
			s, _ := r.call("POST", "/v1/users", r.token, map[string]string{"email": fmt.Sprintf("c%d-%d@bench.example", time.Now().UnixNano(), r.seq.Add(1))})
			return s
		},
		"create-user-password": func() int {
			s, _ := r.call("POST", "/v1/users", r.token, map[string]string{
				"email": fmt.Sprintf("p%d-%d@bench.example", time.Now().UnixNano(), r.seq.Add(1)), "password": benchPassword})
			return s
		},
		"set-roles": func() int {
			roles := []string{"viewer", "user"}[r.seq.Add(1)%2]
			s, _ := r.call("PUT", "/v1/tenants/"+r.tenant+"/members/"+r.members[pick()], r.token, map[string]any{"roles": []string{roles}})
			return s
		},
		"login": func() int {
			s, _ := r.call("POST", "/v1/auth/login", "", map[string]string{"login": r.loginAs, "password": benchPassword})
			return s
		},
	}
	// mix: mostly reads, as user administration traffic is; a write in ten, a login in fifty.
	ops["mix"] = func() int {
		switch n := rand.IntN(100); {
		case n < 60:
			return ops["get-user"]()
		case n < 80:
			return ops["list-members"]()
		case n < 88:
			return ops["search-email"]()
		case n < 94:
			return ops["set-roles"]()
		case n < 98:
			return ops["create-user"]()
		default:
			return ops["login"]()
		}
	}
	op, ok := ops[name]
	return op, ok
}

// measure runs op on every client for the configured duration.
func (r *runner) measure(ctx context.Context, name string, op func() int) Result {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	type sample struct {
		d      time.Duration
		status int
	}
	all := make([][]sample, r.cfg.Clients)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range r.cfg.Clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				t := time.Now()
				s := op()
				all[c] = append(all[c], sample{time.Since(t), s})
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var ds []time.Duration
	res := Result{Scenario: name, Clients: r.cfg.Clients, Seconds: elapsed.Seconds(), Statuses: map[string]int{}}
	for _, samples := range all {
		for _, s := range samples {
			ds = append(ds, s.d)
			key := fmt.Sprint(s.status)
			if s.status == 0 {
				key = "error"
			}
			res.Statuses[key]++
		}
	}
	slices.Sort(ds)
	res.Requests = len(ds)
	if len(ds) > 0 {
		pct := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
		res.PerSec = float64(len(ds)) / elapsed.Seconds()
		res.P50ms, res.P90ms, res.P99ms, res.MaxMs = pct(.5), pct(.9), pct(.99), float64(ds[len(ds)-1].Microseconds())/1000
	}
	return res
}

// parallel runs f(0..n-1) on workers goroutines, stopping at the first error.
func parallel(ctx context.Context, workers, n int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// Table renders results as a fixed-width table.
func Table(results []Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %7s %9s %9s %8s %8s %8s %8s  %s\n", "scenario", "clients", "requests", "per sec", "p50 ms", "p90 ms", "p99 ms", "max ms", "statuses")
	for _, r := range results {
		var st []string
		for k, v := range r.Statuses {
			st = append(st, fmt.Sprintf("%s:%d", k, v))
		}
		sort.Strings(st)
		fmt.Fprintf(&b, "%-22s %7d %9d %9.0f %8.2f %8.2f %8.2f %8.2f  %s\n", r.Scenario, r.Clients, r.Requests, r.PerSec,
			r.P50ms, r.P90ms, r.P99ms, r.MaxMs, strings.Join(st, " "))
	}
	return b.String()
}
