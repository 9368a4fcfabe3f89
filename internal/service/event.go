package service

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/rosterhq/roster"
)

// eventTypes maps an audited action to the domain event it emits when it succeeds, in the
// same transaction. An action missing here emits none; TestEveryAuditActionIsDecided fails for
// an action that is in neither this table nor notEvents, so a new write cannot forget its event.
var eventTypes = map[string]string{
	"auth.bootstrap":              "user.created",
	"auth.locked":                 "login.locked",
	"auth.unlocked":               "login.unlocked",
	"auth.logout":                 "session.ended",
	"user.created":                "user.created",
	"user.updated":                "user.updated",
	"user.deleted":                "user.deleted",
	"user.password_set":           "user.password_changed",
	"member.added":                "member.added",
	"member.invited":              "member.invited",
	"member.accepted":             "member.added", // the person is a member from now on
	"member.declined":             "member.invitation_declined",
	"member.invitation_withdrawn": "member.invitation_withdrawn",
	"member.roles_set":            "member.roles_changed",
	"member.removed":              "member.removed",
	"tenant.created":              "tenant.created",
	"tenant.updated":              "tenant.updated",
	"tenant.deleted":              "tenant.deleted",
	"tenant.members_imported":     "tenant.members_imported",
	"role.created":                "role.created",
	"role.updated":                "role.updated",
	"role.deleted":                "role.deleted",
	"service_account.created":     "service_account.created",
	"service_account.updated":     "service_account.updated",
	"service_account.deleted":     "service_account.deleted",
	"service_account_key.created": "service_account.key_created",
	"service_account_key.revoked": "service_account.key_revoked",
	"api_token.created":           "api_token.created",
	"api_token.revoked":           "api_token.revoked",
	"session.revoked":             "session.revoked",
	"session.revoked_all":         "session.revoked",
	"user.password_reset":         "user.password_reset",
	"user.email_verified":         "user.email_verified",
	"user.email_changed":          "user.email_changed",
	"invitation.created":          "invitation.created",
	"invitation.resent":           "invitation.resent",
	"invitation.revoked":          "invitation.revoked",
	"invitation.accepted":         "invitation.accepted",
	"invitation.declined":         "invitation.declined",
}

// notEvents are audited actions that deliberately emit no event: a login is not a change of
// anything an integration administers, and there are as many as there are requests.
var notEvents = map[string]bool{
	"auth.login":     true,
	"auth.throttled": true, // a refused login attempt
	// Mail asked for or sent changes nothing yet; its use (a reset, a verified or changed
	// address) is the event. A reset request also names no account when there is none.
	"auth.password_reset_requested": true,
	"user.password_reset_sent":      true,
	"user.verification_sent":        true,
	"user.email_change_requested":   true,
}

// Events emitted beside an audit event, for a change an action names only in part.
const (
	EventUserDeactivated = "user.deactivated"
	EventUserActivated   = "user.activated"
)

// emit appends a domain event for e, as audit does for mapped actions, for changes that
// deserve an event of their own (a deactivation is also an update).
func emit(ctx context.Context, tx roster.Tx, typ string, e event) error {
	return tx.AppendEvent(ctx, &roster.Event{
		ID: roster.NewID(roster.PrefixAuditEvent), Type: typ, OccurredAt: now(), TenantID: e.tenantID,
		Actor: actorOf(ctx), ObjectKind: e.targetKind, ObjectID: e.targetID,
	})
}

// EventQuery asks for events after a position of the stream.
type EventQuery struct {
	// After is the cursor of the last event read ("" or "0": from the start of what is kept).
	After string
	// Types keeps only events of these types.
	Types []string
	// Wait, when no event is there yet, is how long to wait for one (long polling).
	Wait  time.Duration
	Limit int
}

// MaxEventWait bounds how long one request may wait for events.
const MaxEventWait = 50 * time.Second

// eventPoll is how often a waiting reader looks for events committed by other replicas; this
// process's own commits wake it at once.
const eventPoll = 500 * time.Millisecond

// ListEvents returns the installation's events after q.After in commit order, waiting up to
// q.Wait for the first; only instance administrators may. The cursor it returns is where to
// continue, also when no event came.
func (s *Service) ListEvents(ctx context.Context, q EventQuery) ([]*roster.Event, string, error) {
	if _, err := requireInstanceAdmin(ctx); err != nil {
		return nil, "", err
	}
	return s.listEvents(ctx, q, func(roster.Tx) (string, error) { return "", nil })
}

// ListTenantEvents is ListEvents for one tenant's events; it needs audit:read there.
func (s *Service) ListTenantEvents(ctx context.Context, tenantRef string, q EventQuery) ([]*roster.Event, string, error) {
	return s.listEvents(ctx, q, func(tx roster.Tx) (string, error) {
		g, err := grantFor(ctx, tx, tenantRef, PermAuditRead)
		if err != nil {
			return "", err
		}
		return g.tenant.ID, nil
	})
}

// listEvents reads events after the cursor, authorizing with scope (which returns the tenant to
// keep, "" for all) on every read, so that a reader whose permission ends stops receiving.
func (s *Service) listEvents(ctx context.Context, q EventQuery, scope func(roster.Tx) (string, error)) ([]*roster.Event, string, error) {
	var v roster.Validator
	f := roster.EventFilter{Limit: q.Limit, Types: q.Types}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	if f.Limit < 1 || f.Limit > MaxLimit {
		v.Param("limit", "must be between 1 and %d", MaxLimit)
	}
	if q.After != "" {
		n, err := strconv.ParseInt(q.After, 10, 64)
		if err != nil || n < 0 {
			v.Param("after", "must be a cursor this endpoint returned")
		}
		f.AfterSeq = n
	}
	if q.Wait < 0 || q.Wait > MaxEventWait {
		v.Param("wait", "must be between 0s and %s", MaxEventWait)
	}
	for _, typ := range q.Types {
		if !isEventType(typ) {
			v.Param("type", "%q is not an event type", typ)
		}
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	deadline := time.Now().Add(q.Wait)
	for {
		var wake <-chan struct{}
		if n, ok := s.store.(interface{ EventsCommitted() <-chan struct{} }); ok {
			wake = n.EventsCommitted() // taken before the read, so no commit slips between
		}
		var events []*roster.Event
		err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
			if f.TenantID, err = scope(tx); err != nil {
				return err
			}
			events, err = tx.ListEvents(ctx, f)
			return err
		})
		if err != nil {
			return nil, "", err
		}
		left := time.Until(deadline)
		if len(events) > 0 || left <= 0 {
			next := f.AfterSeq
			if len(events) > 0 {
				next = events[len(events)-1].Seq
			}
			return events, strconv.FormatInt(next, 10), nil
		}
		select {
		case <-wake:
		case <-time.After(min(eventPoll, left)):
		case <-ctx.Done():
			return nil, strconv.FormatInt(f.AfterSeq, 10), nil
		}
	}
}

// isEventType reports whether typ is the type of some event Roster emits.
func isEventType(typ string) bool {
	if typ == EventUserDeactivated || typ == EventUserActivated {
		return true
	}
	for _, t := range eventTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// EventTypes returns every event type Roster emits, for subscriptions and documentation.
func EventTypes() []string {
	seen := map[string]bool{EventUserDeactivated: true, EventUserActivated: true}
	for _, t := range eventTypes {
		seen[t] = true
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
