package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3/database"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rosterhq/roster"
)

// dialect holds what differs between the databases the store speaks to. The queries do not:
// they are written once, in the SQL both accept.
type dialect interface {
	// name is "sqlite" or "postgres", for log lines.
	name() string
	// goose is the migration library's name for the dialect.
	goose() database.Dialect
	// translate maps a driver error to a roster error by its code, never its text.
	translate(err error) error
	// retryable reports whether a transaction that failed with err may succeed if run again.
	retryable(err error) bool
	// skipLocked is the clause that makes a SELECT lock its rows and pass over rows another
	// transaction has locked; SQLite, which has one writer at a time, needs none.
	skipLocked() string
}

var (
	errExists = func(err error) error {
		return &roster.Error{Code: roster.EConflict, Message: "The resource already exists.", Err: err}
	}
	errReferenced = func(err error) error {
		return &roster.Error{Code: roster.EConflict, Message: "A referenced resource does not exist or is still in use.", Err: err}
	}
	errBusy = func(err error) error {
		return &roster.Error{Code: roster.EUnavailable, Message: "The database is busy; retry shortly.", Err: err}
	}
)

type sqliteDialect struct{}

func (sqliteDialect) name() string            { return "sqlite" }
func (sqliteDialect) goose() database.Dialect { return database.DialectSQLite3 }

func (sqliteDialect) translate(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return errExists(err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return errReferenced(err)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
		return errBusy(err)
	}
	return fmt.Errorf("sqlite: %w", err)
}

// SQLite serializes writers itself; a busy error has already waited out the busy timeout.
func (sqliteDialect) retryable(error) bool { return false }

func (sqliteDialect) skipLocked() string { return "" }

type postgresDialect struct{}

func (postgresDialect) name() string            { return "postgres" }
func (postgresDialect) goose() database.Dialect { return database.DialectPostgres }

// PostgreSQL error codes (SQLSTATE) the store acts on.
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgQueryCanceled        = "57014" // statement_timeout
	pgTooManyConnections   = "53300"
	pgCannotConnectNow     = "57P03"
)

func (postgresDialect) translate(err error) error {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case pgUniqueViolation:
		return errExists(err)
	case pgForeignKeyViolation:
		return errReferenced(err)
	case pgSerializationFailure, pgDeadlockDetected, pgQueryCanceled, pgTooManyConnections, pgCannotConnectNow:
		return errBusy(err)
	}
	return fmt.Errorf("postgres: %w", err)
}

func (postgresDialect) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

func (postgresDialect) retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == pgSerializationFailure || pe.Code == pgDeadlockDetected)
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
