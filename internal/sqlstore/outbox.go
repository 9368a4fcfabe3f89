package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

var errOutboxNotFound = roster.Errorf(roster.ENotFound, "Outbox message not found.")

const outboxColumns = `id, kind, partition_key, seq, payload, state, attempts, next_attempt_at, lease_owner,
	lease_until, last_error, created_at, updated_at, sent_at`

func scanOutbox(row scanner) (*roster.OutboxMessage, error) {
	var m roster.OutboxMessage
	var next, created, updated int64
	var leaseUntil, sent sql.NullInt64
	if err := row.Scan(&m.ID, &m.Kind, &m.PartitionKey, &m.Seq, &m.Payload, &m.State, &m.Attempts, &next, &m.LeaseOwner,
		&leaseUntil, &m.LastError, &created, &updated, &sent); err != nil {
		return nil, err
	}
	m.NextAttemptAt, m.CreatedAt, m.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	m.LeaseUntil, m.SentAt = fromNullMicros(leaseUntil), fromNullMicros(sent)
	return &m, nil
}

func (t *tx) EnqueueOutbox(ctx context.Context, m *roster.OutboxMessage) error {
	if m.PartitionKey != "" {
		// The upsert holds the partition's row lock until commit, so a second writer to the
		// partition gets the next seq only after the first has committed.
		if err := t.queryRow(ctx, nil, `INSERT INTO outbox_partitions (partition_key, last_seq) VALUES ($1, 1)
			ON CONFLICT (partition_key) DO UPDATE SET last_seq = outbox_partitions.last_seq + 1
			RETURNING last_seq`, []any{m.PartitionKey}, &m.Seq); err != nil {
			return err
		}
	}
	_, err := t.exec(ctx, `INSERT INTO outbox (id, kind, partition_key, seq, payload, state, attempts, next_attempt_at,
		lease_owner, lease_until, last_error, created_at, updated_at, sent_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		m.ID, m.Kind, m.PartitionKey, m.Seq, m.Payload, m.State, m.Attempts, micros(m.NextAttemptAt),
		m.LeaseOwner, nullMicros(m.LeaseUntil), m.LastError, micros(m.CreatedAt), micros(m.UpdatedAt), nullMicros(m.SentAt))
	return err
}

// kindsIn returns "IN ($n, …)" over kinds, numbered after a's arguments.
func kindsIn(a *args, kinds []string) string {
	ps := make([]string, len(kinds))
	for i, k := range kinds {
		ps[i] = a.add(k)
	}
	return "IN (" + strings.Join(ps, ", ") + ")"
}

func (t *tx) ClaimOutbox(ctx context.Context, kinds []string, owner string, now, leaseUntil time.Time, limit int) ([]*roster.OutboxMessage, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	var a args
	o, until, at := a.add(owner), a.add(micros(leaseUntil)), a.add(micros(now))
	in := kindsIn(&a, kinds)
	q := `UPDATE outbox SET lease_owner = ` + o + `, lease_until = ` + until + `, attempts = attempts + 1, updated_at = ` + at + `
		WHERE id IN (SELECT c.id FROM outbox c
			WHERE c.state = 'pending' AND c.next_attempt_at <= ` + at + `
				AND (c.lease_until IS NULL OR c.lease_until <= ` + at + `) AND c.kind ` + in + `
				AND (c.partition_key = '' OR NOT EXISTS (SELECT 1 FROM outbox e
					WHERE e.partition_key = c.partition_key AND e.partition_key <> '' AND e.state = 'pending' AND e.seq < c.seq))
			ORDER BY c.next_attempt_at, c.id LIMIT ` + a.add(limit) + t.d.skipLocked() + `)
		RETURNING ` + outboxColumns
	return queryAll(ctx, t, scanOutbox, q, a...)
}

func (t *tx) MarkOutboxSent(ctx context.Context, id, owner string, at time.Time) error {
	return t.execOne(ctx, errOutboxNotFound, `UPDATE outbox SET state = 'sent', sent_at = $1, updated_at = $1,
		lease_owner = '', lease_until = NULL, last_error = ''
		WHERE id = $2 AND lease_owner = $3 AND state = 'pending'`, micros(at), id, owner)
}

func (t *tx) RetryOutbox(ctx context.Context, id, owner string, next time.Time, lastError string, at time.Time) error {
	return t.execOne(ctx, errOutboxNotFound, `UPDATE outbox SET next_attempt_at = $1, last_error = $2, updated_at = $3,
		lease_owner = '', lease_until = NULL
		WHERE id = $4 AND lease_owner = $5 AND state = 'pending'`, micros(next), lastError, micros(at), id, owner)
}

func (t *tx) KillOutbox(ctx context.Context, id, owner, lastError string, at time.Time) error {
	return t.execOne(ctx, errOutboxNotFound, `UPDATE outbox SET state = 'dead', last_error = $1, updated_at = $2,
		lease_owner = '', lease_until = NULL
		WHERE id = $3 AND lease_owner = $4 AND state = 'pending'`, lastError, micros(at), id, owner)
}

func (t *tx) NextOutboxDue(ctx context.Context, kinds []string) (time.Time, bool, error) {
	if len(kinds) == 0 {
		return time.Time{}, false, nil
	}
	var a args
	in := kindsIn(&a, kinds)
	var due sql.NullInt64
	err := t.queryRow(ctx, nil, `SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at
		THEN lease_until ELSE next_attempt_at END) FROM outbox WHERE state = 'pending' AND kind `+in, a, &due)
	if err != nil || !due.Valid {
		return time.Time{}, false, err
	}
	return fromMicros(due.Int64), true, nil
}

func (t *tx) FindOutbox(ctx context.Context, id string) (*roster.OutboxMessage, error) {
	rows, err := queryAll(ctx, t, scanOutbox, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errOutboxNotFound
	}
	return rows[0], nil
}

func (t *tx) ListOutbox(ctx context.Context, f roster.OutboxFilter) ([]*roster.OutboxMessage, error) {
	var a args
	q := `SELECT ` + outboxColumns + ` FROM outbox WHERE 1 = 1`
	if f.After != "" {
		q += ` AND id < ` + a.add(f.After)
	}
	if f.Kind != "" {
		q += ` AND kind = ` + a.add(f.Kind)
	}
	if len(f.States) > 0 {
		q += ` AND state ` + kindsIn(&a, f.States)
	}
	q += ` ORDER BY id DESC LIMIT ` + a.add(f.Limit)
	return queryAll(ctx, t, scanOutbox, q, a...)
}

func (t *tx) CountOutbox(ctx context.Context) ([]roster.OutboxCount, error) {
	return queryAll(ctx, t, func(row scanner) (roster.OutboxCount, error) {
		var c roster.OutboxCount
		err := row.Scan(&c.Kind, &c.State, &c.N)
		return c, err
	}, `SELECT kind, state, COUNT(*) FROM outbox WHERE state IN ('pending', 'dead') GROUP BY kind, state ORDER BY kind, state`)
}

func (t *tx) RequeueOutbox(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, errOutboxNotFound, `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1,
		updated_at = $1, lease_owner = '', lease_until = NULL WHERE id = $2 AND state = 'dead'`, micros(at), id)
}

func (t *tx) PruneOutbox(ctx context.Context, sentBefore time.Time, limit int) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
		WHERE state = 'sent' AND sent_at < $1 LIMIT $2)`, micros(sentBefore), limit)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
