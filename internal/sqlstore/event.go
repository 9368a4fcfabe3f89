package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/rosterhq/roster"
)

const eventColumns = `seq, id, type, occurred_at, tenant_id, actor_kind, actor_id, actor_user_id, object_kind, object_id, data`

// AppendEvent keeps e until the transaction is about to commit; see flushEvents.
func (t *tx) AppendEvent(ctx context.Context, e *roster.Event) error {
	if t.tx == nil {
		return errors.New("sqlstore: AppendEvent outside a write transaction")
	}
	if e.Data == "" {
		e.Data = "{}"
	}
	t.events = append(t.events, e)
	return nil
}

// flushEvents numbers and inserts the transaction's events as its last statements. The
// UPDATE locks the sequence row until commit, so transactions that write events commit one
// after another in the order of their numbers; transactions without events never wait on it.
func (t *tx) flushEvents(ctx context.Context) error {
	if len(t.events) == 0 {
		return nil
	}
	var last int64
	if err := t.queryRow(ctx, nil, `UPDATE event_sequence SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq`,
		[]any{len(t.events)}, &last); err != nil {
		return fmt.Errorf("number events: %w", err)
	}
	first := last - int64(len(t.events)) + 1
	for i, e := range t.events {
		e.Seq = first + int64(i)
		if _, err := t.exec(ctx, `INSERT INTO events (`+eventColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			e.Seq, e.ID, e.Type, micros(e.OccurredAt), e.TenantID, e.Actor.Kind, e.Actor.ID, e.Actor.UserID,
			e.ObjectKind, e.ObjectID, e.Data); err != nil {
			return err
		}
	}
	return nil
}

func scanEvent(row scanner) (*roster.Event, error) {
	var e roster.Event
	var at int64
	if err := row.Scan(&e.Seq, &e.ID, &e.Type, &at, &e.TenantID, &e.Actor.Kind, &e.Actor.ID, &e.Actor.UserID,
		&e.ObjectKind, &e.ObjectID, &e.Data); err != nil {
		return nil, err
	}
	e.OccurredAt = fromMicros(at)
	return &e, nil
}

func (t *tx) ListEvents(ctx context.Context, f roster.EventFilter) ([]*roster.Event, error) {
	var a args
	q := `SELECT ` + eventColumns + ` FROM events WHERE seq > ` + a.add(f.AfterSeq)
	if f.TenantID != "" {
		q += ` AND tenant_id = ` + a.add(f.TenantID)
	}
	if len(f.Types) > 0 {
		q += ` AND type IN (`
		for i, typ := range f.Types {
			if i > 0 {
				q += `, `
			}
			q += a.add(typ)
		}
		q += `)`
	}
	q += ` ORDER BY seq LIMIT ` + a.add(f.Limit)
	return queryAll(ctx, t, scanEvent, q, a...)
}

func (t *tx) LastEventSeq(ctx context.Context) (int64, error) {
	var last int64
	err := t.queryRow(ctx, nil, `SELECT last_seq FROM event_sequence WHERE id = 1`, nil, &last)
	return last, err
}
