package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// User is one global identity; it joins tenants through memberships.
type User struct {
	ID            string     `json:"id"`
	Username      string     `json:"username"`
	Email         string     `json:"email"`
	GivenName     string     `json:"given_name"`
	FamilyName    string     `json:"family_name"`
	Locale        string     `json:"locale"`
	Active        bool       `json:"active"`
	EmailVerified bool       `json:"email_verified"`
	InstanceAdmin bool       `json:"instance_admin"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	LastLoginAt   *time.Time `json:"last_login_at"` // nil until the first login
	// ManagedBy is the id of the tenant that manages the account, or empty when the
	// instance does. Only a manager edits, deactivates, deletes or sets the password of it.
	ManagedBy string `json:"managed_by"`
	// ETag is the version the answer carried, for IfMatch; empty on list items and in sessions.
	ETag string `json:"-"`
}

func (u *User) setETag(e string) { u.ETag = e }

// UserCreate is a new user. Only Email is required: Username defaults to the email's local
// part, Active to true, and without Password the user cannot log in with one.
type UserCreate struct {
	Email         string `json:"email"`
	Username      string `json:"username,omitempty"`
	GivenName     string `json:"given_name,omitempty"`
	FamilyName    string `json:"family_name,omitempty"`
	Locale        string `json:"locale,omitempty"`
	Password      string `json:"password,omitempty"`
	Active        *bool  `json:"active,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	InstanceAdmin bool   `json:"instance_admin,omitempty"`
	// ManagedBy (instance administrators only) names the tenant, by id or slug, that manages
	// the account; empty: the instance does.
	ManagedBy string `json:"managed_by,omitempty"`
}

// UserUpdate changes the fields that are not nil, such as GivenName: new("Ann"). Users change
// their own names and locale; the other fields are for instance administrators.
// Active: new(false) deactivates the user, ending its sessions and tokens.
type UserUpdate struct {
	Username      *string `json:"username,omitempty"`
	Email         *string `json:"email,omitempty"`
	GivenName     *string `json:"given_name,omitempty"`
	FamilyName    *string `json:"family_name,omitempty"`
	Locale        *string `json:"locale,omitempty"`
	Active        *bool   `json:"active,omitempty"`
	EmailVerified *bool   `json:"email_verified,omitempty"`
	InstanceAdmin *bool   `json:"instance_admin,omitempty"`
	ManagedBy     *string `json:"managed_by,omitempty"` // a tenant's id or slug; new("") hands the account to the instance
}

// PasswordSet is a new password. Users setting their own give CurrentPassword; instance
// administrators setting someone else's leave it empty.
type PasswordSet struct {
	Password        string `json:"password"`
	CurrentPassword string `json:"current_password,omitempty"`
}

// UserFilter narrows ListUsers; empty fields do not filter.
type UserFilter struct {
	Email    string // email starts with this, case-insensitively
	Username string // username starts with this, case-insensitively
	Search   string // email, username, given or family name contains this (the q parameter)
	Active   *bool  // only active (true) or only deactivated (false) users
}

func (f UserFilter) values(o ListOptions) url.Values {
	q := o.values()
	setIf(q, "email", f.Email)
	setIf(q, "username", f.Username)
	setIf(q, "q", f.Search)
	if f.Active != nil {
		q.Set("active", strconv.FormatBool(*f.Active))
	}
	return q
}

// ListUsers returns a page of the users matching f, oldest first (instance administrators
// only: CodeForbidden otherwise).
func (c *Client) ListUsers(ctx context.Context, f UserFilter, opts ListOptions) (*Page[*User], error) {
	return listPage[*User](ctx, c, request{method: "GET", path: "/v1/users", query: f.values(opts)})
}

// AllUsers iterates over the users ListUsers returns, page by page, from opts.Cursor on.
func (c *Client) AllUsers(ctx context.Context, f UserFilter, opts ListOptions) iter.Seq2[*User, error] {
	return all(opts.Cursor, func(cursor string) (*Page[*User], error) {
		opts.Cursor = cursor
		return c.ListUsers(ctx, f, opts)
	})
}

// CreateUser creates a user (instance administrators only). It fails with CodeConflict when
// the email or username is taken, and CodeInvalid when the password breaks the policy.
func (c *Client) CreateUser(ctx context.Context, in UserCreate) (*User, error) {
	return decodeVersioned[User](ctx, c, request{method: "POST", path: "/v1/users", body: in})
}

// GetUser returns a user by id, email or username: the caller itself, anyone for an instance administrator, and
// members of tenants where the caller may read members; CodeNotFound otherwise.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	return decodeVersioned[User](ctx, c, request{method: "GET", path: "/v1/users/{}", params: []string{id}})
}

// UpdateUser changes a user; with IfMatch, only if unchanged since. The last active instance
// administrator and a tenant's only admin stay active (CodeConflict).
func (c *Client) UpdateUser(ctx context.Context, id string, in UserUpdate, opts ...CallOption) (*User, error) {
	return decodeVersioned[User](ctx, c, request{method: "PATCH", path: "/v1/users/{}", params: []string{id}, body: in, opts: opts})
}

// DeleteUser deletes a user with its memberships and credentials (instance administrators
// only); with IfMatch, only if unchanged since.
func (c *Client) DeleteUser(ctx context.Context, id string, opts ...CallOption) error {
	_, err := c.do(ctx, request{method: "DELETE", path: "/v1/users/{}", params: []string{id}, opts: opts}, nil)
	return err
}

// SetUserPassword sets a user's password and ends its other sessions; with IfMatch, only if
// the user is unchanged since. A missing or wrong CurrentPassword and a password the policy
// refuses are CodeInvalid (see Fields); repeated wrong ones are CodeRateLimited.
func (c *Client) SetUserPassword(ctx context.Context, id string, in PasswordSet, opts ...CallOption) error {
	_, err := c.do(ctx, request{method: "PUT", path: "/v1/users/{}/password", params: []string{id}, body: in, opts: opts}, nil)
	return err
}
