package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Event is a change that committed, in the body Roster also delivers to webhooks (Standard
// Webhooks' type, timestamp and data). It never holds a secret.
type Event struct {
	ID        string    `json:"id"`   // the id of the audit event it accompanies (evt_…)
	Type      string    `json:"type"` // such as "member.added"
	Timestamp time.Time `json:"timestamp"`
	Data      EventData `json:"data"`
}

// EventData says where, by whom and to what an event happened.
type EventData struct {
	TenantID string      `json:"tenant_id"` // empty for installation-wide events
	Actor    AuditActor  `json:"actor"`
	Object   EventObject `json:"object"`
	// Details holds the fields of the event's own type, such as a member event's roles.
	Details json.RawMessage `json:"details"`
}

// EventObject is what an event happened to, such as {Kind: "user", ID: "usr_…"}.
type EventObject struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// EventOptions selects a stretch of the event stream.
type EventOptions struct {
	// After is the NextCursor of a previous answer; empty starts at the oldest event kept.
	After string
	Limit int           // most events in one answer, 1 to MaxLimit; 0 leaves it to the server (50)
	Types []string      // only these types, such as "member.added"; none: every type
	Wait  time.Duration // when no event follows After yet, how long the server waits for one (at most 50s)
}

func (o EventOptions) values() url.Values {
	q := url.Values{}
	setIf(q, "after", o.After)
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	setIf(q, "type", strings.Join(o.Types, ","))
	if o.Wait != 0 {
		q.Set("wait", o.Wait.String())
	}
	return q
}

// ListEvents returns the installation's events after opts.After in commit order (instance
// administrators only). Unlike other lists, NextCursor is always set, also on an empty page:
// it is where to continue, now or later. With opts.Wait, an answer with no event comes only
// after that long (long polling); give the *http.Client a longer Timeout.
func (c *Client) ListEvents(ctx context.Context, opts EventOptions) (*Page[*Event], error) {
	return listPage[*Event](ctx, c, request{method: "GET", path: "/v1/events", query: opts.values()})
}

// ListTenantEvents is ListEvents for one tenant's events (needs audit:read there).
func (c *Client) ListTenantEvents(ctx context.Context, tenant string, opts EventOptions) (*Page[*Event], error) {
	return listPage[*Event](ctx, c, request{method: "GET", path: "/v1/tenants/{}/events", params: []string{tenant}, query: opts.values()})
}

// DefaultEventWait is how long FollowEvents long-polls when opts.Wait is zero.
const DefaultEventWait = 30 * time.Second

// FollowEvents iterates over the installation's events from opts.After on and then waits for
// new ones, long polling (opts.Wait, or DefaultEventWait), for as long as the loop runs. It
// yields pages, never empty ones: handle a page's Items, then keep its NextCursor to resume
// there later without losing or repeating an event. It ends when the loop breaks or a call
// fails, ctx's end included; the failure is yielded as (nil, err).
func (c *Client) FollowEvents(ctx context.Context, opts EventOptions) iter.Seq2[*Page[*Event], error] {
	return follow(opts, func(o EventOptions) (*Page[*Event], error) { return c.ListEvents(ctx, o) })
}

// FollowTenantEvents is FollowEvents for one tenant's events (needs audit:read there).
func (c *Client) FollowTenantEvents(ctx context.Context, tenant string, opts EventOptions) iter.Seq2[*Page[*Event], error] {
	return follow(opts, func(o EventOptions) (*Page[*Event], error) { return c.ListTenantEvents(ctx, tenant, o) })
}

func follow(opts EventOptions, list func(EventOptions) (*Page[*Event], error)) iter.Seq2[*Page[*Event], error] {
	if opts.Wait == 0 {
		opts.Wait = DefaultEventWait
	}
	return func(yield func(*Page[*Event], error) bool) {
		for {
			p, err := list(opts)
			if err != nil {
				yield(nil, err)
				return
			}
			if len(p.Items) > 0 && !yield(p, nil) {
				return
			}
			if p.NextCursor != "" {
				opts.After = p.NextCursor
			}
		}
	}
}
