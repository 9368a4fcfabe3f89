package client

import (
	"context"
	"iter"
	"time"
)

// The statuses of an invitation.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationDeclined = "declined" // the person left the invited membership it made
	InvitationRevoked  = "revoked"
	InvitationExpired  = "expired" // past ExpiresAt unaccepted, or replaced by a newer one
)

// Invitation asks a person, by email, to join a tenant with roles. It shows what the inviter
// sent, never which account it is for until it is accepted.
type Invitation struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	Email      string     `json:"email"`
	GivenName  string     `json:"given_name"`
	FamilyName string     `json:"family_name"`
	Locale     string     `json:"locale"` // "" when the inviter gave none
	Roles      []string   `json:"roles"`  // role names, sorted
	Status     string     `json:"status"` // one of the Invitation… statuses
	InvitedBy  AuditActor `json:"invited_by"`
	UserID     string     `json:"user_id"` // the member it made, once accepted; "" before
	ExpiresAt  time.Time  `json:"expires_at"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ClosedAt   *time.Time `json:"closed_at"` // when it was accepted, declined or revoked
	// ETag is the version the answer carried, for IfMatch; empty on list items.
	ETag string `json:"-"`
}

func (i *Invitation) setETag(e string) { i.ETag = e }

// InvitationCreate invites the person at Email with Roles (ids or names). ExpiresIn is how
// long the link works (1 hour to 30 days; 0 leaves the default, 7 days); the names and Locale
// are for a new account and its mail.
type InvitationCreate struct {
	Email      string
	Roles      []string
	ExpiresIn  time.Duration
	GivenName  string
	FamilyName string
	Locale     string
}

// InvitationPreview is what the holder of an invitation's link learns: for the page it opens.
type InvitationPreview struct {
	Tenant     TenantSummary `json:"tenant"`
	Email      string        `json:"email"`
	GivenName  string        `json:"given_name"`
	FamilyName string        `json:"family_name"`
	Roles      []string      `json:"roles"`
	Inviter    string        `json:"inviter"` // the inviter's name, or a service account's
	ExpiresAt  time.Time     `json:"expires_at"`
	// AccountExists: the person signs in and uses AcceptInvitationAsCaller; otherwise it
	// chooses a password with AcceptInvitationNewAccount.
	AccountExists bool `json:"account_exists"`
}

// InvitationAcceptNew accepts an invitation with a new account: the link's token, a password
// (the policy applies) and names (nil: the ones the inviter suggested).
type InvitationAcceptNew struct {
	Token      string  `json:"token"`
	Password   string  `json:"password"`
	GivenName  *string `json:"given_name,omitempty"`
	FamilyName *string `json:"family_name,omitempty"`
}

// InvitationFilter narrows ListInvitations; an empty Status does not filter.
type InvitationFilter struct {
	Status string
}

// seconds is d as a JSON number of seconds, or nil for 0.
func seconds(d time.Duration) *int64 {
	if d == 0 {
		return nil
	}
	s := int64(d / time.Second)
	return &s
}

// ListInvitations returns a page of a tenant's invitations, oldest first (needs members:read).
func (c *Client) ListInvitations(ctx context.Context, tenant string, f InvitationFilter, opts ListOptions) (*Page[*Invitation], error) {
	q := opts.values()
	setIf(q, "status", f.Status)
	return listPage[*Invitation](ctx, c, request{method: "GET", path: "/v1/tenants/{}/invitations", params: []string{tenant}, query: q})
}

// AllInvitations iterates over the invitations ListInvitations returns, page by page.
func (c *Client) AllInvitations(ctx context.Context, tenant string, f InvitationFilter, opts ListOptions) iter.Seq2[*Invitation, error] {
	return all(opts.Cursor, func(cursor string) (*Page[*Invitation], error) {
		opts.Cursor = cursor
		return c.ListInvitations(ctx, tenant, f, opts)
	})
}

// CreateInvitation invites a person to a tenant and mails the invitation. It needs
// members:write and every permission of the roles offered. The answer is the same whether or
// not the address has an account. CodeConflict when the tenant has a pending invitation for
// the address or the account is a member (or invited) already; CodeUnavailable with mail off.
func (c *Client) CreateInvitation(ctx context.Context, tenant string, in InvitationCreate) (*Invitation, error) {
	body := struct {
		Email      string   `json:"email"`
		Roles      []string `json:"roles"`
		ExpiresIn  *int64   `json:"expires_in,omitempty"`
		GivenName  string   `json:"given_name,omitempty"`
		FamilyName string   `json:"family_name,omitempty"`
		Locale     string   `json:"locale,omitempty"`
	}{in.Email, orEmpty(in.Roles), seconds(in.ExpiresIn), in.GivenName, in.FamilyName, in.Locale}
	return decodeVersioned[Invitation](ctx, c, request{method: "POST", path: "/v1/tenants/{}/invitations", params: []string{tenant}, body: body})
}

// GetInvitation returns one of a tenant's invitations (needs members:read).
func (c *Client) GetInvitation(ctx context.Context, tenant, id string) (*Invitation, error) {
	return decodeVersioned[Invitation](ctx, c, request{method: "GET", path: "/v1/tenants/{}/invitations/{}", params: []string{tenant, id}})
}

// ResendInvitation mails a pending or expired invitation again with a new link that works for
// expiresIn from now (0: the default, 7 days); earlier links stop working. It needs
// members:write and every permission of the roles offered; with IfMatch, only if unchanged.
func (c *Client) ResendInvitation(ctx context.Context, tenant, id string, expiresIn time.Duration, opts ...CallOption) (*Invitation, error) {
	req := request{method: "POST", path: "/v1/tenants/{}/invitations/{}/resend", params: []string{tenant, id}, opts: opts}
	if s := seconds(expiresIn); s != nil {
		req.body = struct {
			ExpiresIn *int64 `json:"expires_in"`
		}{s}
	}
	return decodeVersioned[Invitation](ctx, c, req)
}

// RevokeInvitation withdraws a pending or expired invitation: its links stop working at once,
// and the invited membership it made for an account goes. Same permissions as
// ResendInvitation; CodeConflict for an invitation that is no longer pending.
func (c *Client) RevokeInvitation(ctx context.Context, tenant, id string, opts ...CallOption) (*Invitation, error) {
	return decodeVersioned[Invitation](ctx, c, request{method: "POST", path: "/v1/tenants/{}/invitations/{}/revoke", params: []string{tenant, id}, opts: opts})
}

// LookupInvitation reads what an invitation's link offers; it needs no token of the client's
// own. CodeInvalid, saying why, for a link that cannot be used.
func (c *Client) LookupInvitation(ctx context.Context, token string) (*InvitationPreview, error) {
	body := struct {
		Token string `json:"token"`
	}{token}
	return decode[InvitationPreview](ctx, c, request{method: "POST", path: "/v1/invitations/lookup", body: body})
}

// AcceptInvitationNewAccount accepts an invitation to an address no account has: it creates
// the account (managed by the inviting tenant, its address verified) and its membership. It
// needs no token of the client's own. CodeInvalid for a link that cannot be used or a password
// the policy refuses; CodeConflict when an account has the address.
func (c *Client) AcceptInvitationNewAccount(ctx context.Context, in InvitationAcceptNew) (*Member, error) {
	return decodeVersioned[Member](ctx, c, request{method: "POST", path: "/v1/invitations/accept", body: in})
}

// AcceptInvitationAsCaller accepts, for the signed-in caller, an invitation whose link it
// holds: CodeForbidden when it is another person's, CodeConflict when the caller is a member
// already.
func (c *Client) AcceptInvitationAsCaller(ctx context.Context, token string) (*Member, error) {
	body := struct {
		Token string `json:"token"`
	}{token}
	return decodeVersioned[Member](ctx, c, request{method: "POST", path: "/v1/me/invitations/accept", body: body})
}
