// Package bench drives a running Roster over HTTP with concurrent clients and reports, per
// scenario, requests a second, latency percentiles and the count of each status. It calls the
// server through the public client package, so every run of the load tool exercises it too.
package bench

import (
	"context"
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

	"github.com/rosterhq/roster/client"
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
var Scenarios = append([]string{"get-user", "list-members", "search-email", "create-user", "create-user-password", "set-roles", "login", "mix"},
	consoleScenarios...)

// userAgent names the load tool in the server's audit trail and logs.
const userAgent = "roster-bench"

// runner holds what the scenarios share.
type runner struct {
	cfg     Config
	anon    *client.Client // without credentials, for logins
	api     *client.Client // as the instance administrator
	pages   *client.Client // api, but skipping the parse of member pages (see skipPages)
	tenant  string
	members []string // user ids of members
	emails  []string // their emails
	seq     atomic.Int64
	loginAs []string     // seeded users with a password, for the login scenario
	token   string       // the bearer secret of api, which the console scenarios send as the session cookie
	web     *http.Client // for the console's pages: redirects are answers, not followed
}

func (r *runner) pick() int { return rand.IntN(len(r.members)) }

// Run seeds (unless told a tenant) and runs the scenarios, handing each result to report.
func Run(ctx context.Context, cfg Config, report func(Result)) error {
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Clients * 2, MaxConnsPerHost: cfg.Clients * 2}
	h := &http.Client{Timeout: 60 * time.Second, Transport: transport}
	anon, err := client.New(cfg.URL, client.WithHTTPClient(h), client.WithUserAgent(userAgent))
	if err != nil {
		return err
	}
	pages, _ := client.New(cfg.URL, client.WithHTTPClient(&http.Client{Timeout: h.Timeout, Transport: skipPages{transport}}),
		client.WithUserAgent(userAgent))
	r := &runner{cfg: cfg, anon: anon}
	token, err := r.authenticate(ctx)
	if err != nil {
		return err
	}
	r.api, r.pages = anon.WithToken(token), pages.WithToken(token)
	r.token = token
	r.web = &http.Client{Timeout: h.Timeout, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := r.seed(ctx); err != nil {
		return err
	}
	names := cfg.Scenarios
	if len(names) == 0 {
		names = Scenarios
	}
	for _, name := range names {
		op, ok := r.scenario(ctx, name)
		if !ok {
			return fmt.Errorf("unknown scenario %q; known: %s", name, strings.Join(Scenarios, ", "))
		}
		if err := r.checkConsole(name); err != nil {
			return err
		}
		report(r.measure(ctx, name, op))
	}
	return nil
}

// status is the HTTP status of a call that answered ok when it succeeded: the error's status
// when the server refused it, 0 when no answer came.
func status(ok int, err error) int {
	if err == nil {
		return ok
	}
	return client.StatusOf(err)
}

// authenticate returns the configured token, or logs in for one.
func (r *runner) authenticate(ctx context.Context) (string, error) {
	if r.cfg.Token != "" {
		return r.cfg.Token, nil
	}
	s, err := r.anon.Login(ctx, r.cfg.Login, r.cfg.Password)
	if err != nil {
		return "", fmt.Errorf("log in as %s: %w", r.cfg.Login, err)
	}
	return s.Token, nil
}

// skipPages reads each successful answer to its end, as the client would, but hands the
// client an empty page instead of the body. The load tool measures the server: parsing a
// page of 100 members into Go values takes about half a millisecond of the same two CPUs
// the server runs on, which took some 40% off list-members' rate. Only the scenarios that
// list members use it; the seeding, and every other call, parse what they get.
type skipPages struct{ next http.RoundTripper }

func (s skipPages) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := s.next.RoundTrip(r)
	if err != nil || res.StatusCode != http.StatusOK {
		return res, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body, res.ContentLength = io.NopCloser(strings.NewReader(emptyPage)), int64(len(emptyPage))
	return res, nil
}

const emptyPage = `{"items": [], "next_cursor": null}`

// seed makes a tenant with members, or reads the members of the tenant it is told.
func (r *runner) seed(ctx context.Context) error {
	r.tenant = r.cfg.Tenant
	if r.tenant == "" {
		r.tenant = fmt.Sprintf("bench-%d", time.Now().UnixNano())
		if _, err := r.api.CreateTenant(ctx, client.TenantCreate{Slug: r.tenant, Name: "Benchmark"}); err != nil {
			return fmt.Errorf("create tenant: %w", err)
		}
		var mu sync.Mutex
		err := parallel(ctx, r.cfg.Clients, r.cfg.Members, func(i int) error {
			email := fmt.Sprintf("%s-m%07d@bench.example", r.tenant, i)
			u, err := r.api.CreateUser(ctx, client.UserCreate{Email: email})
			if err != nil {
				return fmt.Errorf("create user: %w", err)
			}
			if _, err := r.api.AddMember(ctx, r.tenant, client.MemberCreate{UserID: u.ID, Roles: []string{"viewer"}}); err != nil {
				return fmt.Errorf("add member: %w", err)
			}
			mu.Lock()
			r.members, r.emails = append(r.members, u.ID), append(r.emails, email)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		page, err := r.api.ListMembers(ctx, r.tenant, client.MemberFilter{}, client.ListOptions{Limit: client.MaxLimit})
		if err != nil {
			return fmt.Errorf("list members of %s: %w", r.tenant, err)
		}
		for _, m := range page.Items {
			r.members, r.emails = append(r.members, m.UserID), append(r.emails, m.User.Email)
		}
	}
	if len(r.members) == 0 {
		return fmt.Errorf("tenant %s has no members to read", r.tenant)
	}
	// Logins go round several users: one name from one address gets at most five password
	// checks at a time (each is counted before its hash is checked), and a client's logins
	// must not be refused for another's.
	r.loginAs = make([]string, min(max(r.cfg.Clients, 1), 256))
	return parallel(ctx, r.cfg.Clients, len(r.loginAs), func(i int) error {
		r.loginAs[i] = fmt.Sprintf("%s-login%03d@bench.example", r.tenant, i)
		_, err := r.api.CreateUser(ctx, client.UserCreate{Email: r.loginAs[i], Password: benchPassword})
		if err != nil && !client.IsConflict(err) {
			return fmt.Errorf("create user: %w", err) // a conflict is the user an earlier run made, with the same password
		}
		return nil
	})
}

const benchPassword = "orbit quartz meadow 77"

// scenario returns the operation a client repeats; it returns the status.
func (r *runner) scenario(ctx context.Context, name string) (func() int, bool) {
	pick := func() int { return rand.IntN(len(r.members)) }
	ops := map[string]func() int{
		"get-user": func() int {
			_, err := r.api.GetUser(ctx, r.members[pick()])
			return status(http.StatusOK, err)
		},
		"list-members": func() int {
			_, err := r.pages.ListMembers(ctx, r.tenant, client.MemberFilter{}, client.ListOptions{Limit: 100})
			return status(http.StatusOK, err)
		},
		"search-email": func() int {
			e := r.emails[pick()]
			_, err := r.pages.ListMembers(ctx, r.tenant, client.MemberFilter{Email: e[:len(e)-14]}, client.ListOptions{Limit: 100})
			return status(http.StatusOK, err)
		},
		"create-user": func() int {
			_, err := r.api.CreateUser(ctx, client.UserCreate{Email: fmt.Sprintf("c%d-%d@bench.example", time.Now().UnixNano(), r.seq.Add(1))})
			return status(http.StatusCreated, err)
		},
		"create-user-password": func() int {
			_, err := r.api.CreateUser(ctx, client.UserCreate{
				Email: fmt.Sprintf("p%d-%d@bench.example", time.Now().UnixNano(), r.seq.Add(1)), Password: benchPassword})
			return status(http.StatusCreated, err)
		},
		"set-roles": func() int {
			roles := []string{"viewer", "user"}[r.seq.Add(1)%2]
			_, err := r.api.SetMemberRoles(ctx, r.tenant, r.members[pick()], []string{roles})
			return status(http.StatusOK, err)
		},
		"login": func() int {
			as := r.loginAs[r.seq.Add(1)%int64(len(r.loginAs))]
			_, err := r.anon.Login(ctx, as, benchPassword)
			return status(http.StatusOK, err)
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
	for name, op := range r.console(ctx) {
		ops[name] = op
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
