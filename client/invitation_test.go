package client_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/internal/mailtest"
	"github.com/rosterhq/roster/internal/server"
)

// Invitations through the client, over real SMTP: a new address accepts with a new account, an
// account accepts signed in, and one invitation is sent again and revoked.
func TestInvitationsByEmail(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Options{})
	w := newWorld(t, func(c *server.Config) {
		c.Mail.SMTPURL = smtp.URL()
		c.Mail.OutboxRetry = 100 * time.Millisecond
		c.Mail.SkipVerification = true
	})
	ctx := context.Background()
	smtp.Wait(t, 1, 10*time.Second) // the bootstrapped administrator's verification
	tn := mustTenant(t, w, "acme")

	inv, err := w.admin.CreateInvitation(ctx, "acme", client.InvitationCreate{Email: "bea@example.com", Roles: []string{"user"},
		ExpiresIn: 48 * time.Hour, GivenName: "Bea"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != client.InvitationPending || inv.TenantID != tn.ID || inv.UserID != "" || inv.ETag == "" ||
		inv.ExpiresAt.Sub(inv.CreatedAt) != 48*time.Hour || inv.InvitedBy.ID != w.adminID {
		t.Errorf("CreateInvitation = %+v", inv)
	}
	tok := tokenIn(t, smtp, 2, "bea@example.com")
	p, err := w.anon.LookupInvitation(ctx, tok)
	if err != nil || p.Tenant.Slug != "acme" || p.AccountExists || !slices.Equal(p.Roles, []string{"user"}) || p.GivenName != "Bea" {
		t.Errorf("LookupInvitation = %+v, %v", p, err)
	}
	family := "Kim"
	m, err := w.anon.AcceptInvitationNewAccount(ctx, client.InvitationAcceptNew{Token: tok, Password: "orchard lantern 42", FamilyName: &family})
	if err != nil || m.Status != client.MemberActive || m.User.FamilyName != "Kim" || m.User.GivenName != "Bea" {
		t.Fatalf("AcceptInvitationNewAccount = %+v, %v", m, err)
	}
	loginAs(t, w, "bea@example.com", "orchard lantern 42")
	if _, err := w.anon.LookupInvitation(ctx, tok); !client.IsInvalid(err) {
		t.Errorf("a used link = %v, want invalid", err)
	}
	got, err := w.admin.GetInvitation(ctx, "acme", inv.ID)
	if err != nil || got.Status != client.InvitationAccepted || got.UserID != m.UserID || got.ClosedAt == nil {
		t.Errorf("GetInvitation after acceptance = %+v, %v", got, err)
	}

	// An account accepts signed in; another person may not.
	_, annc := w.user(t, "ann@example.com")
	_, bobc := w.user(t, "bob@example.com")
	if _, err := w.admin.CreateInvitation(ctx, "acme", client.InvitationCreate{Email: "ann@example.com", Roles: []string{"viewer"}}); err != nil {
		t.Fatal(err)
	}
	atok := tokenIn(t, smtp, 3, "ann@example.com")
	if _, err := bobc.AcceptInvitationAsCaller(ctx, atok); !client.IsForbidden(err) {
		t.Errorf("another person's invitation = %v, want forbidden", err)
	}
	if m, err := annc.AcceptInvitationAsCaller(ctx, atok); err != nil || m.Status != client.MemberActive {
		t.Errorf("AcceptInvitationAsCaller = %+v, %v", m, err)
	}

	// Sent again, then revoked, each under If-Match.
	cy, err := w.admin.CreateInvitation(ctx, "acme", client.InvitationCreate{Email: "cy@example.com", Roles: []string{"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.admin.ResendInvitation(ctx, "acme", cy.ID, 2*time.Hour, client.IfMatch(cy.ETag))
	if err != nil || again.ExpiresAt.Sub(again.UpdatedAt) != 2*time.Hour {
		t.Fatalf("ResendInvitation = %+v, %v", again, err)
	}
	if _, err := w.admin.ResendInvitation(ctx, "acme", cy.ID, 0); err != nil {
		t.Errorf("ResendInvitation without a body: %v", err)
	}
	if _, err := w.admin.RevokeInvitation(ctx, "acme", cy.ID, client.IfMatch(again.ETag)); !client.IsPreconditionFailed(err) {
		t.Errorf("RevokeInvitation with a stale ETag = %v, want precondition failed", err)
	}
	if r, err := w.admin.RevokeInvitation(ctx, "acme", cy.ID); err != nil || r.Status != client.InvitationRevoked {
		t.Errorf("RevokeInvitation = %+v, %v", r, err)
	}
	var statuses []string
	for it, err := range w.admin.AllInvitations(ctx, "acme", client.InvitationFilter{}, client.ListOptions{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, it.Email+":"+it.Status)
	}
	if want := []string{"bea@example.com:accepted", "ann@example.com:accepted", "cy@example.com:revoked"}; !slices.Equal(statuses, want) {
		t.Errorf("AllInvitations = %v, want %v", statuses, want)
	}
	page, err := w.admin.ListInvitations(ctx, "acme", client.InvitationFilter{Status: client.InvitationRevoked}, client.ListOptions{})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != cy.ID {
		t.Errorf("ListInvitations(revoked) = %+v, %v", page, err)
	}
}
