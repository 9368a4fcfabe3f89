package client_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/client"
)

func TestServiceAccounts(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tn := mustTenant(t, w, "acme")
	ann, _ := w.user(t, "ann@example.com")
	if _, err := w.admin.AddMember(ctx, "acme", client.MemberCreate{UserID: ann.ID, Roles: []string{"viewer"}}); err != nil {
		t.Fatal(err)
	}

	sa, err := w.admin.CreateServiceAccount(ctx, "acme", client.ServiceAccountCreate{Name: "billing backend", Roles: []string{"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sa.ID, "sva_") || sa.TenantID != tn.ID || sa.Name != "billing backend" || strings.Join(sa.Roles, ",") != "viewer" || sa.ETag == "" {
		t.Errorf("created = %+v", sa)
	}
	if _, err := w.admin.CreateServiceAccount(ctx, "acme", client.ServiceAccountCreate{Name: "idle"}); !client.IsInvalid(err) {
		t.Errorf("a service account without roles = %v, want invalid", err)
	}
	if _, err := w.admin.CreateServiceAccount(ctx, "acme", client.ServiceAccountCreate{Name: "idle", Roles: []string{"viewer"}}); err != nil {
		t.Fatal(err)
	}
	got, err := w.admin.GetServiceAccount(ctx, "acme", sa.ID)
	if err != nil || got.ETag != sa.ETag || got.Name != sa.Name {
		t.Errorf("GetServiceAccount = %+v, %v", got, err)
	}
	updated, err := w.admin.UpdateServiceAccount(ctx, "acme", sa.ID, client.ServiceAccountUpdate{Roles: &[]string{"admin"}}, client.IfMatch(got.ETag))
	if err != nil || strings.Join(updated.Roles, ",") != "admin" || updated.Name != "billing backend" || updated.ETag == got.ETag {
		t.Errorf("UpdateServiceAccount = %+v, %v", updated, err)
	}
	if _, err := w.admin.UpdateServiceAccount(ctx, "acme", sa.ID, client.ServiceAccountUpdate{Name: new("lost")}, client.IfMatch(got.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("stale UpdateServiceAccount = %v", err)
	}
	var names []string
	for s, err := range w.admin.AllServiceAccounts(ctx, "acme", client.ListOptions{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "billing backend,idle" {
		t.Errorf("AllServiceAccounts = %s", got)
	}
	if page, err := w.admin.ListServiceAccounts(ctx, "acme", client.ListOptions{Limit: 1}); err != nil || len(page.Items) != 1 || page.NextCursor == "" {
		t.Errorf("ListServiceAccounts(limit 1) = %+v, %v", page, err)
	}

	// A key acts as the service account, inside its tenant only.
	expires := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	key, err := w.admin.CreateServiceAccountKey(ctx, "acme", sa.ID, client.KeyCreate{ExpiresAt: &expires})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key.Key, "sk:") || !strings.HasPrefix(key.ID, "key_") || key.ServiceAccountID != sa.ID || !key.ExpiresAt.Equal(expires) {
		t.Errorf("created key = %+v", key)
	}
	if _, err := w.admin.CreateServiceAccountKey(ctx, "acme", sa.ID, client.KeyCreate{}); err != nil {
		t.Errorf("a key without expiry: %v", err)
	}
	machine := w.as(key.Key)
	in, err := machine.Introspect(ctx, tokenOf(t, w, "ann@example.com"))
	if err != nil || !in.Active || in.Subject != ann.ID || len(in.Tenants) != 1 || in.Tenants[0].Slug != "acme" {
		t.Errorf("a key introspecting a member's session = %+v, %v", in, err)
	}
	self, err := machine.Introspect(ctx, key.Key)
	if err != nil || self.TokenType != "service_account_key" || self.Subject != sa.ID || self.CredentialID != key.ID || self.ExpiresAt == nil || !self.ExpiresAt.Equal(expires) {
		t.Errorf("a key introspecting itself = %+v, %v", self, err)
	}
	if _, err := machine.GetMe(ctx); !client.IsForbidden(err) {
		t.Errorf("GetMe with a key = %v, want forbidden", err)
	}

	keys, err := w.admin.ListServiceAccountKeys(ctx, "acme", sa.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("ListServiceAccountKeys = %+v, %v", keys, err)
	}
	if keys[0].ID != key.ID || keys[0].LastUsedAt == nil || !strings.HasPrefix(keys[0].Hint, "sk:") {
		t.Errorf("the used key, listed = %+v", keys[0])
	}
	if err := w.admin.RevokeServiceAccountKey(ctx, "acme", sa.ID, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := machine.Introspect(ctx, key.Key); !client.IsUnauthenticated(err) {
		t.Errorf("a revoked key = %v, want unauthenticated", err)
	}

	if err := w.admin.DeleteServiceAccount(ctx, "acme", sa.ID, client.IfMatch(got.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("stale DeleteServiceAccount = %v", err)
	}
	if err := w.admin.DeleteServiceAccount(ctx, "acme", sa.ID, client.IfMatch(updated.ETag)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.admin.GetServiceAccount(ctx, "acme", sa.ID); !client.IsNotFound(err) {
		t.Errorf("GetServiceAccount after delete = %v, want not_found", err)
	}
}
