package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Run(m)) }

func openTest(t *testing.T, dsn string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return db
}

// Both pools run with the settings durability and integrity rest on.
func TestPragmas(t *testing.T) {
	if testdb.Kind() != testdb.SQLite {
		t.Skip("SQLite pragmas")
	}
	db := openTest(t, testdb.DSN(t))
	for _, c := range []struct {
		pragma string
		want   string
	}{{"journal_mode", "wal"}, {"synchronous", "2"}, {"foreign_keys", "1"}, {"busy_timeout", "10000"}} {
		for name, pool := range map[string]*sql.DB{"writer": db.writer, "reader": db.reader} {
			var got string
			if err := pool.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, c.pragma, got, c.want)
			}
		}
	}
	pending, err := db.Pending(context.Background())
	if err != nil || pending != 0 {
		t.Errorf("Pending = %d, %v after Migrate", pending, err)
	}
}

// Two independent handles on one file (the server and the command line, say) write at once
// without "database is locked": writers queue on BEGIN IMMEDIATE and the busy timeout.
func TestConcurrentWritersFromTwoHandles(t *testing.T) {
	dsn := testdb.DSN(t)
	a, b := openTest(t, dsn), openTest(t, dsn)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for w := range 8 {
		db := a
		if w%2 == 1 {
			db = b
		}
		wg.Go(func() {
			for i := range 50 {
				err := db.Write(ctx, func(tx roster.Tx) error {
					now := time.Now()
					return tx.CreateTenant(ctx, &roster.Tenant{ID: roster.NewID(roster.PrefixTenant),
						Slug: fmt.Sprintf("w%d-%d", w, i), Name: "x", CreatedAt: now, UpdatedAt: now, Version: 1})
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("write failed: %v", err)
	}
	var n int
	if err := a.Read(ctx, func(tx roster.Tx) error {
		ts, err := tx.ListTenants(ctx, roster.TenantFilter{Page: roster.Page{Limit: 1000}})
		n = len(ts)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 400 {
		t.Errorf("%d tenants stored, want 400", n)
	}
}

// A write that fails or panics leaves nothing behind.
func TestWriteRollsBack(t *testing.T) {
	db := openTest(t, testdb.DSN(t))
	ctx := context.Background()
	tenant := func(slug string) *roster.Tenant {
		now := time.Now()
		return &roster.Tenant{ID: roster.NewID(roster.PrefixTenant), Slug: slug, Name: slug, CreatedAt: now, UpdatedAt: now, Version: 1}
	}
	err := db.Write(ctx, func(tx roster.Tx) error {
		if err := tx.CreateTenant(ctx, tenant("one")); err != nil {
			return err
		}
		return tx.CreateTenant(ctx, tenant("one")) // conflict
	})
	if roster.ErrorCodeOf(err) != roster.EConflict {
		t.Fatalf("err = %v, want a conflict", err)
	}
	func() {
		defer func() { _ = recover() }()
		_ = db.Write(ctx, func(tx roster.Tx) error {
			_ = tx.CreateTenant(ctx, tenant("two"))
			panic("boom")
		})
	}()
	for _, slug := range []string{"one", "two"} {
		err := db.Read(ctx, func(tx roster.Tx) error { _, err := tx.FindTenant(ctx, slug); return err })
		if roster.ErrorCodeOf(err) != roster.ENotFound {
			t.Errorf("tenant %s after rollback: %v, want not found", slug, err)
		}
	}
}

// A deadlock aborts one of two transactions; the store runs it again and both succeed.
func TestDeadlockIsRetried(t *testing.T) {
	if testdb.Kind() != testdb.Postgres {
		t.Skip("SQLite has a single writer and no deadlocks")
	}
	db := openTest(t, testdb.DSN(t))
	ctx := context.Background()
	var ids [2]string
	for i := range ids {
		now := time.Now()
		ids[i] = roster.NewID(roster.PrefixTenant)
		if err := db.Write(ctx, func(tx roster.Tx) error {
			return tx.CreateTenant(ctx, &roster.Tenant{ID: ids[i], Slug: fmt.Sprintf("t%d", i), Name: "t", CreatedAt: now, UpdatedAt: now, Version: 1})
		}); err != nil {
			t.Fatal(err)
		}
	}
	var attempts atomic.Int64
	var first sync.WaitGroup // both hold their first lock before either takes its second
	first.Add(2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			errs[i] = db.Write(ctx, func(tx roster.Tx) error {
				n := attempts.Add(1)
				if err := tx.LockTenant(ctx, ids[i]); err != nil {
					return err
				}
				if n <= 2 {
					first.Done()
					first.Wait()
				}
				return tx.LockTenant(ctx, ids[1-i])
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if n := attempts.Load(); n < 3 {
		t.Errorf("%d attempts: no deadlock happened, so nothing was retried", n)
	}
}

// Restore refuses while the database is open, in this process or another, and goes through
// once it is closed; a server cannot open the database while it is locked for a restore.
func TestRestoreRefusesAnOpenDatabase(t *testing.T) {
	if testdb.Kind() != testdb.SQLite {
		t.Skip("SQLite files")
	}
	ctx := context.Background()
	dsn := testdb.DSN(t)
	db := openTest(t, dsn)
	backup := dsn + ".backup"
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if err := Restore(ctx, backup, dsn); !errors.Is(err, ErrInUse) {
		t.Fatalf("restore over an open database: %v, want ErrInUse", err)
	}
	db.Close()
	lock, err := lockDatabase(dsn, true) // what Restore holds while it works
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dsn, DefaultOptions()); !errors.Is(err, ErrInUse) {
		t.Errorf("open during a restore: %v, want ErrInUse", err)
	}
	lock.release()
	if err := Restore(ctx, backup, dsn); err != nil {
		t.Fatalf("restore over a closed database: %v", err)
	}
}
