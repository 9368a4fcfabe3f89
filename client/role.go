package client

import (
	"context"
	"iter"
	"time"
)

// Role is a named set of permissions in one tenant: the built-in admin, user and viewer, or a
// custom role. In paths, a role is named by its id or its name.
type Role struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Permissions []string  `json:"permissions"` // such as "members:read", "invoices:*" or "*"
	Builtin     bool      `json:"builtin"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// ETag is the version the answer carried, for IfMatch; empty on list items.
	ETag string `json:"-"`
}

func (r *Role) setETag(e string) { r.ETag = e }

// RoleCreate is a new custom role.
type RoleCreate struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Permissions []string `json:"permissions"`
}

// RoleUpdate changes the fields that are not nil; Permissions replaces the whole set.
type RoleUpdate struct {
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	Permissions *[]string `json:"permissions,omitempty"`
}

// ListRoles returns a page of a tenant's roles (needs roles:read).
func (c *Client) ListRoles(ctx context.Context, tenant string, opts ListOptions) (*Page[*Role], error) {
	return listPage[*Role](ctx, c, request{method: "GET", path: "/v1/tenants/{}/roles", params: []string{tenant}, query: opts.values()})
}

// AllRoles iterates over the roles ListRoles returns, page by page, from opts.Cursor on.
func (c *Client) AllRoles(ctx context.Context, tenant string, opts ListOptions) iter.Seq2[*Role, error] {
	return all(opts.Cursor, func(cursor string) (*Page[*Role], error) {
		opts.Cursor = cursor
		return c.ListRoles(ctx, tenant, opts)
	})
}

// CreateRole creates a custom role. It needs roles:write and every permission the role holds;
// CodeConflict when the name is taken in the tenant.
func (c *Client) CreateRole(ctx context.Context, tenant string, in RoleCreate) (*Role, error) {
	in.Permissions = orEmpty(in.Permissions)
	return decodeVersioned[Role](ctx, c, request{method: "POST", path: "/v1/tenants/{}/roles", params: []string{tenant}, body: in})
}

// GetRole returns a role by id or name (needs roles:read).
func (c *Client) GetRole(ctx context.Context, tenant, role string) (*Role, error) {
	return decodeVersioned[Role](ctx, c, request{method: "GET", path: "/v1/tenants/{}/roles/{}", params: []string{tenant, role}})
}

// UpdateRole changes a custom role (a built-in one is CodeConflict); the caller needs its old
// and its new permissions. With IfMatch, only if unchanged since.
func (c *Client) UpdateRole(ctx context.Context, tenant, role string, in RoleUpdate, opts ...CallOption) (*Role, error) {
	return decodeVersioned[Role](ctx, c, request{method: "PATCH", path: "/v1/tenants/{}/roles/{}", params: []string{tenant, role}, body: in, opts: opts})
}

// DeleteRole deletes a custom role that nobody holds (CodeConflict while a member or service
// account does, and for a built-in role); with IfMatch, only if unchanged since.
func (c *Client) DeleteRole(ctx context.Context, tenant, role string, opts ...CallOption) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/tenants/{}/roles/{}", params: []string{tenant, role}, opts: opts}, nil)
	return err
}
