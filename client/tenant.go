package client

import (
	"context"
	"iter"
	"time"
)

// Tenant is an isolated organisation. In paths, a tenant is named by its id or its slug.
type Tenant struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ETag is the version the answer carried, for IfMatch; empty on list items.
	ETag string `json:"-"`
}

func (t *Tenant) setETag(e string) { t.ETag = e }

// TenantCreate is a new tenant; it comes with the built-in roles admin, user and viewer.
type TenantCreate struct {
	Slug string `json:"slug"` // URL-safe: lower-case letters, digits and hyphens
	Name string `json:"name"`
}

// TenantUpdate changes the fields that are not nil. Only instance administrators change a slug.
type TenantUpdate struct {
	Slug *string `json:"slug,omitempty"`
	Name *string `json:"name,omitempty"`
}

// ListTenants returns a page of the tenants the caller may see (all of them for an instance
// administrator, else those it belongs to), oldest first.
func (c *Client) ListTenants(ctx context.Context, opts ListOptions) (*Page[*Tenant], error) {
	return listPage[*Tenant](ctx, c, request{method: "GET", path: "/v1/tenants", query: opts.values()})
}

// AllTenants iterates over the tenants ListTenants returns, page by page, from opts.Cursor on.
func (c *Client) AllTenants(ctx context.Context, opts ListOptions) iter.Seq2[*Tenant, error] {
	return all(opts.Cursor, func(cursor string) (*Page[*Tenant], error) {
		opts.Cursor = cursor
		return c.ListTenants(ctx, opts)
	})
}

// CreateTenant creates a tenant (instance administrators only: CodeForbidden otherwise;
// CodeConflict when the slug is taken).
func (c *Client) CreateTenant(ctx context.Context, in TenantCreate) (*Tenant, error) {
	return decodeVersioned[Tenant](ctx, c, request{method: "POST", path: "/v1/tenants", body: in})
}

// GetTenant returns a tenant by id or slug (CodeNotFound also when the caller is not a member).
func (c *Client) GetTenant(ctx context.Context, tenant string) (*Tenant, error) {
	return decodeVersioned[Tenant](ctx, c, request{method: "GET", path: "/v1/tenants/{}", params: []string{tenant}})
}

// UpdateTenant changes a tenant (needs tenant:write); with IfMatch, only if unchanged since.
func (c *Client) UpdateTenant(ctx context.Context, tenant string, in TenantUpdate, opts ...CallOption) (*Tenant, error) {
	return decodeVersioned[Tenant](ctx, c, request{method: "PATCH", path: "/v1/tenants/{}", params: []string{tenant}, body: in, opts: opts})
}

// DeleteTenant deletes a tenant with its roles and memberships (instance administrators
// only); with IfMatch, only if unchanged since.
func (c *Client) DeleteTenant(ctx context.Context, tenant string, opts ...CallOption) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/tenants/{}", params: []string{tenant}, opts: opts}, nil)
	return err
}
