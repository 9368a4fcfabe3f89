package service

import (
	"context"

	"github.com/rosterhq/roster"
)

// Existing says what CreateUserInTenant does when a user with the email already exists.
type Existing int

const (
	// RefuseExisting answers EConflict, naming /email.
	RefuseExisting Existing = iota
	// JoinExisting adds the existing user to the tenant (its password is left alone); a user
	// who is already a member is EConflict.
	JoinExisting
)

// CreateUserInTenant creates a user who joins the tenant with roles, in one transaction. A
// tenant's admin may do this (members:write and every permission of the roles); only an
// instance administrator may make the user an instance administrator.
func (s *Service) CreateUserInTenant(ctx context.Context, tenantRef string, in CreateUserInput, roles []string, existing Existing) (*roster.User, *roster.Membership, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	if in.InstanceAdmin && !p.IsInstanceAdmin() {
		return nil, nil, roster.Errorf(roster.EForbidden, "Only instance administrators may create instance administrators.")
	}
	u, err := s.newUser(ctx, in, false)
	if err != nil {
		return nil, nil, err
	}
	var m *roster.Membership
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermMembersWrite)
		if err != nil {
			return err
		}
		var v roster.Validator
		resolved, err := g.resolveChange(ctx, tx, &v, "/roles", roles, nil)
		if err != nil {
			return err
		}
		found, err := tx.FindUserByEmail(ctx, u.Email)
		switch {
		case err == nil && existing == JoinExisting:
			u = found
		case err == nil:
			return &roster.Error{Code: roster.EConflict, Message: "A user with this email already exists.",
				Fields: []roster.FieldError{{Pointer: "/email", Detail: "is already used by another user"}}}
		case roster.ErrorCodeOf(err) != roster.ENotFound:
			return err
		default:
			if err := insertUser(ctx, tx, u); err != nil {
				return err
			}
			if err := audit(ctx, tx, event{action: "user.created", targetKind: targetUser, targetID: u.ID}); err != nil {
				return err
			}
		}
		t := now()
		m = &roster.Membership{TenantID: g.tenant.ID, UserID: u.ID, Roles: resolved, CreatedAt: t, UpdatedAt: t, Version: 1}
		if err := tx.CreateMembership(ctx, m); err != nil {
			return err
		}
		if err := audit(ctx, tx, memberEvent("member.added", m)); err != nil {
			return err
		}
		m, err = tx.FindMembership(ctx, g.tenant.ID, u.ID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return u, m, nil
}

// RemoveFromTenant takes a user out of the tenant under RemoveMember's rules and then deletes
// the user itself if it belongs to no other tenant and is not an instance administrator, in
// one transaction. It reports whether the user was deleted.
func (s *Service) RemoveFromTenant(ctx context.Context, tenantRef, userID string) (bool, error) {
	deleted := false
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		deleted = false
		if err := s.removeMember(ctx, tx, tenantRef, userID, nil); err != nil {
			return err
		}
		u, err := tx.FindUserByID(ctx, userID)
		if err != nil {
			return err
		}
		rest, err := tx.ListUserMemberships(ctx, userID)
		if err != nil || len(rest) > 0 || u.InstanceAdmin {
			return err
		}
		if err := tx.DeleteUser(ctx, userID); err != nil {
			return err
		}
		deleted = true
		return audit(ctx, tx, event{action: "user.deleted", targetKind: targetUser, targetID: userID})
	})
	return deleted, err
}

// SetMemberPassword sets the password of a member of the tenant. A tenant's admin may do it
// only for users who belong to no other tenant and are not instance administrators (a user
// shared with other tenants is not this tenant's to take over); instance administrators may
// do it for anyone. The user's sessions end.
func (s *Service) SetMemberPassword(ctx context.Context, tenantRef, userID, password string) error {
	check := func(tx roster.Tx) (*roster.User, error) {
		g, err := grantFor(ctx, tx, tenantRef, PermMembersWrite)
		if err != nil {
			return nil, err
		}
		m, err := tx.FindMembership(ctx, g.tenant.ID, userID)
		if err != nil {
			return nil, err
		}
		if g.principal.IsInstanceAdmin() {
			return m.User, nil
		}
		for _, r := range m.Roles {
			if err := g.mayGrant(r); err != nil {
				return nil, err
			}
		}
		all, err := tx.ListUserMemberships(ctx, userID)
		if err != nil {
			return nil, err
		}
		if len(all) > 1 || m.User.InstanceAdmin {
			return nil, roster.Errorf(roster.EForbidden,
				"The user belongs to other tenants too; only an instance administrator may set its password.")
		}
		return m.User, nil
	}
	var u *roster.User
	if err := s.store.Read(ctx, func(tx roster.Tx) (err error) { u, err = check(tx); return err }); err != nil {
		return err
	}
	var v roster.Validator
	s.checkNewPassword(&v, "/password", password, u.Username, u.Email)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx roster.Tx) error {
		u, err := check(tx) // again, inside the transaction that writes
		if err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, u.ID, ""); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "user.password_set", targetKind: targetUser, targetID: u.ID})
	})
}

// EnsureTenantAsSystem returns the tenant with this slug, creating it (with its built-in
// roles) when there is none, acting as the system: for surfaces bound to one tenant.
func (s *Service) EnsureTenantAsSystem(ctx context.Context, slug, name string) (*roster.Tenant, error) {
	ctx = withSystemActor(ctx)
	var t *roster.Tenant
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		t, err = tx.FindTenant(ctx, slug)
		return err
	})
	if roster.ErrorCodeOf(err) != roster.ENotFound {
		return t, err
	}
	t, err = s.createTenant(ctx, TenantInput{Slug: &slug, Name: &name})
	if roster.ErrorCodeOf(err) == roster.EConflict { // another replica made it meanwhile
		err = s.store.Read(ctx, func(tx roster.Tx) (err error) {
			t, err = tx.FindTenant(ctx, slug)
			return err
		})
	}
	return t, err
}

// Initialized reports whether the instance has any user.
func (s *Service) Initialized(ctx context.Context) (bool, error) {
	var any bool
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		users, err := tx.ListUsers(ctx, roster.UserFilter{Page: roster.Page{Limit: 1}})
		any = len(users) > 0
		return err
	})
	return any, err
}
