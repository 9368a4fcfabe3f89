package client

import (
	"context"
	"iter"
	"time"
)

// ServiceAccount is a tenant's machine identity, with roles in that tenant only.
type ServiceAccount struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name"`
	Roles     []string  `json:"roles"` // role names
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ETag is the version the answer carried, for IfMatch; empty on list items.
	ETag string `json:"-"`
}

func (sa *ServiceAccount) setETag(e string) { sa.ETag = e }

// ServiceAccountCreate is a new service account with roles (ids or names) of its tenant.
type ServiceAccountCreate struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// ServiceAccountUpdate changes the fields that are not nil; Roles replaces the whole set.
type ServiceAccountUpdate struct {
	Name  *string   `json:"name,omitempty"`
	Roles *[]string `json:"roles,omitempty"`
}

// ServiceAccountKey is a service account's key as listed: its secret is never shown again.
type ServiceAccountKey struct {
	ID               string     `json:"id"`
	ServiceAccountID string     `json:"service_account_id"`
	Hint             string     `json:"hint"`
	CreatedAt        time.Time  `json:"created_at"`
	ExpiresAt        *time.Time `json:"expires_at"`
	LastUsedAt       *time.Time `json:"last_used_at"`
}

// NewServiceAccountKey is a key just created, with its secret: keep Key now, it is shown once.
type NewServiceAccountKey struct {
	ServiceAccountKey
	Key string `json:"key"` // "sk:…", sent as a bearer token; acts as the service account
}

// KeyCreate is a new service-account key.
type KeyCreate struct {
	ExpiresAt *time.Time `json:"expires_at,omitempty"` // nil: no expiry, or the server's --token-max-ttl
}

// ListServiceAccounts returns a page of a tenant's service accounts (needs
// service_accounts:read).
func (c *Client) ListServiceAccounts(ctx context.Context, tenant string, opts ListOptions) (*Page[*ServiceAccount], error) {
	return listPage[*ServiceAccount](ctx, c, request{method: "GET", path: "/v1/tenants/{}/service-accounts", params: []string{tenant}, query: opts.values()})
}

// AllServiceAccounts iterates over the service accounts ListServiceAccounts returns, page by
// page, from opts.Cursor on.
func (c *Client) AllServiceAccounts(ctx context.Context, tenant string, opts ListOptions) iter.Seq2[*ServiceAccount, error] {
	return all(opts.Cursor, func(cursor string) (*Page[*ServiceAccount], error) {
		opts.Cursor = cursor
		return c.ListServiceAccounts(ctx, tenant, opts)
	})
}

// CreateServiceAccount creates a service account. It needs service_accounts:write and every
// permission of the roles given.
func (c *Client) CreateServiceAccount(ctx context.Context, tenant string, in ServiceAccountCreate) (*ServiceAccount, error) {
	in.Roles = orEmpty(in.Roles)
	return decodeVersioned[ServiceAccount](ctx, c, request{method: "POST", path: "/v1/tenants/{}/service-accounts", params: []string{tenant}, body: in})
}

// GetServiceAccount returns a service account (needs service_accounts:read).
func (c *Client) GetServiceAccount(ctx context.Context, tenant, id string) (*ServiceAccount, error) {
	return decodeVersioned[ServiceAccount](ctx, c, request{method: "GET", path: "/v1/tenants/{}/service-accounts/{}", params: []string{tenant, id}})
}

// UpdateServiceAccount renames a service account or replaces its roles; with IfMatch, only if
// unchanged since.
func (c *Client) UpdateServiceAccount(ctx context.Context, tenant, id string, in ServiceAccountUpdate, opts ...CallOption) (*ServiceAccount, error) {
	return decodeVersioned[ServiceAccount](ctx, c, request{method: "PATCH", path: "/v1/tenants/{}/service-accounts/{}", params: []string{tenant, id}, body: in, opts: opts})
}

// DeleteServiceAccount deletes a service account and its keys; with IfMatch, only if
// unchanged since.
func (c *Client) DeleteServiceAccount(ctx context.Context, tenant, id string, opts ...CallOption) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/tenants/{}/service-accounts/{}", params: []string{tenant, id}, opts: opts}, nil)
	return err
}

// ListServiceAccountKeys returns a service account's keys.
func (c *Client) ListServiceAccountKeys(ctx context.Context, tenant, serviceAccount string) ([]*ServiceAccountKey, error) {
	return listAll[*ServiceAccountKey](ctx, c, request{method: "GET", path: "/v1/tenants/{}/service-accounts/{}/keys", params: []string{tenant, serviceAccount}})
}

// CreateServiceAccountKey creates a key for a service account; the answer holds its secret,
// once. Minting one needs every permission the service account holds.
func (c *Client) CreateServiceAccountKey(ctx context.Context, tenant, serviceAccount string, in KeyCreate) (*NewServiceAccountKey, error) {
	return decode[NewServiceAccountKey](ctx, c, request{method: "POST", path: "/v1/tenants/{}/service-accounts/{}/keys", params: []string{tenant, serviceAccount}, body: in})
}

// RevokeServiceAccountKey revokes a key; it stops working at once.
func (c *Client) RevokeServiceAccountKey(ctx context.Context, tenant, serviceAccount, key string) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/tenants/{}/service-accounts/{}/keys/{}", params: []string{tenant, serviceAccount, key}}, nil)
	return err
}
