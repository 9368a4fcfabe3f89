package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/testdb"
)

// fixture builds rows directly in the store, for tests of what the store itself promises.
type fixture struct {
	t   *testing.T
	db  *DB
	ctx context.Context
	at  time.Time
}

func (f *fixture) write(fn func(roster.Tx) error) {
	f.t.Helper()
	if err := f.db.Write(f.ctx, fn); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) tick() time.Time {
	f.at = f.at.Add(time.Second)
	return f.at
}

func (f *fixture) tenant(slug string) (*roster.Tenant, *roster.Role) {
	f.t.Helper()
	at := f.tick()
	tn := &roster.Tenant{ID: roster.NewID(roster.PrefixTenant), Slug: slug, Name: slug, CreatedAt: at, UpdatedAt: at, Version: 1}
	admin := &roster.Role{ID: roster.NewID(roster.PrefixRole), TenantID: tn.ID, Name: roster.RoleAdmin, Permissions: []string{"*"},
		Builtin: true, CreatedAt: at, UpdatedAt: at, Version: 1}
	f.write(func(tx roster.Tx) error {
		if err := tx.CreateTenant(f.ctx, tn); err != nil {
			return err
		}
		return tx.CreateRole(f.ctx, admin)
	})
	return tn, admin
}

func (f *fixture) user(email, managedBy string) *roster.User {
	f.t.Helper()
	at := f.tick()
	u := &roster.User{ID: roster.NewID(roster.PrefixUser), Username: email[:len(email)-len("@example.com")], Email: email,
		Locale: "en-US", Active: true, ManagedBy: managedBy, CreatedAt: at, UpdatedAt: at, Version: 1}
	f.write(func(tx roster.Tx) error { return tx.CreateUser(f.ctx, u) })
	return u
}

func (f *fixture) member(tn *roster.Tenant, u *roster.User, role *roster.Role, status string) {
	f.t.Helper()
	at := f.tick()
	m := &roster.Membership{TenantID: tn.ID, UserID: u.ID, Status: status, Roles: []*roster.Role{role},
		Invitee: roster.Invitee{Email: "as-sent@example.com", GivenName: "Sent"}, CreatedAt: at, UpdatedAt: at, Version: 1}
	if status == roster.MemberActive {
		m.Invitee = roster.Invitee{}
	}
	f.write(func(tx roster.Tx) error { return tx.CreateMembership(f.ctx, m) })
}

func newFixture(t *testing.T) *fixture {
	return &fixture{t: t, db: openTest(t, testdb.DSN(t)), ctx: context.Background(), at: time.Now().UTC().Truncate(time.Second)}
}

