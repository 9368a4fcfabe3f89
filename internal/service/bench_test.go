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
)

// BenchmarkAuthenticate resolves a session token on a real SQLite file: no password hashing,
// one indexed read (and a write at most once a minute).
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "b.db"), sqlstore.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, log); err != nil {
		b.Fatal(err)
	}
	svc := New(db, password.NewHasher(password.DefaultParams), DefaultConfig(), log)
	res, err := svc.Bootstrap(ctx, BootstrapInput{Email: "root@example.com", Password: "lunar orchid 7 tea"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := svc.Authenticate(ctx, res.Token)
		if err != nil || p.User == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindUserByID is one store point read in its own read transaction.
func BenchmarkFindUserByID(b *testing.B) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "b.db"), sqlstore.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		b.Fatal(err)
	}
	u := &roster.User{ID: roster.NewID(roster.PrefixUser), Username: "ann", Email: "ann@example.com", Locale: "en-US", Active: true, CreatedAt: now(), UpdatedAt: now(), Version: 1}
	if err := db.Write(ctx, func(tx roster.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := db.Read(ctx, func(tx roster.Tx) error { _, err := tx.FindUserByID(ctx, u.ID); return err }); err != nil {
			b.Fatal(err)
		}
	}
}
