package service

import (
	"context"

	"github.com/rosterhq/roster"
)

// SearchTenants is ListTenants keeping only tenants whose slug or name contains query
// (case-insensitively); an empty query keeps every one.
func (s *Service) SearchTenants(ctx context.Context, query string, o ListOptions) ([]*roster.Tenant, string, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	var v roster.Validator
	f := roster.TenantFilter{Page: o.page(&v), Query: query}
	if len(query) > maxNameRunes*4 {
		v.Param("q", "must be at most %d bytes", maxNameRunes*4)
	}
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
