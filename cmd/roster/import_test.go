package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/sqlstore"
)

// Users come in with their old hashes, log in with their old passwords, and get Roster's own
// hash at that first login; bad rows and taken emails are skipped and reported.
func TestImport(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "import.db")
	ctx := context.Background()
	d, err := server.OpenDB(ctx, db, sqlstore.DefaultOptions(), discard())
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(d, password.NewHasher(password.DefaultParams), service.DefaultConfig(), discard())
	admin, err := svc.CreateUserAsSystem(ctx, service.CreateUserInput{Email: "root@example.com", InstanceAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateTenant(roster.NewContextWithPrincipal(ctx, &roster.Principal{User: admin}), service.TenantInput{Slug: ptr("acme"), Name: ptr("Acme")}); err != nil {
		t.Fatal(err)
	}
	d.Close()

	legacy, _ := bcrypt.GenerateFromPassword([]byte("legacy secret 42"), 10)
	tooCostly := "$2b$15$" + strings.Repeat("a", 53)
	argon, _ := password.NewHasher(password.Params{MemoryKiB: 16 * 1024, Time: 1, Threads: 1}).Hash(ctx, "argon secret 43")
	lines := []string{
		fmt.Sprintf(`{"email": "old@example.com", "given_name": "Old", "password_hash": %q}`, legacy),
		fmt.Sprintf(`{"email": "argon@example.com", "username": "argonaut", "password_hash": %q}`, argon),
		`{"email": "not an email"}`,
		fmt.Sprintf(`{"email": "costly@example.com", "password_hash": %q}`, tooCostly),
		`{"email": "root@example.com"}`,
		`{"email": "plain@example.com"}`,
	}
	file := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "", "import", "--db", db, "--tenant", "acme", "--roles", "user", "--file", file, "--log-level", "warn")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, want := range []string{"read 6, imported 3, skipped 3", "line 3 skipped: email must be a plain email address",
		"line 4 skipped: password_hash must be a bcrypt hash with a cost from 4 to 14", "line 5 skipped: email root@example.com is already taken"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	d, err = server.OpenDB(ctx, db, sqlstore.DefaultOptions(), discard())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	svc = service.New(d, password.NewHasher(password.DefaultParams), service.DefaultConfig(), discard())
	for login, pw := range map[string]string{"old@example.com": "legacy secret 42", "argonaut": "argon secret 43"} {
		res, err := svc.Login(ctx, login, pw)
		if err != nil {
			t.Fatalf("login %s with the imported hash: %v", login, err)
		}
		if !strings.HasPrefix(res.User.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("%s's hash was not upgraded at first login: %.30s", login, res.User.PasswordHash)
		}
		if _, err := svc.Login(ctx, login, pw); err != nil {
			t.Errorf("login %s with the upgraded hash: %v", login, err)
		}
	}
	out, err = run(t, "", "import", "--db", db, "--tenant", "acme", "--generate", "2500", "--log-level", "warn")
	if err != nil || !strings.Contains(out, "read 2500, imported 2500, skipped 0") {
		t.Errorf("generate: %v\n%s", err, out)
	}
}

func ptr(s string) *string { return &s }
