package roster

import (
	"context"
	"time"
)

// PrefixInvitation is the id prefix of invitations.
const PrefixInvitation = "inv_"

// Statuses of an invitation. An invitation past its expiry is stored as pending and shown as
// expired (see StatusAt); it may still be sent again or revoked. It is stored as expired once
// a new invitation to the address replaces it.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationDeclined = "declined" // the person left the invited membership it made
	InvitationRevoked  = "revoked"
	InvitationExpired  = "expired"
)

// LinkInvitation is the purpose of the link an invitation mail carries; its subject is the
// invitation.
const LinkInvitation = "invitation"

// Invitation asks a person, by email, to join a tenant with roles. For an address Roster does
// not know, accepting it creates the account; for one it knows, an invited membership waits for
// the person to accept. The inviting tenant sees only what it supplied: UserID is never shown
// to it before the invitation is accepted.
type Invitation struct {
	ID         string
	TenantID   string
	Email      string
	GivenName  string // as the inviter supplied them: suggestions for a new account
	FamilyName string
	Locale     string  // "" when the inviter gave none
	Roles      []*Role // sorted by name
	// UserID is the account the invitation is for: the one Roster knew when it was made, or the
	// one that accepted it; "" otherwise.
	UserID      string
	Status      string // as stored: pending, accepted, declined, revoked, or expired once replaced
	InvitedBy   Actor
	InviterName string // how the invitation names its inviter to the person
	// MailID is the outbox id of the latest mail; an earlier mail that has not gone yet is not
	// sent, and the links of earlier mails no longer work.
	MailID    string
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time // when it was accepted, declined or revoked
	Version   int64
}

// StatusAt returns the invitation's status at t: its stored status, or expired for a pending
// invitation past its expiry.
func (i *Invitation) StatusAt(t time.Time) string {
	if i.Status == InvitationPending && !i.ExpiresAt.After(t) {
		return InvitationExpired
	}
	return i.Status
}

// InvitationFilter selects one tenant's invitations in id order. Status, when set, keeps those
// whose status at Now is Status.
type InvitationFilter struct {
	Page
	TenantID string
	Status   string
	Now      time.Time
}

// InvitationTx stores invitations and the roles they offer.
type InvitationTx interface {
	// CreateInvitation stores a new invitation; EConflict when the tenant has a pending
	// invitation (expired or not) for the address.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// FindInvitation returns one of the tenant's invitations.
	FindInvitation(ctx context.Context, tenantID, id string) (*Invitation, error)
	// FindInvitationForLink returns the invitation an emailed link names, whatever its tenant:
	// for the holder of the link, who learns the tenant from it.
	FindInvitationForLink(ctx context.Context, id string) (*Invitation, error)
	// FindPendingInvitation returns the tenant's pending invitation (expired or not) for the
	// address, compared case-insensitively.
	FindPendingInvitation(ctx context.Context, tenantID, email string) (*Invitation, error)
	// FindPendingInvitationForUser returns the tenant's pending invitation for the account.
	FindPendingInvitationForUser(ctx context.Context, tenantID, userID string) (*Invitation, error)
	ListInvitations(ctx context.Context, f InvitationFilter) ([]*Invitation, error)
	// UpdateInvitation stores the status, account, latest mail, expiry and times of an
	// invitation whose version is inv.Version, and increments it; EPreconditionFailed otherwise.
	UpdateInvitation(ctx context.Context, inv *Invitation) error
	// CountPendingInvitationsWithRole counts the tenant's pending invitations offering the role.
	CountPendingInvitationsWithRole(ctx context.Context, tenantID, roleID string) (int, error)
}
