package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/sqlstore"
)

func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// A user created on the command line, password from stdin, can log in through the service.
func TestUserCreate(t *testing.T) {
	sqliteOnly(t)
	db := filepath.Join(t.TempDir(), "cli.db")
	if out, err := run(t, "", "migrate", "--db", db, "--log-level", "warn"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err := run(t, "a long cli password\n", "user", "create", "--db", db, "--email", "ops@example.com", "--instance-admin", "--log-level", "warn")
	if err != nil {
		t.Fatalf("user create: %v\n%s", err, out)
	}
	if !strings.Contains(out, "created user usr_") {
		t.Errorf("output %q", out)
	}
	d, err := server.OpenDB(context.Background(), db, sqlstore.DefaultOptions(), discard())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	svc := service.New(d, password.NewHasher(password.DefaultParams), service.DefaultConfig(), discard())
	res, err := svc.Login(context.Background(), "ops@example.com", "a long cli password")
	if err != nil {
		t.Fatalf("login with the CLI-made user: %v", err)
	}
	if !res.User.InstanceAdmin {
		t.Error("--instance-admin was not applied")
	}
	// Bootstrap is closed once a user exists.
	_, err = svc.Bootstrap(context.Background(), service.BootstrapInput{Email: "x@example.com", Password: "another password"})
	if roster.ErrorCodeOf(err) != roster.EConflict {
		t.Errorf("bootstrap after a CLI user: %v, want conflict", err)
	}

	if _, err := run(t, "short\n", "user", "create", "--db", db, "--email", "x@example.com"); err == nil ||
		!strings.Contains(describe(err), "--password: must be at least 8 characters long") {
		t.Errorf("short password: %v", err)
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	sqliteOnly(t)
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"serve", "--db", "postgres://u:secret@127.0.0.1:1/db", "--db-wait", "2s"}, nil, "PostgreSQL at 127.0.0.1:1/db did not answer within 2s"},
		{[]string{"serve", "--db", "postgres://u:secret@bad host/db"}, nil, "--db: not a valid PostgreSQL URL"},
		{[]string{"serve", "--db-max-conns", "1"}, nil, "--db-max-conns: must be at least 2, not 1"},
		{[]string{"serve", "--log-level", "loud"}, nil, `"loud" for "--log-level" flag: want debug, info, warn or error`},
		{[]string{"serve", "--addr", "nonsense"}, nil, `--addr: "nonsense" is not host:port`},
		{[]string{"serve"}, map[string]string{"ROSTER_SESSION_TTL": "forever"}, "ROSTER_SESSION_TTL"},
	} {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		out, err := run(t, "", c.args...)
		if err == nil || !strings.Contains(describe(err), c.want) {
			t.Errorf("%v %v: error %v, want one containing %q", c.args, c.env, err, c.want)
		}
		if err != nil && strings.Contains(describe(err)+out, "secret") {
			t.Errorf("the DSN's password reached the error or the log: %v\n%s", err, out)
		}
		for k := range c.env {
			t.Setenv(k, "")
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
