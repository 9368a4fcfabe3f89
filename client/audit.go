package client

import (
	"context"
	"iter"
	"net/url"
	"time"
)

// AuditEvent records who did what to which object, in which tenant, when and from where, and
// how it ended.
type AuditEvent struct {
	ID         string      `json:"id"`
	OccurredAt time.Time   `json:"occurred_at"`
	Actor      AuditActor  `json:"actor"`
	TenantID   string      `json:"tenant_id"` // empty for instance-wide events
	Action     string      `json:"action"`    // such as "user.created" or "member.roles_set"
	Target     AuditTarget `json:"target"`
	Outcome    string      `json:"outcome"` // "success" or "failure"
	RequestID  string      `json:"request_id"`
	ClientAddr string      `json:"client_addr"`
	UserAgent  string      `json:"user_agent"`
}

// AuditActor is who acted: Kind is "user", "api_token", "service_account", "system" or
// "anonymous"; UserID is the person behind a user or API-token actor, empty otherwise.
type AuditActor struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	UserID string `json:"user_id"`
}

// AuditTarget is the object acted on, such as {Kind: "user", ID: "usr_…"}.
type AuditTarget struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// AuditFilter narrows ListAuditEvents; empty fields do not filter.
type AuditFilter struct {
	Actor  string    // an actor's id, or the id of the user behind it
	Action string    // such as "user.created"
	Target string    // the target's id
	Since  time.Time // events at or after this
	Until  time.Time // events before this
}

func (f AuditFilter) values(o ListOptions) url.Values {
	q := o.values()
	setIf(q, "actor", f.Actor)
	setIf(q, "action", f.Action)
	setIf(q, "target", f.Target)
	setTime(q, "since", f.Since)
	setTime(q, "until", f.Until)
	return q
}

// ListAuditEvents returns a page of the whole instance's audit events matching f, oldest
// first (instance administrators only).
func (c *Client) ListAuditEvents(ctx context.Context, f AuditFilter, opts ListOptions) (*Page[*AuditEvent], error) {
	return listPage[*AuditEvent](ctx, c, request{method: "GET", path: "/v1/audit-events", query: f.values(opts)})
}

// AllAuditEvents iterates over the events ListAuditEvents returns, page by page, from
// opts.Cursor on.
func (c *Client) AllAuditEvents(ctx context.Context, f AuditFilter, opts ListOptions) iter.Seq2[*AuditEvent, error] {
	return all(opts.Cursor, func(cursor string) (*Page[*AuditEvent], error) {
		opts.Cursor = cursor
		return c.ListAuditEvents(ctx, f, opts)
	})
}

// ListTenantAuditEvents returns a page of one tenant's audit events matching f, oldest first
// (needs audit:read there).
func (c *Client) ListTenantAuditEvents(ctx context.Context, tenant string, f AuditFilter, opts ListOptions) (*Page[*AuditEvent], error) {
	return listPage[*AuditEvent](ctx, c, request{method: "GET", path: "/v1/tenants/{}/audit-events", params: []string{tenant}, query: f.values(opts)})
}

// AllTenantAuditEvents iterates over the events ListTenantAuditEvents returns, page by page,
// from opts.Cursor on.
func (c *Client) AllTenantAuditEvents(ctx context.Context, tenant string, f AuditFilter, opts ListOptions) iter.Seq2[*AuditEvent, error] {
	return all(opts.Cursor, func(cursor string) (*Page[*AuditEvent], error) {
		opts.Cursor = cursor
		return c.ListTenantAuditEvents(ctx, tenant, f, opts)
	})
}
