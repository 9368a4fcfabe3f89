package sqlstore

import "sync"

// broadcast wakes every waiter at once: a waiter takes the current channel, which the next
// notify closes and replaces. The zero value is ready to use.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *broadcast) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}

// EventsCommitted returns a channel closed the next time this process commits a transaction
// that wrote events. Other replicas' commits do not close it; readers poll for those.
func (db *DB) EventsCommitted() <-chan struct{} { return db.events.wait() }
