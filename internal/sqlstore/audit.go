package sqlstore

import (
	"context"

	"github.com/rosterhq/roster"
)

const auditColumns = `id, occurred_at, actor_kind, actor_id, actor_user_id, tenant_id, action, target_kind, target_id,
	outcome, request_id, client_addr, user_agent`

func (t *tx) AppendAuditEvent(ctx context.Context, e *roster.AuditEvent) error {
	_, err := t.exec(ctx, `INSERT INTO audit_events (`+auditColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		e.ID, micros(e.OccurredAt), e.Actor.Kind, e.Actor.ID, e.Actor.UserID, e.TenantID, e.Action, e.TargetKind, e.TargetID,
		e.Outcome, e.RequestID, e.ClientAddr, e.UserAgent)
	return err
}

func scanAuditEvent(row scanner) (*roster.AuditEvent, error) {
	var e roster.AuditEvent
	var at int64
	if err := row.Scan(&e.ID, &at, &e.Actor.Kind, &e.Actor.ID, &e.Actor.UserID, &e.TenantID, &e.Action, &e.TargetKind,
		&e.TargetID, &e.Outcome, &e.RequestID, &e.ClientAddr, &e.UserAgent); err != nil {
		return nil, err
	}
	e.OccurredAt = fromMicros(at)
	return &e, nil
}

func (t *tx) ListAuditEvents(ctx context.Context, f roster.AuditFilter) ([]*roster.AuditEvent, error) {
	var a args
	q := `SELECT ` + auditColumns + ` FROM audit_events WHERE id > ` + a.add(f.After)
	if f.TenantID != "" {
		q += ` AND tenant_id = ` + a.add(f.TenantID)
	}
	if f.Actor != "" {
		p := a.add(f.Actor)
		q += ` AND (actor_id = ` + p + ` OR actor_user_id = ` + p + `)`
	}
	if f.Action != "" {
		q += ` AND action = ` + a.add(f.Action)
	}
	if f.Target != "" {
		q += ` AND target_id = ` + a.add(f.Target)
	}
	if f.Since != nil {
		q += ` AND occurred_at >= ` + a.add(micros(*f.Since))
	}
	if f.Until != nil {
		q += ` AND occurred_at < ` + a.add(micros(*f.Until))
	}
	q += ` ORDER BY id LIMIT ` + a.add(f.Limit)
	return queryAll(ctx, t, scanAuditEvent, q, a...)
}
