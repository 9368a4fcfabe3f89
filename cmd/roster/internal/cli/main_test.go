package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/testdb"
)

// The tests run the commands against a real server on a real database (SQLite, then
// PostgreSQL when ROSTER_TEST_POSTGRES_DSN is set), in process, as roster runs them: the same
// command tree, ExitCode and Explain.
func TestMain(m *testing.M) { os.Exit(testdb.Run(m)) }

const (
	adminPassword = "lunar orchid 7 tea"
	annPassword   = "quiet harbour 58 sails"
)

// world is a running server with its first administrator, and a configuration directory of
// its own for the credentials file.
type world struct {
	url       string
	admin     *client.Client // the bootstrap session, through the client package
	anon      *client.Client
	logs      *lockedBuffer // what the server logged, at every level
	configDir string
	pageSize  int
	requests  atomic.Int64 // requests the commands sent
}

// newWorld starts a server with a fresh database (options, when given, change its
// configuration first), bootstraps admin@example.com, and stops the server when t ends.
func newWorld(t *testing.T, options ...func(*server.Config)) *world {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = testdb.DSN(t)
	cfg.DBOptions.MaxConns = 4
	cfg.ShutdownDelay = 0
	for _, o := range options {
		o(&cfg)
	}
	logs := &lockedBuffer{}
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	w := &world{url: srv.URL(), logs: logs, configDir: t.TempDir()}
	// The commands find the credentials file below $XDG_CONFIG_HOME; nothing of the
	// environment the tests run in may leak into them.
	t.Setenv("XDG_CONFIG_HOME", w.configDir)
	for _, env := range connectionEnv {
		t.Setenv(env, "")
	}
	if w.anon, err = client.New(w.url); err != nil {
		t.Fatal(err)
	}
	s, err := w.anon.Bootstrap(context.Background(), client.BootstrapRequest{Email: "admin@example.com", Password: adminPassword})
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	w.admin = w.anon.WithToken(s.Token)
	return w
}

// result is what one run of a command did.
type result struct {
	stdout, stderr string
	code           int
	err            error
}

// run runs roster with args and stdin as main does, and returns what it printed and its
// exit code.
func (w *world) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return w.runContext(context.Background(), stdin, args...)
}

func (w *world) runContext(ctx context.Context, stdin string, args ...string) result {
	root := &cobra.Command{Use: "roster", SilenceUsage: true, SilenceErrors: true}
	AddCommands(root, Options{Version: "test", PageSize: w.pageSize, HTTPClient: &http.Client{
		Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			w.requests.Add(1)
			return http.DefaultTransport.RoundTrip(r)
		}),
	}})
	Finish(root)
	var stdout, stderr bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		msg, ok := Explain(err)
		if !ok {
			msg = err.Error()
		}
		stderr.WriteString("roster: " + msg + "\n")
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: ExitCode(err), err: err}
}

// must runs a command that must succeed.
func (w *world) must(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := w.run(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("roster %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// login logs the command line in as admin@example.com.
func (w *world) login(t *testing.T) {
	t.Helper()
	w.must(t, adminPassword+"\n", "login", "--server", w.url, "admin@example.com")
}

// credentialsPath is where the commands keep the session.
func (w *world) credentialsPath() string {
	return filepath.Join(w.configDir, "roster", "credentials")
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
