// Package roster holds Roster's domain: the types every layer shares, the error codes, and the
// interface between the service layer and storage. It imports no SQL and no HTTP.
package roster

import (
	"context"
	"time"
)

// Tenant is an isolated organisation that users join through memberships.
type Tenant struct {
	ID        string
	Slug      string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// User is one global identity. Usernames and emails are unique case-insensitively.
type User struct {
	ID            string
	Username      string
	Email         string
	GivenName     string
	FamilyName    string
	Locale        string
	PasswordHash  string // PHC string; empty when the user has no password
	Active        bool
	EmailVerified bool
	InstanceAdmin bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LastLoginAt   *time.Time
	// ManagedBy is the id of the tenant that manages the account (the one it was created in),
	// or "" for an account the instance manages. Only a manager sets its password, deletes or
	// deactivates it, edits or reads its stored profile.
	ManagedBy string
	Version   int64
}

// Built-in role names, present in every tenant and never deletable.
const (
	RoleAdmin  = "admin"
	RoleUser   = "user"
	RoleViewer = "viewer"
)

// Role is a named set of permissions inside one tenant.
type Role struct {
	ID          string
	TenantID    string
	Name        string
	Description string
	Permissions []string
	Builtin     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// Statuses of a membership.
const (
	// MemberActive: the user is a member, with the permissions of its roles.
	MemberActive = "active"
	// MemberInvited: a tenant added an account it does not manage. The membership grants
	// nothing until the person accepts it; the tenant sees of the account only what it supplied.
	MemberInvited = "invited"
)

// Membership is a user in a tenant with one or more roles.
type Membership struct {
	TenantID string
	UserID   string
	Status   string  // MemberActive or MemberInvited
	Roles    []*Role // sorted by name
	User     *User   // filled by list and find calls
	// Invitee is what the inviter supplied about the person of an invited membership (empty
	// once it is accepted).
	Invitee   Invitee
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Active reports whether the membership grants its roles.
func (m *Membership) Active() bool { return m.Status == MemberActive }

// Invitee is what a tenant said about the person it invited: the only description of the
// account it sees until the person accepts.
type Invitee struct {
	Email      string
	GivenName  string
	FamilyName string
}

// UserTenant is one of a user's memberships with its tenant, as EachUser reports them.
type UserTenant struct {
	Tenant   *Tenant
	JoinedAt time.Time
}

// Session is what a password login returns. The bearer secret itself is never stored.
type Session struct {
	ID         string
	UserID     string
	TokenHash  string // hex SHA-256 of the secret
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ClientAddr string
	UserAgent  string
	LastUsedAt *time.Time
}

// Page asks for one page of a keyset-ordered list: rows after the key After, at most Limit.
type Page struct {
	After string
	Limit int
}

// UserFilter selects users. Prefix and substring matches are case-insensitive.
type UserFilter struct {
	Page
	EmailPrefix    string
	UsernamePrefix string
	Query          string // substring of email, username, given or family name
	Active         *bool
}

// TenantFilter selects tenants; MemberUserID, when set, keeps only the tenants where that
// user has an active membership, and Query, when set, those whose slug or name contains it
// (case-insensitively).
type TenantFilter struct {
	Page
	MemberUserID string
	Query        string
}

// MemberFilter selects the members of one tenant. EmailPrefix and Query match active
// memberships only: an invited account's stored email and names are not the tenant's to search.
type MemberFilter struct {
	Page
	TenantID    string
	RoleID      string
	EmailPrefix string
	Query       string
}

// Store runs work on the database. Read runs on a reader pool with read-committed
// consistency: each statement sees what was committed when it started (on SQLite it runs
// outside any transaction; on PostgreSQL in a read-only one). Write runs in one transaction,
// serialized where the database needs it. A transaction that
// fails in a way a second try may cure (a serialization failure, a deadlock) is run again, so
// fn must not keep state from an earlier run.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
}

// Tx is the set of storage operations available inside one transaction. Lookups that find
// nothing return ENotFound; unique violations return EConflict; an update whose expected
// version no longer matches returns EPreconditionFailed.
type Tx interface {
	TenantTx
	UserTx
	RoleTx
	MembershipTx
	SessionTx
	TokenTx
	ServiceAccountTx
	AuditTx
	EventTx
	CounterTx
	ThrottleTx
	ImportTx
	OutboxTx
	LinkTokenTx
	InvitationTx
}

// ImportTx loads many users at once, for migrations and benchmarks.
type ImportTx interface {
	// InsertUsers inserts users, skipping any whose email or username is taken, and returns
	// the ids of those inserted.
	InsertUsers(ctx context.Context, users []*User) ([]string, error)
	// InsertMemberships inserts new memberships with their roles.
	InsertMemberships(ctx context.Context, ms []*Membership) error
}

// Throttle is the failure record of one throttling key.
type Throttle struct {
	Failures    int64
	LockedUntil time.Time // zero when not locked
	LastFailure time.Time // for a key attempts are reserved under, the last attempt
}

// ThrottleTx keeps the failed password checks that login throttling counts.
type ThrottleTx interface {
	// FindThrottle returns the key's record, or a zero one.
	FindThrottle(ctx context.Context, key string) (Throttle, error)
	// ReserveAttempt counts an attempt at now as a failure, starting again from one when the
	// last was before forgetBefore, in one conditional write: unless the key is locked at now,
	// in which case it changes nothing and reports false with the record as it is. Racing
	// callers are counted one after the other, on every replica.
	ReserveAttempt(ctx context.Context, key string, now, forgetBefore time.Time) (Throttle, bool, error)
	// RecordFailure counts a failure at now, starting again from one when the last failure
	// was before forgetBefore, and returns the record.
	RecordFailure(ctx context.Context, key string, now, forgetBefore time.Time) (Throttle, error)
	// SetLock locks the key until the given time (zero: unlocks it).
	SetLock(ctx context.Context, key string, until time.Time) error
	// ClearThrottle forgets the key.
	ClearThrottle(ctx context.Context, key string) error
}

// CounterTx keeps fixed-window counters that every replica shares.
type CounterTx interface {
	// Hit adds one to the bucket's counter for the window starting at windowStart (Unix
	// seconds), forgets the bucket's older windows, and returns the new count.
	Hit(ctx context.Context, bucket string, windowStart int64) (int64, error)
}

// TenantTx stores tenants.
type TenantTx interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	// FindTenant looks a tenant up by id or by slug.
	FindTenant(ctx context.Context, ref string) (*Tenant, error)
	ListTenants(ctx context.Context, f TenantFilter) ([]*Tenant, error)
	UpdateTenant(ctx context.Context, t *Tenant) error
	DeleteTenant(ctx context.Context, id string) error
	// LockTenant serializes concurrent writers to one tenant's memberships until the
	// transaction ends.
	LockTenant(ctx context.Context, id string) error
}

// UserTx stores users.
type UserTx interface {
	CreateUser(ctx context.Context, u *User) error
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUserByEmail and FindUserByUsername look a user up case-insensitively.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)
	// EachUser calls fn with every user matching f (its Page.Limit 0 for all), in id order,
	// and the user's active memberships with their tenants (no roles), reading one result
	// set; fn must not use the transaction.
	EachUser(ctx context.Context, f UserFilter, fn func(*User, []UserTenant) error) error
	UpdateUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, id string) error
	// RecordLogin sets the user's last login time. It leaves the version alone: the version
	// guards what callers edit, and a login must not make their If-Match fail.
	RecordLogin(ctx context.Context, id string, at time.Time) error
	CountInstanceAdmins(ctx context.Context) (int, error)
	// ReplacePasswordHash swaps the user's password hash for next if it is still old.
	ReplacePasswordHash(ctx context.Context, id, old, next string) error
	// LockInstance serializes changes to who administers the installation until the
	// transaction ends.
	LockInstance(ctx context.Context) error
	// ClaimBootstrap marks the instance as bootstrapped and reports whether this call did so
	// while no user existed.
	ClaimBootstrap(ctx context.Context) (bool, error)
}

