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
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/rosterhq/roster"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open Roster database. For SQLite it keeps two pools: a single writer connection,
// so writers queue in Go instead of failing with "database is locked", and several readers,
// which WAL lets run beside the writer. For PostgreSQL both are one pool.
type DB struct {
	writer  *sql.DB
	reader  *sql.DB
	dialect dialect
	// Prepared statements of each pool, for SQLite (pgx caches its own).
	writerStmts, readerStmts *stmtCache
	lock                     *fileLock // SQLite: held shared while the database is open
	// Where describes the database for log lines: a file path, or host, port and database
	// name. It never holds credentials.
	Where string
	// events wakes this process's event readers when one of its transactions commits events.
	events broadcast
}

// Options tune the connection to the database.
type Options struct {
	// MaxConns caps the PostgreSQL pool (SQLite always has one writer and eight readers).
	MaxConns int
	// StatementTimeout bounds every PostgreSQL statement; 0 means no bound.
	StatementTimeout time.Duration
	// Wait is how long Open retries a PostgreSQL server that does not answer yet.
	Wait time.Duration
	// Log receives the "waiting for the database" lines; nil for none.
	Log *slog.Logger
	// Existing, for SQLite, refuses a file that does not exist or is not a Roster database,
	// instead of creating one: for the offline commands, where a mistyped --db must fail.
	Existing bool
	// ReadOnly, for SQLite, opens the file read-only (implies Existing): for commands that
	// only read. Writes fail.
	ReadOnly bool
}

// DefaultOptions are the options of a zero-setup server.
func DefaultOptions() Options {
	return Options{MaxConns: 20, StatementTimeout: 30 * time.Second, Wait: 30 * time.Second}
}

// Kinds of database a DSN names.
const (
	KindSQLite   = "sqlite"
	KindPostgres = "postgres"
)

// ParseDSN says which kind of database a --db value names and where: a file path,
// "sqlite:PATH" and "file:PATH" are SQLite; postgres:// and postgresql:// URLs are PostgreSQL.
func ParseDSN(dsn string) (kind, location string, err error) {
	switch {
	case dsn == "":
		return "", "", errors.New("--db: empty; give a SQLite file path such as roster.db or a postgres:// URL")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return "", "", errors.New("--db: not a valid PostgreSQL URL") // pgx's message may quote the password
		}
		return KindPostgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		location = strings.TrimPrefix(dsn, "sqlite:")
	case strings.HasPrefix(dsn, "file:"):
		location = strings.TrimPrefix(dsn, "file:")
	default:
		location = dsn
	}
	if location == "" {
		return "", "", fmt.Errorf("--db: %q names no file", dsn)
	}
	return KindSQLite, location, nil
}

// Open opens the database named by dsn (creating a SQLite file if needed, unless o says it
// must exist). A SQLite database is locked (shared) while it is open, so that Restore refuses
// to replace it. It does not migrate.
func Open(ctx context.Context, dsn string, o Options) (*DB, error) {
	kind, location, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if kind == KindPostgres {
		return openPostgres(ctx, location, o)
	}
	if o.Existing || o.ReadOnly {
		if err := checkExists(location); err != nil {
			return nil, err
		}
	}
	_, statErr := os.Stat(lockPath(location))
	lock, err := lockDatabase(location, false)
	if errors.Is(err, ErrInUse) || err != nil && !o.ReadOnly {
		return nil, err
	}
	// Read-only, a directory the lock file cannot be made in (a read-only mount) is no reason
	// to refuse: the file is only read.
	db, err := openSQLite(ctx, location, o.ReadOnly)
	if err == nil && (o.Existing || o.ReadOnly) {
		if err = db.checkRoster(ctx); err != nil {
			db.Close()
		}
	}
	if err != nil {
		lock.release()
		if errors.Is(statErr, os.ErrNotExist) { // leave nothing behind beside a file refused
			os.Remove(lockPath(location))
		}
		return nil, err
	}
	db.lock = lock
	return db, nil
}

