package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/client"
)

func TestMembers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tn := mustTenant(t, w, "acme")
	ann, annc := w.user(t, "ann@example.com")
	bob, _ := w.user(t, "bob@example.com")

	added, err := w.admin.AddMember(ctx, "acme", client.MemberCreate{UserID: ann.ID, Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &client.Member{TenantID: tn.ID, UserID: ann.ID, Status: client.MemberActive, Roles: []string{"admin"},
		User:      client.MemberUser{ID: ann.ID, Username: "ann", Email: "ann@example.com", Active: true},
		CreatedAt: added.CreatedAt, UpdatedAt: added.UpdatedAt, ETag: added.ETag}
	if diff := cmp.Diff(want, added); diff != "" || added.ETag == "" {
		t.Errorf("added (-want +got):\n%s", diff)
	}
	// An instance administrator's add is active at once (a tenant admin's would be an
	// invitation: see TestInvitations).
	if _, err := w.admin.AddMember(ctx, tn.ID, client.MemberCreate{UserID: bob.ID, Roles: []string{"viewer"}}); err != nil {
		t.Fatalf("add bob: %v", err)
	}
	if _, err := annc.AddMember(ctx, "acme", client.MemberCreate{UserID: bob.ID, Roles: []string{"user"}}); !client.IsConflict(err) {
		t.Errorf("adding a member twice = %v, want conflict", err)
	}

	got, err := annc.GetMember(ctx, "acme", bob.ID)
	if err != nil || got.Roles[0] != "viewer" || got.ETag == "" {
		t.Fatalf("GetMember = %+v, %v", got, err)
	}
	set, err := annc.SetMemberRoles(ctx, "acme", bob.ID, []string{"user", "viewer"}, client.IfMatch(got.ETag))
	if err != nil || strings.Join(set.Roles, ",") != "user,viewer" || set.ETag == got.ETag {
		t.Errorf("SetMemberRoles = %+v, %v", set, err)
	}
	if _, err := annc.SetMemberRoles(ctx, "acme", bob.ID, []string{"admin"}, client.IfMatch(got.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("stale SetMemberRoles = %v, want precondition_failed", err)
	}
	if _, err := annc.SetMemberRoles(ctx, "acme", ann.ID, []string{"viewer"}); !client.IsConflict(err) {
		t.Errorf("demoting the only admin = %v, want conflict", err)
	}
	// nil roles are sent as [], which the server refuses as empty, not as null.
	_, err = annc.SetMemberRoles(ctx, "acme", bob.ID, nil)
	if e := (*client.Error)(nil); !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0] != (client.FieldError{Pointer: "/roles", Detail: "must name at least one role"}) {
		t.Errorf("SetMemberRoles(nil) = %v, want invalid: /roles must name at least one role", err)
	}

	// Bulk: all or nothing, and a refusal names each item at fault.
	ms, err := annc.SetMembersRoles(ctx, "acme", []client.BulkRolesItem{{UserID: bob.ID, Roles: []string{"admin"}}, {UserID: ann.ID, Roles: []string{"admin", "user"}}})
	if err != nil || len(ms) != 2 {
		t.Fatalf("SetMembersRoles = %+v, %v", ms, err)
	}
	_, err = annc.SetMembersRoles(ctx, "acme", []client.BulkRolesItem{{UserID: bob.ID, Roles: []string{"viewer"}}, {UserID: ann.ID, Roles: []string{"no-such-role"}}})
	var e *client.Error
	if !errors.As(err, &e) || e.Code != client.CodeInvalid || len(e.Fields) != 1 || !strings.HasPrefix(e.Fields[0].Pointer, "/1/roles") {
		t.Errorf("a bulk set with a bad item = %v, want invalid at /1/roles", err)
	}
	if m, _ := annc.GetMember(ctx, "acme", bob.ID); strings.Join(m.Roles, ",") != "admin" {
		t.Errorf("the refused bulk set changed bob: %v", m.Roles)
	}

	cases := []struct {
		f    client.MemberFilter
		want string
	}{
		{client.MemberFilter{}, "ann bob"},
		{client.MemberFilter{Role: "user"}, "ann"},
		{client.MemberFilter{Email: "bo"}, "bob"},
		{client.MemberFilter{Search: "ANN"}, "ann"},
	}
	for _, c := range cases {
		var names []string
		for m, err := range annc.AllMembers(ctx, "acme", c.f, client.ListOptions{Limit: 1}) {
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, m.User.Username)
		}
		// ids are time-ordered and ann was created first
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("AllMembers(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
	page, err := annc.ListMembers(ctx, "acme", client.MemberFilter{}, client.ListOptions{Limit: 1})
	if err != nil || len(page.Items) != 1 || page.NextCursor == "" {
		t.Errorf("ListMembers(limit 1) = %+v, %v", page, err)
	}
	if _, err := annc.ListMembers(ctx, "acme", client.MemberFilter{Role: "no-such-role"}, client.ListOptions{}); !client.IsInvalid(err) {
		t.Errorf("filtering by an unknown role = %v, want invalid", err)
	}

	m, _ := annc.GetMember(ctx, "acme", bob.ID)
	if err := annc.RemoveMember(ctx, "acme", bob.ID, client.IfMatch(got.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("stale RemoveMember = %v", err)
	}
	if err := annc.RemoveMember(ctx, "acme", bob.ID, client.IfMatch(m.ETag)); err != nil {
		t.Fatal(err)
	}
	if _, err := annc.GetMember(ctx, "acme", bob.ID); !client.IsNotFound(err) {
		t.Errorf("GetMember after removal = %v, want not_found", err)
	}
	if err := annc.RemoveMember(ctx, "acme", ann.ID); !client.IsConflict(err) {
		t.Errorf("the last admin leaving = %v, want conflict", err)
	}
}

// A tenant admin adding an account the tenant does not manage invites it; the invitation
// grants nothing until the user accepts it.
func TestInvitations(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	mustTenant(t, w, "acme")
	ann, annc := w.user(t, "ann@example.com")
	if _, err := w.admin.AddMember(ctx, "acme", client.MemberCreate{UserID: ann.ID, Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	bob, bobc := w.user(t, "bob@example.com")
	invited, err := annc.AddMember(ctx, "acme", client.MemberCreate{UserID: bob.ID, Roles: []string{"user"}})
	if err != nil || invited.Status != client.MemberInvited {
		t.Fatalf("a tenant admin adds an instance-managed account = %+v, %v; want an invitation", invited, err)
	}
	me, err := bobc.GetMe(ctx)
	if err != nil || len(me.Memberships) != 1 || me.Memberships[0].Status != client.MemberInvited || len(me.Memberships[0].Permissions) != 0 {
		t.Errorf("bob's memberships before accepting = %+v, %v", me, err)
	}
	if _, err := bobc.GetTenant(ctx, "acme"); !client.IsNotFound(err) {
		t.Errorf("an invitation lets bob read the tenant: %v", err)
	}
	accepted, err := bobc.AcceptMembership(ctx, "acme")
	if err != nil || accepted.Status != client.MemberActive || strings.Join(accepted.Roles, ",") != "user" || accepted.ETag == "" {
		t.Fatalf("AcceptMembership = %+v, %v", accepted, err)
	}
	if _, err := bobc.GetTenant(ctx, "acme"); err != nil {
		t.Errorf("bob, a member now, reads the tenant: %v", err)
	}
	again, err := bobc.AcceptMembership(ctx, "acme")
	if err != nil || again.Status != client.MemberActive {
		t.Errorf("accepting twice = %+v, %v; want the active membership", again, err)
	}
	if _, err := bobc.AcceptMembership(ctx, "elsewhere"); !client.IsNotFound(err) {
		t.Errorf("accepting where nobody invited = %v, want not_found", err)
	}
}
