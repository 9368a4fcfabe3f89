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
	// ManagedBy, for instance administrators, names the tenant (id or slug) that manages the
	// account; empty, the instance does.
	ManagedBy string
	// Join makes the new user a member of these tenants in the same transaction, under the
	// rules of AddMember.
	Join []TenantRoles
	// SendVerification, when set, says whether to mail an unverified user a verification link
	// regardless of the instance setting (--skip-verification-mail).
	SendVerification *bool
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
	// ManagedBy, for instance administrators, hands the account to the tenant (id or slug) that
	// manages it; "" gives it back to the instance.
	ManagedBy *string
	// Password, for managers, sets a new password and ends the user's sessions; a user setting
	// its own needs a password-authenticated session (see ChangeOwnPassword).
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
		if u.ManagedBy, err = managingTenant(ctx, tx, in.ManagedBy); err != nil {
			return err
		}
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		if err := audit(ctx, tx, event{action: "user.created", targetKind: targetUser, targetID: u.ID}); err != nil {
			return err
		}
		if err := s.verifyNewUser(ctx, tx, u, in.SendVerification, false); err != nil {
			return err
		}
		return join(ctx, tx, u.ID, in.Join)
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return u, nil
}

// managingTenant resolves the tenant reference an instance administrator gave as an account's
// manager to its id ("" for the instance).
func managingTenant(ctx context.Context, tx roster.Tx, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	t, err := tx.FindTenant(ctx, ref)
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return "", roster.Invalid(fmt.Sprintf("No tenant %q.", ref), roster.FieldError{Pointer: "/managed_by", Detail: "names no tenant"})
	}
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

// errUserNotFound hides users the caller may not see.
var errUserNotFound = roster.Errorf(roster.ENotFound, "User not found.")

// GetUser returns a user (by id, email or username) with its stored profile: to itself, to
// instance administrators, and to holders of members:read in the tenant that manages it.
// Members of the caller's tenants it does not manage are EForbidden (read them as members);
// anyone else is not found.
func (s *Service) GetUser(ctx context.Context, ref string) (*roster.User, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var u *roster.User
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		if u, err = findUser(ctx, tx, ref); err != nil {
			return err
		}
		return mayReadProfile(ctx, tx, p, u)
	})
	return u, err
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