// RoleTx stores roles.
type RoleTx interface {
	CreateRole(ctx context.Context, r *Role) error
	// FindRole looks a role of the tenant up by id or by name.
	FindRole(ctx context.Context, tenantID, ref string) (*Role, error)
	ListRoles(ctx context.Context, tenantID string, p Page) ([]*Role, error)
	UpdateRole(ctx context.Context, r *Role) error
	DeleteRole(ctx context.Context, tenantID, id string) error
}

// MembershipTx stores memberships and their roles.
type MembershipTx interface {
	CreateMembership(ctx context.Context, m *Membership) error
	FindMembership(ctx context.Context, tenantID, userID string) (*Membership, error)
	ListMemberships(ctx context.Context, f MemberFilter) ([]*Membership, error)
	// EachMembership calls fn with every membership matching f (its Page.Limit 0 for all),
	// in user order, reading one result set; fn must not use the transaction.
	EachMembership(ctx context.Context, f MemberFilter, fn func(*Membership) error) error
	// ListUserMemberships returns every membership of one user, with roles, ordered by tenant.
	ListUserMemberships(ctx context.Context, userID string) ([]*Membership, error)
	// SetMembershipRoles replaces the roles of a membership whose version is m.Version and
	// increments it.
	SetMembershipRoles(ctx context.Context, m *Membership) error
	// ActivateMembership makes an invited membership whose version is m.Version active,
	// forgetting its invitee, and increments the version.
	ActivateMembership(ctx context.Context, m *Membership) error
	DeleteMembership(ctx context.Context, tenantID, userID string) error
	// CountMembersWithRole counts the tenant's members holding the role; with activeOnly,
	// only active memberships of active users.
	CountMembersWithRole(ctx context.Context, tenantID, roleID string, activeOnly bool) (int, error)
	// TenantsWhereSoleHolder lists the tenants in which the user, through an active
	// membership, is the only active holder of the built-in role named roleName (holders
	// count when both their membership and their user are active).
	TenantsWhereSoleHolder(ctx context.Context, userID, roleName string) ([]string, error)
}

