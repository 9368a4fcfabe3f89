package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

type actorJSON struct {
	Kind   string  `json:"kind"`
	ID     string  `json:"id"`
	UserID *string `json:"user_id"`
}

type targetJSON struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

type auditEventJSON struct {
	ID         string     `json:"id"`
	OccurredAt time.Time  `json:"occurred_at"`
	Actor      actorJSON  `json:"actor"`
	TenantID   *string    `json:"tenant_id"`
	Action     string     `json:"action"`
	Target     targetJSON `json:"target"`
	Outcome    string     `json:"outcome"`
	RequestID  string     `json:"request_id"`
	ClientAddr string     `json:"client_addr"`
	UserAgent  string     `json:"user_agent"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func auditEventView(e *roster.AuditEvent) auditEventJSON {
	return auditEventJSON{
		ID: e.ID, OccurredAt: e.OccurredAt, Actor: actorJSON{Kind: e.Actor.Kind, ID: e.Actor.ID, UserID: nullable(e.Actor.UserID)},
		TenantID: nullable(e.TenantID), Action: e.Action, Target: targetJSON{Kind: e.TargetKind, ID: e.TargetID},
		Outcome: e.Outcome, RequestID: e.RequestID, ClientAddr: e.ClientAddr, UserAgent: e.UserAgent,
	}
}

// auditQuery reads the filters of an audit listing.
func auditQuery(r *http.Request) (service.AuditQuery, service.ListOptions, error) {
	q := newQuery(r, "limit", "cursor", "actor", "action", "target", "since", "until")
	o := q.listOptions(roster.PrefixAuditEvent)
	f := service.AuditQuery{Actor: q.str("actor"), Action: q.str("action"), Target: q.str("target"), Since: q.time("since"), Until: q.time("until")}
	return f, o, q.err()
}

func (a *API) listAuditEvents(w http.ResponseWriter, r *http.Request) error {
	f, o, err := auditQuery(r)
	if err != nil {
		return err
	}
	events, next, err := a.svc.ListAuditEvents(r.Context(), f, o)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(events, next, auditEventView))
	return nil
}

func (a *API) listTenantAuditEvents(w http.ResponseWriter, r *http.Request) error {
	f, o, err := auditQuery(r)
	if err != nil {
		return err
	}
	events, next, err := a.svc.ListTenantAuditEvents(r.Context(), r.PathValue("tenant"), f, o)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(events, next, auditEventView))
	return nil
}
