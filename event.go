package roster

import (
	"context"
	"time"
)

// Event is a domain event: a change that committed, for integrations to react to. It is
// written in the same transaction as the change and its audit event, whose id it shares, so
// that a change and its event are never one without the other. Seq orders events in the order
// their transactions committed. An event names the tenant, actor and object; it never holds a
// secret or a hash.
type Event struct {
	Seq        int64
	ID         string // the id of the audit event it accompanies (evt_…)
	Type       string // such as member.added
	OccurredAt time.Time
	TenantID   string // empty for installation-wide events
	Actor      Actor
	ObjectKind string
	ObjectID   string
	// Data holds the event's own fields as a JSON object ("{}" when none).
	Data string
}

// EventFilter selects events after a position of the stream.
type EventFilter struct {
	AfterSeq int64
	TenantID string // empty: every tenant's and the installation's events
	Types    []string
	Limit    int
}

// EventTx stores domain events.
type EventTx interface {
	// AppendEvent adds e to the transaction's events. The store numbers them (Seq) when the
	// transaction commits, so that the numbers follow commit order even across replicas; a
	// transaction that rolls back leaves no event and no gap that a reader waits on.
	AppendEvent(ctx context.Context, e *Event) error
	// ListEvents returns committed events with Seq > f.AfterSeq in Seq order.
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, error)
	// LastEventSeq returns the highest Seq committed so far (0 when none).
	LastEventSeq(ctx context.Context) (int64, error)
}
