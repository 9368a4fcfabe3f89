package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/rosterhq/roster"
)

// CreateUserInput describes a new user. Username defaults to the email's local part (made
// unique with a number); Password may be nil
// for a user who cannot log in with a password; Active defaults to true.
type CreateUserInput struct {
	Username      string
	Email         string
	GivenName     string
	FamilyName    string
	Locale        string
	Password      *string
	Active        *bool
	EmailVerified bool
	InstanceAdmin bool
	// Join makes the new user a member of these tenants in the same transaction, under the
	// rules of AddMember.
	Join []TenantRoles
}

// TenantRoles names a tenant (id or slug) and roles in it (ids or names).
type TenantRoles struct {
	Tenant string
	Roles  []string
}

// UpdateUserInput changes the fields that are set. IfMatch, when set, is the version the
// caller last read.
type UpdateUserInput struct {
	Username      *string
	Email         *string
	GivenName     *string
	FamilyName    *string
	Locale        *string
	Active        *bool
	EmailVerified *bool
	InstanceAdmin *bool
	// Password, for instance administrators, sets a new password and ends the user's sessions.
	Password *string
	// Join, for instance administrators, adds memberships the user lacks (under the rules of
	// AddMember); memberships it has are left alone.
	Join    []TenantRoles
	IfMatch *int64
}