// SessionTx stores login sessions.
type SessionTx interface {
	CreateSession(ctx context.Context, s *Session) error
	// FindSessionByTokenHash returns a session, expired or not, and its user.
	FindSessionByTokenHash(ctx context.Context, hash string) (*Session, *User, error)
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends every session of the user except keepID (which may be empty).
	DeleteUserSessions(ctx context.Context, userID, keepID string) error
	// DeleteExpiredSessions removes the user's sessions that expired before now.
	DeleteExpiredSessions(ctx context.Context, userID string, now time.Time) error
	// ListUserSessions returns the user's unexpired sessions, newest first.
	ListUserSessions(ctx context.Context, userID string, now time.Time) ([]*Session, error)
	// TouchSession records that the session was used at the given time.
	TouchSession(ctx context.Context, id string, at time.Time) error
}

// TokenTx stores personal API tokens.
type TokenTx interface {
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// FindAPITokenByHash returns a token, expired or not, and its owner.
	FindAPITokenByHash(ctx context.Context, hash string) (*APIToken, *User, error)
	ListAPITokens(ctx context.Context, userID string) ([]*APIToken, error)
	// DeleteAPIToken deletes the user's token with this id or public id.
	DeleteAPIToken(ctx context.Context, userID, id string) error
	DeleteUserAPITokens(ctx context.Context, userID string) error
	TouchAPIToken(ctx context.Context, id string, at time.Time) error
}

// ServiceAccountTx stores service accounts, their roles and their keys.
type ServiceAccountTx interface {
	CreateServiceAccount(ctx context.Context, sa *ServiceAccount) error
	FindServiceAccount(ctx context.Context, tenantID, id string) (*ServiceAccount, error)
	ListServiceAccounts(ctx context.Context, tenantID string, p Page) ([]*ServiceAccount, error)
	// UpdateServiceAccount stores the name and roles of an account whose version is sa.Version
	// and increments it.
	UpdateServiceAccount(ctx context.Context, sa *ServiceAccount) error
	DeleteServiceAccount(ctx context.Context, tenantID, id string) error
	CountServiceAccountsWithRole(ctx context.Context, tenantID, roleID string) (int, error)
	CreateKey(ctx context.Context, k *ServiceAccountKey) error
	// FindKeyByHash returns a key, expired or not, and its service account.
	FindKeyByHash(ctx context.Context, hash string) (*ServiceAccountKey, *ServiceAccount, error)
	ListKeys(ctx context.Context, tenantID, serviceAccountID string) ([]*ServiceAccountKey, error)
	DeleteKey(ctx context.Context, tenantID, serviceAccountID, id string) error
	TouchKey(ctx context.Context, id string, at time.Time) error
}

// AuditTx stores the audit trail.
type AuditTx interface {
	AppendAuditEvent(ctx context.Context, e *AuditEvent) error
	ListAuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)
}
