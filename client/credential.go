package client

import (
	"context"
	"time"
)

// APIToken is a personal API token as listed: its secret is never shown again.
type APIToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Hint       string     `json:"hint"` // the secret's prefix and last characters, "rsp_…x7Qa"
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`   // nil: it does not expire
	LastUsedAt *time.Time `json:"last_used_at"` // nil: never used
}

// NewAPIToken is a token just created, with its secret: keep Token now, it is shown once.
type NewAPIToken struct {
	APIToken
	Token string `json:"token"` // "rsp_…", sent as a bearer token; acts as its owner
}

// APITokenCreate is a new personal API token.
type APITokenCreate struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"` // nil: no expiry, or the server's --token-max-ttl
}

// SessionInfo is a login session as listed.
type SessionInfo struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ClientAddr string     `json:"client_addr"`
	UserAgent  string     `json:"user_agent"`
	Current    bool       `json:"current"` // the session this request was made with
}

// ListMyTokens returns the caller's API tokens (users only: a service account is
// CodeForbidden).
func (c *Client) ListMyTokens(ctx context.Context) ([]*APIToken, error) {
	return listAll[*APIToken](ctx, c, request{method: "GET", path: "/v1/me/tokens"})
}

// CreateMyToken creates a personal API token for the caller; the answer holds its secret,
// once. CodeConflict when the caller has the most tokens allowed.
func (c *Client) CreateMyToken(ctx context.Context, in APITokenCreate) (*NewAPIToken, error) {
	return decode[NewAPIToken](ctx, c, request{method: "POST", path: "/v1/me/tokens", body: in})
}

// RevokeMyToken revokes one of the caller's API tokens; it stops working at once.
func (c *Client) RevokeMyToken(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/me/tokens/{}", params: []string{id}}, nil)
	return err
}

// ListUserTokens returns a user's API tokens (the user itself, or an instance administrator).
func (c *Client) ListUserTokens(ctx context.Context, user string) ([]*APIToken, error) {
	return listAll[*APIToken](ctx, c, request{method: "GET", path: "/v1/users/{}/tokens", params: []string{user}})
}

// RevokeUserToken revokes one of a user's API tokens.
func (c *Client) RevokeUserToken(ctx context.Context, user, id string) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/users/{}/tokens/{}", params: []string{user, id}}, nil)
	return err
}

// ListMySessions returns the caller's unexpired login sessions, newest first.
func (c *Client) ListMySessions(ctx context.Context) ([]*SessionInfo, error) {
	return listAll[*SessionInfo](ctx, c, request{method: "GET", path: "/v1/me/sessions"})
}

// RevokeMySession ends one of the caller's sessions (its token stops working at once).
func (c *Client) RevokeMySession(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/me/sessions/{}", params: []string{id}}, nil)
	return err
}

// ListUserSessions returns a user's unexpired sessions, newest first (the user itself, or an
// instance administrator).
func (c *Client) ListUserSessions(ctx context.Context, user string) ([]*SessionInfo, error) {
	return listAll[*SessionInfo](ctx, c, request{method: "GET", path: "/v1/users/{}/sessions", params: []string{user}})
}

// RevokeUserSessions ends every session of a user ("sign out everywhere").
func (c *Client) RevokeUserSessions(ctx context.Context, user string) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/users/{}/sessions", params: []string{user}}, nil)
	return err
}

// RevokeUserSession ends one session of a user.
func (c *Client) RevokeUserSession(ctx context.Context, user, id string) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/users/{}/sessions/{}", params: []string{user, id}}, nil)
	return err
}
