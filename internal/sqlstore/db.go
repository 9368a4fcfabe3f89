// Package sqlstore stores Roster's domain in SQL. One set of queries, written in the subset
// SQLite and PostgreSQL both accept, serves both; the dialect value covers what differs.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/rosterhq/roster"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open Roster database. For SQLite it keeps two pools: a single writer connection,
// so writers queue in Go instead of failing with "database is locked", and several readers,
// which WAL lets run beside the writer.
type DB struct {
	writer  *sql.DB
	reader  *sql.DB
	dialect dialect
	// Path is where the database lives, for log lines; it holds no credentials.
	Path string
}

// ParseDSN splits a --db value into a driver and its location. It accepts a file path,
// "sqlite:PATH" and "file:PATH"; a postgres:// DSN is refused until PostgreSQL support lands.
func ParseDSN(dsn string) (path string, err error) {
	switch {
	case dsn == "":
		return "", errors.New("--db: empty; give a SQLite file path such as roster.db")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "", errors.New("--db: PostgreSQL is not supported yet; use a SQLite file path such as roster.db")
	case strings.HasPrefix(dsn, "sqlite:"):
		path = strings.TrimPrefix(dsn, "sqlite:")
	case strings.HasPrefix(dsn, "file:"):
		path = strings.TrimPrefix(dsn, "file:")
	default:
		path = dsn
	}
	if path == "" {
		return "", fmt.Errorf("--db: %q names no file", dsn)
	}
	return path, nil
}

// Open opens (creating if needed) the database named by dsn. It does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	path, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	// Every connection gets the same pragmas: WAL so readers never block the writer,
	// synchronous=FULL so a commit is on disk before it is acknowledged, foreign keys on,
	// and a busy timeout for the rare writer in another process (the CLI beside a server).
	// case_sensitive_like lets prefix searches on the case-folded key columns use their index.
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)",
		"busy_timeout(10000)", "case_sensitive_like(ON)",
	} {
		q.Add("_pragma", p)
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	q.Set("_txlock", "immediate")
	writer, err := sql.Open("sqlite", base+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite writer: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	q.Set("_txlock", "deferred")
	reader, err := sql.Open("sqlite", base+"?"+q.Encode())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	reader.SetMaxOpenConns(8)
	db := &DB{writer: writer, reader: reader, dialect: sqliteDialect{}, Path: path}
	if err := writer.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.reader.Close(), db.writer.Close())
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.reader.PingContext(ctx)
}

// Migrate applies every embedded migration not yet applied and returns the schema version.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) (int64, error) {
	p, err := db.migrator()
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return p.GetDBVersion(ctx)
}

// Pending reports how many embedded migrations have not been applied.
func (db *DB) Pending(ctx context.Context) (int, error) {
	p, err := db.migrator()
	if err != nil {
		return 0, err
	}
	status, err := p.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("migration status: %w", err)
	}
	n := 0
	for _, s := range status {
		if s.State == goose.StatePending {
			n++
		}
	}
	return n, nil
}

func (db *DB) migrator() (*goose.Provider, error) {
	p, err := goose.NewProvider(database.DialectSQLite3, db.writer, mustSub(migrations, "migrations"))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Read runs fn in a read-only transaction on the reader pool.
func (db *DB) Read(ctx context.Context, fn func(roster.Tx) error) error {
	return db.transact(ctx, db.reader, &sql.TxOptions{ReadOnly: true}, fn)
}

// Write runs fn in a read-write transaction, committing when fn returns nil and rolling back
// when it returns an error or panics.
func (db *DB) Write(ctx context.Context, fn func(roster.Tx) error) error {
	return db.transact(ctx, db.writer, nil, fn)
}

func (db *DB) transact(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(roster.Tx) error) (err error) {
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return db.translate(fmt.Errorf("begin: %w", err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(&tx{tx: sqlTx, d: db.dialect}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return db.translate(fmt.Errorf("commit: %w", err))
	}
	return nil
}

func (db *DB) translate(err error) error {
	return db.dialect.translate(err)
}

// tx implements roster.Tx on one SQL transaction.
type tx struct {
	tx *sql.Tx
	d  dialect
}

var _ roster.Tx = (*tx)(nil)

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, t.d.translate(err)
	}
	return res, nil
}

// execOne runs a statement that must change exactly one row; otherwise it returns notFound.
func (t *tx) execOne(ctx context.Context, notFound error, query string, args ...any) error {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows affected: %w", err)
	}
	if n != 1 {
		return notFound
	}
	return nil
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, t.d.translate(err)
	}
	return rows, nil
}

// queryRow scans one row into dest, returning notFound when there is none.
func (t *tx) queryRow(ctx context.Context, notFound error, query string, args []any, dest ...any) error {
	err := t.tx.QueryRowContext(ctx, query, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	if err != nil {
		return t.d.translate(err)
	}
	return nil
}

// scanner is what a scan function reads one row from.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.d.translate(err)
		}
		out = append(out, v)
	}
	return out, t.d.translate(rows.Err())
}

// micros and fromMicros convert between time.Time and the stored BIGINT microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func fromNullMicros(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

// likePrefix returns a LIKE pattern matching strings that start with s, with LIKE's wildcard
// characters escaped by backslash (queries say ESCAPE '\').
func likePrefix(s string) string {
	return likeEscaper.Replace(s) + "%"
}

func likeContains(s string) string {
	return "%" + likeEscaper.Replace(s) + "%"
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// args builds a positional argument list; where adds a condition numbered after the ones so far.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}