// newUser validates in and builds the user, hashing its password. requirePassword is set for
// bootstrap, whose administrator must be able to log in.
func (s *Service) newUser(ctx context.Context, in CreateUserInput, requirePassword bool) (*roster.User, error) {
	var v roster.Validator
	checkEmail(&v, "/email", in.Email)
	if in.Username != "" {
		in.Username = normalizeUsername(&v, "/username", in.Username)
	}
	checkText(&v, "/given_name", in.GivenName, false, maxNameRunes)
	checkText(&v, "/family_name", in.FamilyName, false, maxNameRunes)
	if in.Locale == "" {
		in.Locale = "en-US"
	}
	in.Locale = normalizeLocale(&v, "/locale", in.Locale)
	switch {
	case in.Password != nil:
		s.checkNewPassword(&v, "/password", *in.Password, in.Username, in.Email)
	case requirePassword:
		v.Field("/password", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	t := now()
	u := &roster.User{
		ID: roster.NewID(roster.PrefixUser), Username: in.Username, Email: in.Email,
		GivenName: in.GivenName, FamilyName: in.FamilyName, Locale: in.Locale,
		Active: in.Active == nil || *in.Active, EmailVerified: in.EmailVerified, InstanceAdmin: in.InstanceAdmin,
		CreatedAt: t, UpdatedAt: t, Version: 1,
	}
	if in.Password != nil {
		hash, err := s.hasher.Hash(ctx, *in.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = hash
	}
	return u, nil
}

// CreateUser creates a user. Only instance administrators may.
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (*roster.User, error) {
	if _, err := requireInstanceAdmin(ctx); err != nil {
		return nil, err
	}
	return s.createUser(ctx, in)
}

// CreateUserAsSystem creates a user without an authorization check, for the command line,
// which acts with the authority of whoever can open the database file. The audit trail names
// the system as the actor.
func (s *Service) CreateUserAsSystem(ctx context.Context, in CreateUserInput) (*roster.User, error) {
	return s.createUser(withSystemActor(ctx), in)
}

// insertUser stores a new user, first giving it a free username derived from its email when
// it has none.
func insertUser(ctx context.Context, tx roster.Tx, u *roster.User) error {
	if u.Username == "" {
		base := usernameBase(u.Email)
		for i := 1; ; i++ {
			candidate := base
			if i > 1 {
				candidate = fmt.Sprintf("%s%d", base, i)
			}
			if i > 50 {
				candidate = base + "-" + strings.ToLower(roster.NewID("")[20:])
			}
			_, err := tx.FindUserByUsername(ctx, candidate)
			if roster.ErrorCodeOf(err) == roster.ENotFound {
				u.Username = candidate
				break
			}
			if err != nil {
				return err
			}
		}
	}
	return tx.CreateUser(ctx, u)
}

func (s *Service) createUser(ctx context.Context, in CreateUserInput) (*roster.User, error) {
	u, err := s.newUser(ctx, in, false)
	if err != nil {
		return nil, err
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		if err := audit(ctx, tx, event{action: "user.created", targetKind: targetUser, targetID: u.ID}); err != nil {
			return err
		}
		return join(ctx, tx, u.ID, in.Join)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// errUserNotFound hides users the caller may not see.
var errUserNotFound = roster.Errorf(roster.ENotFound, "User not found.")

// GetUser returns a user the caller may see: itself, anyone for an instance administrator, and
// the members of tenants in which the caller may read members.
func (s *Service) GetUser(ctx context.Context, id string) (*roster.User, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var u *roster.User
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		if u, err = tx.FindUserByID(ctx, id); err != nil {
			return err
		}
		return mayReadUser(ctx, tx, p, u.ID)
	})
	return u, err
}

// mayReadUser returns errUserNotFound unless p may see the user: itself, anyone for an
// instance administrator, and members of a tenant in which p holds members:read.
func mayReadUser(ctx context.Context, tx roster.Tx, p *roster.Principal, userID string) error {
	if p.IsInstanceAdmin() || p.IsUser(userID) {
		return nil
	}
	theirs, err := tx.ListUserMemberships(ctx, userID)
	if err != nil {
		return err
	}
	readers := map[string]bool{} // tenants in which p may read members
	if sa := p.ServiceAccount; sa != nil {
		readers[sa.TenantID] = (&grant{permissions: permissionsOf(sa.Roles)}).has(PermMembersRead)
	} else {
		mine, err := tx.ListUserMemberships(ctx, p.User.ID)
		if err != nil {
			return err
		}
		for _, m := range mine {
			readers[m.TenantID] = (&grant{permissions: permissionsOf(m.Roles)}).has(PermMembersRead)
		}
	}
	for _, m := range theirs {
		if readers[m.TenantID] {
			return nil
		}
	}
	return errUserNotFound
}

// ListUsers lists users matching f. Only instance administrators may list all users.
func (s *Service) ListUsers(ctx context.Context, f roster.UserFilter, o ListOptions) ([]*roster.User, string, error) {
	if _, err := requireInstanceAdmin(ctx); err != nil {
		return nil, "", err
	}
	var v roster.Validator
	f.Page = o.page(&v)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var users []*roster.User
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		users, err = tx.ListUsers(ctx, f)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	users, next := paginate(users, f.Page, func(u *roster.User) string { return u.ID })
	return users, next, nil
}

// UpdateUser changes a user. Users may change their own names and locale; username, email and
// the status flags are for instance administrators, so that nobody can probe which addresses
// exist by trying to take them. The last active instance administrator, and the only active
// admin of a tenant, stay active. Deactivating a user ends its sessions and tokens.
func (s *Service) UpdateUser(ctx context.Context, id string, in UpdateUserInput) (*roster.User, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var v roster.Validator
	if in.Email != nil {
		checkEmail(&v, "/email", *in.Email)
	}
	if in.Username != nil {
		*in.Username = normalizeUsername(&v, "/username", *in.Username)
	}
	if in.GivenName != nil {
		checkText(&v, "/given_name", *in.GivenName, false, maxNameRunes)
	}
	if in.FamilyName != nil {
		checkText(&v, "/family_name", *in.FamilyName, false, maxNameRunes)
	}
	if in.Locale != nil {
		*in.Locale = normalizeLocale(&v, "/locale", *in.Locale)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if (in.Password != nil || len(in.Join) > 0) && !p.IsInstanceAdmin() {
		return nil, roster.Errorf(roster.EForbidden, "Only instance administrators may set passwords or memberships here.")
	}
	if in.Password != nil {
		if err := s.checkNewPasswordOf(ctx, id, *in.Password); err != nil {
			return nil, err
		}
	}
	var hash string
	if in.Password != nil {
		if hash, err = s.hasher.Hash(ctx, *in.Password); err != nil {
			return nil, err
		}
	}
	var u *roster.User
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		if u, err = tx.FindUserByID(ctx, id); err != nil {
			return err
		}
		if !p.IsInstanceAdmin() {
			if err := mayReadUser(ctx, tx, p, u.ID); err != nil {
				return err
			}
			if !p.IsUser(u.ID) {
				return roster.Errorf(roster.EForbidden, "Only instance administrators may change other users.")
			}
			if err := refuseAdminFields(in); err != nil {
				return err
			}
		}
		if err := checkVersion(in.IfMatch, u.Version); err != nil {
			return err
		}
		wasAdmin, wasActive := u.InstanceAdmin && u.Active, u.Active
		applyUserUpdate(u, in)
		if wasAdmin && !(u.InstanceAdmin && u.Active) {
			if err := refuseLastInstanceAdmin(ctx, tx); err != nil {
				return err
			}
		}
		if wasActive && !u.Active {
			if err := refuseSoleAdmin(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		if hash != "" {
			u.PasswordHash = hash
		}
		u.UpdatedAt = now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if !u.Active || hash != "" { // the user's credentials end at once, not when it returns
			if err := tx.DeleteUserSessions(ctx, u.ID, ""); err != nil {
				return err
			}
		}
		if !u.Active {
			if err := tx.DeleteUserAPITokens(ctx, u.ID); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, event{action: "user.updated", targetKind: targetUser, targetID: u.ID}); err != nil {
			return err
		}
		if wasActive != u.Active {
			typ := EventUserDeactivated
			if u.Active {
				typ = EventUserActivated
			}
			if err := emit(ctx, tx, typ, event{targetKind: targetUser, targetID: u.ID}); err != nil {
				return err
			}
		}
		if hash != "" {
			if err := audit(ctx, tx, event{action: "user.password_set", targetKind: targetUser, targetID: u.ID}); err != nil {
				return err
			}
		}
		return join(ctx, tx, u.ID, in.Join)
	})
	return u, err
}

func applyUserUpdate(u *roster.User, in UpdateUserInput) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&u.Email, in.Email)
	set(&u.Username, in.Username)
	set(&u.GivenName, in.GivenName)
	set(&u.FamilyName, in.FamilyName)
	set(&u.Locale, in.Locale)
	setFlag := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	setFlag(&u.Active, in.Active)
	setFlag(&u.EmailVerified, in.EmailVerified)
	setFlag(&u.InstanceAdmin, in.InstanceAdmin)
}

// DeleteUser deletes a user with its memberships and sessions. Only instance administrators
// may; a user who is the only admin of a tenant, or the last instance administrator, stays.
func (s *Service) DeleteUser(ctx context.Context, id string, ifMatch *int64) error {
	if _, err := requireInstanceAdmin(ctx); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx roster.Tx) error {
		u, err := tx.FindUserByID(ctx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifMatch, u.Version); err != nil {
			return err
		}
		if u.InstanceAdmin && u.Active {
			if err := refuseLastInstanceAdmin(ctx, tx); err != nil {
				return err
			}
		}
		if err := refuseSoleAdmin(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, u.ID); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "user.deleted", targetKind: targetUser, targetID: u.ID})
	})
}

