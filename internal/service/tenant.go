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
		return nil
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
	if !p.User.InstanceAdmin {
		f.MemberUserID = p.User.ID
	}
	var tenants []*roster.Tenant
	err = s.store.Read(ctx, func(tx roster.Tx) (err error) {
		tenants, err = tx.ListTenants(ctx, f)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	tenants, next := paginate(tenants, f.Page, func(t *roster.Tenant) string { return t.ID })
	return tenants, next, nil
}

// UpdateTenant changes a tenant's slug or name; it needs tenant:write.
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
		return tx.UpdateTenant(ctx, tn)
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
		if !g.principal.User.InstanceAdmin {
			return roster.Errorf(roster.EForbidden, "Only instance administrators may delete a tenant.")
		}
		if err := checkVersion(ifMatch, g.tenant.Version); err != nil {
			return err
		}
		return tx.DeleteTenant(ctx, g.tenant.ID)
	})
}
