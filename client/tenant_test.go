package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/client"
)

func TestTenants(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	created, err := w.admin.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.ID, "tnt_") || created.Slug != "acme" || created.Name != "Acme" ||
		created.CreatedAt.Before(before) || created.ETag == "" {
		t.Errorf("created = %+v", created)
	}
	got, err := w.admin.GetTenant(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *created {
		t.Errorf("GetTenant = %+v, want %+v", got, created)
	}
	bySlug, err := w.admin.GetTenant(ctx, "acme")
	if err != nil || bySlug.ID != created.ID {
		t.Errorf("GetTenant by slug = %+v, %v", bySlug, err)
	}

	// An update with the ETag read applies and changes the ETag; one with the old ETag fails
	// and changes nothing.
	updated, err := w.admin.UpdateTenant(ctx, "acme", client.TenantUpdate{Name: new("Acme Inc.")}, client.IfMatch(got.ETag))
	if err != nil {
		t.Fatal(err)
	}
	if updated.Name != "Acme Inc." || updated.Slug != "acme" || updated.ETag == got.ETag {
		t.Errorf("updated = %+v (ETag before %s)", updated, got.ETag)
	}
	_, err = w.admin.UpdateTenant(ctx, "acme", client.TenantUpdate{Name: new("Lost update")}, client.IfMatch(got.ETag))
	if !client.IsPreconditionFailed(err) {
		t.Errorf("update with a stale ETag = %v, want precondition_failed", err)
	}
	if now, _ := w.admin.GetTenant(ctx, "acme"); now.Name != "Acme Inc." || now.ETag != updated.ETag {
		t.Errorf("after the stale update: %+v", now)
	}
	renamed, err := w.admin.UpdateTenant(ctx, created.ID, client.TenantUpdate{Slug: new("acme-2")})
	if err != nil || renamed.Slug != "acme-2" || renamed.Name != "Acme Inc." {
		t.Errorf("unconditional slug change = %+v, %v", renamed, err)
	}

	for _, slug := range []string{"beta", "gamma"} {
		mustTenant(t, w, slug)
	}
	var slugs []string
	for tn, err := range w.admin.AllTenants(ctx, client.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if tn.ETag != "" {
			t.Errorf("list item %s has an ETag", tn.Slug)
		}
		slugs = append(slugs, tn.Slug)
	}
	if got, want := strings.Join(slugs, " "), "ellacore acme-2 beta gamma"; got != want { // ellacore: made at start-up
		t.Errorf("AllTenants = %s, want %s", got, want)
	}
	page, err := w.admin.ListTenants(ctx, client.ListOptions{Limit: 2})
	if err != nil || len(page.Items) != 2 || page.NextCursor == "" {
		t.Fatalf("ListTenants(limit 2) = %+v, %v", page, err)
	}

	if err := w.admin.DeleteTenant(ctx, "acme-2", client.IfMatch(updated.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("delete with a stale ETag = %v, want precondition_failed", err)
	}
	if err := w.admin.DeleteTenant(ctx, "acme-2", client.IfMatch(renamed.ETag)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.admin.GetTenant(ctx, created.ID); !client.IsNotFound(err) {
		t.Errorf("GetTenant after delete = %v, want not_found", err)
	}
	if err := w.admin.DeleteTenant(ctx, "beta"); err != nil {
		t.Errorf("unconditional delete: %v", err)
	}
}

// IfMatch("") fails before sending: list items have no ETag, and passing theirs must not make
// a conditional update unconditional.
func TestIfMatchWithoutETag(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	mustTenant(t, w, "acme")
	page, err := w.admin.ListTenants(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.admin.UpdateTenant(ctx, "acme", client.TenantUpdate{Name: new("Changed")}, client.IfMatch(page.Items[0].ETag))
	var e *client.Error
	if err == nil || errors.As(err, &e) {
		t.Errorf("UpdateTenant with IfMatch(\"\") = %v, want a client-side error", err)
	}
	if tn, _ := w.admin.GetTenant(ctx, "acme"); tn.Name != "Tenant acme" {
		t.Errorf("the tenant changed: %+v", tn)
	}
}
