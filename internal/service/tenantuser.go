package service

import (
	"context"

	"github.com/rosterhq/roster"
)

// CreateUserInTenant creates a user who joins the tenant with roles, in one transaction, and
// returns the membership as the caller may see it. The caller needs members:write and every
// permission of the roles; only an instance administrator may make the user an instance
// administrator. The new account is managed by the tenant.
//
// When Roster knows the email already, no user is created and the password is left alone: an
// account the caller manages joins at once; any other is invited (see AddMember), and the
// answer shows only the email and names the caller sent. A member already is EConflict.
func (s *Service) CreateUserInTenant(ctx context.Context, tenantRef string, in CreateUserInput, roles []string) (*roster.Membership, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if in.InstanceAdmin && !p.IsInstanceAdmin() {
		return nil, roster.Errorf(roster.EForbidden, "Only instance administrators may create instance administrators.")
	}
	u, err := s.newUser(ctx, in, false) // hashed whether or not the email is known: no timing tells
	if err != nil {
		return nil, err
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
		account, err := tx.FindUserByEmail(ctx, u.Email)
		switch {
		case roster.ErrorCodeOf(err) == roster.ENotFound:
			account = u
			account.ManagedBy = g.tenant.ID
			if err := insertUser(ctx, tx, account); err != nil {
				return err
			}
			if err := audit(ctx, tx, event{action: "user.created", targetKind: targetUser, targetID: account.ID}); err != nil {
				return err
			}
			if err := s.verifyNewUser(ctx, tx, account, in.SendVerification, false); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		m = g.newMembership(account, resolved, roster.Invitee{Email: in.Email, GivenName: in.GivenName, FamilyName: in.FamilyName})
		if err := tx.CreateMembership(ctx, m); err != nil {
			return err
		}
		if err := audit(ctx, tx, addedEvent(m)); err != nil {
			return err
		}
		m, err = tx.FindMembership(ctx, g.tenant.ID, account.ID)
		m = g.shown(m)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return m, nil
}

// RemoveFromTenant takes a user (by id, email or username) out of the tenant under
// RemoveMember's rules, and then deletes the account itself when the caller manages it (see
// ownership.go) and it belongs to no other tenant (invitations included), in one transaction.
// An instance administrator's account is never deleted so. It reports whether the account
// was deleted.
func (s *Service) RemoveFromTenant(ctx context.Context, tenantRef, userRef string) (bool, error) {
	deleted := false
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		deleted = false
		g, m, err := s.removeMember(ctx, tx, tenantRef, userRef, nil)
		if err != nil {
			return err
		}
		u := m.User
		if g == nil || u.InstanceAdmin || !g.manages(u, m) {
			return nil
		}
		rest, err := tx.ListUserMemberships(ctx, u.ID)
		if err != nil || len(rest) > 0 {
			return err
		}
		if err := tx.DeleteUser(ctx, u.ID); err != nil {
			return err
		}
		deleted = true
		return audit(ctx, tx, event{action: "user.deleted", targetKind: targetUser, targetID: u.ID})
	})
	return deleted, err
}

// SetMemberPassword sets the password of a member of the tenant (by id, email or username)
// and ends its sessions. It needs members:write there and that the caller manages the
// account (see ownership.go): a tenant never takes over an account it did not create,
// whether or not that account belongs to other tenants. A caller naming itself changes its
// own password under ChangeOwnPassword's rule.
func (s *Service) SetMemberPassword(ctx context.Context, tenantRef, userRef, password string) error {
	self := false
	check := func(tx roster.Tx) (*roster.User, error) {
		g, err := grantFor(ctx, tx, tenantRef, PermMembersWrite)
		if err != nil {
			return nil, err
		}
		m, err := g.findMember(ctx, tx, userRef)
		if err != nil {
			return nil, err
		}
		if self = g.isSelf(m.UserID); self {
			return m.User, nil
		}
		if !g.manages(m.User, m) {
			return nil, ErrNotManager
		}
		return m.User, nil
	}
	var u *roster.User
	if err := s.store.Read(ctx, func(tx roster.Tx) (err error) { u, err = check(tx); return err }); err != nil {
		return err
	}
	if self {
		return s.ChangeOwnPassword(ctx, password)
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
