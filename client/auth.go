package client

import (
	"context"
	"encoding/json"
	"time"
)

// Session is what a login or the bootstrap answers: a bearer token and whose it is.
type Session struct {
	Token     string    `json:"token"`      // "rss_…"; use it with WithToken
	TokenType string    `json:"token_type"` // "Bearer"
	SessionID string    `json:"session_id"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
}

// BootstrapRequest is the first instance administrator.
type BootstrapRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Username string `json:"username,omitempty"`
}

// Me is the caller and what it may do in each tenant it belongs to.
type Me struct {
	User        User         `json:"user"`
	Memberships []Membership `json:"memberships"`
}

// Membership is the caller's place in one tenant.
type Membership struct {
	Tenant      TenantSummary `json:"tenant"`
	Status      string        `json:"status"` // MemberActive, or MemberInvited: it grants nothing yet
	Roles       []string      `json:"roles"`
	Permissions []string      `json:"permissions"` // the union of the roles' permissions
}

// TenantSummary names a tenant.
type TenantSummary struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Health is the answer of GET /healthz.
type Health struct {
	Status string `json:"status"` // "ok"
}

// GetHealth asks whether the server process runs (liveness); it needs no token.
func (c *Client) GetHealth(ctx context.Context) (*Health, error) {
	return decode[Health](ctx, c, request{method: "GET", path: "/healthz"})
}

// GetOpenAPIDocument returns the server's OpenAPI document of this API, as JSON.
func (c *Client) GetOpenAPIDocument(ctx context.Context) ([]byte, error) {
	var raw []byte
	if _, err := c.do(ctx, request{method: "GET", path: "/v1/openapi.json"}, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// Bootstrap creates the first instance administrator and logs it in, while the instance has
// no user at all; it needs no token. Afterwards it is CodeConflict.
func (c *Client) Bootstrap(ctx context.Context, in BootstrapRequest) (*Session, error) {
	return decode[Session](ctx, c, request{method: "POST", path: "/v1/bootstrap", body: in})
}

// Login logs in with an email or username and a password, and returns a session; it needs no
// token. A wrong login, password or a deactivated user are alike CodeUnauthenticated; too many
// failures are CodeRateLimited.
func (c *Client) Login(ctx context.Context, login, password string) (*Session, error) {
	body := struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}{login, password}
	return decode[Session](ctx, c, request{method: "POST", path: "/v1/auth/login", body: body})
}

// Logout ends the session whose token the client sends.
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.do(ctx, request{method: "POST", path: "/v1/auth/logout"}, nil)
	return err
}

// GetMe returns the calling user and its memberships (a service account is CodeForbidden).
func (c *Client) GetMe(ctx context.Context) (*Me, error) {
	return decode[Me](ctx, c, request{method: "GET", path: "/v1/me"})
}

// Introspection describes a credential (RFC 7662 in spirit). An inactive credential (unknown,
// expired, revoked, or of a deactivated user) has only Active false.
type Introspection struct {
	Active        bool
	TokenType     string // "session", "api_token" or "service_account_key"
	Subject       string // the user's id, or the service account's
	Username      string // for users
	InstanceAdmin bool
	CredentialID  string // the session's, token's or key's id
	IssuedAt      time.Time
	ExpiresAt     *time.Time // nil: it does not expire
	Tenants       []IntrospectionTenant
}

// IntrospectionTenant is what the credential's subject may do in one tenant.
type IntrospectionTenant struct {
	TenantID    string   `json:"tenant_id"`
	Slug        string   `json:"slug"`
	Roles       []string `json:"roles"`
	Permissions []string `json:"permissions"`
}

// wireIntrospection is the RFC 7662 shape: Unix times, short names; an active one always has
// tenants, and instance_admin unless it is a service-account key.
type wireIntrospection struct {
	Active        bool                   `json:"active"`
	TokenType     string                 `json:"token_type,omitempty"`
	Sub           string                 `json:"sub,omitempty"`
	Username      string                 `json:"username,omitempty"`
	InstanceAdmin *bool                  `json:"instance_admin,omitempty"`
	JTI           string                 `json:"jti,omitempty"`
	IAT           int64                  `json:"iat,omitempty"`
	EXP           int64                  `json:"exp,omitempty"`
	Tenants       *[]IntrospectionTenant `json:"tenants,omitempty"`
}

// UnmarshalJSON reads the API's RFC 7662 shape (iat and exp in Unix seconds; sub; jti).
func (in *Introspection) UnmarshalJSON(b []byte) error {
	var w wireIntrospection
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*in = Introspection{Active: w.Active, TokenType: w.TokenType, Subject: w.Sub, Username: w.Username,
		InstanceAdmin: w.InstanceAdmin != nil && *w.InstanceAdmin, CredentialID: w.JTI}
	if w.Tenants != nil {
		in.Tenants = *w.Tenants
	}
	if w.IAT != 0 {
		in.IssuedAt = time.Unix(w.IAT, 0).UTC()
	}
	if w.EXP != 0 {
		exp := time.Unix(w.EXP, 0).UTC()
		in.ExpiresAt = &exp
	}
	return nil
}

// MarshalJSON writes the API's shape, so that an Introspection encodes as it was received.
func (in Introspection) MarshalJSON() ([]byte, error) {
	if !in.Active {
		return json.Marshal(wireIntrospection{})
	}
	tenants := in.Tenants
	if tenants == nil {
		tenants = []IntrospectionTenant{}
	}
	w := wireIntrospection{Active: true, TokenType: in.TokenType, Sub: in.Subject, Username: in.Username,
		JTI: in.CredentialID, Tenants: &tenants}
	if in.TokenType != "service_account_key" {
		w.InstanceAdmin = &in.InstanceAdmin
	}
	if !in.IssuedAt.IsZero() {
		w.IAT = in.IssuedAt.Unix()
	}
	if in.ExpiresAt != nil {
		w.EXP = in.ExpiresAt.Unix()
	}
	return json.Marshal(w)
}

// Introspect asks what token may do: who it is, and its roles and permissions per tenant. Only
// service accounts (which see their own tenant only) and instance administrators may ask;
// others get CodeForbidden. An unknown, expired or revoked token is not an error: its
// Introspection has Active false.
func (c *Client) Introspect(ctx context.Context, token string) (*Introspection, error) {
	body := struct {
		Token string `json:"token"`
	}{token}
	return decode[Introspection](ctx, c, request{method: "POST", path: "/v1/auth/introspect", body: body})
}
