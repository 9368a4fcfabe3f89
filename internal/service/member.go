package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
)

// MemberQuery filters a tenant's members.
type MemberQuery struct {
	Role        string // role id or name
	EmailPrefix string
	Query       string
}

// BulkRoleItem is one member's new role set in a bulk call. With Builtin, Roles may name only
// built-in roles (admin, user, viewer); they replace the member's built-in roles and its custom
// roles stay.
type BulkRoleItem struct {
	UserID  string
	Roles   []string
	Builtin bool
}

var builtinNames = []string{roster.RoleAdmin, roster.RoleUser, roster.RoleViewer}

// checkBuiltin records a problem at ptr for each ref that is not a built-in role's name.
func checkBuiltin(v *roster.Validator, ptr string, refs []string) bool {
	ok := true
	for _, ref := range refs {
		if !slices.Contains(builtinNames, ref) {
			v.Field(ptr, "must be one of admin, user, viewer")
			ok = false
		}
	}
	return ok
}

// withCustomRoles returns refs plus the names of the custom roles among current.
func withCustomRoles(refs []string, current []*roster.Role) []string {
	out := slices.Clone(refs)
	for _, r := range current {
		if !r.Builtin {
			out = append(out, r.Name)
		}
	}
	return out
}

// errMemberNotFound hides memberships the caller may not see.
var errMemberNotFound = roster.Errorf(roster.ENotFound, "Member not found.")

// errLastAdmin keeps every tenant administrable.
var errLastAdmin = roster.Errorf(roster.EConflict, "A tenant must keep at least one active admin; make another member admin first.")

// roleResolver looks roles of one tenant up by id or name, once each.
type roleResolver struct {
	tx       roster.Tx
	tenantID string
	cache    map[string]*roster.Role
}

// resolve returns the roles named by refs, without duplicates and sorted by name, recording a
// problem at ptr for a missing, empty or unknown list entry.
func (rr *roleResolver) resolve(ctx context.Context, v *roster.Validator, ptr string, refs []string) ([]*roster.Role, error) {
	if len(refs) == 0 {
		v.Field(ptr, "must name at least one role")
		return nil, nil
	}
	if len(refs) > maxRolesPerMember {
		v.Field(ptr, "must name at most %d roles", maxRolesPerMember)
		return nil, nil
	}
	var out []*roster.Role
	for i, ref := range refs {
		r, ok := rr.cache[ref]
		if !ok {
			var err error
			r, err = rr.tx.FindRole(ctx, rr.tenantID, ref)
			if err != nil && roster.ErrorCodeOf(err) != roster.ENotFound {
				return nil, err
			}
			rr.cache[ref] = r
		}
		if r == nil {
			v.Field(fmt.Sprintf("%s/%d", ptr, i), "no role %q in this tenant", ref)
			continue
		}
		if !slices.ContainsFunc(out, func(o *roster.Role) bool { return o.ID == r.ID }) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *roster.Role) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func newResolver(tx roster.Tx, tenantID string) *roleResolver {
	return &roleResolver{tx: tx, tenantID: tenantID, cache: map[string]*roster.Role{}}
}

// resolveChange resolves refs to roles of the grant's tenant, recording unknown ones in v and
// returning v's error, then checks that the caller may grant or revoke every role that differs
// from current (nil for a new holder).
func (g *grant) resolveChange(ctx context.Context, tx roster.Tx, v *roster.Validator, ptr string, refs []string, current []*roster.Role) ([]*roster.Role, error) {
	roles, err := newResolver(tx, g.tenant.ID).resolve(ctx, v, ptr, refs)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for _, r := range changedRoles(current, roles) {
		if err := g.mayGrant(r); err != nil {
			return nil, err
		}
	}
	return roles, nil
}

// changedRoles returns the roles in exactly one of a and b.
func changedRoles(a, b []*roster.Role) []*roster.Role {
	in := func(list []*roster.Role, r *roster.Role) bool {
		return slices.ContainsFunc(list, func(o *roster.Role) bool { return o.ID == r.ID })
	}
	var out []*roster.Role
	for _, r := range a {
		if !in(b, r) {
			out = append(out, r)
		}
	}
	for _, r := range b {
		if !in(a, r) {
			out = append(out, r)
		}
	}
	return out
}

func holdsAdmin(roles []*roster.Role) bool {
	return slices.ContainsFunc(roles, func(r *roster.Role) bool { return r.Builtin && r.Name == roster.RoleAdmin })
}

// ensureAdminLeft returns errLastAdmin when the tenant has no admin left in this transaction.
func ensureAdminLeft(ctx context.Context, tx roster.Tx, tenantID string) error {
	admin, err := tx.FindRole(ctx, tenantID, roster.RoleAdmin)
	if err != nil {
		return err
	}
	n, err := tx.CountMembersWithRole(ctx, tenantID, admin.ID, true)
	if err != nil {
		return err
	}
	if n == 0 {
		return errLastAdmin
	}
	return nil
}

// AddMember adds an existing user, by id, to the tenant with roles; it needs members:write and
// every permission of those roles. An account the caller does not manage (see ownership.go)
// is invited, not added: the membership grants nothing until the person accepts it.
func (s *Service) AddMember(ctx context.Context, tenantRef, userID string, roleRefs []string) (*roster.Membership, error) {
	var m *roster.Membership
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		var v roster.Validator // inside: the store may run this function again
		switch {
		case userID == "":
			v.Field("/user_id", "is required")
		case !roster.IsID(roster.PrefixUser, userID):
			v.Field("/user_id", "must be a user id (usr_…)")
		}
		if err := v.Err(); err != nil {
			return err
		}
		g, err := grantFor(ctx, tx, tenantRef, PermMembersWrite)
		if err != nil {
			return err
		}
		u, err := tx.FindUserByID(ctx, userID)
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			v.Field("/user_id", "no user has this id")
		} else if err != nil {
			return err
		}
		roles, err := g.resolveChange(ctx, tx, &v, "/roles", roleRefs, nil)
		if err != nil {
			return err
		}
		m = g.newMembership(u, roles, roster.Invitee{})
		if err := tx.CreateMembership(ctx, m); err != nil {
			return err
		}
		if err := audit(ctx, tx, addedEvent(m)); err != nil {
			return err
		}
		m, err = tx.FindMembership(ctx, g.tenant.ID, userID)
		m = g.shown(m)
		return err
	})
	return m, err
}