// UpdateUser changes a user (by id, email or username). Users may change their own names and
// locale; a manager of the account (see ownership.go) its names, locale and status; username,
// email, verification, managed_by and the instance-administrator flag are for instance
// administrators, so that nobody can probe which addresses exist by trying to take them. The
// last active instance administrator, and the only active admin of a tenant, stay active.
// Deactivating a user ends its sessions and tokens.
func (s *Service) UpdateUser(ctx context.Context, ref string, in UpdateUserInput) (*roster.User, error) {
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
	// A new password is checked with the other fields, so that one answer names every bad
	// one, but only once the caller may set it: the policy tells about the account's names.
	if err := v.Err(); err != nil && in.Password == nil {
		return nil, err
	}
	if (len(in.Join) > 0 || in.ManagedBy != nil) && !p.IsInstanceAdmin() {
		return nil, roster.Errorf(roster.EForbidden, "Only instance administrators may set memberships or managed_by here.")
	}
	// The target, and what the caller may do to it, before any password is hashed.
	var u *roster.User
	authorize := func(tx roster.Tx) error {
		if u, err = findUser(ctx, tx, ref); err != nil {
			return err
		}
		switch {
		case p.IsInstanceAdmin():
			if in.Password != nil && p.IsUser(u.ID) {
				return ownPasswordNeedsSession(p)
			}
			return nil
		case p.IsUser(u.ID):
			if in.Password != nil {
				if err := ownPasswordNeedsSession(p); err != nil {
					return err
				}
			}
			return refuseFields(in, "You may change your own given_name, family_name and locale; an instance administrator changes the rest.",
				"/active", "/email", "/email_verified", "/instance_admin", "/username")
		}
		if err := mayManage(ctx, tx, p, u); err != nil {
			return err
		}
		return refuseFields(in, "As the account's manager you may change its given_name, family_name, locale, active and password; an instance administrator changes the rest.",
			"/email", "/email_verified", "/instance_admin", "/username")
	}
	if err := s.store.Read(ctx, authorize); err != nil {
		return nil, err
	}
	var hash string
	if in.Password != nil {
		s.checkNewPassword(&v, "/password", *in.Password, u.Username, u.Email)
		if err := v.Err(); err != nil {
			return nil, err
		}
		if hash, err = s.hasher.Hash(ctx, *in.Password); err != nil {
			return nil, err
		}
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		if err := authorize(tx); err != nil { // again, inside the transaction that writes
			return err
		}
		if err := checkVersion(in.IfMatch, u.Version); err != nil {
			return err
		}
		wasAdmin, wasActive, oldEmail := u.InstanceAdmin && u.Active, u.Active, u.Email
		applyUserUpdate(u, in)
		if in.ManagedBy != nil {
			if u.ManagedBy, err = managingTenant(ctx, tx, *in.ManagedBy); err != nil {
				return err
			}
		}
		if err := s.addressChangedByAdmin(ctx, tx, oldEmail, u, in); err != nil {
			return err
		}
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
			keep := ""
			if p.IsUser(u.ID) && p.Session != nil && u.Active {
				keep = p.Session.ID
			}
			if err := tx.DeleteUserSessions(ctx, u.ID, keep); err != nil {
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
	if err == nil {
		s.wake()
	}
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

// DeleteUser deletes a user (by id, email or username) with its memberships and sessions, and
// returns it. Instance administrators may delete anyone; a manager of the account (see
// ownership.go) an account that belongs to no tenant but the one that manages it (EConflict
// otherwise: remove it from your tenant instead). A user who is the only active admin of a
// tenant, or the last instance administrator, stays.
func (s *Service) DeleteUser(ctx context.Context, ref string, ifMatch *int64) (*roster.User, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var u *roster.User
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		if u, err = findUser(ctx, tx, ref); err != nil {
			return err
		}
		if !p.IsInstanceAdmin() {
			if err := mayManage(ctx, tx, p, u); err != nil {
				return err
			}
			ms, err := tx.ListUserMemberships(ctx, u.ID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				if m.TenantID != u.ManagedBy {
					return roster.Errorf(roster.EConflict,
						"The account belongs to other tenants too; remove it from your tenant instead (DELETE /v1/tenants/{tenant}/members/{user}).")
				}
			}
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
	return u, err
}

// SetPassword sets a user's password (by id, email or username). Users changing their own
// must give the current one; managers of the account (instance administrators, and its
// tenant's, see ownership.go) set it without. Every other session of the user ends.
func (s *Service) SetPassword(ctx context.Context, ref, current, next string, ifMatch *int64) (*roster.User, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var u *roster.User
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		if u, err = findUser(ctx, tx, ref); err != nil {
			return err
		}
		if p.IsUser(u.ID) {
			return nil
		}
		return mayManage(ctx, tx, p, u)
	})
	if err != nil {
		return nil, err
	}
	self := p.IsUser(u.ID)
	var v roster.Validator
	if self {
		v.Check(current != "", "/current_password", "is required to change your own password")
	}
	s.checkNewPassword(&v, "/password", next, u.Username, u.Email)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var att *attempt
	if self { // checking the current password is a password check like a login: throttled
		if att, err = s.checkCurrentPassword(ctx, u, current); err != nil {
			return nil, err
		}
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return nil, err
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		fresh, err := tx.FindUserByID(ctx, u.ID)
		if err != nil {
			return err
		}
		if !self {
			if err := mayManage(ctx, tx, p, fresh); err != nil { // again, inside the transaction that writes
				return err
			}
		}
		if err := checkVersion(ifMatch, fresh.Version); err != nil {
			return err
		}
		if fresh.PasswordHash != u.PasswordHash {
			return roster.Errorf(roster.EConflict, "The password was changed meanwhile; retry.")
		}
		u = fresh
		if att != nil {
			if err := att.settle(ctx, tx, u); err != nil {
				return err
			}
		}
		return s.storePassword(ctx, tx, p, u, hash)
	})
	if err != nil && att != nil {
		s.forget(ctx, att) // the current password was right; only the change failed
	}
	return u, err
}

// storePassword stores the hash as u's password, ends u's sessions but the caller's own
// current one, and records it.
func (s *Service) storePassword(ctx context.Context, tx roster.Tx, p *roster.Principal, u *roster.User, hash string) error {
	u.PasswordHash, u.UpdatedAt = hash, now()
	if err := tx.UpdateUser(ctx, u); err != nil {
		return err
	}
	keep := ""
	if p.IsUser(u.ID) && p.Session != nil {
		keep = p.Session.ID
	}
	if err := tx.DeleteUserSessions(ctx, u.ID, keep); err != nil {
		return err
	}
	return audit(ctx, tx, event{action: "user.password_set", targetKind: targetUser, targetID: u.ID})
}

// ErrPasswordSessionRequired refuses a change of one's own password, without the current
// one, made with a credential that did not come from typing that password: an API token that
// leaks must not let its finder lock the owner out.
var ErrPasswordSessionRequired = roster.Errorf(roster.EForbidden,
	"Changing your own password needs a session from a password login: log in with your password and use that session's token (an API token may not), or give your current password where the call takes it.")

// ownPasswordNeedsSession returns ErrPasswordSessionRequired unless p is a login session.
func ownPasswordNeedsSession(p *roster.Principal) error {
	if p.Session == nil {
		return ErrPasswordSessionRequired
	}
	return nil
}

// ChangeOwnPassword sets the caller's password without its current one, for surfaces whose
// contract sends none (Ella Core's PUT /users/me/password): only a session from a password
// login may (ErrPasswordSessionRequired otherwise), the proof that the caller knows the
// password. The native API always asks for the current one. The caller's other sessions end.
func (s *Service) ChangeOwnPassword(ctx context.Context, next string) error {
	p, err := userCaller(ctx)
	if err != nil {
		return err
	}
	if err := ownPasswordNeedsSession(p); err != nil {
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
		return s.storePassword(ctx, tx, p, u, hash)
	})
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
		if m.Active() && holdsAdmin(m.Roles) {
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

// GetUserWithMemberships returns a user (by id, email or username) and its active
// memberships in the tenants the caller actively belongs to (every tenant, for an instance
// administrator). Users the caller shares no tenant with are not found: the rule of surfaces
// whose reads need only membership.
func (s *Service) GetUserWithMemberships(ctx context.Context, ref string) (*roster.User, []MembershipView, error) {
	p, err := userCaller(ctx)
	if err != nil {
		return nil, nil, err
	}
	var u *roster.User
	var shown []MembershipView
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		if u, err = findUser(ctx, tx, ref); err != nil {
			return err
		}
		theirs, err := membershipViews(ctx, tx, u.ID, false)
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
				mine[m.TenantID] = m.Active()
			}
		}
		shown = nil
		for _, v := range theirs {
			if p.IsInstanceAdmin() || mine[v.Tenant.ID] {
				shown = append(shown, v)
			}
		}
		if len(shown) == 0 && !p.IsInstanceAdmin() && !p.IsUser(u.ID) {
			return errUserNotFound
		}
		return nil
	})
	return u, shown, err
}

