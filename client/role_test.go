package client_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/client"
)

func TestRoles(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tn := mustTenant(t, w, "acme")

	var names []string
	for r, err := range w.admin.AllRoles(ctx, "acme", client.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if !r.Builtin || r.TenantID != tn.ID {
			t.Errorf("role %+v of a new tenant is not a built-in one of it", r)
		}
		names = append(names, r.Name)
	}
	if len(names) != 3 {
		t.Errorf("a new tenant's roles = %v, want admin, user and viewer", names)
	}

	created, err := w.admin.CreateRole(ctx, "acme", client.RoleCreate{Name: "billing", Description: "Invoices", Permissions: []string{"invoices:read"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.ID, "rol_") || created.Name != "billing" || created.Description != "Invoices" ||
		strings.Join(created.Permissions, ",") != "invoices:read" || created.Builtin || created.ETag == "" {
		t.Errorf("created = %+v", created)
	}
	empty, err := w.admin.CreateRole(ctx, "acme", client.RoleCreate{Name: "nothing"})
	if err != nil || empty.Permissions == nil || len(empty.Permissions) != 0 {
		t.Errorf("a role without permissions = %+v, %v", empty, err)
	}
	if _, err := w.admin.CreateRole(ctx, "acme", client.RoleCreate{Name: "billing"}); !client.IsConflict(err) {
		t.Errorf("a taken role name = %v, want conflict", err)
	}

	byName, err := w.admin.GetRole(ctx, "acme", "billing")
	if err != nil || byName.ID != created.ID || byName.ETag != created.ETag {
		t.Errorf("GetRole by name = %+v, %v", byName, err)
	}
	updated, err := w.admin.UpdateRole(ctx, "acme", created.ID, client.RoleUpdate{Permissions: &[]string{"invoices:read", "invoices:approve"}}, client.IfMatch(byName.ETag))
	if err != nil || len(updated.Permissions) != 2 || updated.Description != "Invoices" || updated.ETag == byName.ETag {
		t.Errorf("UpdateRole = %+v, %v", updated, err)
	}
	if _, err := w.admin.UpdateRole(ctx, "acme", "billing", client.RoleUpdate{Description: new("lost")}, client.IfMatch(byName.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("stale UpdateRole = %v, want precondition_failed", err)
	}
	cleared, err := w.admin.UpdateRole(ctx, "acme", "billing", client.RoleUpdate{Permissions: &[]string{}})
	if err != nil || len(cleared.Permissions) != 0 {
		t.Errorf("clearing the permissions = %+v, %v", cleared, err)
	}
	if _, err := w.admin.UpdateRole(ctx, "acme", "admin", client.RoleUpdate{Description: new("mine")}); !client.IsConflict(err) {
		t.Errorf("changing a built-in role = %v, want conflict", err)
	}

	if err := w.admin.DeleteRole(ctx, "acme", "billing", client.IfMatch(updated.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("stale DeleteRole = %v", err)
	}
	if err := w.admin.DeleteRole(ctx, "acme", "billing", client.IfMatch(cleared.ETag)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.admin.GetRole(ctx, "acme", "billing"); !client.IsNotFound(err) {
		t.Errorf("GetRole after delete = %v, want not_found", err)
	}
	page, err := w.admin.ListRoles(ctx, tn.ID, client.ListOptions{})
	if err != nil || len(page.Items) != 4 || page.NextCursor != "" {
		t.Errorf("ListRoles = %+v, %v; want the 3 built-in roles and \"nothing\"", page, err)
	}
}