// An invited membership keeps what its inviter supplied, counts for no last-admin rule, is
// left out of searches and of a user's tenants, and becomes active in one step. Deleting a
// tenant hands the accounts it managed back to the instance.
func TestInvitedMemberships(t *testing.T) {
	f := newFixture(t)
	acme, admin := f.tenant("acme")
	ann := f.user("ann@example.com", acme.ID)
	bob := f.user("bob@example.com", "")
	f.member(acme, ann, admin, roster.MemberActive)
	f.member(acme, bob, admin, roster.MemberInvited)
	ctx := f.ctx

	f.write(func(tx roster.Tx) error {
		m, err := tx.FindMembership(ctx, acme.ID, bob.ID)
		if err != nil {
			return err
		}
		if m.Status != roster.MemberInvited || m.Invitee != (roster.Invitee{Email: "as-sent@example.com", GivenName: "Sent"}) {
			t.Errorf("invited membership read back as %q %+v", m.Status, m.Invitee)
		}
		if got, err := tx.FindUserByID(ctx, ann.ID); err != nil || got.ManagedBy != acme.ID {
			t.Errorf("ann managed by %q (%v), want %s", got.ManagedBy, err, acme.ID)
		}
		if n, err := tx.CountMembersWithRole(ctx, acme.ID, admin.ID, true); err != nil || n != 1 {
			t.Errorf("active admins: %d (%v), want 1: an invitation is no admin", n, err)
		}
		if n, err := tx.CountMembersWithRole(ctx, acme.ID, admin.ID, false); err != nil || n != 2 {
			t.Errorf("holders of the role: %d (%v), want 2", n, err)
		}
		if sole, err := tx.TenantsWhereSoleHolder(ctx, ann.ID, roster.RoleAdmin); err != nil || len(sole) != 1 {
			t.Errorf("ann sole admin of %v (%v), want acme", sole, err)
		}
		if sole, err := tx.TenantsWhereSoleHolder(ctx, bob.ID, roster.RoleAdmin); err != nil || len(sole) != 0 {
			t.Errorf("bob, invited, sole admin of %v (%v), want none", sole, err)
		}
		for _, filter := range []roster.MemberFilter{{EmailPrefix: "bob"}, {Query: "bob"}} {
			filter.TenantID, filter.Limit = acme.ID, 10
			if ms, err := tx.ListMemberships(ctx, filter); err != nil || len(ms) != 0 {
				t.Errorf("search %+v finds %d invited members (%v)", filter, len(ms), err)
			}
		}
		if ts, err := tx.ListTenants(ctx, roster.TenantFilter{MemberUserID: bob.ID, Page: roster.Page{Limit: 10}}); err != nil || len(ts) != 0 {
			t.Errorf("bob's tenants: %v (%v), want none before he accepts", ts, err)
		}
		m.UpdatedAt = f.tick()
		if err := tx.ActivateMembership(ctx, m); err != nil {
			return err
		}
		m, err = tx.FindMembership(ctx, acme.ID, bob.ID)
		if err != nil {
			return err
		}
		if m.Status != roster.MemberActive || m.Invitee != (roster.Invitee{}) || m.Version != 2 {
			t.Errorf("accepted membership: %q %+v version %d", m.Status, m.Invitee, m.Version)
		}
		if n, err := tx.CountMembersWithRole(ctx, acme.ID, admin.ID, true); err != nil || n != 2 {
			t.Errorf("active admins after acceptance: %d (%v), want 2", n, err)
		}
		return tx.DeleteTenant(ctx, acme.ID)
	})
	f.write(func(tx roster.Tx) error {
		got, err := tx.FindUserByID(ctx, ann.ID)
		if err == nil && got.ManagedBy != "" {
			t.Errorf("ann still managed by %q after its tenant was deleted", got.ManagedBy)
		}
		return err
	})
}

// EachMembership hands over every matching member in one stream, in order, with its roles;
// EachUser every user with the tenants of its active memberships.
func TestStreams(t *testing.T) {
	f := newFixture(t)
	acme, admin := f.tenant("acme")
	globex, gadmin := f.tenant("globex")
	var want []string
	for i := range 250 { // more than one page of any list
		u := f.user(fmt.Sprintf("u%03d@example.com", i), "")
		f.member(acme, u, admin, roster.MemberActive)
		want = append(want, u.ID)
		if i%100 == 0 {
			f.member(globex, u, gadmin, roster.MemberActive)
		}
		if i == 1 {
			f.member(globex, u, gadmin, roster.MemberInvited)
		}
	}
	var got []string
	err := f.db.Read(f.ctx, func(tx roster.Tx) error {
		return tx.EachMembership(f.ctx, roster.MemberFilter{TenantID: acme.ID}, func(m *roster.Membership) error {
			if len(m.Roles) != 1 || m.User == nil || m.User.ID != m.UserID {
				t.Errorf("member %s streamed without its user or roles", m.UserID)
			}
			got = append(got, m.UserID)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("streamed members (-want +got):\n%s", diff)
	}
	tenantsOf := map[string][]string{}
	users := 0
	err = f.db.Read(f.ctx, func(tx roster.Tx) error {
		return tx.EachUser(f.ctx, roster.UserFilter{}, func(u *roster.User, ts []roster.UserTenant) error {
			users++
			for _, t := range ts {
				tenantsOf[u.ID] = append(tenantsOf[u.ID], t.Tenant.Slug)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if users != 250 {
		t.Errorf("EachUser gave %d users, want 250", users)
	}
	for i, id := range want {
		n := 1
		if i%100 == 0 {
			n = 2
		}
		if len(tenantsOf[id]) != n {
			t.Errorf("user %d: tenants %v, want %d (an invitation is none)", i, tenantsOf[id], n)
		}
	}
}
