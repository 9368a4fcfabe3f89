package service

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/sqlstore"
	"github.com/rosterhq/roster/internal/token"
)

// untouchable is a store that fails the test if anything opens a transaction on it.
type untouchable struct{ t *testing.T }

func (u untouchable) Read(context.Context, func(roster.Tx) error) error {
	u.t.Fatal("the store was read")
	return nil
}

func (u untouchable) Write(context.Context, func(roster.Tx) error) error {
	u.t.Fatal("the store was written")
	return nil
}

// A secret that is malformed or fails its checksum is refused before any database access.
func TestAuthenticateRefusesBadSecretsWithoutTheStore(t *testing.T) {
	svc := New(untouchable{t}, password.NewHasher(password.DefaultParams), DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	var secrets []string
	for _, prefix := range []string{token.PrefixSession, token.PrefixAPIToken, token.PrefixKey} {
		s, _ := token.New(prefix)
		flipped := s[:len(s)-8] + string(s[len(s)-8]^1) + s[len(s)-7:]
		secrets = append(secrets, flipped, s[:len(s)-1], s+"x")
	}
	secrets = append(secrets, "", "Bearer", "ghp_abcdef", "sk:", "rss_"+string(make([]byte, 49)))
	for _, s := range secrets {
		if _, err := svc.Authenticate(context.Background(), s); roster.ErrorCodeOf(err) != roster.EUnauthenticated {
			t.Errorf("Authenticate(%q) = %v, want unauthenticated", s, err)
		}
	}
}

// countingStore counts the write transactions run on a real store.
type countingStore struct {
	roster.Store
	writes int
}

func (c *countingStore) Write(ctx context.Context, fn func(roster.Tx) error) error {
	c.writes++
	return c.Store.Write(ctx, fn)
}

// A successful login costs two durable transactions (the attempt counted before the hash is
// checked, then the session with the count taken back) and five row writes: the throttle
// record, its removal, the last-login time, the audit event and the session.
func TestLoginWrites(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "w.db"), sqlstore.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, log); err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: db}
	svc := New(store, password.NewHasher(password.DefaultParams), DefaultConfig(), log)
	if _, err := svc.Bootstrap(ctx, BootstrapInput{Email: "root@example.com", Password: "lunar orchid 7 tea"}); err != nil {
		t.Fatal(err)
	}
	// total_changes counts the rows written on a connection; the SQLite writer has one.
	rows := func() int {
		var n int
		if err := db.Pool().QueryRowContext(ctx, `SELECT total_changes()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		name          string
		failuresFirst int
	}{{"clean", 0}, {"after two failures", 2}} {
		for range c.failuresFirst {
			if _, err := svc.Login(ctx, "root", "not the password"); roster.ErrorCodeOf(err) != roster.EUnauthenticated {
				t.Fatalf("wrong password: %v", err)
			}
		}
		store.writes = 0
		before := rows()
		if _, err := svc.Login(ctx, "root@example.com", "lunar orchid 7 tea"); err != nil {
			t.Fatal(err)
		}
		commits, written := store.writes, rows()-before
		if commits > 2 || written > 5 {
			t.Errorf("%s: a login made %d write transactions and %d row writes, want at most 2 and 5", c.name, commits, written)
		}
		t.Logf("%s: %d write transactions, %d row writes", c.name, commits, written)
	}
}
