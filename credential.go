package roster

import (
	"context"
	"sync"
	"time"
)

// ID prefixes of credentials and audit events.
const (
	PrefixAPIToken       = "tok_"
	PrefixServiceAccount = "sva_"
	PrefixKey            = "key_"
	PrefixAuditEvent     = "evt_"
)

// APIToken is a personal, named token that acts as its owner. Only the hash of its secret is
// kept; Hint is a short, non-secret reminder of which secret it is.
type APIToken struct {
	ID         string
	PublicID   string // the id a surface's own token format carries; "" for Roster's format
	UserID     string
	Name       string
	TokenHash  string
	Hint       string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

// ServiceAccount is a tenant's machine identity, with roles in that tenant only.
type ServiceAccount struct {
	ID        string
	TenantID  string
	Name      string
	Roles     []*Role // sorted by name
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// ServiceAccountKey is one secret a service account authenticates with ("sk:…").
type ServiceAccountKey struct {
	ID               string
	TenantID         string
	ServiceAccountID string
	KeyHash          string
	Hint             string
	CreatedAt        time.Time
	ExpiresAt        *time.Time
	LastUsedAt       *time.Time
}

// Principal is the authenticated caller of a request: a user (through a session or an API
// token) or a service account (through one of its keys).
type Principal struct {
	User           *User
	Session        *Session
	Token          *APIToken
	ServiceAccount *ServiceAccount
	Key            *ServiceAccountKey
}

// IsInstanceAdmin reports whether the principal administers the whole installation.
func (p *Principal) IsInstanceAdmin() bool {
	return p != nil && p.User != nil && p.User.InstanceAdmin
}

// IsUser reports whether the principal is the user with the given id.
func (p *Principal) IsUser(id string) bool {
	return p != nil && p.User != nil && p.User.ID == id
}

// Actor describes the principal for the audit trail.
func (p *Principal) Actor() Actor {
	switch {
	case p == nil:
		return Actor{Kind: ActorAnonymous}
	case p.ServiceAccount != nil:
		return Actor{Kind: ActorServiceAccount, ID: p.ServiceAccount.ID}
	case p.Token != nil:
		return Actor{Kind: ActorAPIToken, ID: p.Token.ID, UserID: p.User.ID}
	case p.User != nil:
		return Actor{Kind: ActorUser, ID: p.User.ID, UserID: p.User.ID}
	}
	return Actor{Kind: ActorAnonymous}
}

type principalKey struct{}

// NewContextWithPrincipal returns a copy of ctx carrying p.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the caller stored in ctx, or nil for an anonymous one.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// RequestInfo is what a transport knows about where a request came from.
type RequestInfo struct {
	RequestID  string
	ClientAddr string
	UserAgent  string
}

type requestInfoKey struct{}

// NewContextWithRequestInfo returns a copy of ctx carrying info.
func NewContextWithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFromContext returns the request description stored in ctx, or a zero one.
func RequestInfoFromContext(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}

// RequestNotes collects what the layers below a transport learn about a request (its tenant,
// its actor) for the transport's log line. Safe for concurrent use.
type RequestNotes struct {
	mu       sync.Mutex
	tenantID string
	actor    Actor
}

type requestNotesKey struct{}

// NewContextWithNotes returns a copy of ctx carrying fresh notes, and the notes.
func NewContextWithNotes(ctx context.Context) (context.Context, *RequestNotes) {
	n := &RequestNotes{}
	return context.WithValue(ctx, requestNotesKey{}, n), n
}

// NoteTenant records the tenant a request acts in, when ctx carries notes.
func NoteTenant(ctx context.Context, id string) {
	if n, ok := ctx.Value(requestNotesKey{}).(*RequestNotes); ok {
		n.mu.Lock()
		n.tenantID = id
		n.mu.Unlock()
	}
}

// NoteActor records who a request acts as, when ctx carries notes.
func NoteActor(ctx context.Context, a Actor) {
	if n, ok := ctx.Value(requestNotesKey{}).(*RequestNotes); ok {
		n.mu.Lock()
		n.actor = a
		n.mu.Unlock()
	}
}

// Get returns the tenant and actor noted so far.
func (n *RequestNotes) Get() (tenantID string, actor Actor) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.tenantID, n.actor
}