// SetPassword sets a user's password. Users changing their own must give the current one;
// instance administrators may set anyone's. Every other session of the user ends.
func (s *Service) SetPassword(ctx context.Context, id, current, next string, ifMatch *int64) (*roster.User, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	self := p.IsUser(id)
	var v roster.Validator
	if self {
		v.Check(current != "", "/current_password", "is required to change your own password")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var u *roster.User
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		if u, err = tx.FindUserByID(ctx, id); err != nil {
			return err
		}
		if !self && !p.IsInstanceAdmin() {
			if err := mayReadUser(ctx, tx, p, id); err != nil {
				return err
			}
			return roster.Errorf(roster.EForbidden, "Only instance administrators may set another user's password.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.checkNewPassword(&v, "/password", next, u.Username, u.Email)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if self { // checking the current password is a password check like a login: throttled
		k := keysFor(ctx, u.Username)
		if _, err := s.checkThrottle(ctx, k, u.ID); err != nil {
			return nil, err
		}
		ok, err := s.hasher.Verify(ctx, current, u.PasswordHash)
		if err != nil {
			return nil, err
		}
		if !ok {
			if err := s.loginFailed(ctx, k, u.ID); err != errBadLogin {
				return nil, err
			}
			return nil, roster.Invalid("The current password is wrong.",
				roster.FieldError{Pointer: "/current_password", Detail: "does not match"})
		}
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return nil, err
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		fresh, err := tx.FindUserByID(ctx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(ifMatch, fresh.Version); err != nil {
			return err
		}
		if fresh.PasswordHash != u.PasswordHash {
			return roster.Errorf(roster.EConflict, "The password was changed meanwhile; retry.")
		}
		u = fresh
		u.PasswordHash, u.UpdatedAt = hash, now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		keep := ""
		if self && p.Session != nil {
			keep = p.Session.ID
		}
		if err := tx.DeleteUserSessions(ctx, u.ID, keep); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "user.password_set", targetKind: targetUser, targetID: u.ID})
	})
	return u, err
}

