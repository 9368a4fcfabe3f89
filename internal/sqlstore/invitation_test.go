package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster"
)

func (f *fixture) invitation(tn *roster.Tenant, email string, roles []*roster.Role, expires time.Time) *roster.Invitation {
	f.t.Helper()
	at := f.tick()
	inv := &roster.Invitation{ID: roster.NewID(roster.PrefixInvitation), TenantID: tn.ID, Email: email, Roles: roles,
		Status: roster.InvitationPending, InvitedBy: roster.Actor{Kind: roster.ActorUser, ID: "usr_x", UserID: "usr_x"},
		InviterName: "Ada", MailID: roster.NewID(roster.PrefixOutbox), ExpiresAt: expires, CreatedAt: at, UpdatedAt: at, Version: 1}
	f.write(func(tx roster.Tx) error { return tx.CreateInvitation(f.ctx, inv) })
	return inv
}

// A tenant has one pending invitation per address (case-insensitively); reads are filtered by
// tenant; a listing by status tells expired from pending at the time it is given; an update
// needs the version it read; a deleted account turns the invitation back into one to the
// address.
func TestInvitations(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	acme, admin := f.tenant("acme")
	globex, _ := f.tenant("globex")
	viewer := &roster.Role{ID: roster.NewID(roster.PrefixRole), TenantID: acme.ID, Name: "viewer", Permissions: []string{"resources:read"},
		Builtin: true, CreatedAt: f.tick(), UpdatedAt: f.tick(), Version: 1}
	f.write(func(tx roster.Tx) error { return tx.CreateRole(ctx, viewer) })
	later := f.at.Add(time.Hour)
	ann := f.invitation(acme, "ann@example.com", []*roster.Role{admin, viewer}, later)
	var invs []*roster.Invitation
	for i := range 4 { // three pending, one expired
		expires := later
		if i == 3 {
			expires = f.at.Add(-time.Minute)
		}
		invs = append(invs, f.invitation(acme, fmt.Sprintf("u%d@example.com", i), []*roster.Role{viewer}, expires))
	}
	bob := f.user("bob@example.com", "")
	other := f.invitation(globex, "ann@example.com", nil, later) // another tenant may invite the same address

	err := f.db.Write(ctx, func(tx roster.Tx) error {
		dup := &roster.Invitation{ID: roster.NewID(roster.PrefixInvitation), TenantID: acme.ID, Email: "ANN@example.com",
			Status: roster.InvitationPending, ExpiresAt: later, CreatedAt: f.at, UpdatedAt: f.at, Version: 1}
		return tx.CreateInvitation(ctx, dup)
	})
	if roster.ErrorCodeOf(err) != roster.EConflict {
		t.Errorf("a second pending invitation for one address: %v, want a conflict", err)
	}
	f.write(func(tx roster.Tx) error {
		got, err := tx.FindInvitation(ctx, acme.ID, ann.ID)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(ann, got); diff != "" {
			t.Errorf("read back (-want +got):\n%s", diff)
		}
		if _, err := tx.FindInvitation(ctx, globex.ID, ann.ID); roster.ErrorCodeOf(err) != roster.ENotFound {
			t.Errorf("acme's invitation found in globex: %v", err)
		}
		if got, err := tx.FindInvitationForLink(ctx, other.ID); err != nil || got.TenantID != globex.ID {
			t.Errorf("by link: %v %v", got, err)
		}
		if got, err := tx.FindPendingInvitation(ctx, acme.ID, "Ann@Example.com"); err != nil || got.ID != ann.ID {
			t.Errorf("pending for ann: %v %v", got, err)
		}
		for status, want := range map[string][]string{
			"":                        {ann.ID, invs[0].ID, invs[1].ID, invs[2].ID, invs[3].ID},
			roster.InvitationPending:  {ann.ID, invs[0].ID, invs[1].ID, invs[2].ID},
			roster.InvitationExpired:  {invs[3].ID},
			roster.InvitationAccepted: nil,
		} {
			got, err := tx.ListInvitations(ctx, roster.InvitationFilter{TenantID: acme.ID, Status: status, Now: f.at, Page: roster.Page{Limit: 10}})
			if err != nil {
				return err
			}
			var ids []string
			for _, inv := range got {
				ids = append(ids, inv.ID)
				if want := 1 + boolInt(inv.ID == ann.ID); len(inv.Roles) != want {
					t.Errorf("listed %s with %d roles, want %d", inv.Email, len(inv.Roles), want)
				}
			}
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("status %q (-want +got):\n%s", status, diff)
			}
		}
		page, err := tx.ListInvitations(ctx, roster.InvitationFilter{TenantID: acme.ID, Now: f.at, Page: roster.Page{After: invs[0].ID, Limit: 2}})
		if err != nil || len(page) != 2 || page[0].ID != invs[1].ID {
			t.Errorf("page after %s: %v %v", invs[0].ID, page, err)
		}
		if n, err := tx.CountPendingInvitationsWithRole(ctx, acme.ID, viewer.ID); err != nil || n != 5 {
			t.Errorf("pending invitations offering viewer: %d %v, want 5", n, err)
		}
		stale := *ann
		ann.Status, ann.UserID, ann.UpdatedAt, ann.ClosedAt = roster.InvitationAccepted, bob.ID, f.tick(), &f.at
		if err := tx.UpdateInvitation(ctx, ann); err != nil {
			return err
		}
		if err := tx.UpdateInvitation(ctx, &stale); roster.ErrorCodeOf(err) != roster.EPreconditionFailed {
			t.Errorf("an update of a stale version: %v", err)
		}
		if got, err := tx.FindInvitation(ctx, acme.ID, ann.ID); err != nil || got.Status != roster.InvitationAccepted || got.UserID != bob.ID || got.Version != 2 {
			t.Errorf("after the update: %+v %v", got, err)
		}
		if got, err := tx.FindPendingInvitationForUser(ctx, acme.ID, bob.ID); roster.ErrorCodeOf(err) != roster.ENotFound {
			t.Errorf("an accepted invitation is pending for its user: %v %v", got, err)
		}
		// Closed: the address may be invited again.
		again := &roster.Invitation{ID: roster.NewID(roster.PrefixInvitation), TenantID: acme.ID, Email: "ann@example.com",
			Status: roster.InvitationPending, ExpiresAt: later, CreatedAt: f.at, UpdatedAt: f.at, Version: 1}
		return tx.CreateInvitation(ctx, again)
	})
	f.write(func(tx roster.Tx) error { return tx.DeleteUser(ctx, bob.ID) })
	f.write(func(tx roster.Tx) error {
		got, err := tx.FindInvitation(ctx, acme.ID, ann.ID)
		if err == nil && got.UserID != "" {
			t.Errorf("the invitation still names deleted account %s", got.UserID)
		}
		return err
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
