package roster

import (
	"context"
	"time"
)

// ID prefixes of the outbox and of emailed links.
const (
	PrefixOutbox    = "obx_"
	PrefixLinkToken = "ltk_"
)

// States of an outbox message.
const (
	OutboxPending = "pending" // waiting for its next attempt, or being attempted under a lease
	OutboxSent    = "sent"
	OutboxDead    = "dead" // given up: too many attempts, too old, or refused for good
)

// OutboxMessage is one message that a change wants delivered (a mail, later a webhook call). It
// is written in the same transaction as the change, so the two commit or roll back together,
// and a worker delivers it afterwards. Its ID is stable across retries, so that receivers can
// recognise a repeat (a mail's Message-ID derives from it).
type OutboxMessage struct {
	ID   string
	Kind string
	// PartitionKey orders delivery: messages with the same non-empty key are delivered one at
	// a time in Seq order, a later one waiting while an earlier one is retried.
	PartitionKey  string
	Seq           int64 // order within the partition; 0 when PartitionKey is empty
	Payload       string
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LeaseOwner    string
	LeaseUntil    *time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SentAt        *time.Time
}

// OutboxFilter selects outbox messages for listing, newest first.
type OutboxFilter struct {
	Page
	Kind   string
	States []string // empty: every state
}

// OutboxCount is how many messages of one kind are in one state.
type OutboxCount struct {
	Kind  string
	State string
	N     int64
}

// OutboxTx stores the outbox.
type OutboxTx interface {
	// EnqueueOutbox inserts a pending message, giving it the next Seq of its partition. Writers
	// to one partition queue behind each other until they commit, so Seq order is commit order.
	EnqueueOutbox(ctx context.Context, m *OutboxMessage) error
	// ClaimOutbox leases up to limit due messages of the given kinds to owner until leaseUntil
	// and counts an attempt on each: pending, due at now, not leased by anyone (or whose lease
	// ran out), and first of their partition. On PostgreSQL rows another transaction is
	// claiming are skipped, so that replicas never claim one message twice.
	ClaimOutbox(ctx context.Context, kinds []string, owner string, now, leaseUntil time.Time, limit int) ([]*OutboxMessage, error)
	// MarkOutboxSent, RetryOutbox and KillOutbox record an attempt's outcome, only while owner
	// still holds the lease; otherwise they return ENotFound (someone else took it over).
	MarkOutboxSent(ctx context.Context, id, owner string, at time.Time) error
	RetryOutbox(ctx context.Context, id, owner string, next time.Time, lastError string, at time.Time) error
	KillOutbox(ctx context.Context, id, owner, lastError string, at time.Time) error
	// NextOutboxDue returns when the earliest pending message of the kinds is due (or its lease
	// runs out), and false when none is pending.
	NextOutboxDue(ctx context.Context, kinds []string) (time.Time, bool, error)
	FindOutbox(ctx context.Context, id string) (*OutboxMessage, error)
	// ListOutbox lists messages newest first (keyset on the id).
	ListOutbox(ctx context.Context, f OutboxFilter) ([]*OutboxMessage, error)
	// CountOutbox counts the pending and dead messages by kind.
	CountOutbox(ctx context.Context) ([]OutboxCount, error)
	// RequeueOutbox makes a dead message pending again, due now, with its attempts reset.
	RequeueOutbox(ctx context.Context, id string, at time.Time) error
	// PruneOutbox deletes up to limit messages sent before sentBefore and returns how many.
	PruneOutbox(ctx context.Context, sentBefore time.Time, limit int) (int64, error)
}

// Purposes of an emailed link.
const (
	LinkVerifyEmail   = "verify_email"   // proves the user's current address
	LinkChangeEmail   = "change_email"   // proves a new address the user asked to move to
	LinkResetPassword = "reset_password" // lets the user choose a new password
	// LinkInvitation (invitation.go): lets a person accept an invitation.
)

// LinkToken is one emailed single-use link. Only the SHA-256 of its secret is kept. Every
// attempt to send a message mints a token of its own (so that no secret is ever stored to be
// sent later); using one uses up every token of the same subject and purpose.
type LinkToken struct {
	TokenHash string
	Purpose   string
	SubjectID string // the user (or, for invitations, the invitation) the link acts on
	Email     string // the address the link was sent to
	OutboxID  string // the message it went out in
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// LinkTokenTx stores emailed links.
type LinkTokenTx interface {
	CreateLinkToken(ctx context.Context, t *LinkToken) error
	// FindLinkToken returns the token with this hash, used or expired or not.
	FindLinkToken(ctx context.Context, hash string) (*LinkToken, error)
	// UseLinkTokens marks every unused token of the subject and purpose used at the given
	// time, and reports whether the token with this hash was among them: of two racing uses,
	// one wins.
	UseLinkTokens(ctx context.Context, hash, subjectID, purpose string, at time.Time) (bool, error)
	// RevokeLinkTokens marks every unused token of the subject and purpose used at the given
	// time, so that none of them works any more.
	RevokeLinkTokens(ctx context.Context, subjectID, purpose string, at time.Time) error
	// DeleteExpiredLinkTokens removes the subject's tokens that expired before now.
	DeleteExpiredLinkTokens(ctx context.Context, subjectID string, now time.Time) error
}
