package sqlstore

import (
	"errors"
	"fmt"
	"os"
)

// ErrInUse is returned by Restore when a process has the database open.
var ErrInUse = errors.New("the database is in use")

// fileLock is an OS lock (flock) on a SQLite database, held through the sidecar file
// PATH.lock: not on the database file itself, because SQLite's own locks are on that one and
// a restore renames a new file in its place. Every process that opens the database holds it
// shared, for as long as it has the database open; Restore takes it exclusively, so it refuses
// while a server (or an offline command) has the database open, and no server can open it
// while a restore replaces it. The operating system releases a lock when its process ends,
// however it ends: a server killed with SIGKILL leaves nothing to clean up.
type fileLock struct{ f *os.File }

// lockPath is the sidecar file that locks the database at path.
func lockPath(path string) string { return path + ".lock" }

// lockDatabase takes the lock of the SQLite database at path, shared or exclusive, without
// waiting; it returns an error wrapping ErrInUse when it is held in a conflicting way.
func lockDatabase(path string, exclusive bool) (*fileLock, error) {
	// Read-only is enough for flock, so anyone who may read the database may lock it.
	f, err := os.OpenFile(lockPath(path), os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := tryLock(f, exclusive); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			if exclusive {
				return nil, fmt.Errorf("%s: %w: a roster serve (or another roster command) has it open; stop it first", path, ErrInUse)
			}
			return nil, fmt.Errorf("%s: %w: a roster restore is replacing it; try again when it has finished", path, ErrInUse)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f}, nil
}

// release lets the lock go (closing the file releases it).
func (l *fileLock) release() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}