// checkExists refuses a SQLite path that names no regular file.
func checkExists(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s does not exist; check --db (roster serve or roster migrate creates a new database)", path)
	case err != nil:
		return fmt.Errorf("open %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a file; --db names a SQLite database file", path)
	}
	return nil
}

// checkRoster refuses a SQLite file that holds no Roster schema (an empty or foreign file).
func (db *DB) checkRoster(ctx context.Context) error {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`).Scan(&n)
	if err != nil || n == 0 {
		return fmt.Errorf("%s is not a Roster database; check --db (roster serve or roster migrate creates a new database)", db.Where)
	}
	return nil
}

func openSQLite(ctx context.Context, path string, readOnly bool) (*DB, error) {
	// Every connection gets the same pragmas: WAL so readers never block the writer,
	// synchronous=FULL so a commit is on disk before it is acknowledged, foreign keys on,
	// and a busy timeout for the rare writer in another process (the CLI beside a server).
	// case_sensitive_like lets prefix searches on the case-folded key columns use their index.
	// Read-only, the journal mode is left as the file has it (setting it is a write).
	pragmas := []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)", "busy_timeout(10000)", "case_sensitive_like(ON)"}
	if readOnly {
		pragmas = pragmas[1:]
	}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Set("mode", "ro")
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
	// Keep every reader open: a new SQLite connection re-runs the pragmas and re-reads the
	// schema, and loses its prepared statements (database/sql keeps only 2 idle by default).
	reader.SetMaxOpenConns(8)
	reader.SetMaxIdleConns(8)
	reader.SetConnMaxIdleTime(0)
	db := &DB{writer: writer, reader: reader, dialect: sqliteDialect{}, Where: path,
		writerStmts: newStmtCache(writer), readerStmts: newStmtCache(reader)}
	if err := writer.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, dsn string, o Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("--db: not a valid PostgreSQL URL")
	}
	if o.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = fmt.Sprint(o.StatementTimeout.Milliseconds())
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(max(o.MaxConns, 2))
	pool.SetMaxIdleConns(max(o.MaxConns, 2))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{writer: pool, reader: pool, dialect: postgresDialect{}, Where: where}
	deadline := time.Now().Add(o.Wait)
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = pool.PingContext(pctx)
		cancel()
		if err == nil {
			return db, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			pool.Close()
			return nil, fmt.Errorf("PostgreSQL at %s did not answer within %s: %s", where, o.Wait, safeError(err))
		}
		if o.Log != nil {
			o.Log.Warn("waiting for the database", "database", "postgres", "where", where, "attempt", attempt, "error", safeError(err))
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
}

// safeError renders a connection error without anything from the DSN but host and port.
func safeError(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code + " " + pe.Message
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return "cannot connect"
	}
	return "no answer"
}

// Pool returns the connection pool writes go through, for metrics.
func (db *DB) Pool() *sql.DB { return db.writer }

// Kind is KindSQLite or KindPostgres.
func (db *DB) Kind() string { return db.dialect.name() }

// Close closes both pools, then lets the database's lock go.
func (db *DB) Close() error {
	db.readerStmts.close()
	db.writerStmts.close()
	err := errors.Join(db.reader.Close(), db.writer.Close())
	return errors.Join(err, db.lock.release())
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
		log.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", float64(r.Duration.Microseconds())/1000)
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
	var opts []goose.ProviderOption
	if db.dialect.name() == KindPostgres {
		// Replicas starting at once take turns on an advisory lock: each migration runs once.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(db.dialect.goose(), db.writer, mustSub(migrations, "migrations"), opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Read runs fn on the reader pool. On SQLite each statement reads its own consistent
// snapshot (read committed, as PostgreSQL's default transactions do): an explicit read
// transaction would add a BEGIN and a COMMIT, each parsed anew, to every read. On PostgreSQL
// fn runs in a read-only transaction.
func (db *DB) Read(ctx context.Context, fn func(roster.Tx) error) error {
	if db.dialect.name() == KindSQLite {
		return fn(&tx{q: db.reader, d: db.dialect, stmts: db.readerStmts})
	}
	return db.transact(ctx, db.reader, db.readerStmts, &sql.TxOptions{ReadOnly: true}, fn)
}

// Write runs fn in a read-write transaction, committing when fn returns nil and rolling back
// when it returns an error or panics.
func (db *DB) Write(ctx context.Context, fn func(roster.Tx) error) error {
	return db.transact(ctx, db.writer, db.writerStmts, nil, fn)
}

// maxAttempts bounds how often a transaction that hit a serialization failure or a deadlock is
// run again before the caller is told to retry (503).
const maxAttempts = 5

func (db *DB) transact(ctx context.Context, pool *sql.DB, stmts *stmtCache, opts *sql.TxOptions, fn func(roster.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.transactOnce(ctx, pool, stmts, opts, fn)
		var re *retryableError
		if !errors.As(err, &re) {
			return err
		}
		if attempt == maxAttempts {
			return db.dialect.translate(re.err)
		}
		select {
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// retryableError marks a failure that running the transaction again may cure.
type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }

func (db *DB) transactOnce(ctx context.Context, pool *sql.DB, stmts *stmtCache, opts *sql.TxOptions, fn func(roster.Tx) error) (err error) {
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
	t := &tx{tx: sqlTx, q: sqlTx, d: db.dialect, stmts: stmts}
	err = fn(t)
	if err == nil {
		err = t.flushEvents(ctx)
	}
	if err != nil {
		if t.retry != nil {
			return &retryableError{t.retry}
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		if db.dialect.retryable(err) {
			return &retryableError{err}
		}
		return db.translate(fmt.Errorf("commit: %w", err))
	}
	if len(t.events) > 0 {
		db.events.notify()
	}
	return nil
}

func (db *DB) translate(err error) error {
	return db.dialect.translate(err)
}

// querier is a transaction or, for SQLite reads, the reader pool itself.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx implements roster.Tx on one SQL transaction (tx set) or on a pool (SQLite reads).
type tx struct {
	tx *sql.Tx
	q  querier
	d  dialect
	// retry holds the first driver error that running the transaction again may cure; once
	// set, the transaction is aborted whatever fn does with the error.
	retry error
	stmts *stmtCache // nil when the driver caches statements itself
	// events are the domain events appended so far, numbered and inserted just before commit.
	events []*roster.Event
}

// prepared returns query's cached statement bound to this transaction, or nil.
func (t *tx) prepared(ctx context.Context, query string) *sql.Stmt {
	if s := t.stmts.get(query); s != nil {
		if t.tx == nil {
			return s
		}
		return t.tx.StmtContext(ctx, s)
	}
	return nil
}

// fail translates a driver error, noting it when the whole transaction may be retried.
func (t *tx) fail(err error) error {
	if t.retry == nil && t.d.retryable(err) {
		t.retry = err
	}
	return t.d.translate(err)
}

var _ roster.Tx = (*tx)(nil)

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	var err error
	if s := t.prepared(ctx, query); s != nil {
		res, err = s.ExecContext(ctx, args...)
	} else {
		res, err = t.q.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return nil, t.fail(err)
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
	var rows *sql.Rows
	var err error
	if s := t.prepared(ctx, query); s != nil {
		rows, err = s.QueryContext(ctx, args...)
	} else {
		rows, err = t.q.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, t.fail(err)
	}
	return rows, nil
}

// queryRow scans one row into dest, returning notFound when there is none.
func (t *tx) queryRow(ctx context.Context, notFound error, query string, args []any, dest ...any) error {
	var row *sql.Row
	if s := t.prepared(ctx, query); s != nil {
		row = s.QueryRowContext(ctx, args...)
	} else {
		row = t.q.QueryRowContext(ctx, query, args...)
	}
	err := row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	if err != nil {
		return t.fail(err)
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
			return nil, t.fail(err)
		}
		out = append(out, v)
	}
	return out, t.fail(rows.Err())
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
