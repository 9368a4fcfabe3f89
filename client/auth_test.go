package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/internal/httpapi"
)

func TestHealthAndOpenAPIDocument(t *testing.T) {
	w := startServer(t)
	ctx := context.Background()
	h, err := w.anon.GetHealth(ctx)
	if err != nil || h.Status != "ok" {
		t.Errorf("GetHealth = %+v, %v; want ok", h, err)
	}
	doc, err := w.anon.GetOpenAPIDocument(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, httpapi.OpenAPIDocument()) {
		t.Errorf("GetOpenAPIDocument returned %d bytes, not the server's document", len(doc))
	}
}

func TestBootstrapLoginLogout(t *testing.T) {
	w := startServer(t)
	ctx := context.Background()
	before := time.Now()
	s, err := w.anon.Bootstrap(ctx, client.BootstrapRequest{Email: "root@example.com", Password: password, Username: "root"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Token, "rss_") || s.TokenType != "Bearer" || !strings.HasPrefix(s.SessionID, "ses_") || !s.ExpiresAt.After(before) {
		t.Errorf("bootstrap session = %+v", s)
	}
	if u := s.User; u.Email != "root@example.com" || u.Username != "root" || !u.InstanceAdmin || !u.Active || !strings.HasPrefix(u.ID, "usr_") {
		t.Errorf("bootstrap user = %+v", u)
	}
	if _, err := w.anon.Bootstrap(ctx, client.BootstrapRequest{Email: "again@example.com", Password: password}); !client.IsConflict(err) {
		t.Errorf("a second bootstrap = %v, want conflict", err)
	}

	login, err := w.anon.Login(ctx, "root", password)
	if err != nil {
		t.Fatal(err)
	}
	if login.User.ID != s.User.ID || login.Token == s.Token || login.User.LastLoginAt == nil {
		t.Errorf("login = %+v, want a new session of %s with a last login", login, s.User.ID)
	}
	if _, err := w.anon.Login(ctx, "root", "not the password"); !client.IsUnauthenticated(err) {
		t.Errorf("login with a wrong password = %v, want unauthenticated", err)
	}

	c := w.as(login.Token)
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("GetMe after logout = %v, want unauthenticated", err)
	}
	if _, err := w.as(s.Token).GetMe(ctx); err != nil {
		t.Errorf("the other session ended with the logout: %v", err)
	}
}

func TestGetMe(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ann, annc := w.user(t, "ann@example.com")
	mustTenant(t, w, "acme")
	if _, err := w.admin.AddMember(ctx, "acme", client.MemberCreate{UserID: ann.ID, Roles: []string{"viewer"}}); err != nil {
		t.Fatal(err)
	}
	me, err := annc.GetMe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.User.ID != ann.ID || me.User.Email != "ann@example.com" {
		t.Errorf("me.User = %+v", me.User)
	}
	if len(me.Memberships) != 1 {
		t.Fatalf("memberships = %+v, want one", me.Memberships)
	}
	m := me.Memberships[0]
	want := client.Membership{Tenant: client.TenantSummary{ID: m.Tenant.ID, Slug: "acme", Name: "Tenant acme"},
		Status: client.MemberActive, Roles: []string{"viewer"}, Permissions: []string{"resources:read", "tenant:read"}}
	if diff := cmp.Diff(want, m); diff != "" || !strings.HasPrefix(m.Tenant.ID, "tnt_") {
		t.Errorf("membership (-want +got):\n%s", diff)
	}
}

func TestIntrospect(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ann, _ := w.user(t, "ann@example.com")
	mustTenant(t, w, "acme")
	if _, err := w.admin.AddMember(ctx, "acme", client.MemberCreate{UserID: ann.ID, Roles: []string{"user"}}); err != nil {
		t.Fatal(err)
	}
	s, err := w.anon.Login(ctx, "ann@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	in, err := w.admin.Introspect(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	want := &client.Introspection{Active: true, TokenType: "session", Subject: ann.ID, Username: "ann",
		CredentialID: s.SessionID, IssuedAt: in.IssuedAt, ExpiresAt: new(s.ExpiresAt.Truncate(time.Second).UTC()),
		Tenants: []client.IntrospectionTenant{{TenantID: in.Tenants[0].TenantID, Slug: "acme", Roles: []string{"user"},
			Permissions: []string{"resources:read", "resources:write", "tenant:read"}}}}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("introspection (-want +got):\n%s", diff)
	}
	if d := time.Since(in.IssuedAt); d < 0 || d > time.Minute {
		t.Errorf("IssuedAt = %v, want about now", in.IssuedAt)
	}

	// Encoding an Introspection gives back the API's own shape.
	raw := rawPost(t, w, "/v1/auth/introspect", `{"token": "`+s.Token+`"}`, w.adminToken(t))
	var fromAPI, fromClient any
	json.Unmarshal(raw, &fromAPI)
	b, _ := json.Marshal(in)
	json.Unmarshal(b, &fromClient)
	if diff := cmp.Diff(fromAPI, fromClient); diff != "" {
		t.Errorf("json.Marshal(Introspection) differs from the API's answer (-api +client):\n%s", diff)
	}

	if err := w.as(s.Token).Logout(ctx); err != nil {
		t.Fatal(err)
	}
	in, err = w.admin.Introspect(ctx, s.Token)
	if err != nil || in.Active || in.Subject != "" {
		t.Errorf("introspecting an ended session = %+v, %v; want inactive", in, err)
	}
	if b, _ := json.Marshal(in); string(b) != `{"active":false}` {
		t.Errorf("an inactive introspection encodes as %s", b)
	}
	if _, err := w.as(tokenOf(t, w, "ann@example.com")).Introspect(ctx, s.Token); !client.IsForbidden(err) {
		t.Errorf("a plain user introspecting = %v, want forbidden", err)
	}
}

// adminToken logs the administrator in again, for raw requests.
func (w *world) adminToken(t testing.TB) string { return tokenOf(t, w, "admin@example.com") }

// rawPost posts body to path with token and returns the answer's body.
func rawPost(t testing.TB, w *world, path, body, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest("POST", w.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := w.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
	}
	return b
}

// mustTenant creates a tenant named "Tenant <slug>".
func mustTenant(t testing.TB, w *world, slug string) *client.Tenant {
	t.Helper()
	tn, err := w.admin.CreateTenant(context.Background(), client.TenantCreate{Slug: slug, Name: "Tenant " + slug})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}