// AcceptMembership makes the caller's invitation to the tenant an active membership, with the
// roles it was offered. A membership that is active already is returned as it is.
func (s *Service) AcceptMembership(ctx context.Context, tenantRef string) (*roster.Membership, error) {
	p, err := userCaller(ctx)
	if err != nil {
		return nil, err
	}
	noInvitation := roster.Errorf(roster.ENotFound, "You have no invitation to this tenant.")
	var m *roster.Membership
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		t, err := tx.FindTenant(ctx, tenantRef)
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			return noInvitation
		}
		if err != nil {
			return err
		}
		if m, err = tx.FindMembership(ctx, t.ID, p.User.ID); roster.ErrorCodeOf(err) == roster.ENotFound {
			return noInvitation
		} else if err != nil || m.Active() {
			return err
		}
		roster.NoteTenant(ctx, t.ID)
		if err := tx.LockTenant(ctx, t.ID); err != nil {
			return err
		}
		if err := closeMembershipInvitation(ctx, tx, t.ID, p.User.ID, roster.InvitationAccepted); err != nil {
			return err
		}
		m.UpdatedAt = now()
		if err := tx.ActivateMembership(ctx, m); err != nil {
			return err
		}
		if err := audit(ctx, tx, memberEvent("member.accepted", m)); err != nil {
			return err
		}
		m, err = tx.FindMembership(ctx, t.ID, p.User.ID)
		return err
	})
	return m, err
}

// GetMember returns one membership, by user id, email or username; members may read their
// own, others need members:read.
func (s *Service) GetMember(ctx context.Context, tenantRef, userRef string) (*roster.Membership, error) {
	var m *roster.Membership
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, mine, err := s.selfOrGrant(ctx, tx, tenantRef, userRef)
		if err != nil || mine != nil {
			m = mine
			return err
		}
		if err := g.require(PermMembersRead); err != nil {
			return err
		}
		m, err = g.findMember(ctx, tx, userRef)
		m = g.shown(m)
		return err
	})
	return m, err
}

// selfOrGrant returns the caller's own membership when userRef names the caller (whatever its
// status: the person may read and leave an invitation), and otherwise the caller's grant.
func (s *Service) selfOrGrant(ctx context.Context, tx roster.Tx, tenantRef, userRef string) (*grant, *roster.Membership, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	if p.User != nil && !p.User.InstanceAdmin && refersTo(p.User, userRef) {
		t, err := tx.FindTenant(ctx, tenantRef)
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			return nil, nil, ErrTenantNotFound
		}
		if err != nil {
			return nil, nil, err
		}
		m, err := tx.FindMembership(ctx, t.ID, p.User.ID)
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			return nil, nil, ErrTenantNotFound
		}
		roster.NoteTenant(ctx, t.ID)
		return nil, m, err
	}
	g, err := tenantGrant(ctx, tx, tenantRef)
	return g, nil, err
}