// refuseLastInstanceAdmin returns EConflict when there is at most one active instance
// administrator, who is about to stop being one. It locks the instance first, so that two
// administrators demoting each other at once cannot both pass.
func refuseLastInstanceAdmin(ctx context.Context, tx roster.Tx) error {
	if err := tx.LockInstance(ctx); err != nil {
		return err
	}
	n, err := tx.CountInstanceAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return roster.Errorf(roster.EConflict, "This is the last active instance administrator; appoint another first.")
	}
	return nil
}

// refuseSoleAdmin returns EConflict when the user is the only active admin of a tenant. It
// first locks every tenant the user administers (in id order, as every locker does), so that
// a concurrent demotion of the tenant's other admin cannot pass its own check at once.
func refuseSoleAdmin(ctx context.Context, tx roster.Tx, userID string) error {
	ms, err := tx.ListUserMemberships(ctx, userID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if holdsAdmin(m.Roles) {
			if err := tx.LockTenant(ctx, m.TenantID); err != nil {
				return err
			}
		}
	}
	sole, err := tx.TenantsWhereSoleHolder(ctx, userID, roster.RoleAdmin)
	if err != nil {
		return err
	}
	if len(sole) > 0 {
		return roster.Errorf(roster.EConflict,
			"The user is the only active admin of tenant(s) %s; give each another admin first.", strings.Join(sole, ", "))
	}
	return nil
}

// GetUserWithMemberships returns a user and its memberships in the tenants the caller belongs
// to (every tenant, for an instance administrator). Users the caller shares no tenant with
// are not found: the rule of surfaces whose reads need only membership.
func (s *Service) GetUserWithMemberships(ctx context.Context, id string) (*roster.User, []MembershipView, error) {
	p, err := userCaller(ctx)
	if err != nil {
		return nil, nil, err
	}
	var u *roster.User
	var shown []MembershipView
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		if u, err = tx.FindUserByID(ctx, id); err != nil {
			return err
		}
		theirs, err := membershipViews(ctx, tx, id)
		if err != nil {
			return err
		}
		mine := map[string]bool{}
		if !p.IsInstanceAdmin() {
			ms, err := tx.ListUserMemberships(ctx, p.User.ID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				mine[m.TenantID] = true
			}
		}
		shown = nil
		for _, v := range theirs {
			if p.IsInstanceAdmin() || mine[v.Tenant.ID] {
				shown = append(shown, v)
			}
		}
		if len(shown) == 0 && !p.IsInstanceAdmin() && !p.IsUser(id) {
			return errUserNotFound
		}
		return nil
	})
	return u, shown, err
}

