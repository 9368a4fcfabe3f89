package service

import (
	"context"
	"slices"

	"github.com/rosterhq/roster"
)

// The methods in this file tell an interface what the caller may do, so that it offers only
// the actions that will succeed. They answer from the same predicates the actions check; the
// actions check again, so an interface that offers too much still gets the action's refusal.

// InstanceAbilities is what the caller may do outside any one tenant.
type InstanceAbilities struct {
	ListUsers      bool // ListUsers, CreateUser
	CreateTenants  bool // CreateTenant
	ReadAuditTrail bool // ListAuditEvents (the whole installation's)
}

// InstanceAbilities returns what the caller may do outside any one tenant; EUnauthenticated
// without a caller.
func (s *Service) InstanceAbilities(ctx context.Context) (InstanceAbilities, error) {
	p, err := caller(ctx)
	if err != nil {
		return InstanceAbilities{}, err
	}
	admin := p.IsInstanceAdmin()
	return InstanceAbilities{ListUsers: admin, CreateTenants: admin, ReadAuditTrail: admin}, nil
}

// TenantAbilities is what the caller may do in one tenant.
type TenantAbilities struct {
	Tenant        *roster.Tenant
	InstanceAdmin bool
	Member        bool     // the caller is a member (an instance administrator may not be)
	Permissions   []string // the caller's permissions there, patterns included
}

// Can reports whether the caller holds permission p in the tenant.
func (a *TenantAbilities) Can(p string) bool {
	return slices.ContainsFunc(a.Permissions, func(h string) bool { return covers(h, p) })
}

// MayGrant reports whether the caller may give, take away or redefine role r: it holds every
// permission of the role.
func (a *TenantAbilities) MayGrant(r *roster.Role) bool {
	return (&grant{tenant: a.Tenant, permissions: a.Permissions}).mayGrant(r) == nil
}

// MayChangeSlug reports whether the caller may change the tenant's slug (UpdateTenant).
func (a *TenantAbilities) MayChangeSlug() bool { return a.InstanceAdmin && a.Can(PermTenantWrite) }

// MayDelete reports whether the caller may delete the tenant (DeleteTenant).
func (a *TenantAbilities) MayDelete() bool { return a.InstanceAdmin }

// TenantAbilities returns what the caller may do in the tenant named by ref (id or slug). A
// caller who may not see the tenant gets ENotFound, as from every tenant call.
func (s *Service) TenantAbilities(ctx context.Context, ref string) (*TenantAbilities, error) {
	var g *grant
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		g, err = tenantGrant(ctx, tx, ref)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &TenantAbilities{Tenant: g.tenant, InstanceAdmin: g.principal.IsInstanceAdmin(), Member: g.membership != nil,
		Permissions: g.permissions}, nil
}

// UserAbilities is what the caller may do to one user.
type UserAbilities struct {
	ReadProfile     bool // GetUser: the stored profile (locale, last login, verification)
	ReadCredentials bool // ListSessions, RevokeSession, ListAPITokens, RevokeAPIToken
	EditNames       bool // UpdateUser with names and locale
	ChangeStatus    bool // UpdateUser with active
	EditAccount     bool // UpdateUser with username, email and the flags an instance administrator sets
	SetPassword     bool // SetPassword (one's own needs the current password)
	Delete          bool // DeleteUser
	Self            bool
}

// UserAbilities returns what the caller may do to the user with this id, by the rules of
// ownership.go: a person changes its own names, locale and password; the account's manager
// (an instance administrator, or its tenant's) its names, locale, status and password, and
// deletes it; instance administrators the rest. A user the caller may not see is ENotFound.
func (s *Service) UserAbilities(ctx context.Context, userID string) (UserAbilities, error) {
	p, err := caller(ctx)
	if err != nil {
		return UserAbilities{}, err
	}
	var manages, reads bool
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		u, err := tx.FindUserByID(ctx, userID)
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			return errUserNotFound
		} else if err != nil {
			return err
		}
		if ok, err := seesAccount(ctx, tx, p, u); err != nil || !ok {
			if err == nil {
				err = errUserNotFound
			}
			return err
		}
		manages, err = yes(mayManage(ctx, tx, p, u))
		if err != nil {
			return err
		}
		reads, err = yes(mayReadProfile(ctx, tx, p, u))
		return err
	})
	if err != nil {
		return UserAbilities{}, err
	}
	self, admin := p.IsUser(userID), p.IsInstanceAdmin()
	return UserAbilities{
		ReadProfile:     reads,
		ReadCredentials: s.mayManageCredentials(ctx, userID) == nil,
		EditNames:       self || manages,
		ChangeStatus:    manages && !self,
		EditAccount:     admin,
		SetPassword:     self || manages,
		Delete:          manages && !self,
		Self:            self,
	}, nil
}

// yes turns a refusal (EForbidden, ENotFound) into false and passes other errors on.
func yes(err error) (bool, error) {
	switch roster.ErrorCodeOf(err) {
	case "":
		return true, nil
	case roster.EForbidden, roster.ENotFound:
		return false, nil
	}
	return false, err
}

// Permission describes one permission Roster itself checks, for permission pickers.
type Permission struct {
	Name        string
	Description string
}

// RosterPermissions lists the permissions Roster checks inside a tenant, with the wildcard
// and the two application permissions of the built-in roles. Roles may hold any other
// permission of the same shape, for the application behind Roster.
var RosterPermissions = []Permission{
	{PermAll, "everything, now and later (the admin role)"},
	{PermTenantRead, "see the tenant"},
	{PermTenantWrite, "rename the tenant"},
	{PermMembersRead, "list and search members"},
	{PermMembersWrite, "add, remove and change members"},
	{PermRolesRead, "list roles"},
	{PermRolesWrite, "create, change and delete roles"},
	{PermSAsRead, "list service accounts and their keys"},
	{PermSAsWrite, "create service accounts, issue and revoke keys"},
	{PermAuditRead, "read the tenant's audit trail"},
	{"resources:read", "application: read resources"},
	{"resources:write", "application: change resources"},
}