// refersTo reports whether ref names u: its id, email or username.
func refersTo(u *roster.User, ref string) bool {
	switch {
	case roster.IsID(roster.PrefixUser, ref):
		return ref == u.ID
	case strings.Contains(ref, "@"):
		return strings.EqualFold(ref, u.Email)
	}
	return usernameKey(ref) != "" && usernameKey(ref) == usernameKey(u.Username)
}

// ListMembers lists the tenant's members ordered by user id; it needs members:read. q's email
// prefix and search match active members only.
func (s *Service) ListMembers(ctx context.Context, tenantRef string, q MemberQuery, o ListOptions) ([]*roster.Membership, string, error) {
	var v roster.Validator
	f := roster.MemberFilter{Page: o.page(&v), EmailPrefix: q.EmailPrefix, Query: q.Query}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var ms []*roster.Membership
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, err := s.memberReader(ctx, tx, tenantRef, q, &f, false)
		if err != nil {
			return err
		}
		ms, err = tx.ListMemberships(ctx, f)
		ms = g.shownAll(ms)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	ms, next := paginate(ms, f.Page, func(m *roster.Membership) string { return m.UserID })
	return ms, next, nil
}

// memberReader loads the caller's grant for reading the tenant's members and completes f: it
// needs members:read, or with directory only active membership.
func (s *Service) memberReader(ctx context.Context, tx roster.Tx, tenantRef string, q MemberQuery, f *roster.MemberFilter, directory bool) (*grant, error) {
	g, err := tenantGrant(ctx, tx, tenantRef)
	if err != nil {
		return nil, err
	}
	if !directory || g.membership == nil {
		if err := g.require(PermMembersRead); err != nil {
			return nil, err
		}
	}
	f.TenantID = g.tenant.ID
	if q.Role != "" {
		r, err := tx.FindRole(ctx, g.tenant.ID, q.Role)
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			return nil, roster.Invalid(fmt.Sprintf("No role %q in this tenant.", q.Role),
				roster.FieldError{Parameter: "role", Detail: "names no role of this tenant"})
		}
		if err != nil {
			return nil, err
		}
		f.RoleID = r.ID
	}
	return g, nil
}

// EachMember calls fn with every member of the tenant matching q, in user order, as
// ListMembers shows them and under its rule (members:read), reading them as one stream.
func (s *Service) EachMember(ctx context.Context, tenantRef string, q MemberQuery, fn func(*roster.Membership) error) error {
	return s.eachMember(ctx, tenantRef, q, false, fn)
}

// TenantDirectory calls fn with every member of the tenant, like EachMember, for anyone who
// belongs to the tenant whatever its roles: the rule of surfaces whose reads need only
// membership.
func (s *Service) TenantDirectory(ctx context.Context, tenantRef string, fn func(*roster.Membership) error) error {
	return s.eachMember(ctx, tenantRef, MemberQuery{}, true, fn)
}

func (s *Service) eachMember(ctx context.Context, tenantRef string, q MemberQuery, directory bool, fn func(*roster.Membership) error) error {
	f := roster.MemberFilter{EmailPrefix: q.EmailPrefix, Query: q.Query}
	return s.stream(ctx, func(tx roster.Tx) error {
		g, err := s.memberReader(ctx, tx, tenantRef, q, &f, directory)
		if err != nil {
			return err
		}
		return tx.EachMembership(ctx, f, func(m *roster.Membership) error { return fn(g.shown(m)) })
	})
}

// stream runs a read that hands rows to a caller's function as they come. Should the store
// run it a second time (a retried transaction), it fails instead, so that the caller never
// sees a row twice.
func (s *Service) stream(ctx context.Context, read func(roster.Tx) error) error {
	ran := false
	return s.store.Read(ctx, func(tx roster.Tx) error {
		if ran {
			return roster.Errorf(roster.EUnavailable, "The read was interrupted; retry.")
		}
		ran = true
		return read(tx)
	})
}

// SetMemberRoles replaces the roles of a member (by user id, email or username). The caller
// needs members:write and every permission of each role added or taken away; the tenant
// keeps at least one active admin.
func (s *Service) SetMemberRoles(ctx context.Context, tenantRef, userRef string, roleRefs []string, ifMatch *int64) (*roster.Membership, error) {
	return s.setMemberRoles(ctx, tenantRef, userRef, func([]*roster.Role) []string { return roleRefs }, ifMatch)
}

