// Package testdb gives tests a fresh, real database: a SQLite file in a temporary directory,
// or a schema of its own on the PostgreSQL server named by ROSTER_TEST_POSTGRES_DSN. A test
// package's TestMain calls Run, which runs every test once per available database.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvPostgres names the variable holding the PostgreSQL server's URL for tests.
const EnvPostgres = "ROSTER_TEST_POSTGRES_DSN"

// Kinds of database.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

var kind = SQLite

// Kind returns the database the tests run against now.
func Kind() string { return kind }

// Run runs the package's tests on SQLite, then again on PostgreSQL when EnvPostgres is set,
// and returns the exit code for os.Exit.
func Run(m *testing.M) int {
	kind = SQLite
	code := m.Run()
	if os.Getenv(EnvPostgres) == "" {
		fmt.Printf("testdb: %s is not set; the PostgreSQL run is skipped\n", EnvPostgres)
		return code
	}
	fmt.Println("testdb: running the tests again on PostgreSQL")
	kind = Postgres
	if c := m.Run(); c != 0 {
		code = c
	}
	return code
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
)

// DSN returns the --db value of a fresh, empty database for t, removed when t ends.
func DSN(t testing.TB) string {
	t.Helper()
	if kind == SQLite {
		return t.TempDir() + "/roster.db"
	}
	base := os.Getenv(EnvPostgres)
	adminOnce.Do(func() { admin, adminErr = sql.Open("pgx", base) })
	if adminErr != nil {
		t.Fatalf("testdb: %v", adminErr)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "roster_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("testdb: create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("testdb: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testdb: %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
