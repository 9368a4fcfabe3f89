package service

import (
	"context"
	"strings"

	"github.com/rosterhq/roster"
)

// Account ownership. Users are global, and a tenant that merely has an account among its
// members must not be able to take it over: only the account's manager sets or resets its
// password, deletes or deactivates it, edits or reads its stored profile (locale, last login,
// verification, …).
//
// An instance administrator manages every account. Anyone else manages an account when it
// acts in the tenant named by the account's ManagedBy (the tenant it was created in), holds
// members:write there and every permission of the account's roles there, and the account does
// not administer the instance. Reading the stored profile needs members:read in that tenant.
//
// A tenant-scoped caller who adds an account it does not manage gets an invited membership:
// it grants nothing, counts for no last-admin rule, is left out of searches, shows the tenant
// only what the tenant supplied, and becomes active when the person accepts it.

// ErrNotManager refuses a change to an account the caller can see but does not manage.
var ErrNotManager = roster.Errorf(roster.EForbidden,
	"This account is not managed by your tenant: only an instance administrator, or the tenant that created it, may set its password, delete, deactivate or edit it.")

// errNotProfileReader refuses a read of the stored profile of an account the caller can see
// (as a member of a tenant) but does not manage.
var errNotProfileReader = roster.Errorf(roster.EForbidden,
	"This account is not managed by your tenant: read it as a member (GET /v1/tenants/{tenant}/members/{user}) instead.")

// manages reports whether the caller, acting with g in g's tenant, manages account u, whose
// membership there is m (nil when it has none).
func (g *grant) manages(u *roster.User, m *roster.Membership) bool {
	if g.principal.IsInstanceAdmin() {
		return true
	}
	if u.InstanceAdmin || u.ManagedBy == "" || u.ManagedBy != g.tenant.ID || !g.has(PermMembersWrite) {
		return false
	}
	if m != nil {
		for _, r := range m.Roles {
			if g.mayGrant(r) != nil {
				return false
			}
		}
	}
	return true
}

// readsProfile reports whether the caller, acting with g in g's tenant, may read the stored
// profile of account u: its manager's tenant, with members:read.
func (g *grant) readsProfile(u *roster.User) bool {
	if g.principal.IsInstanceAdmin() || g.principal.IsUser(u.ID) {
		return true
	}
	return !u.InstanceAdmin && u.ManagedBy != "" && u.ManagedBy == g.tenant.ID && g.has(PermMembersRead)
}

// shown returns m as the caller, acting with g, may see it. An invited membership shows only
// the user's id and what its inviter supplied (to anyone but the person and instance
// administrators); an account whose stored profile the caller may not read shows no last login.
func (g *grant) shown(m *roster.Membership) *roster.Membership {
	if m == nil || m.User == nil || g.principal.IsInstanceAdmin() || g.principal.IsUser(m.UserID) {
		return m
	}
	out := *m
	switch {
	case !m.Active():
		out.User = &roster.User{ID: m.UserID, Email: m.Invitee.Email, GivenName: m.Invitee.GivenName, FamilyName: m.Invitee.FamilyName}
	case !g.readsProfile(m.User):
		u := *m.User
		u.LastLoginAt, u.PasswordHash = nil, ""
		out.User = &u
	}
	return &out
}

func (g *grant) shownAll(ms []*roster.Membership) []*roster.Membership {
	out := make([]*roster.Membership, len(ms))
	for i, m := range ms {
		out[i] = g.shown(m)
	}
	return out
}

// managerGrant returns the caller's grant in the tenant that manages u, or nil when u is
// instance-managed or the caller does not act in that tenant.
func managerGrant(ctx context.Context, tx roster.Tx, u *roster.User) (*grant, error) {
	if u.ManagedBy == "" {
		return nil, nil
	}
	g, err := tenantGrant(ctx, tx, u.ManagedBy)
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return nil, nil
	}
	return g, err
}

// mayManage returns nil when the caller manages u; otherwise EForbidden when the caller can
// see the account (see seesAccount), and errUserNotFound when it cannot.
func mayManage(ctx context.Context, tx roster.Tx, p *roster.Principal, u *roster.User) error {
	if p.IsInstanceAdmin() {
		return nil
	}
	g, err := managerGrant(ctx, tx, u)
	if err != nil {
		return err
	}
	if g != nil {
		m, err := findMembershipOrNil(ctx, tx, g.tenant.ID, u.ID)
		if err != nil {
			return err
		}
		if g.manages(u, m) {
			return nil
		}
	}
	return hiddenOr(ctx, tx, p, u, ErrNotManager)
}