// join adds the user to each tenant it is not yet a member of, with the given roles.
func join(ctx context.Context, tx roster.Tx, userID string, tenants []TenantRoles) error {
	for i, tr := range tenants {
		g, err := grantFor(ctx, tx, tr.Tenant, PermMembersWrite)
		if err != nil {
			return err
		}
		if _, err := tx.FindMembership(ctx, g.tenant.ID, userID); err == nil {
			continue
		} else if roster.ErrorCodeOf(err) != roster.ENotFound {
			return err
		}
		var v roster.Validator
		roles, err := g.resolveChange(ctx, tx, &v, fmt.Sprintf("/join/%d/roles", i), tr.Roles, nil)
		if err != nil {
			return err
		}
		t := now()
		m := &roster.Membership{TenantID: g.tenant.ID, UserID: userID, Roles: roles, CreatedAt: t, UpdatedAt: t, Version: 1}
		if err := tx.CreateMembership(ctx, m); err != nil {
			return err
		}
		if err := audit(ctx, tx, memberEvent("member.added", m)); err != nil {
			return err
		}
	}
	return nil
}

// FindUserByUsername returns the user with this username (case-insensitively), for callers
// who may see it (as GetUser).
func (s *Service) FindUserByUsername(ctx context.Context, username string) (*roster.User, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var u *roster.User
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		if u, err = tx.FindUserByUsername(ctx, usernameKey(username)); err != nil {
			return err
		}
		return mayReadUser(ctx, tx, p, u.ID)
	})
	return u, err
}

// FindUserByEmail returns the user with this email (case-insensitively), for callers who may
// see it (as GetUser).
func (s *Service) FindUserByEmail(ctx context.Context, email string) (*roster.User, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var u *roster.User
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		if u, err = tx.FindUserByEmail(ctx, email); err != nil {
			return err
		}
		return mayReadUser(ctx, tx, p, u.ID)
	})
	return u, err
}

// ChangeOwnPasswordUnverified sets the caller's password without its current one. It exists
// for surfaces whose contract sends no current password (Ella Core's PUT /users/me/password);
// the native API always asks for it. The caller's other sessions end.
func (s *Service) ChangeOwnPasswordUnverified(ctx context.Context, next string) error {
	p, err := userCaller(ctx)
	if err != nil {
		return err
	}
	var v roster.Validator
	s.checkNewPassword(&v, "/password", next, p.User.Username, p.User.Email)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx roster.Tx) error {
		u, err := tx.FindUserByID(ctx, p.User.ID)
		if err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		keep := ""
		if p.Session != nil {
			keep = p.Session.ID
		}
		if err := tx.DeleteUserSessions(ctx, u.ID, keep); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "user.password_set", targetKind: targetUser, targetID: u.ID})
	})
}

// refuseAdminFields answers, naming each, the fields a user sent about itself that only an
// instance administrator may set: mass assignment is a bad request, not a silent drop.
func refuseAdminFields(in UpdateUserInput) error {
	var v roster.Validator
	for _, f := range []struct {
		ptr string
		set bool
	}{{"/active", in.Active != nil}, {"/email", in.Email != nil}, {"/email_verified", in.EmailVerified != nil},
		{"/instance_admin", in.InstanceAdmin != nil}, {"/username", in.Username != nil}} {
		if f.set {
			v.Field(f.ptr, "may be set only by an instance administrator")
		}
	}
	if err := v.Err(); err != nil {
		e := err.(*roster.Error)
		e.Message = "You may change your own given_name, family_name and locale; an instance administrator changes the rest."
		return e
	}
	return nil
}
