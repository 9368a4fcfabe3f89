package roster

import "time"

// Kinds of actor on the audit trail.
const (
	ActorUser           = "user"
	ActorAPIToken       = "api_token"
	ActorServiceAccount = "service_account"
	ActorSystem         = "system"
	ActorAnonymous      = "anonymous"
)

// Outcomes of an audited action.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Actor is who did something. UserID is the person behind a user or API-token actor.
type Actor struct {
	Kind   string
	ID     string
	UserID string
}

// AuditEvent records who did what to which object in which tenant, when, from where, and
// whether it worked. It never holds a secret.
type AuditEvent struct {
	ID         string
	OccurredAt time.Time
	Actor      Actor
	TenantID   string // empty for installation-wide events
	Action     string
	TargetKind string
	TargetID   string
	Outcome    string
	RequestID  string
	ClientAddr string
	UserAgent  string
}

// AuditFilter selects audit events. TenantID, when set, keeps one tenant's events; Actor
// matches the actor's id or the user behind it.
type AuditFilter struct {
	Page
	TenantID string
	Actor    string
	Action   string
	Target   string
	Since    *time.Time
	Until    *time.Time
}
