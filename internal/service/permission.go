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

// tenantGrant loads the tenant named by ref and what the caller may do in it. A caller who is
// neither an instance administrator nor a member gets ENotFound, exactly as for a tenant that
// does not exist, so that no one learns which tenants exist.
func tenantGrant(ctx context.Context, tx roster.Tx, ref string) (*grant, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := tx.FindTenant(ctx, ref)
	if err != nil {
		return nil, err
	}
	g := &grant{tenant: t, principal: p}
	roster.NoteTenant(ctx, t.ID)
	if sa := p.ServiceAccount; sa != nil {
		// A service account acts inside its own tenant only, with its own roles.
		if sa.TenantID != t.ID {
			return nil, roster.Errorf(roster.ENotFound, "Tenant not found.")
		}
		g.permissions = permissionsOf(sa.Roles)
		return g, nil
	}
	if p.User.InstanceAdmin {
		g.permissions = []string{PermAll}
	}
	m, err := tx.FindMembership(ctx, t.ID, p.User.ID)
	switch {
	case err == nil:
		g.membership = m
		if !p.User.InstanceAdmin {
			g.permissions = permissionsOf(m.Roles)
		}
	case roster.ErrorCodeOf(err) == roster.ENotFound:
		if !p.User.InstanceAdmin {
			return nil, roster.Errorf(roster.ENotFound, "Tenant not found.")
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

// RequireInstanceAdmin returns EUnauthenticated or EForbidden unless the caller administers the
// installation, for surfaces reserved to instance administrators.
func RequireInstanceAdmin(ctx context.Context) error {
	_, err := requireInstanceAdmin(ctx)
	return err
}
