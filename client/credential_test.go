package client_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/client"
)

func TestAPITokens(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ann, annc := w.user(t, "ann@example.com")
	expires := time.Now().Add(48 * time.Hour).Truncate(time.Second).UTC()
	nightly, err := annc.CreateMyToken(ctx, client.APITokenCreate{Name: "nightly", ExpiresAt: &expires})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(nightly.Token, "rsp_") || !strings.HasPrefix(nightly.ID, "tok_") || nightly.Name != "nightly" ||
		nightly.ExpiresAt == nil || !nightly.ExpiresAt.Equal(expires) || nightly.LastUsedAt != nil {
		t.Errorf("created = %+v", nightly)
	}
	forever, err := annc.CreateMyToken(ctx, client.APITokenCreate{Name: "forever"})
	if err != nil || forever.ExpiresAt != nil {
		t.Errorf("a token without expiry = %+v, %v", forever, err)
	}
	me, err := w.as(nightly.Token).GetMe(ctx)
	if err != nil || me.User.ID != ann.ID {
		t.Fatalf("GetMe with the token = %+v, %v", me, err)
	}

	mine, err := annc.ListMyTokens(ctx)
	if err != nil || len(mine) != 2 {
		t.Fatalf("ListMyTokens = %+v, %v", mine, err)
	}
	for _, k := range mine {
		if k.ID == nightly.ID && (k.LastUsedAt == nil || !strings.HasPrefix(k.Hint, "rsp_") || !strings.HasSuffix(nightly.Token, k.Hint[len(k.Hint)-4:])) {
			t.Errorf("listed %+v: want a hint of the secret and a last use", k)
		}
	}
	theirs, err := w.admin.ListUserTokens(ctx, ann.ID)
	if err != nil || len(theirs) != 2 {
		t.Errorf("ListUserTokens = %+v, %v", theirs, err)
	}

	if err := annc.RevokeMyToken(ctx, nightly.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.as(nightly.Token).GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("a revoked token = %v, want unauthenticated", err)
	}
	if err := w.admin.RevokeUserToken(ctx, ann.ID, forever.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.as(forever.Token).GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("a token an administrator revoked = %v, want unauthenticated", err)
	}
	if err := annc.RevokeMyToken(ctx, forever.ID); !client.IsNotFound(err) {
		t.Errorf("revoking it again = %v, want not_found", err)
	}
	if left, _ := annc.ListMyTokens(ctx); len(left) != 0 {
		t.Errorf("tokens left: %+v", left)
	}
}

func TestSessions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ann, first := w.user(t, "ann@example.com")
	agent, _ := client.New(w.url, client.WithHTTPClient(w.http), client.WithUserAgent("laptop/1"))
	s2, err := agent.Login(ctx, "ann@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	second := w.as(s2.Token)

	sessions, err := second.ListMySessions(ctx)
	if err != nil || len(sessions) != 2 {
		t.Fatalf("ListMySessions = %+v, %v", sessions, err)
	}
	if s := sessions[0]; s.ID != s2.SessionID || !s.Current || s.UserAgent != "laptop/1" || s.ClientAddr != "127.0.0.1" || !s.ExpiresAt.Equal(s2.ExpiresAt) {
		t.Errorf("newest session = %+v, want the current one, from laptop/1", s)
	}
	if sessions[1].Current {
		t.Errorf("two current sessions: %+v", sessions)
	}
	if err := second.RevokeMySession(ctx, sessions[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := first.GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("the revoked session = %v, want unauthenticated", err)
	}

	third := w.as(tokenOf(t, w, "ann@example.com"))
	theirs, err := w.admin.ListUserSessions(ctx, ann.ID)
	if err != nil || len(theirs) != 2 || theirs[0].Current || theirs[1].Current {
		t.Fatalf("ListUserSessions by the administrator = %+v, %v", theirs, err)
	}
	if err := w.admin.RevokeUserSession(ctx, ann.ID, s2.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := second.GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("a session the administrator revoked = %v, want unauthenticated", err)
	}
	if _, err := third.GetMe(ctx); err != nil {
		t.Errorf("revoking one session ended another: %v", err)
	}
	w.as(tokenOf(t, w, "ann@example.com"))
	if err := w.admin.RevokeUserSessions(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	if left, err := w.admin.ListUserSessions(ctx, ann.ID); err != nil || len(left) != 0 {
		t.Errorf("after revoking all: %+v, %v", left, err)
	}
	if _, err := third.GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("a session after revoking all = %v, want unauthenticated", err)
	}
}