// EachUser calls fn with every user and its active memberships' tenants, in id order, reading
// them as one stream. Only instance administrators may.
func (s *Service) EachUser(ctx context.Context, f roster.UserFilter, fn func(*roster.User, []roster.UserTenant) error) error {
	if _, err := requireInstanceAdmin(ctx); err != nil {
		return err
	}
	f.Page = roster.Page{}
	return s.stream(ctx, func(tx roster.Tx) error { return tx.EachUser(ctx, f, fn) })
}

// join adds the user to each tenant it is not yet a member of, with the given roles. Its
// callers (bootstrap, instance administrators) manage every account: the memberships are
// active at once.
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
		m := &roster.Membership{TenantID: g.tenant.ID, UserID: userID, Status: roster.MemberActive, Roles: roles,
			CreatedAt: t, UpdatedAt: t, Version: 1}
		if err := tx.CreateMembership(ctx, m); err != nil {
			return err
		}
		if err := audit(ctx, tx, memberEvent("member.added", m)); err != nil {
			return err
		}
	}
	return nil
}

// refuseFields answers, naming each, the fields of in at the given pointers that were sent:
// mass assignment is a bad request, not a silent drop.
func refuseFields(in UpdateUserInput, message string, pointers ...string) error {
	sent := map[string]bool{"/active": in.Active != nil, "/email": in.Email != nil, "/email_verified": in.EmailVerified != nil,
		"/instance_admin": in.InstanceAdmin != nil, "/username": in.Username != nil}
	var v roster.Validator
	for _, ptr := range pointers {
		if sent[ptr] {
			v.Field(ptr, "may be set only by an instance administrator")
		}
	}
	if err := v.Err(); err != nil {
		e := err.(*roster.Error)
		e.Message = message
		return e
	}
	return nil
}
