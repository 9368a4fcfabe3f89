package service

import (
	"context"

	"github.com/rosterhq/roster"
)

// RoleInput creates a role (Name required) or changes one (fields that are set).
type RoleInput struct {
	Name        *string
	Description *string
	Permissions *[]string
	IfMatch     *int64
}

func checkRoleInput(in RoleInput, creating bool) (perms []string, err error) {
	var v roster.Validator
	switch {
	case in.Name != nil:
		checkRoleName(&v, "/name", *in.Name)
	case creating:
		v.Field("/name", "is required")
	}
	if in.Description != nil {
		checkText(&v, "/description", *in.Description, false, maxDescriptionRunes)
	}
	if in.Permissions != nil {
		perms = normalizePermissions(&v, "/permissions", *in.Permissions)
	}
	return perms, v.Err()
}

// CreateRole creates a custom role; it needs roles:write and every permission the role holds.
func (s *Service) CreateRole(ctx context.Context, tenantRef string, in RoleInput) (*roster.Role, error) {
	perms, err := checkRoleInput(in, true)
	if err != nil {
		return nil, err
	}
	var r *roster.Role
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermRolesWrite)
		if err != nil {
			return err
		}
		t := now()
		r = &roster.Role{ID: roster.NewID(roster.PrefixRole), TenantID: g.tenant.ID, Name: *in.Name,
			Permissions: perms, CreatedAt: t, UpdatedAt: t, Version: 1}
		if r.Permissions == nil {
			r.Permissions = []string{}
		}
		if in.Description != nil {
			r.Description = *in.Description
		}
		if err := g.mayGrant(r); err != nil {
			return err
		}
		if err := tx.CreateRole(ctx, r); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "role.created", tenantID: r.TenantID, targetKind: targetRole, targetID: r.ID})
	})
	return r, err
}

// GetRole returns one role of the tenant by id or name; it needs roles:read.
func (s *Service) GetRole(ctx context.Context, tenantRef, roleRef string) (*roster.Role, error) {
	var r *roster.Role
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermRolesRead)
		if err != nil {
			return err
		}
		r, err = tx.FindRole(ctx, g.tenant.ID, roleRef)
		return err
	})
	return r, err
}

// ListRoles lists the tenant's roles, built-in ones included; it needs roles:read.
func (s *Service) ListRoles(ctx context.Context, tenantRef string, o ListOptions) ([]*roster.Role, string, error) {
	var v roster.Validator
	page := o.page(&v)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var roles []*roster.Role
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermRolesRead)
		if err != nil {
			return err
		}
		roles, err = tx.ListRoles(ctx, g.tenant.ID, page)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	roles, next := paginate(roles, page, func(r *roster.Role) string { return r.ID })
	return roles, next, nil
}

// errBuiltinRole refuses changes to the roles every tenant is created with.
func errBuiltinRole(name string) error {
	return roster.Errorf(roster.EConflict, "Role %q is built in and cannot be changed or deleted.", name)
}

// UpdateRole changes a custom role; the caller must hold its old and its new permissions.
func (s *Service) UpdateRole(ctx context.Context, tenantRef, roleRef string, in RoleInput) (*roster.Role, error) {
	perms, err := checkRoleInput(in, false)
	if err != nil {
		return nil, err
	}
	var r *roster.Role
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermRolesWrite)
		if err != nil {
			return err
		}
		if r, err = tx.FindRole(ctx, g.tenant.ID, roleRef); err != nil {
			return err
		}
		if err := checkVersion(in.IfMatch, r.Version); err != nil {
			return err
		}
		if r.Builtin {
			return errBuiltinRole(r.Name)
		}
		if err := g.mayGrant(r); err != nil {
			return err
		}
		if in.Name != nil {
			r.Name = *in.Name
		}
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.Permissions != nil {
			r.Permissions = perms
		}
		if err := g.mayGrant(r); err != nil {
			return err
		}
		r.UpdatedAt = now()
		if err := tx.UpdateRole(ctx, r); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "role.updated", tenantID: r.TenantID, targetKind: targetRole, targetID: r.ID})
	})
	return r, err
}

// DeleteRole deletes a custom role that no member holds.
func (s *Service) DeleteRole(ctx context.Context, tenantRef, roleRef string, ifMatch *int64) error {
	return s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermRolesWrite)
		if err != nil {
			return err
		}
		if err := tx.LockTenant(ctx, g.tenant.ID); err != nil { // no one is given the role meanwhile
			return err
		}
		r, err := tx.FindRole(ctx, g.tenant.ID, roleRef)
		if err != nil {
			return err
		}
		if err := checkVersion(ifMatch, r.Version); err != nil {
			return err
		}
		if r.Builtin {
			return errBuiltinRole(r.Name)
		}
		if err := g.mayGrant(r); err != nil {
			return err
		}
		members, err := tx.CountMembersWithRole(ctx, g.tenant.ID, r.ID, false)
		if err != nil {
			return err
		}
		accounts, err := tx.CountServiceAccountsWithRole(ctx, g.tenant.ID, r.ID)
		if err != nil {
			return err
		}
		invitations, err := tx.CountPendingInvitationsWithRole(ctx, g.tenant.ID, r.ID)
		if err != nil {
			return err
		}
		if members+accounts > 0 {
			return roster.Errorf(roster.EConflict, "Role %q is held by %d member(s) and %d service account(s); take it from them first.",
				r.Name, members, accounts)
		}
		if invitations > 0 {
			return roster.Errorf(roster.EConflict, "Role %q is offered by %d pending invitation(s); revoke them first.", r.Name, invitations)
		}
		if err := tx.DeleteRole(ctx, g.tenant.ID, r.ID); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "role.deleted", tenantID: r.TenantID, targetKind: targetRole, targetID: r.ID})
	})
}