// SetMemberBuiltinRole gives a member one built-in role (admin, user or viewer) in place of
// the built-in roles it holds, keeping its custom roles, under SetMemberRoles' rules.
func (s *Service) SetMemberBuiltinRole(ctx context.Context, tenantRef, userRef, role string) (*roster.Membership, error) {
	var v roster.Validator
	if !checkBuiltin(&v, "/role", []string{role}) {
		return nil, v.Err()
	}
	return s.setMemberRoles(ctx, tenantRef, userRef, func(current []*roster.Role) []string {
		return withCustomRoles([]string{role}, current)
	}, nil)
}

// setMemberRoles replaces a member's roles with those refs returns for its current ones.
func (s *Service) setMemberRoles(ctx context.Context, tenantRef, userRef string, refs func([]*roster.Role) []string, ifMatch *int64) (*roster.Membership, error) {
	var m *roster.Membership
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermMembersWrite)
		if err != nil {
			return err
		}
		if err := tx.LockTenant(ctx, g.tenant.ID); err != nil {
			return err
		}
		if m, err = g.findMember(ctx, tx, userRef); err != nil {
			return err
		}
		if err := checkVersion(ifMatch, m.Version); err != nil {
			return err
		}
		var v roster.Validator
		roles, err := g.resolveChange(ctx, tx, &v, "/roles", refs(m.Roles), m.Roles)
		if err != nil {
			return err
		}
		if err := storeRoles(ctx, tx, m, roles); err != nil {
			return err
		}
		if holdsAdmin(m.Roles) && !holdsAdmin(roles) {
			if err := ensureAdminLeft(ctx, tx, g.tenant.ID); err != nil {
				return err
			}
		}
		m, err = tx.FindMembership(ctx, g.tenant.ID, m.UserID)
		m = g.shown(m)
		return err
	})
	return m, err
}

// storeRoles replaces m's roles, leaving m itself as it was read, and records it.
func storeRoles(ctx context.Context, tx roster.Tx, m *roster.Membership, roles []*roster.Role) error {
	next := *m
	next.Roles, next.UpdatedAt = roles, now()
	if err := tx.SetMembershipRoles(ctx, &next); err != nil {
		return err
	}
	return audit(ctx, tx, memberEvent("member.roles_set", m))
}

func memberEvent(action string, m *roster.Membership) event {
	return event{action: action, tenantID: m.TenantID, targetKind: targetMember, targetID: m.UserID}
}

// RemoveMember takes a user (by id, email or username) out of the tenant. Members may leave by
// themselves (and decline an invitation so); others need members:write and every permission
// the member's roles hold. The last active admin stays.
func (s *Service) RemoveMember(ctx context.Context, tenantRef, userRef string, ifMatch *int64) error {
	return s.store.Write(ctx, func(tx roster.Tx) error {
		_, _, err := s.removeMember(ctx, tx, tenantRef, userRef, ifMatch)
		return err
	})
}

