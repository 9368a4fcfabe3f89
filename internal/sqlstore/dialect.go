package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rosterhq/roster"
)

// dialect holds what differs between the databases the store speaks to.
type dialect interface {
	// translate maps a driver error to a roster error by its code, never its text.
	translate(err error) error
}

type sqliteDialect struct{}

func (sqliteDialect) translate(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &roster.Error{Code: roster.EConflict, Message: "The resource already exists.", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &roster.Error{Code: roster.EConflict, Message: "A referenced resource does not exist or is still in use.", Err: err}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
		return &roster.Error{Code: roster.EUnavailable, Message: "The database is busy; retry shortly.", Err: err}
	}
	return fmt.Errorf("sqlite: %w", err)
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
