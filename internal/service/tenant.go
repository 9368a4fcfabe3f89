package service

import (
	"context"

	"github.com/rosterhq/roster"
)

// TenantInput creates a tenant (both fields required) or changes one (fields that are set).
type TenantInput struct {
	Slug    *string
	Name    *string
	IfMatch *int64
}

// CreateTenant creates a tenant with its built-in roles. Only instance administrators may.
func (s *Service) CreateTenant(ctx context.Context, in TenantInput) (*roster.Tenant, error) {
	if _, err := requireInstanceAdmin(ctx); err != nil {
		return nil, err
	}
	return s.createTenant(ctx, in)
}

func (s *Service) createTenant(ctx context.Context, in TenantInput) (*roster.Tenant, error) {
	var v roster.Validator
	if in.Slug == nil {
		v.Field("/slug", "is required")
	} else {
		checkSlug(&v, "/slug", *in.Slug)
	}
	if in.Name == nil {
		v.Field("/name", "is required")
	} else {
		checkText(&v, "/name", *in.Name, true, maxNameRunes)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	t := now()
	tn := &roster.Tenant{ID: roster.NewID(roster.PrefixTenant), Slug: *in.Slug, Name: *in.Name, CreatedAt: t, UpdatedAt: t, Version: 1}
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		if err := tx.CreateTenant(ctx, tn); err != nil {
			return err
		}
		for _, b := range builtinRoles {
			r := &roster.Role{ID: roster.NewID(roster.PrefixRole), TenantID: tn.ID, Name: b.name, Description: b.description,
				Permissions: b.permissions, Builtin: true, CreatedAt: t, UpdatedAt: t, Version: 1}
			if err := tx.CreateRole(ctx, r); err != nil {
				return err
			}
		}
		return audit(ctx, tx, event{action: "tenant.created", tenantID: tn.ID, targetKind: targetTenant, targetID: tn.ID})
	})
	if err != nil {
		return nil, err
	}
	return tn, nil
}

// GetTenant returns a tenant the caller belongs to (with tenant:read) or administers.
func (s *Service) GetTenant(ctx context.Context, ref string) (*roster.Tenant, error) {
	var g *grant
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		g, err = grantFor(ctx, tx, ref, PermTenantRead)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g.tenant, nil
}

// ListTenants lists every tenant for an instance administrator, and the caller's own tenants
// for anyone else.
func (s *Service) ListTenants(ctx context.Context, o ListOptions) ([]*roster.Tenant, string, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	var v roster.Validator
	f := roster.TenantFilter{Page: o.page(&v)}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var tenants []*roster.Tenant
	err = s.store.Read(ctx, func(tx roster.Tx) (err error) {
		switch {
		case p.ServiceAccount != nil:
			t, err := tx.FindTenant(ctx, p.ServiceAccount.TenantID)
			if err == nil && t.ID > f.After {
				tenants = []*roster.Tenant{t}
			}
			return err
		case !p.IsInstanceAdmin():
			f.MemberUserID = p.User.ID
		}
		tenants, err = tx.ListTenants(ctx, f)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	tenants, next := paginate(tenants, f.Page, func(t *roster.Tenant) string { return t.ID })
	return tenants, next, nil
}

// UpdateTenant changes a tenant's name (tenant:write) or slug (instance administrators only: a
// slug is the tenant's public name, and trying to take one would reveal whether it exists).
func (s *Service) UpdateTenant(ctx context.Context, ref string, in TenantInput) (*roster.Tenant, error) {
	var v roster.Validator
	if in.Slug != nil {
		checkSlug(&v, "/slug", *in.Slug)
	}
	if in.Name != nil {
		checkText(&v, "/name", *in.Name, true, maxNameRunes)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var tn *roster.Tenant
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, ref, PermTenantWrite)
		if err != nil {
			return err
		}
		tn = g.tenant
		if in.Slug != nil && *in.Slug != tn.Slug && !g.principal.IsInstanceAdmin() {
			return roster.Errorf(roster.EForbidden, "Only instance administrators may change a tenant's slug.")
		}
		if err := checkVersion(in.IfMatch, tn.Version); err != nil {
			return err
		}
		if in.Slug != nil {
			tn.Slug = *in.Slug
		}
		if in.Name != nil {
			tn.Name = *in.Name
		}
		tn.UpdatedAt = now()
		if err := tx.UpdateTenant(ctx, tn); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "tenant.updated", tenantID: tn.ID, targetKind: targetTenant, targetID: tn.ID})
	})
	return tn, err
}

// DeleteTenant deletes a tenant with its roles and memberships. Only instance administrators may.
func (s *Service) DeleteTenant(ctx context.Context, ref string, ifMatch *int64) error {
	return s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := tenantGrant(ctx, tx, ref)
		if err != nil {
			return err
		}
		if !g.principal.IsInstanceAdmin() {
			return roster.Errorf(roster.EForbidden, "Only instance administrators may delete a tenant.")
		}
		if err := checkVersion(ifMatch, g.tenant.Version); err != nil {
			return err
		}
		if err := tx.DeleteTenant(ctx, g.tenant.ID); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "tenant.deleted", tenantID: g.tenant.ID, targetKind: targetTenant, targetID: g.tenant.ID})
	})
}
