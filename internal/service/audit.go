package service

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

// Kinds of audit target.
const (
	targetTenant         = "tenant"
	targetUser           = "user"
	targetRole           = "role"
	targetMember         = "member"
	targetSession        = "session"
	targetAPIToken       = "api_token"
	targetServiceAccount = "service_account"
	targetKey            = "service_account_key"
)

type systemActorKey struct{}

// withSystemActor marks ctx as acting for the installation itself (the command line).
func withSystemActor(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemActorKey{}, true)
}

func actorOf(ctx context.Context) roster.Actor {
	if ctx.Value(systemActorKey{}) != nil {
		return roster.Actor{Kind: roster.ActorSystem, ID: "cli"}
	}
	return roster.PrincipalFromContext(ctx).Actor()
}

// event is an audited action before it is stamped with who, when and from where.
type event struct {
	action     string
	tenantID   string
	targetKind string
	targetID   string
	outcome    string // success unless set
}

// audit appends e to the trail inside tx, so that the event commits or rolls back with the
// change it records.
func audit(ctx context.Context, tx roster.Tx, e event) error {
	info := roster.RequestInfoFromContext(ctx)
	if e.outcome == "" {
		e.outcome = roster.OutcomeSuccess
	}
	ae := &roster.AuditEvent{
		ID: roster.NewID(roster.PrefixAuditEvent), OccurredAt: now(), Actor: actorOf(ctx),
		TenantID: e.tenantID, Action: e.action, TargetKind: e.targetKind, TargetID: e.targetID, Outcome: e.outcome,
		RequestID: info.RequestID, ClientAddr: info.ClientAddr, UserAgent: truncate(info.UserAgent, 512),
	}
	if err := tx.AppendAuditEvent(ctx, ae); err != nil {
		return err
	}
	typ, ok := eventTypes[e.action]
	if !ok || e.outcome != roster.OutcomeSuccess {
		return nil
	}
	return tx.AppendEvent(ctx, &roster.Event{
		ID: ae.ID, Type: typ, OccurredAt: ae.OccurredAt, TenantID: ae.TenantID, Actor: ae.Actor,
		ObjectKind: ae.TargetKind, ObjectID: ae.TargetID,
	})
}

// AuditQuery filters an audit-trail listing.
type AuditQuery struct {
	Actor  string
	Action string
	Target string
	Since  *time.Time
	Until  *time.Time
}

// ListAuditEvents lists the whole installation's trail; only instance administrators may.
func (s *Service) ListAuditEvents(ctx context.Context, q AuditQuery, o ListOptions) ([]*roster.AuditEvent, string, error) {
	if _, err := requireInstanceAdmin(ctx); err != nil {
		return nil, "", err
	}
	return s.listAudit(ctx, "", q, o)
}

// ListTenantAuditEvents lists one tenant's trail; it needs audit:read there.
func (s *Service) ListTenantAuditEvents(ctx context.Context, tenantRef string, q AuditQuery, o ListOptions) ([]*roster.AuditEvent, string, error) {
	var tenantID string
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermAuditRead)
		if err != nil {
			return err
		}
		tenantID = g.tenant.ID
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return s.listAudit(ctx, tenantID, q, o)
}

func (s *Service) listAudit(ctx context.Context, tenantID string, q AuditQuery, o ListOptions) ([]*roster.AuditEvent, string, error) {
	var v roster.Validator
	f := roster.AuditFilter{Page: o.page(&v), TenantID: tenantID, Actor: q.Actor, Action: q.Action, Target: q.Target, Since: q.Since, Until: q.Until}
	if q.Since != nil && q.Until != nil && !q.Since.Before(*q.Until) {
		v.Param("until", "must be later than since")
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var events []*roster.AuditEvent
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		events, err = tx.ListAuditEvents(ctx, f)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	events, next := paginate(events, f.Page, func(e *roster.AuditEvent) string { return e.ID })
	return events, next, nil
}
