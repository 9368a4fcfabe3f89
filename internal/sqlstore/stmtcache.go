package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements of one pool, so that SQLite parses each query text once
// per connection instead of on every execution (parsing was a third of the CPU of a read).
// A statement cannot be prepared from inside a transaction on the single-connection writer
// pool without deadlocking, so a text not yet prepared runs unprepared once while a
// background goroutine, holding no connection, prepares it for the next time.
type stmtCache struct {
	pool      *sql.DB
	mu        sync.Mutex
	stmts     map[string]*sql.Stmt
	pending   map[string]bool
	closed    bool
	preparing sync.WaitGroup // background prepares, which close waits for
}

// maxCached bounds the cache; texts that vary (multi-row inserts) could otherwise fill it.
const (
	maxCached     = 512
	maxCachedText = 4096
)

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the statement for query, or nil when it is not prepared yet (and asks for it).
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil || len(query) > maxCachedText {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s
	}
	if c.closed || c.pending[query] || len(c.stmts)+len(c.pending) >= maxCached {
		return nil
	}
	c.pending[query] = true
	c.preparing.Add(1)
	go c.prepare(query)
	return nil
}

func (c *stmtCache) prepare(query string) {
	defer c.preparing.Done()
	s, err := c.pool.PrepareContext(context.Background(), query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if err != nil {
		return // it keeps running unprepared; the error shows when it runs
	}
	if c.closed {
		s.Close()
		return
	}
	c.stmts[query] = s
}

// close closes every prepared statement, once the background prepares have returned their
// connections: the pool must have none out when it closes (a connection closed late would
// still hold the database after the process let its lock go).
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.preparing.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
}
