package client_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/client"
)

func TestAuditEvents(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tn := mustTenant(t, w, "acme")
	mustTenant(t, w, "beta")
	ann, annc := w.user(t, "ann@example.com")
	if _, err := w.admin.AddMember(ctx, "acme", client.MemberCreate{UserID: ann.ID, Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	mid := time.Now()
	time.Sleep(10 * time.Millisecond) // occurred_at has microseconds; keep mid strictly between
	if _, err := annc.CreateRole(ctx, "acme", client.RoleCreate{Name: "billing"}); err != nil {
		t.Fatal(err)
	}

	actions := func(seq func(func(*client.AuditEvent, error) bool)) string {
		t.Helper()
		var out []string
		for e, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e.Action)
		}
		return strings.Join(out, " ")
	}
	all := actions(w.admin.AllAuditEvents(ctx, client.AuditFilter{}, client.ListOptions{Limit: 2}))
	// The first tenant is the Ella Core surface's, which the server makes at start-up.
	if want := "tenant.created auth.bootstrap tenant.created tenant.created user.created auth.login member.added role.created"; all != want {
		t.Errorf("AllAuditEvents = %s\nwant            %s", all, want)
	}
	if got := actions(w.admin.AllAuditEvents(ctx, client.AuditFilter{Since: mid}, client.ListOptions{})); got != "role.created" {
		t.Errorf("since the middle = %s", got)
	}
	if got := actions(w.admin.AllAuditEvents(ctx, client.AuditFilter{Until: mid, Action: "tenant.created"}, client.ListOptions{})); got != "tenant.created tenant.created tenant.created" {
		t.Errorf("tenants created until the middle = %s", got)
	}
	if got := actions(w.admin.AllAuditEvents(ctx, client.AuditFilter{Actor: ann.ID}, client.ListOptions{})); got != "auth.login role.created" {
		t.Errorf("ann's events = %s", got)
	}
	if got := actions(w.admin.AllAuditEvents(ctx, client.AuditFilter{Target: ann.ID, Action: "user.created"}, client.ListOptions{})); got != "user.created" {
		t.Errorf("events about ann = %s", got)
	}

	// A tenant admin reads its own tenant's trail.
	if got := actions(annc.AllTenantAuditEvents(ctx, "acme", client.AuditFilter{}, client.ListOptions{Limit: 1})); got != "tenant.created member.added role.created" {
		t.Errorf("acme's trail = %s", got)
	}
	page, err := annc.ListTenantAuditEvents(ctx, "acme", client.AuditFilter{Action: "role.created"}, client.ListOptions{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("ListTenantAuditEvents = %+v, %v", page, err)
	}
	e := page.Items[0]
	if e.TenantID != tn.ID || e.Actor.Kind != "user" || e.Actor.ID != ann.ID || e.Actor.UserID != ann.ID ||
		e.Target.Kind != "role" || !strings.HasPrefix(e.Target.ID, "rol_") || e.Outcome != "success" ||
		e.RequestID == "" || e.ClientAddr != "127.0.0.1" || e.UserAgent != client.DefaultUserAgent || e.OccurredAt.Before(mid) {
		t.Errorf("role.created = %+v", e)
	}
	if _, err := annc.ListTenantAuditEvents(ctx, "beta", client.AuditFilter{}, client.ListOptions{}); !client.IsNotFound(err) {
		t.Errorf("another tenant's trail = %v, want not_found", err)
	}
	if _, err := annc.ListAuditEvents(ctx, client.AuditFilter{}, client.ListOptions{}); !client.IsForbidden(err) {
		t.Errorf("the instance trail for a tenant admin = %v, want forbidden", err)
	}
	boot, err := w.admin.ListAuditEvents(ctx, client.AuditFilter{Action: "auth.bootstrap"}, client.ListOptions{})
	if err != nil || len(boot.Items) != 1 || boot.Items[0].TenantID != "" {
		t.Errorf("the bootstrap event = %+v, %v; want one without a tenant", boot, err)
	}
}