// removeMember removes the membership and returns it, with the caller's grant (nil when the
// caller left a tenant by itself).
func (s *Service) removeMember(ctx context.Context, tx roster.Tx, tenantRef, userRef string, ifMatch *int64) (*grant, *roster.Membership, error) {
	g, m, err := s.selfOrGrant(ctx, tx, tenantRef, userRef)
	if err != nil {
		return nil, nil, err
	}
	var tenantID string
	if g != nil { // not the caller's own membership (or the caller administers the instance)
		tenantID = g.tenant.ID
		if err := g.require(PermMembersWrite); err != nil {
			return nil, nil, err
		}
	} else {
		tenantID = m.TenantID
	}
	if err := tx.LockTenant(ctx, tenantID); err != nil {
		return nil, nil, err
	}
	if g != nil {
		if m, err = g.findMember(ctx, tx, userRef); err != nil {
			return nil, nil, err
		}
	} else if m, err = tx.FindMembership(ctx, tenantID, m.UserID); err != nil { // again, under the lock
		return nil, nil, err
	}
	if err := checkVersion(ifMatch, m.Version); err != nil {
		return nil, nil, err
	}
	if g != nil {
		for _, r := range m.Roles {
			if err := g.mayGrant(r); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := tx.DeleteMembership(ctx, tenantID, m.UserID); err != nil {
		return nil, nil, err
	}
	ev := memberEvent("member.removed", m)
	closing := ""
	switch {
	case m.Active():
	case g == nil || g.isSelf(m.UserID):
		ev, closing = memberEvent("member.declined", m), roster.InvitationDeclined
	default:
		ev, closing = memberEvent("member.invitation_withdrawn", m), roster.InvitationRevoked
	}
	if err := audit(ctx, tx, ev); err != nil {
		return nil, nil, err
	}
	if closing != "" { // the invitation that made the membership ends with it
		if err := closeMembershipInvitation(ctx, tx, tenantID, m.UserID, closing); err != nil {
			return nil, nil, err
		}
	}
	if m.Active() && holdsAdmin(m.Roles) {
		if err := ensureAdminLeft(ctx, tx, tenantID); err != nil {
			return nil, nil, err
		}
	}
	return g, m, nil
}

// BulkSetMemberRoles replaces the roles of up to MaxBulkItems members at once: either every
// item is applied or none is, and a refusal lists every item at fault.
func (s *Service) BulkSetMemberRoles(ctx context.Context, tenantRef string, items []BulkRoleItem) ([]*roster.Membership, error) {
	var v roster.Validator
	switch {
	case len(items) == 0:
		v.Field("", "must hold at least one item")
	case len(items) > MaxBulkItems:
		v.Field("", "must hold at most %d items", MaxBulkItems)
	}
	seen := map[string]int{}
	total := 0
	for _, it := range items {
		total += len(it.Roles)
	}
	if total > maxBulkRoles {
		v.Field("", "must name at most %d roles across all items; split the call", maxBulkRoles)
	}
	for i, it := range items {
		if it.UserID == "" {
			v.Field(fmt.Sprintf("/%d/user_id", i), "is required")
		} else if j, dup := seen[it.UserID]; dup {
			v.Field(fmt.Sprintf("/%d/user_id", i), "repeats item %d", j)
		}
		seen[it.UserID] = i
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out []*roster.Membership
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		out = nil // the store may run this function again after a deadlock
		var v roster.Validator
		g, err := grantFor(ctx, tx, tenantRef, PermMembersWrite)
		if err != nil {
			return err
		}
		if err := tx.LockTenant(ctx, g.tenant.ID); err != nil {
			return err
		}
		rr := newResolver(tx, g.tenant.ID)
		type change struct {
			m     *roster.Membership
			roles []*roster.Role
		}
		changes := make([]change, len(items))
		var denied roster.Validator
		byUser := map[string]int{} // an id and an email may name one member
		for i, it := range items {
			m, err := g.findMember(ctx, tx, it.UserID)
			if roster.ErrorCodeOf(err) == roster.ENotFound {
				v.Field(fmt.Sprintf("/%d/user_id", i), "is not a member of this tenant")
				continue
			} else if err != nil {
				return err
			}
			if j, dup := byUser[m.UserID]; dup {
				v.Field(fmt.Sprintf("/%d/user_id", i), "names the same member as item %d", j)
				continue
			}
			byUser[m.UserID] = i
			refs := it.Roles
			if it.Builtin {
				if !checkBuiltin(&v, fmt.Sprintf("/%d/roles", i), refs) {
					continue
				}
				refs = withCustomRoles(refs, m.Roles)
			}
			roles, err := rr.resolve(ctx, &v, fmt.Sprintf("/%d/roles", i), refs)
			if err != nil {
				return err
			}
			for _, r := range changedRoles(m.Roles, roles) {
				if err := g.mayGrant(r); err != nil {
					denied.Field(fmt.Sprintf("/%d/roles", i), "%s", roster.ErrorMessageOf(err))
					break
				}
			}
			changes[i] = change{m, roles}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := denied.Err(); err != nil {
			e := err.(*roster.Error)
			e.Code, e.Message = roster.EForbidden, "You may not make some of these changes; see errors."
			return e
		}
		removesAdmin := false
		for _, c := range changes {
			if len(changedRoles(c.m.Roles, c.roles)) == 0 {
				continue // nothing to write, nothing to record
			}
			removesAdmin = removesAdmin || holdsAdmin(c.m.Roles) && !holdsAdmin(c.roles)
			if err := storeRoles(ctx, tx, c.m, c.roles); err != nil {
				return err
			}
		}
		if removesAdmin {
			if err := ensureAdminLeft(ctx, tx, g.tenant.ID); err != nil {
				return err
			}
		}
		for _, c := range changes {
			m, err := tx.FindMembership(ctx, g.tenant.ID, c.m.UserID)
			if err != nil {
				return err
			}
			out = append(out, g.shown(m))
		}
		return nil
	})
	return out, err
}
