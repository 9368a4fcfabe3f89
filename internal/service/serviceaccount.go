package service

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/token"
)

// ServiceAccountInput creates a service account (both fields required) or changes one.
type ServiceAccountInput struct {
	Name    *string
	Roles   *[]string
	IfMatch *int64
}

// NewKey is a created key with its secret ("sk:…"), which is shown this once.
type NewKey struct {
	Key    *roster.ServiceAccountKey
	Secret string
}

func serviceAccountEvent(action string, sa *roster.ServiceAccount) event {
	return event{action: action, tenantID: sa.TenantID, targetKind: targetServiceAccount, targetID: sa.ID}
}

// CreateServiceAccount creates a machine identity in the tenant. The caller needs
// service_accounts:write and every permission of the roles it gives.
func (s *Service) CreateServiceAccount(ctx context.Context, tenantRef string, in ServiceAccountInput) (*roster.ServiceAccount, error) {
	var v roster.Validator
	if in.Name == nil {
		v.Field("/name", "is required")
	} else {
		checkText(&v, "/name", *in.Name, true, maxNameRunes)
	}
	if in.Roles == nil {
		v.Field("/roles", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var sa *roster.ServiceAccount
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermSAsWrite)
		if err != nil {
			return err
		}
		roles, err := g.resolveChange(ctx, tx, &v, "/roles", *in.Roles, nil)
		if err != nil {
			return err
		}
		t := now()
		sa = &roster.ServiceAccount{ID: roster.NewID(roster.PrefixServiceAccount), TenantID: g.tenant.ID, Name: *in.Name,
			Roles: roles, CreatedAt: t, UpdatedAt: t, Version: 1}
		if err := tx.CreateServiceAccount(ctx, sa); err != nil {
			return err
		}
		return audit(ctx, tx, serviceAccountEvent("service_account.created", sa))
	})
	return sa, err
}

// GetServiceAccount returns one service account; it needs service_accounts:read.
func (s *Service) GetServiceAccount(ctx context.Context, tenantRef, id string) (*roster.ServiceAccount, error) {
	var sa *roster.ServiceAccount
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermSAsRead)
		if err != nil {
			return err
		}
		sa, err = tx.FindServiceAccount(ctx, g.tenant.ID, id)
		return err
	})
	return sa, err
}

// ListServiceAccounts lists the tenant's service accounts; it needs service_accounts:read.
func (s *Service) ListServiceAccounts(ctx context.Context, tenantRef string, o ListOptions) ([]*roster.ServiceAccount, string, error) {
	var v roster.Validator
	page := o.page(&v)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var out []*roster.ServiceAccount
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermSAsRead)
		if err != nil {
			return err
		}
		out, err = tx.ListServiceAccounts(ctx, g.tenant.ID, page)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := paginate(out, page, func(sa *roster.ServiceAccount) string { return sa.ID })
	return out, next, nil
}

// UpdateServiceAccount renames a service account or replaces its roles; the caller must hold
// every permission of each role added or taken away.
func (s *Service) UpdateServiceAccount(ctx context.Context, tenantRef, id string, in ServiceAccountInput) (*roster.ServiceAccount, error) {
	var v roster.Validator
	if in.Name != nil {
		checkText(&v, "/name", *in.Name, true, maxNameRunes)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var sa *roster.ServiceAccount
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermSAsWrite)
		if err != nil {
			return err
		}
		if sa, err = tx.FindServiceAccount(ctx, g.tenant.ID, id); err != nil {
			return err
		}
		if err := checkVersion(in.IfMatch, sa.Version); err != nil {
			return err
		}
		if in.Roles != nil {
			roles, err := g.resolveChange(ctx, tx, &v, "/roles", *in.Roles, sa.Roles)
			if err != nil {
				return err
			}
			sa.Roles = roles
		}
		if in.Name != nil {
			sa.Name = *in.Name
		}
		sa.UpdatedAt = now()
		if err := tx.UpdateServiceAccount(ctx, sa); err != nil {
			return err
		}
		return audit(ctx, tx, serviceAccountEvent("service_account.updated", sa))
	})
	return sa, err
}

