package service

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

// Kinds of credential an introspection reports.
const (
	CredentialSession  = "session"
	CredentialAPIToken = "api_token"
	CredentialKey      = "service_account_key"
)

// Introspection describes an active credential (RFC 7662 in spirit).
type Introspection struct {
	Active        bool
	Kind          string
	Subject       string // user id or service-account id
	Username      string // for users
	InstanceAdmin bool
	CredentialID  string
	IssuedAt      time.Time
	ExpiresAt     *time.Time
	Tenants       []TenantAccess
}

// TenantAccess is what the subject may do in one tenant.
type TenantAccess struct {
	Tenant      *roster.Tenant
	Roles       []*roster.Role
	Permissions []string
}

// Introspect tells an application behind Roster whether secret is an active credential and
// what its subject may do. Instance administrators see every tenant; a service account sees
// only its own tenant, and a subject with nothing there is inactive to it.
func (s *Service) Introspect(ctx context.Context, secret string) (*Introspection, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsInstanceAdmin() && p.ServiceAccount == nil {
		return nil, roster.Errorf(roster.EForbidden, "Only service accounts and instance administrators may introspect tokens.")
	}
	var v roster.Validator
	v.Check(secret != "", "/token", "is required")
	if err := v.Err(); err != nil {
		return nil, err
	}
	subject, _, _, err := s.resolve(ctx, secret)
	if roster.ErrorCodeOf(err) == roster.EUnauthenticated {
		return &Introspection{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := &Introspection{Active: true}
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		out.Tenants = nil // the store may run this function again
		switch {
		case subject.ServiceAccount != nil:
			sa, k := subject.ServiceAccount, subject.Key
			t, err := tx.FindTenant(ctx, sa.TenantID)
			if err != nil {
				return err
			}
			out.Kind, out.Subject, out.CredentialID, out.IssuedAt, out.ExpiresAt = CredentialKey, sa.ID, k.ID, k.CreatedAt, k.ExpiresAt
			out.Tenants = []TenantAccess{{Tenant: t, Roles: sa.Roles, Permissions: permissionsOf(sa.Roles)}}
		default:
			u := subject.User
			out.Subject, out.Username, out.InstanceAdmin = u.ID, u.Username, u.InstanceAdmin
			if k := subject.Token; k != nil {
				out.Kind, out.CredentialID, out.IssuedAt, out.ExpiresAt = CredentialAPIToken, k.ID, k.CreatedAt, k.ExpiresAt
			} else {
				sess := subject.Session
				out.Kind, out.CredentialID, out.IssuedAt, out.ExpiresAt = CredentialSession, sess.ID, sess.CreatedAt, &sess.ExpiresAt
			}
			views, err := membershipViews(ctx, tx, u.ID, false)
			if err != nil {
				return err
			}
			for _, mv := range views {
				out.Tenants = append(out.Tenants, TenantAccess{Tenant: mv.Tenant, Roles: mv.Membership.Roles, Permissions: mv.Permissions})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sa := p.ServiceAccount; sa != nil {
		var mine []TenantAccess
		for _, ta := range out.Tenants {
			if ta.Tenant.ID == sa.TenantID {
				mine = append(mine, ta)
			}
		}
		if len(mine) == 0 {
			return &Introspection{}, nil
		}
		out.Tenants, out.InstanceAdmin = mine, false
	}
	return out, nil
}
