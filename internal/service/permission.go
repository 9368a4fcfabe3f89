package service

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
)

// Permissions Roster itself checks inside a tenant. Roles may also hold permissions of the
// application behind Roster (any string of the same shape); Roster only reports those.
const (
	PermTenantRead   = "tenant:read"
	PermTenantWrite  = "tenant:write"
	PermMembersRead  = "members:read"
	PermMembersWrite = "members:write"
	PermRolesRead    = "roles:read"
	PermRolesWrite   = "roles:write"
	PermSAsRead      = "service_accounts:read"
	PermSAsWrite     = "service_accounts:write"
	PermAuditRead    = "audit:read"
	PermAll          = "*"
)

// builtinRoles are created with every tenant. "resources:*" are application permissions that
// distinguish the read-write user from the read-only viewer for the software behind Roster.
var builtinRoles = []struct {
	name, description string
	permissions       []string
}{
	{roster.RoleAdmin, "Manages the tenant: its members, roles and settings.", []string{PermAll}},
	{roster.RoleUser, "A regular member with read-write access to the tenant's resources.",
		[]string{"resources:read", "resources:write", PermTenantRead}},
	{roster.RoleViewer, "A read-only member.", []string{"resources:read", PermTenantRead}},
}

var permissionPattern = regexp.MustCompile(`^(\*|[a-z0-9_.-]+(:[a-z0-9_.-]+)*(:\*)?)$`)

// covers reports whether holding pattern held grants permission p (itself possibly a pattern):
// "*" covers everything, "a:*" covers "a:" and everything below it.
func covers(held, p string) bool {
	if held == PermAll || held == p {
		return true
	}
	if prefix, ok := strings.CutSuffix(held, "*"); ok {
		return strings.HasPrefix(p, prefix)
	}
	return false
}

// grant is what the caller may do inside one tenant.
type grant struct {
	tenant      *roster.Tenant
	principal   *roster.Principal
	membership  *roster.Membership // nil for an instance administrator who is not a member
	permissions []string
}

// has reports whether the grant covers permission p.
func (g *grant) has(p string) bool {
	return slices.ContainsFunc(g.permissions, func(h string) bool { return covers(h, p) })
}

// require returns EForbidden unless the grant covers p.
func (g *grant) require(p string) error {
	if g.has(p) {
		return nil
	}
	return roster.Errorf(roster.EForbidden, "You lack the permission %q in tenant %q.", p, g.tenant.Slug)
}

// mayGrant returns EForbidden unless the caller holds every permission of the role: nobody
// gives, takes away or redefines more than they hold.
func (g *grant) mayGrant(r *roster.Role) error {
	for _, p := range r.Permissions {
		if !g.has(p) {
			return roster.Errorf(roster.EForbidden,
				"You cannot grant or revoke role %q: it holds permission %q, which you do not.", r.Name, p)
		}
	}
	return nil
}

func (g *grant) isSelf(userID string) bool { return g.principal.IsUser(userID) }

// ErrTenantNotFound is the answer for a tenant that does not exist and for one the caller
// does not belong to, alike, so that no one learns which tenants exist.
var ErrTenantNotFound = roster.Errorf(roster.ENotFound, "Tenant not found.")

// tenantGrant loads the tenant named by ref and what the caller may do in it. A caller who is
// neither an instance administrator nor an active member gets ErrTenantNotFound (an invitation
// grants nothing until it is accepted).
func tenantGrant(ctx context.Context, tx roster.Tx, ref string) (*grant, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := tx.FindTenant(ctx, ref)
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return nil, ErrTenantNotFound
	}
	if err != nil {
		return nil, err
	}
	g := &grant{tenant: t, principal: p}
	roster.NoteTenant(ctx, t.ID)
	if sa := p.ServiceAccount; sa != nil {
		// A service account acts inside its own tenant only, with its own roles.
		if sa.TenantID != t.ID {
			return nil, ErrTenantNotFound
		}
		g.permissions = permissionsOf(sa.Roles)
		return g, nil
	}
	if p.User.InstanceAdmin {
		g.permissions = []string{PermAll}
	}
	m, err := tx.FindMembership(ctx, t.ID, p.User.ID)
	switch {
	case err == nil && m.Active():
		g.membership = m
		if !p.User.InstanceAdmin {
			g.permissions = permissionsOf(m.Roles)
		}
	case err == nil, roster.ErrorCodeOf(err) == roster.ENotFound:
		if !p.User.InstanceAdmin {
			return nil, ErrTenantNotFound
		}
	default:
		return nil, err
	}
	return g, nil
}

// grantFor is tenantGrant followed by a check that the caller holds perm there.
func grantFor(ctx context.Context, tx roster.Tx, ref, perm string) (*grant, error) {
	g, err := tenantGrant(ctx, tx, ref)
	if err != nil {
		return nil, err
	}
	if err := g.require(perm); err != nil {
		return nil, err
	}
	return g, nil
}

// permissionsOf returns the sorted union of the roles' permissions.
func permissionsOf(roles []*roster.Role) []string {
	var out []string
	for _, r := range roles {
		out = append(out, r.Permissions...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// requireInstanceAdmin returns EForbidden unless the caller administers the installation.
func requireInstanceAdmin(ctx context.Context) (*roster.Principal, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsInstanceAdmin() {
		return nil, roster.Errorf(roster.EForbidden, "Only instance administrators may do this.")
	}
	return p, nil
}

// userCaller returns the caller when it is a person; service accounts get EForbidden.
func userCaller(ctx context.Context) (*roster.Principal, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.User == nil {
		return nil, roster.Errorf(roster.EForbidden, "Only users may do this; service-account keys may not.")
	}
	return p, nil
}

// StrongestBuiltinRole names the strongest built-in role among roles (admin, then user, then
// viewer), and viewer for custom roles only: how surfaces that know only the built-in roles
// (Exolink, Ella Core) show a member.
func StrongestBuiltinRole(roles []*roster.Role) string {
	for _, name := range builtinNames {
		if slices.ContainsFunc(roles, func(r *roster.Role) bool { return r.Builtin && r.Name == name }) {
			return name
		}
	}
	return roster.RoleViewer
}

// Access is what the calling user may do in one tenant.
type Access struct {
	Tenant *roster.Tenant
	// Membership is the caller's (active) membership; nil for an instance administrator who
	// is not a member.
	Membership  *roster.Membership
	Permissions []string
	// Role is the strongest built-in role the caller holds there (see StrongestBuiltinRole);
	// admin for an instance administrator.
	Role string
}

// MyAccess returns what the calling user may do in the tenant: ErrTenantNotFound when it is
// neither an active member nor an instance administrator, EForbidden for service accounts.
func (s *Service) MyAccess(ctx context.Context, tenantRef string) (*Access, error) {
	if _, err := userCaller(ctx); err != nil {
		return nil, err
	}
	var g *grant
	if err := s.store.Read(ctx, func(tx roster.Tx) (err error) { g, err = tenantGrant(ctx, tx, tenantRef); return err }); err != nil {
		return nil, err
	}
	a := &Access{Tenant: g.tenant, Membership: g.membership, Permissions: g.permissions, Role: roster.RoleAdmin}
	if !g.principal.IsInstanceAdmin() {
		a.Role = StrongestBuiltinRole(g.membership.Roles)
	}
	return a, nil
}

// RequireInstanceAdmin returns EUnauthenticated or EForbidden unless the caller administers the
// installation, for surfaces reserved to instance administrators.
func RequireInstanceAdmin(ctx context.Context) error {
	_, err := requireInstanceAdmin(ctx)
	return err
}
