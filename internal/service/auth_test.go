package service

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/token"
)

// untouchable is a store that fails the test if anything opens a transaction on it.
type untouchable struct{ t *testing.T }

func (u untouchable) Read(context.Context, func(roster.Tx) error) error {
	u.t.Fatal("the store was read")
	return nil
}

func (u untouchable) Write(context.Context, func(roster.Tx) error) error {
	u.t.Fatal("the store was written")
	return nil
}

// A secret that is malformed or fails its checksum is refused before any database access.
func TestAuthenticateRefusesBadSecretsWithoutTheStore(t *testing.T) {
	svc := New(untouchable{t}, password.NewHasher(password.DefaultParams), DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	var secrets []string
	for _, prefix := range []string{token.PrefixSession, token.PrefixAPIToken, token.PrefixKey} {
		s, _ := token.New(prefix)
		flipped := s[:len(s)-8] + string(s[len(s)-8]^1) + s[len(s)-7:]
		secrets = append(secrets, flipped, s[:len(s)-1], s+"x")
	}
	secrets = append(secrets, "", "Bearer", "ghp_abcdef", "sk:", "rss_"+string(make([]byte, 49)))
	for _, s := range secrets {
		if _, err := svc.Authenticate(context.Background(), s); roster.ErrorCodeOf(err) != roster.EUnauthenticated {
			t.Errorf("Authenticate(%q) = %v, want unauthenticated", s, err)
		}
	}
}
