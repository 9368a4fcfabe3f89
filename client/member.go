package client

import (
	"context"
	"iter"
	"net/url"
	"time"
)

// The statuses of a membership.
const (
	MemberActive  = "active"
	MemberInvited = "invited" // grants nothing until the user accepts (AcceptMembership)
)

// Member is a user's membership of a tenant, with its roles there.
type Member struct {
	TenantID  string     `json:"tenant_id"`
	UserID    string     `json:"user_id"`
	Status    string     `json:"status"` // MemberActive or MemberInvited
	Roles     []string   `json:"roles"`  // role names, sorted
	User      MemberUser `json:"user"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// ETag is the version the answer carried, for IfMatch; empty on list items.
	ETag string `json:"-"`
}

func (m *Member) setETag(e string) { m.ETag = e }

// MemberUser is what a tenant sees of its member's account; of an invited member, only what
// the inviter supplied.
type MemberUser struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	Email      string `json:"email"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	Active     bool   `json:"active"`
}

// MemberCreate adds an existing user to a tenant with roles (ids or names).
type MemberCreate struct {
	UserID string   `json:"user_id"`
	Roles  []string `json:"roles"`
}

// BulkRolesItem is one member's new set of roles in SetMembersRoles.
type BulkRolesItem struct {
	UserID string   `json:"user_id"`
	Roles  []string `json:"roles"`
}

// MemberFilter narrows ListMembers; empty fields do not filter.
type MemberFilter struct {
	Role   string // members holding this role (id or name); a role the tenant lacks is CodeInvalid
	Email  string // email starts with this, case-insensitively
	Search string // email, username, given or family name contains this (the q parameter)
}

func (f MemberFilter) values(o ListOptions) url.Values {
	q := o.values()
	setIf(q, "role", f.Role)
	setIf(q, "email", f.Email)
	setIf(q, "q", f.Search)
	return q
}

// ListMembers returns a page of a tenant's members matching f, by user id (needs members:read).
func (c *Client) ListMembers(ctx context.Context, tenant string, f MemberFilter, opts ListOptions) (*Page[*Member], error) {
	return listPage[*Member](ctx, c, request{method: "GET", path: "/v1/tenants/{}/members", params: []string{tenant}, query: f.values(opts)})
}

// AllMembers iterates over the members ListMembers returns, page by page, from opts.Cursor on.
func (c *Client) AllMembers(ctx context.Context, tenant string, f MemberFilter, opts ListOptions) iter.Seq2[*Member, error] {
	return all(opts.Cursor, func(cursor string) (*Page[*Member], error) {
		opts.Cursor = cursor
		return c.ListMembers(ctx, tenant, f, opts)
	})
}

// AddMember adds a user to a tenant. It needs members:write and every permission of the roles
// given; CodeConflict when the user is a member already. A tenant-scoped caller adding an
// account the tenant does not manage creates an invitation (Status MemberInvited), which
// grants nothing until the user accepts it.
func (c *Client) AddMember(ctx context.Context, tenant string, in MemberCreate) (*Member, error) {
	in.Roles = orEmpty(in.Roles)
	return decodeVersioned[Member](ctx, c, request{method: "POST", path: "/v1/tenants/{}/members", params: []string{tenant}, body: in})
}

// SetMembersRoles replaces the roles of several members at once (1 to 1000): all of them or,
// on any refusal, none; the *Error's Fields then name every item at fault ("/2/roles/0").
func (c *Client) SetMembersRoles(ctx context.Context, tenant string, items []BulkRolesItem) ([]*Member, error) {
	body := make([]BulkRolesItem, len(items))
	for i, it := range items {
		body[i] = BulkRolesItem{UserID: it.UserID, Roles: orEmpty(it.Roles)}
	}
	return listAll[*Member](ctx, c, request{method: "PATCH", path: "/v1/tenants/{}/members", params: []string{tenant}, body: body})
}

// AcceptMembership accepts the caller's invitation to a tenant: the membership becomes active
// with the roles offered (an active one is returned as it is). CodeNotFound when the caller
// has no membership there; to decline, RemoveMember with the caller's own id.
func (c *Client) AcceptMembership(ctx context.Context, tenant string) (*Member, error) {
	return decodeVersioned[Member](ctx, c, request{method: "POST", path: "/v1/me/memberships/{}/accept", params: []string{tenant}})
}

// GetMember returns one membership: members read their own, others need members:read.
func (c *Client) GetMember(ctx context.Context, tenant, user string) (*Member, error) {
	return decodeVersioned[Member](ctx, c, request{method: "GET", path: "/v1/tenants/{}/members/{}", params: []string{tenant, user}})
}

// SetMemberRoles replaces a member's roles; with IfMatch, only if unchanged since. The caller
// needs every permission of each role added or taken away; the tenant keeps an admin
// (CodeConflict).
func (c *Client) SetMemberRoles(ctx context.Context, tenant, user string, roles []string, opts ...CallOption) (*Member, error) {
	body := struct {
		Roles []string `json:"roles"`
	}{orEmpty(roles)}
	return decodeVersioned[Member](ctx, c, request{method: "PUT", path: "/v1/tenants/{}/members/{}", params: []string{tenant, user}, body: body, opts: opts})
}

// RemoveMember takes a user out of a tenant (members may leave by themselves); with IfMatch,
// only if unchanged since. The last admin stays (CodeConflict).
func (c *Client) RemoveMember(ctx context.Context, tenant, user string, opts ...CallOption) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/tenants/{}/members/{}", params: []string{tenant, user}, opts: opts}, nil)
	return err
}
