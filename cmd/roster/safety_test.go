package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/sqlstore"
	"github.com/rosterhq/roster/internal/testdb"
)

// sqliteOnly skips tests of SQLite files in the PostgreSQL run.
func sqliteOnly(t *testing.T) {
	if testdb.Kind() != testdb.SQLite {
		t.Skip("SQLite files only; this run is on " + testdb.Kind())
	}
}

// A mistyped --db is an error for every offline command but migrate: nothing is created, and
// nothing reports success. An empty file (what a mistyped backup used to leave) is not a
// database either.
func TestOfflineCommandsOpenExistingDatabasesOnly(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	typo := filepath.Join(dir, "rooster.db")
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{typo, empty} {
		want := db + " does not exist; check --db"
		if db == empty {
			want = db + " is not a Roster database; check --db"
		}
		for _, args := range [][]string{
			{"backup", "--db", db, "--out", filepath.Join(dir, "copy.db")},
			{"user", "create", "--db", db, "--email", "ops@example.com"},
			{"import", "--db", db, "--tenant", "acme", "--generate", "1"},
		} {
			out, err := run(t, "a long cli password\n", append(args, "--log-level", "warn")...)
			if err == nil || !strings.Contains(describe(err), want) {
				t.Errorf("%v: error %v, want one containing %q\n%s", args, err, want, out)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"empty.db"}) {
		t.Errorf("the refused commands left %v behind, want only empty.db", names)
	}
	// migrate is the command that creates a database.
	fresh := filepath.Join(dir, "fresh.db")
	if out, err := run(t, "", "migrate", "--db", fresh, "--log-level", "warn"); err != nil {
		t.Fatalf("migrate a new database: %v\n%s", err, out)
	}
	if out, err := run(t, "a long cli password\n", "user", "create", "--db", fresh, "--email", "ops@example.com", "--log-level", "warn"); err != nil {
		t.Errorf("user create on the migrated database: %v\n%s", err, out)
	}
}

// backup only reads: the database file is opened read-only and left exactly as it was (a
// read-write open would, for one, switch it to WAL).
func TestBackupOpensReadOnly(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "roster.db")
	if out, err := run(t, "", "migrate", "--db", db, "--log-level", "warn"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := raw.QueryRow(`PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil || mode != "delete" {
		t.Fatalf("journal_mode = DELETE: %q %v", mode, err)
	}
	raw.Close()
	before := fileSum(t, db)
	if out, err := run(t, "", "backup", "--db", db, "--out", filepath.Join(dir, "copy.db"), "--log-level", "warn"); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if fileSum(t, db) != before {
		t.Error("backup changed the database file")
	}
	for _, suffix := range []string{"-wal", "-journal"} {
		if _, err := os.Stat(db + suffix); err == nil {
			t.Errorf("backup left %s%s: it wrote", filepath.Base(db), suffix)
		}
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// A restore over the database of a running server is refused, and the server keeps every
// write; once the server is gone, even killed with SIGKILL, the restore goes through.
func TestRestoreRefusesWhileServing(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	db, backup := filepath.Join(dir, "roster.db"), filepath.Join(dir, "backup.db")
	s := serve(t, db)
	var boot struct{ Token string }
	s.call(t, "POST", "/v1/bootstrap", "", map[string]string{"email": "root@example.com", "password": "lunar orchid 7 tea"}, 201, &boot)
	s.call(t, "POST", "/v1/tenants", boot.Token, map[string]string{"slug": "before", "name": "Before"}, 201, nil)
	if code, out := runRoster(t, "", "backup", "--db", db, "--out", backup); code != 0 {
		t.Fatalf("online backup: exit %d\n%s", code, out)
	}
	s.call(t, "POST", "/v1/tenants", boot.Token, map[string]string{"slug": "after", "name": "After"}, 201, nil)

	code, out := runRoster(t, "", "restore", "--db", db, "--from", backup)
	want := "roster: restore: " + db + ": the database is in use: a roster serve (or another roster command) has it open; stop it first"
	if code == 0 || strings.TrimSpace(out) != want {
		t.Errorf("restore under a running server: exit %d, output %q; want non-zero and %q", code, out, want)
	}
	s.call(t, "POST", "/v1/tenants", boot.Token, map[string]string{"slug": "later", "name": "Later"}, 201, nil)
	s.stop(t, syscall.SIGTERM)
	s = serve(t, db)
	for _, slug := range []string{"before", "after", "later"} {
		s.call(t, "GET", "/v1/tenants/"+slug, boot.Token, nil, 200, nil)
	}

	// The lock dies with the process.
	s.stop(t, syscall.SIGKILL)
	if code, out := runRoster(t, "", "restore", "--db", db, "--from", backup); code != 0 {
		t.Fatalf("restore after the server was killed: exit %d\n%s", code, out)
	}
	s = serve(t, db)
	s.call(t, "GET", "/v1/tenants/before", boot.Token, nil, 200, nil)
	s.call(t, "GET", "/v1/tenants/after", boot.Token, nil, 404, nil)
}

// roster import reads on past bad lines: each one is reported by its number with what is wrong,
// every other line is imported, and progress is shown while it runs.
func TestImportReportsEveryBadLine(t *testing.T) {
	dsn := testdb.DSN(t)
	seedImport(t, dsn)
	lines := []string{
		`{"email": "one@example.com"}`,
		`{"email": "two@example.com", "given_name": "Two"`, // 2: not JSON
		`{"email": "three@example.com", "colour": "red"}`,  // 3: unknown field
		``,
		`{"email": "not an email"}`,     // 5: invalid
		`{"email": "root@example.com"}`, // 6: an existing user's
		`{"email": "one@example.com"}`,  // 7: an earlier line's
		`{"email": "ann@one.example"}`,  // the username ann
		`{"email": "ann@two.example"}`,  // ann is taken: ann-… instead
		`{"email": "six@example.com", "username": "ann"}`, // 10: a given username that is taken
		"[1, 2]",                           // 11: not an object
		`{"email": "last@example.com"} {}`, // 12: two values
		`{"email": "final@example.com"}`,
	}
	file := filepath.Join(t.TempDir(), "users.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "", "import", "--db", dsn, "--tenant", "acme", "--file", file, "--progress", "0", "--log-level", "warn")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, want := range []string{
		"line 2 skipped: not a JSON object of email, username, given_name, family_name, password_hash: unexpected EOF\n",
		"line 3 skipped: not a JSON object of email, username, given_name, family_name, password_hash: unknown field \"colour\"\n",
		"line 5 skipped: email must be a plain email address such as name@example.com, at most 254 bytes\n",
		"line 6 skipped: email root@example.com is already taken (by an existing user or an earlier line)\n",
		"line 7 skipped: email one@example.com is already taken (by an existing user or an earlier line)\n",
		"line 10 skipped: username ann is already taken (by an existing user or an earlier line)\n",
		"line 11 skipped: not a JSON object of email, username, given_name, family_name, password_hash: cannot unmarshal array into Go value of type service.ImportRow\n",
		"line 12 skipped: not a JSON object of email, username, given_name, family_name, password_hash: more than one JSON value\n",
		"read 12, imported 4, skipped 8 in ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "skipped:"); n != 8 {
		t.Errorf("%d lines reported skipped, want 8:\n%s", n, out)
	}
	members := importedMembers(t, dsn)
	for _, email := range []string{"one@example.com", "ann@one.example", "ann@two.example", "final@example.com"} {
		if !slices.Contains(members, email) {
			t.Errorf("%s was not imported; members: %v", email, members)
		}
	}

	// Progress goes to standard error while the import runs: rows, rate and time left.
	out, err = run(t, "", "import", "--db", dsn, "--tenant", "acme", "--generate", "6000", "--progress", "1ms", "--log-level", "warn")
	if err != nil || !strings.Contains(out, "read 6000, imported 6000, skipped 0") {
		t.Fatalf("generate: %v\n%s", err, out)
	}
	if !progressLine.MatchString(out) {
		t.Errorf("no progress line with rows, rate and time left:\n%.2000s", out)
	}
}

// seedImport makes the database with an instance administrator root@example.com and tenant acme.
func seedImport(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	d, err := server.OpenDB(ctx, dsn, sqlstore.DefaultOptions(), discard())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	svc := service.New(d, password.NewHasher(password.DefaultParams), service.DefaultConfig(), discard())
	admin, err := svc.CreateUserAsSystem(ctx, service.CreateUserInput{Email: "root@example.com", InstanceAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateTenant(roster.NewContextWithPrincipal(ctx, &roster.Principal{User: admin}), service.TenantInput{Slug: ptr("acme"), Name: ptr("Acme")}); err != nil {
		t.Fatal(err)
	}
}

func openRaw(t *testing.T, dsn string) *sql.DB {
	driver, source := "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	if testdb.Kind() == testdb.Postgres {
		driver, source = "pgx", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// importedMembers lists the emails of acme's members.
func importedMembers(t *testing.T, dsn string) []string {
	rows, err := openRaw(t, dsn).Query(`SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = 'acme'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

var progressLine = regexp.MustCompile(`progress: \d+ of 6000 rows \(\d+%\), \d+ a second, about [0-9hms.]+ left`)