// DeleteServiceAccount deletes a service account and its keys; the caller must hold every
// permission the account holds.
func (s *Service) DeleteServiceAccount(ctx context.Context, tenantRef, id string, ifMatch *int64) error {
	return s.store.Write(ctx, func(tx roster.Tx) error {
		g, sa, err := s.powerOver(ctx, tx, tenantRef, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifMatch, sa.Version); err != nil {
			return err
		}
		if err := tx.DeleteServiceAccount(ctx, g.tenant.ID, sa.ID); err != nil {
			return err
		}
		return audit(ctx, tx, serviceAccountEvent("service_account.deleted", sa))
	})
}

// powerOver loads a service account the caller may act for: it needs service_accounts:write
// and every permission of the account, since a key to it is that account's power.
func (s *Service) powerOver(ctx context.Context, tx roster.Tx, tenantRef, id string) (*grant, *roster.ServiceAccount, error) {
	g, err := grantFor(ctx, tx, tenantRef, PermSAsWrite)
	if err != nil {
		return nil, nil, err
	}
	sa, err := tx.FindServiceAccount(ctx, g.tenant.ID, id)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range sa.Roles {
		if err := g.mayGrant(r); err != nil {
			return nil, nil, err
		}
	}
	return g, sa, nil
}

// CreateKey issues a new key for a service account.
func (s *Service) CreateKey(ctx context.Context, tenantRef, serviceAccountID string, expiresAt *time.Time) (*NewKey, error) {
	var v roster.Validator
	expiresAt = s.expiry(&v, expiresAt)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *NewKey
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		g, sa, err := s.powerOver(ctx, tx, tenantRef, serviceAccountID)
		if err != nil {
			return err
		}
		keys, err := tx.ListKeys(ctx, g.tenant.ID, sa.ID)
		if err != nil {
			return err
		}
		if len(keys) >= maxKeysPerAccount {
			return roster.Errorf(roster.EConflict, "The service account has %d keys, the most allowed; revoke one first.", len(keys))
		}
		secret, hash := token.New(token.PrefixKey)
		k := &roster.ServiceAccountKey{ID: roster.NewID(roster.PrefixKey), TenantID: g.tenant.ID, ServiceAccountID: sa.ID,
			KeyHash: hash, Hint: token.Hint(secret), CreatedAt: now(), ExpiresAt: expiresAt}
		if err := tx.CreateKey(ctx, k); err != nil {
			return err
		}
		out = &NewKey{Key: k, Secret: secret}
		return audit(ctx, tx, event{action: "service_account_key.created", tenantID: g.tenant.ID, targetKind: targetKey, targetID: k.ID})
	})
	return out, err
}

// ListKeys lists a service account's keys; it needs service_accounts:read. A listing shows
// hints and times, no secret and no power, so reading it needs no more than reading the
// account itself.
func (s *Service) ListKeys(ctx context.Context, tenantRef, serviceAccountID string) ([]*roster.ServiceAccountKey, error) {
	var out []*roster.ServiceAccountKey
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermSAsRead)
		if err != nil {
			return err
		}
		if _, err := tx.FindServiceAccount(ctx, g.tenant.ID, serviceAccountID); err != nil {
			return err
		}
		out, err = tx.ListKeys(ctx, g.tenant.ID, serviceAccountID)
		return err
	})
	return out, err
}

// RevokeKey deletes a key; it is refused from the next request on. Like minting one, it needs
// service_accounts:write and every permission of the account (see powerOver): whoever may not
// act as an account may not cut it off either.
func (s *Service) RevokeKey(ctx context.Context, tenantRef, serviceAccountID, id string) error {
	return s.store.Write(ctx, func(tx roster.Tx) error {
		g, sa, err := s.powerOver(ctx, tx, tenantRef, serviceAccountID)
		if err != nil {
			return err
		}
		if err := tx.DeleteKey(ctx, g.tenant.ID, sa.ID, id); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "service_account_key.revoked", tenantID: g.tenant.ID, targetKind: targetKey, targetID: id})
	})
}
