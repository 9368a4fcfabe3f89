package bench_test

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/internal/bench"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Run(m)) }

const adminPassword = "lunar orchid 7 tea"

// start runs a server with admin@example.com bootstrapped until t ends, and returns its URL.
func start(t *testing.T) string {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Addr, cfg.DB, cfg.ShutdownDelay = "127.0.0.1:0", testdb.DSN(t), 0
	cfg.DBOptions.MaxConns = 8
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		srv.Close()
	})
	c, _ := client.New(srv.URL())
	if _, err := c.Bootstrap(context.Background(), client.BootstrapRequest{Email: "admin@example.com", Password: adminPassword}); err != nil {
		t.Fatal(err)
	}
	return srv.URL()
}

// Every scenario runs against a real server and gets only its success status; a second run
// reads the tenant the first one seeded.
func TestRunEveryScenario(t *testing.T) {
	url := start(t)
	cfg := bench.Config{URL: url, Login: "admin@example.com", Password: adminPassword, Members: 5, Clients: 2, Duration: 150 * time.Millisecond}
	var results []bench.Result
	if err := bench.Run(context.Background(), cfg, func(r bench.Result) { results = append(results, r) }); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range results {
		names = append(names, r.Scenario)
		want := "200"
		if strings.HasPrefix(r.Scenario, "create-user") {
			want = "201"
		}
		for status, n := range r.Statuses {
			if status != want && !(r.Scenario == "mix" && (status == "200" || status == "201")) {
				t.Errorf("%s: %d answers of status %s, want only %s", r.Scenario, n, status, want)
			}
		}
		if r.Requests == 0 || r.Clients != 2 || r.PerSec <= 0 || r.MaxMs < r.P50ms {
			t.Errorf("%s: figures %+v", r.Scenario, r)
		}
	}
	if !slices.Equal(names, bench.Scenarios) {
		t.Errorf("ran %v, want %v", names, bench.Scenarios)
	}
	table := bench.Table(results)
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != len(bench.Scenarios)+1 || !strings.HasPrefix(lines[1], "get-user ") {
		t.Errorf("table:\n%s", table)
	}

	// The tenant the first run made, read again with a token instead of a login.
	admin, _ := client.New(url)
	s, err := admin.Login(context.Background(), "admin@example.com", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	var seeded []string
	for tn, err := range admin.WithToken(s.Token).AllTenants(context.Background(), client.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(tn.Slug, "bench-") {
			seeded = append(seeded, tn.Slug)
		}
	}
	if len(seeded) != 1 {
		t.Fatalf("tenants the run seeded: %v, want one", seeded)
	}
	cfg = bench.Config{URL: url, Token: s.Token, Tenant: seeded[0], Clients: 1, Duration: 50 * time.Millisecond,
		Scenarios: []string{"search-email", "login"}}
	results = nil
	if err := bench.Run(context.Background(), cfg, func(r bench.Result) { results = append(results, r) }); err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Statuses["200"] == 0 || results[1].Statuses["200"] == 0 {
		t.Errorf("a run on the seeded tenant: %+v", results)
	}
}

func TestRunRefuses(t *testing.T) {
	url := start(t)
	ctx := context.Background()
	err := bench.Run(ctx, bench.Config{URL: url, Login: "admin@example.com", Password: "wrong password", Members: 1, Clients: 1}, func(bench.Result) {})
	if !client.IsUnauthenticated(err) || !strings.Contains(err.Error(), "log in as admin@example.com") {
		t.Errorf("a wrong password = %v, want an unauthenticated login error", err)
	}
	err = bench.Run(ctx, bench.Config{URL: url, Login: "admin@example.com", Password: adminPassword, Members: 1, Clients: 1,
		Duration: time.Millisecond, Scenarios: []string{"nap"}}, func(bench.Result) {})
	if err == nil || !strings.Contains(err.Error(), `unknown scenario "nap"`) {
		t.Errorf("an unknown scenario = %v", err)
	}
	err = bench.Run(ctx, bench.Config{URL: url, Login: "admin@example.com", Password: adminPassword, Tenant: "nowhere", Clients: 1}, func(bench.Result) {})
	if !client.IsNotFound(err) {
		t.Errorf("an unknown tenant = %v, want not_found", err)
	}
}
