package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of a SQLite database to path while it keeps serving writes
// (VACUUM INTO reads one snapshot). path must not exist. PostgreSQL is backed up with its own
// tools (pg_dump).
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect.name() != KindSQLite {
		return errors.New("backup: PostgreSQL is backed up with pg_dump (see README)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file", path)
	}
	if _, err := db.reader.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Restore puts the SQLite backup at from in place of the database file to, after checking
// that from is an intact Roster database. It holds to's lock exclusively meanwhile, so it
// returns an error wrapping ErrInUse while a server (or any other process of Roster's) has
// the database open, and no server can open it halfway.
func Restore(ctx context.Context, from, to string) error {
	if err := checkBackup(ctx, from); err != nil {
		return err
	}
	lock, err := lockDatabase(to, true)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer lock.release()
	tmp, err := os.CreateTemp(filepath.Dir(to), filepath.Base(to)+".restore-*")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp.Name())
	src, err := os.Open(from)
	if err != nil {
		tmp.Close()
		return fmt.Errorf("restore: %w", err)
	}
	_, err = tmp.ReadFrom(src)
	src.Close()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore: copy %s: %w", from, err)
	}
	// The old database's write-ahead log belongs to the old file; it must not be replayed
	// into the restored one.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(to + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), to); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if dir, err := os.Open(filepath.Dir(to)); err == nil { // make the rename durable
		_ = dir.Sync()
		dir.Close()
	}
	return nil
}

// checkBackup opens a backup read-only and checks its integrity and that it is Roster's.
func checkBackup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil || result != "ok" {
		return fmt.Errorf("restore: %s fails its integrity check (%v %s)", path, err, result)
	}
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('goose_db_version', 'users', 'tenants')`).Scan(&tables); err != nil || tables != 3 {
		return fmt.Errorf("restore: %s is not a Roster database", path)
	}
	return nil
}
