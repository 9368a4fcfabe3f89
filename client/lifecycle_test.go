package client_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/internal/mailtest"
	"github.com/rosterhq/roster/internal/server"
)

// tokenIn returns the token of the link in the n-th message the SMTP server received.
func tokenIn(t *testing.T, smtp *mailtest.Server, n int, to string) string {
	t.Helper()
	m := smtp.Wait(t, n, 10*time.Second)[n-1]
	if m.To[0] != to {
		t.Fatalf("message %d went to %v, want %s:\n%s", n, m.To, to, m.Text)
	}
	u, err := url.Parse(m.Link())
	if err != nil || m.Link() == "" {
		t.Fatalf("no link in message %d:\n%s", n, m.Text)
	}
	return u.Query().Get("token")
}

// Password reset, address verification and change, over real SMTP.
func TestMailFlows(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Options{})
	w := newWorld(t, func(c *server.Config) {
		c.Mail.SMTPURL = smtp.URL()
		c.Mail.OutboxRetry = 100 * time.Millisecond
		c.Mail.SkipVerification = true // users an administrator creates get no mail
	})
	ctx := context.Background()
	smtp.Wait(t, 1, 10*time.Second) // the bootstrapped administrator's verification
	_, annc := w.user(t, "ann@example.com")

	// A reset link, asked for without a token, used once.
	acc, err := w.anon.RequestPasswordReset(ctx, "ann")
	if err != nil || acc.Detail == "" {
		t.Fatalf("RequestPasswordReset = %+v, %v", acc, err)
	}
	reset := tokenIn(t, smtp, 2, "ann@example.com")
	if err := w.anon.CompletePasswordReset(ctx, client.PasswordResetComplete{Token: reset, Password: "password1"}); !client.IsInvalid(err) {
		t.Errorf("a common password = %v, want invalid", err)
	}
	if err := w.anon.CompletePasswordReset(ctx, client.PasswordResetComplete{Token: reset, Password: "orchard lantern 42"}); err != nil {
		t.Fatal(err)
	}
	if err := w.anon.CompletePasswordReset(ctx, client.PasswordResetComplete{Token: reset, Password: "orchard lantern 43"}); !client.IsInvalid(err) {
		t.Errorf("a used link = %v, want invalid", err)
	}
	if _, err := annc.GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("a session from before the reset = %v, want unauthenticated", err)
	}
	annc = w.as(loginAs(t, w, "ann@example.com", "orchard lantern 42"))

	// The reset verified the address it went to; an address change needs the new one's link.
	if _, err := annc.RequestEmailVerification(ctx); !client.IsConflict(err) {
		t.Errorf("verifying a verified address = %v, want conflict", err)
	}
	if _, err := annc.RequestEmailChange(ctx, client.EmailChangeRequest{Email: "ann@new.example", CurrentPassword: "orchard lantern 42"}); err != nil {
		t.Fatal(err)
	}
	moved, err := w.anon.CompleteEmailVerification(ctx, tokenIn(t, smtp, 3, "ann@new.example"))
	if err != nil || *moved != (client.VerifiedEmail{Email: "ann@new.example", EmailVerified: true}) {
		t.Errorf("CompleteEmailVerification of the change = %+v, %v", moved, err)
	}

	// An unverified user asks for its link; an administrator mails another a reset link,
	// naming the user by email.
	bob, bobc := w.user(t, "bob@example.com")
	if _, err := bobc.RequestEmailVerification(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := smtp.Wait(t, 5, 10*time.Second) // ann's old address is told of the change, too
	var verify string
	for _, m := range msgs[3:] {
		if m.To[0] == "bob@example.com" {
			u, _ := url.Parse(m.Link())
			verify = u.Query().Get("token")
		}
	}
	verified, err := w.anon.CompleteEmailVerification(ctx, verify)
	if err != nil || !verified.EmailVerified || verified.Email != "bob@example.com" {
		t.Errorf("CompleteEmailVerification = %+v, %v", verified, err)
	}
	if _, err := annc.SendPasswordReset(ctx, bob.ID); !client.IsNotFound(err) {
		t.Errorf("a user mailing a stranger a reset link = %v, want not_found", err)
	}
	if _, err := w.admin.SendPasswordReset(ctx, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	tokenIn(t, smtp, 6, "bob@example.com")
	byEmail, err := w.admin.GetUser(ctx, "bob@example.com")
	if err != nil || byEmail.ID != bob.ID || !byEmail.EmailVerified {
		t.Errorf("GetUser by email = %+v, %v", byEmail, err)
	}
}

// loginAs logs in with a password and returns the session token.
func loginAs(t *testing.T, w *world, login, pw string) string {
	t.Helper()
	s, err := w.anon.Login(context.Background(), login, pw)
	if err != nil {
		t.Fatalf("log in as %s: %v", login, err)
	}
	return s.Token
}