// mayReadProfile returns nil when the caller may read u's stored profile: itself, an
// instance administrator, or a holder of members:read in the tenant that manages u.
// Otherwise as mayManage.
func mayReadProfile(ctx context.Context, tx roster.Tx, p *roster.Principal, u *roster.User) error {
	if p.IsInstanceAdmin() || p.IsUser(u.ID) {
		return nil
	}
	g, err := managerGrant(ctx, tx, u)
	if err != nil {
		return err
	}
	if g != nil && g.readsProfile(u) {
		return nil
	}
	return hiddenOr(ctx, tx, p, u, errNotProfileReader)
}

// hiddenOr returns refusal when the caller can see u, and errUserNotFound when it cannot.
func hiddenOr(ctx context.Context, tx roster.Tx, p *roster.Principal, u *roster.User, refusal error) error {
	ok, err := seesAccount(ctx, tx, p, u)
	if err != nil {
		return err
	}
	if ok {
		return refusal
	}
	return errUserNotFound
}

// seesAccount reports whether the caller may know that account u exists: it is the caller,
// the caller administers the instance, or u is an active member of a tenant in which the
// caller (actively) holds members:read. An invitation shows the inviting tenant nothing.
func seesAccount(ctx context.Context, tx roster.Tx, p *roster.Principal, u *roster.User) (bool, error) {
	if p.IsInstanceAdmin() || p.IsUser(u.ID) {
		return true, nil
	}
	theirs, err := tx.ListUserMemberships(ctx, u.ID)
	if err != nil {
		return false, err
	}
	readers := map[string]bool{} // tenants in which p may read members
	if sa := p.ServiceAccount; sa != nil {
		readers[sa.TenantID] = (&grant{permissions: permissionsOf(sa.Roles)}).has(PermMembersRead)
	} else {
		mine, err := tx.ListUserMemberships(ctx, p.User.ID)
		if err != nil {
			return false, err
		}
		for _, m := range mine {
			readers[m.TenantID] = m.Active() && (&grant{permissions: permissionsOf(m.Roles)}).has(PermMembersRead)
		}
	}
	for _, m := range theirs {
		if m.Active() && readers[m.TenantID] {
			return true, nil
		}
	}
	return false, nil
}

func findMembershipOrNil(ctx context.Context, tx roster.Tx, tenantID, userID string) (*roster.Membership, error) {
	m, err := tx.FindMembership(ctx, tenantID, userID)
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return nil, nil
	}
	return m, err
}

// findUser resolves a user reference: an id (usr_…), an email (it holds "@") or a username,
// the last two case-insensitively.
func findUser(ctx context.Context, tx roster.Tx, ref string) (*roster.User, error) {
	switch {
	case roster.IsID(roster.PrefixUser, ref):
		return tx.FindUserByID(ctx, ref)
	case strings.Contains(ref, "@"):
		return tx.FindUserByEmail(ctx, ref)
	}
	key := usernameKey(ref)
	if key == "" || len(key) > maxUsernameBytes || !usernamePattern.MatchString(key) {
		return nil, malformedUserRef(ref)
	}
	return tx.FindUserByUsername(ctx, key)
}

// findMember resolves a user reference to a membership of g's tenant. Unknown users and
// non-members are both errMemberNotFound, so that no one learns which addresses exist. An
// invited membership is found by the user's id, by the email its inviter supplied, and by the
// invited person itself; never by the account's stored username or another email.
func (g *grant) findMember(ctx context.Context, tx roster.Tx, ref string) (*roster.Membership, error) {
	userID := ref
	if !roster.IsID(roster.PrefixUser, ref) {
		u, err := findUser(ctx, tx, ref)
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			return nil, errMemberNotFound
		}
		if err != nil {
			return nil, err
		}
		userID = u.ID
	}
	m, err := tx.FindMembership(ctx, g.tenant.ID, userID)
	if err != nil {
		return nil, err
	}
	if !m.Active() && userID != ref && !strings.EqualFold(ref, m.Invitee.Email) && !g.isSelf(userID) && !g.principal.IsInstanceAdmin() {
		return nil, errMemberNotFound
	}
	return m, nil
}

// newMembership is the membership g's caller creates by adding u with roles: active when the
// caller manages u, otherwise an invitation carrying what the caller supplied about the person.
func (g *grant) newMembership(u *roster.User, roles []*roster.Role, supplied roster.Invitee) *roster.Membership {
	t := now()
	m := &roster.Membership{TenantID: g.tenant.ID, UserID: u.ID, Status: roster.MemberActive, Roles: roles,
		CreatedAt: t, UpdatedAt: t, Version: 1}
	if !g.manages(u, nil) {
		m.Status, m.Invitee = roster.MemberInvited, supplied
	}
	return m
}

// addedEvent is the audit event of a new membership: member.added or member.invited.
func addedEvent(m *roster.Membership) event {
	if m.Active() {
		return memberEvent("member.added", m)
	}
	return memberEvent("member.invited", m)
}
