package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rosterhq/roster/client"
)

func TestUsers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	created, err := w.admin.CreateUser(ctx, client.UserCreate{
		Email: "ann@example.com", Username: "ann", GivenName: "Ann", FamilyName: "Lee", Locale: "en-GB",
		Password: password, EmailVerified: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &client.User{Username: "ann", Email: "ann@example.com", GivenName: "Ann", FamilyName: "Lee", Locale: "en-GB",
		Active: true, EmailVerified: true}
	ignore := cmpopts.IgnoreFields(client.User{}, "ID", "CreatedAt", "UpdatedAt", "ETag")
	if diff := cmp.Diff(want, created, ignore); diff != "" || !strings.HasPrefix(created.ID, "usr_") || created.ETag == "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	got, err := w.admin.GetUser(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("GetUser (-created +got):\n%s", diff)
	}
	inactive, err := w.admin.CreateUser(ctx, client.UserCreate{Email: "bob@example.com", Active: new(false)})
	if err != nil || inactive.Active || inactive.Username != "bob" {
		t.Errorf("a user created inactive = %+v, %v", inactive, err)
	}
	if _, err := w.admin.CreateUser(ctx, client.UserCreate{Email: "ANN@example.com"}); !client.IsConflict(err) {
		t.Errorf("a taken email = %v, want conflict", err)
	}

	// Users change their own names; the ETag guards against lost updates.
	annc := w.as(tokenOf(t, w, "ann"))
	updated, err := annc.UpdateUser(ctx, created.ID, client.UserUpdate{FamilyName: new("Smith")}, client.IfMatch(got.ETag))
	if err != nil || updated.FamilyName != "Smith" || updated.GivenName != "Ann" || updated.ETag == got.ETag {
		t.Errorf("UpdateUser = %+v, %v", updated, err)
	}
	if _, err := annc.UpdateUser(ctx, created.ID, client.UserUpdate{GivenName: new("Anna")}, client.IfMatch(got.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("stale UpdateUser = %v, want precondition_failed", err)
	}
	var e *client.Error
	_, err = annc.UpdateUser(ctx, created.ID, client.UserUpdate{InstanceAdmin: new(true)})
	if !errors.As(err, &e) || e.Code != client.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Pointer != "/instance_admin" {
		t.Errorf("making oneself an instance administrator = %v, want invalid at /instance_admin", err)
	}

	// Passwords: one's own needs the current one; an administrator sets anyone's.
	err = annc.SetUserPassword(ctx, created.ID, client.PasswordSet{Password: "quiet harbour 58", CurrentPassword: "not it"})
	if !errors.As(err, &e) || e.Code != client.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Pointer != "/current_password" {
		t.Errorf("a wrong current password = %v, want invalid at /current_password", err)
	}
	if err := annc.SetUserPassword(ctx, created.ID, client.PasswordSet{Password: "quiet harbour 58", CurrentPassword: password}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.anon.Login(ctx, "ann", "quiet harbour 58"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	if err := w.admin.SetUserPassword(ctx, created.ID, client.PasswordSet{Password: password}, client.IfMatch(updated.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("SetUserPassword with a stale ETag = %v, want precondition_failed", err)
	}
	now, _ := w.admin.GetUser(ctx, created.ID)
	if err := w.admin.SetUserPassword(ctx, created.ID, client.PasswordSet{Password: password}, client.IfMatch(now.ETag)); err != nil {
		t.Fatal(err)
	}

	// Deactivating ends the user's sessions at once.
	if _, err := w.admin.UpdateUser(ctx, created.ID, client.UserUpdate{Active: new(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := annc.GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("a deactivated user's session = %v, want unauthenticated", err)
	}

	now, _ = w.admin.GetUser(ctx, created.ID)
	if err := w.admin.DeleteUser(ctx, created.ID, client.IfMatch(updated.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("DeleteUser with a stale ETag = %v", err)
	}
	if err := w.admin.DeleteUser(ctx, created.ID, client.IfMatch(now.ETag)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.admin.GetUser(ctx, created.ID); !client.IsNotFound(err) {
		t.Errorf("GetUser after delete = %v, want not_found", err)
	}
	if err := w.admin.DeleteUser(ctx, inactive.ID); err != nil {
		t.Errorf("unconditional DeleteUser: %v", err)
	}
}

func TestListUsersFilters(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for _, in := range []client.UserCreate{
		{Email: "ann@example.com", GivenName: "Ann"}, {Email: "anton@example.org", FamilyName: "Marlowe"},
		{Email: "bob@example.com", Username: "bobby"}, {Email: "carol@example.com", Active: new(false)},
	} {
		if _, err := w.admin.CreateUser(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		f    client.UserFilter
		want string
	}{
		{client.UserFilter{}, "admin ann anton bobby carol"},
		{client.UserFilter{Email: "an"}, "ann anton"},
		{client.UserFilter{Username: "bob"}, "bobby"},
		{client.UserFilter{Search: "marl"}, "anton"},
		{client.UserFilter{Active: new(false)}, "carol"},
		{client.UserFilter{Active: new(true), Email: "a"}, "admin ann anton"},
	}
	for _, c := range cases {
		page, err := w.admin.ListUsers(ctx, c.f, client.ListOptions{})
		if err != nil {
			t.Fatalf("%+v: %v", c.f, err)
		}
		var names []string
		for _, u := range page.Items {
			names = append(names, u.Username)
		}
		if got := strings.Join(names, " "); got != c.want || page.NextCursor != "" {
			t.Errorf("ListUsers(%+v) = %q (next %q), want %q", c.f, got, page.NextCursor, c.want)
		}
	}
	_, ann := w.user(t, "dora@example.com")
	if _, err := ann.ListUsers(ctx, client.UserFilter{}, client.ListOptions{}); !client.IsForbidden(err) {
		t.Errorf("ListUsers by a plain user = %v, want forbidden", err)
	}
	_, err := w.admin.ListUsers(ctx, client.UserFilter{}, client.ListOptions{Cursor: "garbage!"})
	var e *client.Error
	if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Parameter != "cursor" {
		t.Errorf("a malformed cursor = %v, want invalid at ?cursor", err)
	}
	if !strings.Contains(fmt.Sprint(err), "?cursor ") {
		t.Errorf("Error() does not name the parameter: %v", err)
	}
}

// An account may be managed by a tenant instead of the instance.
func TestManagedBy(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tn := mustTenant(t, w, "acme")
	managed, err := w.admin.CreateUser(ctx, client.UserCreate{Email: "ann@example.com", ManagedBy: "acme"})
	if err != nil || managed.ManagedBy != tn.ID {
		t.Fatalf("a user managed by acme = %+v, %v", managed, err)
	}
	plain, err := w.admin.CreateUser(ctx, client.UserCreate{Email: "bob@example.com"})
	if err != nil || plain.ManagedBy != "" {
		t.Errorf("an instance-managed user = %+v, %v", plain, err)
	}
	back, err := w.admin.UpdateUser(ctx, managed.ID, client.UserUpdate{ManagedBy: new("")}, client.IfMatch(managed.ETag))
	if err != nil || back.ManagedBy != "" {
		t.Errorf("handing the account to the instance = %+v, %v", back, err)
	}
	again, err := w.admin.UpdateUser(ctx, managed.ID, client.UserUpdate{ManagedBy: new(tn.ID)})
	if err != nil || again.ManagedBy != tn.ID {
		t.Errorf("handing it to acme again = %+v, %v", again, err)
	}
}
