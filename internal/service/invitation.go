package service

import (
	"context"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/token"
)

// Invitations. A tenant invites a person by email with roles; the person gets a mail with a
// single-use link. For an address Roster does not know, the link lets the person choose a
// password and names, which creates the account (managed by the tenant, its address verified by
// the link) and an active membership, in one transaction. For an address Roster knows, an
// invited membership (see ownership.go) waits, and the person accepts it signed in: through the
// link, or with AcceptMembership. The inviter's answer is the same either way, and shows only
// what the inviter sent.
//
// The link's secret is minted when its mail is sent (see MailSender), so none is ever stored;
// the invitation names its latest mail, and an earlier one that has not gone yet is not sent.
// Sending the invitation again, revoking it, or accepting it uses up every link it had.

// Lifetimes of an invitation.
const (
	DefaultInvitationTTL = 7 * 24 * time.Hour
	MinInvitationTTL     = time.Hour
	MaxInvitationTTL     = 30 * 24 * time.Hour
)

// PathAcceptInvitation is the hosted page an invitation's link opens, below the public URL.
const PathAcceptInvitation = "/account/accept-invitation"

// Mail templates of invitations: to an address Roster does not know, and to an account.
const (
	templateInviteNew      = "invite_new"
	templateInviteExisting = "invite_existing"
)

const targetInvitation = "invitation"

// InvitationInput describes an invitation. ExpiresIn defaults to DefaultInvitationTTL.
type InvitationInput struct {
	Email      string
	Roles      []string
	ExpiresIn  *time.Duration
	GivenName  string
	FamilyName string
	Locale     string
}

// NewAccountInput is what a person invited at an address Roster does not know chooses for the
// account: a password (under the password policy) and, optionally, names other than the ones
// the inviter suggested.
type NewAccountInput struct {
	Password   string
	GivenName  *string
	FamilyName *string
}

// InvitationPreview is what the holder of an invitation's link may learn about it, for the
// page the link opens.
type InvitationPreview struct {
	Invitation *roster.Invitation
	Tenant     *roster.Tenant
	// AccountExists says whether the person signs in to accept (an account has the address, or
	// the invitation is for one), or chooses a password for a new account.
	AccountExists bool
}

var (
	errInvitationNotFound = roster.Errorf(roster.ENotFound, "Invitation not found.")
	errOtherPerson        = roster.Errorf(roster.EForbidden,
		"This invitation is for another person: sign in as the account at the address it was sent to.")
	errAccountExists = roster.Errorf(roster.EConflict,
		"An account has this address: sign in as it and accept the invitation.")
)

// Answers for an invitation link that cannot be used. Whoever holds the link may learn why.
func linkRefusal(message, detail string) error {
	return roster.Invalid(message, roster.FieldError{Pointer: "/token", Detail: detail})
}

var (
	errInvitationAccepted = linkRefusal("This invitation was accepted already.", "was accepted already")
	errInvitationDeclined = linkRefusal("This invitation was declined.", "was declined")
	errInvitationRevoked  = linkRefusal("This invitation was revoked.", "was revoked")
	errInvitationExpired  = linkRefusal("This invitation has expired; ask for a new one.", "has expired")
	errLinkReplaced       = linkRefusal("This link was replaced by a newer invitation mail; use the link in that one.",
		"was replaced by a newer mail")
)

// closedInvitation returns why an invitation that is not pending at t cannot be used, or nil.
func closedInvitation(inv *roster.Invitation, t time.Time) error {
	switch inv.StatusAt(t) {
	case roster.InvitationAccepted:
		return errInvitationAccepted
	case roster.InvitationDeclined:
		return errInvitationDeclined
	case roster.InvitationRevoked:
		return errInvitationRevoked
	case roster.InvitationExpired:
		return errInvitationExpired
	}
	return nil
}

// openInvitationLink finds the invitation an emailed link's secret names, and refuses a link
// that is unknown, used, replaced, or of an invitation no longer pending.
func openInvitationLink(ctx context.Context, tx roster.Tx, secret string) (*roster.LinkToken, *roster.Invitation, error) {
	lt, err := usableLink(ctx, tx, secret, roster.LinkInvitation)
	used := err == errLinkUsed || err == errLinkExpired
	if err != nil && !used {
		return nil, nil, err
	}
	if used { // say why, from the invitation
		if lt, err = tx.FindLinkToken(ctx, token.Hash(secret)); err != nil {
			return nil, nil, err
		}
	}
	inv, err := tx.FindInvitationForLink(ctx, lt.SubjectID)
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return nil, nil, errLinkInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if err := closedInvitation(inv, now()); err != nil {
		return nil, nil, err
	}
	if used {
		return nil, nil, errLinkReplaced
	}
	return lt, inv, nil
}

// invitationStillMailed returns errObsolete unless the invitation is pending and msgID is its
// latest mail: a mail queued before a revocation, acceptance or resend is not sent.
func invitationStillMailed(ctx context.Context, tx roster.Tx, id, msgID string, t time.Time) error {
	inv, err := tx.FindInvitationForLink(ctx, id)
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return errObsolete
	}
	if err != nil {
		return err
	}
	if inv.Status != roster.InvitationPending || inv.MailID != msgID {
		return errObsolete
	}
	return nil
}

// inviterName is how an invitation names its inviter to the person.
func inviterName(p *roster.Principal) string {
	if p.ServiceAccount != nil {
		return p.ServiceAccount.Name
	}
	if name := strings.TrimSpace(p.User.GivenName + " " + p.User.FamilyName); name != "" {
		return name
	}
	return p.User.Email
}

func invitationEvent(action string, inv *roster.Invitation) event {
	return event{action: action, tenantID: inv.TenantID, targetKind: targetInvitation, targetID: inv.ID}
}

// checkTTL returns the lifetime asked for, or the default, recording a problem at ptr.
func checkTTL(v *roster.Validator, ptr string, d *time.Duration) time.Duration {
	if d == nil {
		return DefaultInvitationTTL
	}
	v.Check(*d >= MinInvitationTTL && *d <= MaxInvitationTTL, ptr, "must be from 1 hour (3600) to 30 days (2592000)")
	return *d
}

// queueInvitation queues the invitation's mail in tx, to a new or an existing account, and
// makes it the invitation's latest.
func (s *Service) queueInvitation(ctx context.Context, tx roster.Tx, t *roster.Tenant, inv *roster.Invitation) error {
	template, locale := templateInviteNew, inv.Locale
	account, err := invitedAccount(ctx, tx, inv)
	if err != nil {
		return err
	}
	if account != nil {
		template, locale = templateInviteExisting, account.Locale
	}
	name := inv.GivenName
	if account != nil { // the person's own name: only the person reads the mail
		name = account.GivenName
	}
	id, err := s.enqueueMail(ctx, tx, mailPayload{To: inv.Email, Template: template, Locale: locale,
		Data: mailData{Name: name, Tenant: t.Name, Inviter: inv.InviterName},
		Link: &linkSpec{Purpose: roster.LinkInvitation, SubjectID: inv.ID, ExpiresAt: inv.ExpiresAt, Path: PathAcceptInvitation}})
	inv.MailID = id
	return err
}

// invitedAccount returns the account the invitation is for, or the one that has its address
// now, or nil.
func invitedAccount(ctx context.Context, tx roster.Tx, inv *roster.Invitation) (*roster.User, error) {
	var u *roster.User
	var err error
	if inv.UserID != "" {
		u, err = tx.FindUserByID(ctx, inv.UserID)
	} else {
		u, err = tx.FindUserByEmail(ctx, inv.Email)
	}
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return nil, nil
	}
	return u, err
}

// CreateInvitation invites the person at in.Email to the tenant with roles, and mails the
// invitation. It needs members:write there and every permission of the roles. The answer is the
// same whether or not Roster knows the address; for an account it knows, an invited membership
// is made as well. EConflict when the tenant has a pending invitation for the address, or the
// account is a member (or invited) already; EUnavailable when mail is off.
func (s *Service) CreateInvitation(ctx context.Context, tenantRef string, in InvitationInput) (*roster.Invitation, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var v roster.Validator
	checkEmail(&v, "/email", in.Email)
	checkText(&v, "/given_name", in.GivenName, false, maxNameRunes)
	checkText(&v, "/family_name", in.FamilyName, false, maxNameRunes)
	if in.Locale != "" {
		in.Locale = normalizeLocale(&v, "/locale", in.Locale)
	}
	ttl := checkTTL(&v, "/expires_in", in.ExpiresIn)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !s.cfg.Mail.Enabled {
		return nil, errMailOff
	}
	var inv *roster.Invitation
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermMembersWrite)
		if err != nil {
			return err
		}
		if err := tx.LockTenant(ctx, g.tenant.ID); err != nil { // no role deletion, acceptance or revocation meanwhile
			return err
		}
		var v roster.Validator
		roles, err := g.resolveChange(ctx, tx, &v, "/roles", in.Roles, nil)
		if err != nil {
			return err
		}
		t := now()
		prior, err := tx.FindPendingInvitation(ctx, g.tenant.ID, in.Email)
		switch {
		case roster.ErrorCodeOf(err) == roster.ENotFound:
		case err != nil:
			return err
		case prior.StatusAt(t) != roster.InvitationExpired:
			return &roster.Error{Code: roster.EConflict, Message: "This tenant has a pending invitation for this address; send it again instead.",
				Fields: []roster.FieldError{{Pointer: "/email", Detail: "has a pending invitation"}}}
		default: // an expired one makes way, with the invited membership it made
			if err := withdrawInvitedMembership(ctx, tx, prior); err != nil {
				return err
			}
			prior.Status, prior.UpdatedAt = roster.InvitationExpired, t
			if err := tx.RevokeLinkTokens(ctx, prior.ID, roster.LinkInvitation, t); err != nil {
				return err
			}
			if err := tx.UpdateInvitation(ctx, prior); err != nil {
				return err
			}
		}
		inv = &roster.Invitation{ID: roster.NewID(roster.PrefixInvitation), TenantID: g.tenant.ID, Email: in.Email,
			GivenName: in.GivenName, FamilyName: in.FamilyName, Locale: in.Locale, Roles: roles,
			Status: roster.InvitationPending, InvitedBy: actorOf(ctx), InviterName: inviterName(p),
			ExpiresAt: t.Add(ttl), CreatedAt: t, UpdatedAt: t, Version: 1}
		account, err := tx.FindUserByEmail(ctx, in.Email)
		switch {
		case roster.ErrorCodeOf(err) == roster.ENotFound:
		case err != nil:
			return err
		default:
			inv.UserID = account.ID
			m := &roster.Membership{TenantID: g.tenant.ID, UserID: account.ID, Status: roster.MemberInvited, Roles: roles,
				Invitee:   roster.Invitee{Email: in.Email, GivenName: in.GivenName, FamilyName: in.FamilyName},
				CreatedAt: t, UpdatedAt: t, Version: 1}
			if err := tx.CreateMembership(ctx, m); roster.ErrorCodeOf(err) == roster.EConflict {
				return &roster.Error{Code: roster.EConflict, Message: "This address belongs to a member of the tenant, or to someone invited to it already.",
					Fields: []roster.FieldError{{Pointer: "/email", Detail: "is a member or invited already"}}}
			} else if err != nil {
				return err
			}
			if err := audit(ctx, tx, memberEvent("member.invited", m)); err != nil {
				return err
			}
		}
		if err := s.queueInvitation(ctx, tx, g.tenant, inv); err != nil {
			return err
		}
		if err := tx.CreateInvitation(ctx, inv); err != nil {
			return err
		}
		return audit(ctx, tx, invitationEvent("invitation.created", inv))
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return inv, nil
}

// ListInvitations lists the tenant's invitations in id order, those with the given status
// (pending, accepted, declined, revoked, expired) when it is set; it needs members:read.
func (s *Service) ListInvitations(ctx context.Context, tenantRef, status string, o ListOptions) ([]*roster.Invitation, string, error) {
	var v roster.Validator
	f := roster.InvitationFilter{Page: o.page(&v), Status: status, Now: now()}
	switch status {
	case "", roster.InvitationPending, roster.InvitationAccepted, roster.InvitationDeclined, roster.InvitationRevoked, roster.InvitationExpired:
	default:
		v.Param("status", "must be one of pending, accepted, declined, revoked, expired")
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var out []*roster.Invitation
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermMembersRead)
		if err != nil {
			return err
		}
		f.TenantID = g.tenant.ID
		out, err = tx.ListInvitations(ctx, f)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := paginate(out, f.Page, func(inv *roster.Invitation) string { return inv.ID })
	return out, next, nil
}

// GetInvitation returns one of the tenant's invitations; it needs members:read.
func (s *Service) GetInvitation(ctx context.Context, tenantRef, id string) (*roster.Invitation, error) {
	var inv *roster.Invitation
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		g, err := grantFor(ctx, tx, tenantRef, PermMembersRead)
		if err != nil {
			return err
		}
		inv, err = findInvitation(ctx, tx, g, id)
		return err
	})
	return inv, err
}

func findInvitation(ctx context.Context, tx roster.Tx, g *grant, id string) (*roster.Invitation, error) {
	if !roster.IsID(roster.PrefixInvitation, id) {
		return nil, errInvitationNotFound
	}
	inv, err := tx.FindInvitation(ctx, g.tenant.ID, id)
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return nil, errInvitationNotFound
	}
	return inv, err
}

// pendingForWrite loads a pending (or expired) invitation of the tenant for a change that
// needs members:write and every permission of the roles it offers: nobody renews or withdraws
// an offer of more than they hold.
func pendingForWrite(ctx context.Context, tx roster.Tx, tenantRef, id string, ifMatch *int64) (*grant, *roster.Invitation, error) {
	g, err := grantFor(ctx, tx, tenantRef, PermMembersWrite)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.LockTenant(ctx, g.tenant.ID); err != nil {
		return nil, nil, err
	}
	inv, err := findInvitation(ctx, tx, g, id)
	if err != nil {
		return nil, nil, err
	}
	if err := checkVersion(ifMatch, inv.Version); err != nil {
		return nil, nil, err
	}
	for _, r := range inv.Roles {
		if err := g.mayGrant(r); err != nil {
			return nil, nil, err
		}
	}
	switch inv.Status {
	case roster.InvitationPending:
	case roster.InvitationExpired: // stored so when a new invitation to the address replaced it
		return nil, nil, roster.Errorf(roster.EConflict, "A newer invitation to this address replaced this one.")
	default:
		return nil, nil, roster.Errorf(roster.EConflict, "This invitation is %s; only a pending or expired one can be sent again or revoked.", inv.Status)
	}
	return g, inv, nil
}

// ResendInvitation mails the invitation again, with a new link that works for expiresIn (the
// default when nil) from now; the links of earlier mails stop working, and an earlier mail that
// has not gone yet is not sent. It needs members:write and every permission of the roles offered;
// EConflict for an invitation that is not pending or expired.
func (s *Service) ResendInvitation(ctx context.Context, tenantRef, id string, expiresIn *time.Duration, ifMatch *int64) (*roster.Invitation, error) {
	var v roster.Validator
	ttl := checkTTL(&v, "/expires_in", expiresIn)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !s.cfg.Mail.Enabled {
		return nil, errMailOff
	}
	var inv *roster.Invitation
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		g, found, err := pendingForWrite(ctx, tx, tenantRef, id, ifMatch)
		if err != nil {
			return err
		}
		inv = found
		t := now()
		if err := tx.RevokeLinkTokens(ctx, inv.ID, roster.LinkInvitation, t); err != nil {
			return err
		}
		inv.ExpiresAt, inv.UpdatedAt = t.Add(ttl), t
		if err := s.queueInvitation(ctx, tx, g.tenant, inv); err != nil {
			return err
		}
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		return audit(ctx, tx, invitationEvent("invitation.resent", inv))
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return inv, nil
}

// RevokeInvitation withdraws a pending (or expired) invitation: its links stop working at
// once, a mail of it that has not gone yet is not sent, and the invited membership it made
// for an account is removed. It needs members:write and every permission of the roles offered;
// EConflict for an invitation that is accepted, declined or revoked.
func (s *Service) RevokeInvitation(ctx context.Context, tenantRef, id string, ifMatch *int64) (*roster.Invitation, error) {
	var inv *roster.Invitation
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		_, found, err := pendingForWrite(ctx, tx, tenantRef, id, ifMatch)
		if err != nil {
			return err
		}
		inv = found
		if err := withdrawInvitedMembership(ctx, tx, inv); err != nil {
			return err
		}
		return closeInvitation(ctx, tx, inv, roster.InvitationRevoked, "invitation.revoked")
	})
	return inv, err
}

// withdrawInvitedMembership removes the invited membership the invitation made for an account,
// if it is still there and not accepted.
func withdrawInvitedMembership(ctx context.Context, tx roster.Tx, inv *roster.Invitation) error {
	if inv.UserID == "" {
		return nil
	}
	m, err := findMembershipOrNil(ctx, tx, inv.TenantID, inv.UserID)
	if err != nil || m == nil || m.Status != roster.MemberInvited {
		return err
	}
	if err := tx.DeleteMembership(ctx, inv.TenantID, inv.UserID); err != nil {
		return err
	}
	return audit(ctx, tx, memberEvent("member.invitation_withdrawn", m))
}

// closeInvitation ends a pending invitation with status, uses up its links and records action.
func closeInvitation(ctx context.Context, tx roster.Tx, inv *roster.Invitation, status, action string) error {
	t := now()
	if err := tx.RevokeLinkTokens(ctx, inv.ID, roster.LinkInvitation, t); err != nil {
		return err
	}
	inv.Status, inv.UpdatedAt, inv.ClosedAt = status, t, &t
	if err := tx.UpdateInvitation(ctx, inv); err != nil {
		return err
	}
	return audit(ctx, tx, invitationEvent(action, inv))
}

// closeMembershipInvitation ends the pending invitation that made the account's invited
// membership of the tenant, if there is one, when the membership is accepted, declined or
// withdrawn another way. An expired invitation cannot be accepted.
func closeMembershipInvitation(ctx context.Context, tx roster.Tx, tenantID, userID, status string) error {
	inv, err := tx.FindPendingInvitationForUser(ctx, tenantID, userID)
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if status == roster.InvitationAccepted && inv.StatusAt(now()) == roster.InvitationExpired {
		return roster.Errorf(roster.EConflict, "This invitation has expired; ask the tenant to send it again.")
	}
	action := map[string]string{roster.InvitationAccepted: "invitation.accepted", roster.InvitationDeclined: "invitation.declined",
		roster.InvitationRevoked: "invitation.revoked"}[status]
	return closeInvitation(ctx, tx, inv, status, action)
}

// LookupInvitation returns what the page an invitation's link opens shows: the tenant, who
// invites, the roles offered, and whether the person signs in or makes an account. Only the
// holder of the link learns it; EInvalid for a link that cannot be used, saying why.
func (s *Service) LookupInvitation(ctx context.Context, secret string) (*InvitationPreview, error) {
	var out InvitationPreview
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		_, inv, err := openInvitationLink(ctx, tx, secret)
		if err != nil {
			return err
		}
		if out.Tenant, err = tx.FindTenant(ctx, inv.TenantID); err != nil {
			return err
		}
		account, err := invitedAccount(ctx, tx, inv)
		out.Invitation, out.AccountExists = inv, account != nil
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// acceptLink opens the link in tx under the tenant's lock, so that acceptances, revocations
// and resends of one invitation take turns, and uses it up; of two racing acceptances, the
// second is told why the link no longer works.
func acceptLink(ctx context.Context, tx roster.Tx, secret string) (*roster.Invitation, error) {
	_, inv, err := openInvitationLink(ctx, tx, secret)
	if err != nil {
		return nil, err
	}
	if err := tx.LockTenant(ctx, inv.TenantID); err != nil {
		return nil, err
	}
	lt, inv, err := openInvitationLink(ctx, tx, secret) // again, under the lock
	if err != nil {
		return nil, err
	}
	if err := useLink(ctx, tx, lt); err != nil {
		if _, _, why := openInvitationLink(ctx, tx, secret); why != nil {
			return nil, why
		}
		return nil, err
	}
	return inv, nil
}

// AcceptInvitationWithNewAccount accepts an invitation to an address no account has, for the
// holder of its link: it creates the account (managed by the inviting tenant, with the password
// chosen under the password policy, the names given or else the ones the inviter suggested,
// and the address verified, since the link reached it) and its active membership with the roles
// offered, in one transaction, and returns the membership. EInvalid for a link that cannot be
// used or a password the policy refuses; EConflict when an account has the address (sign in and
// use AcceptInvitationAsCaller).
func (s *Service) AcceptInvitationWithNewAccount(ctx context.Context, secret string, in NewAccountInput) (*roster.Membership, error) {
	var inv *roster.Invitation
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		var err error
		if _, inv, err = openInvitationLink(ctx, tx, secret); err != nil {
			return err
		}
		account, err := invitedAccount(ctx, tx, inv)
		if err == nil && account != nil {
			return errAccountExists
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	given, family := inv.GivenName, inv.FamilyName
	if in.GivenName != nil {
		given = *in.GivenName
	}
	if in.FamilyName != nil {
		family = *in.FamilyName
	}
	var v roster.Validator
	checkText(&v, "/given_name", given, false, maxNameRunes)
	checkText(&v, "/family_name", family, false, maxNameRunes)
	if in.Password == "" {
		v.Field("/password", "is required")
	} else {
		s.checkNewPassword(&v, "/password", in.Password, usernameBase(inv.Email), inv.Email)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	var m *roster.Membership
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		inv, err := acceptLink(ctx, tx, secret)
		if err != nil {
			return err
		}
		if account, err := invitedAccount(ctx, tx, inv); err != nil {
			return err
		} else if account != nil {
			return errAccountExists
		}
		if len(inv.Roles) == 0 {
			return roster.Errorf(roster.EConflict, "This invitation offers no role any more; ask for a new one.")
		}
		t := now()
		locale := inv.Locale
		if locale == "" {
			locale = "en-US"
		}
		u := &roster.User{ID: roster.NewID(roster.PrefixUser), Email: inv.Email, GivenName: given, FamilyName: family,
			Locale: locale, PasswordHash: hash, Active: true, EmailVerified: true, ManagedBy: inv.TenantID,
			CreatedAt: t, UpdatedAt: t, Version: 1}
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		ctx := roster.NewContextWithPrincipal(ctx, &roster.Principal{User: u})
		if err := audit(ctx, tx, event{action: "user.created", targetKind: targetUser, targetID: u.ID}); err != nil {
			return err
		}
		m = &roster.Membership{TenantID: inv.TenantID, UserID: u.ID, Status: roster.MemberActive, Roles: inv.Roles,
			CreatedAt: t, UpdatedAt: t, Version: 1}
		if err := tx.CreateMembership(ctx, m); err != nil {
			return err
		}
		if err := audit(ctx, tx, memberEvent("member.added", m)); err != nil {
			return err
		}
		inv.UserID = u.ID
		if err := closeInvitation(ctx, tx, inv, roster.InvitationAccepted, "invitation.accepted"); err != nil {
			return err
		}
		m, err = tx.FindMembership(ctx, inv.TenantID, u.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// AcceptInvitationAsCaller accepts an invitation for the signed-in caller, who holds its link:
// the invitation must be for the caller's account, or, made for an address Roster did not know
// then, for the caller's address. The invited membership becomes active (or, when there is
// none, an active one is made with the roles offered), and is returned. EInvalid for a link that
// cannot be used; EForbidden for another person's invitation; EConflict when the caller is a
// member already.
func (s *Service) AcceptInvitationAsCaller(ctx context.Context, secret string) (*roster.Membership, error) {
	p, err := userCaller(ctx)
	if err != nil {
		return nil, err
	}
	var m *roster.Membership
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		inv, err := acceptLink(ctx, tx, secret)
		if err != nil {
			return err
		}
		if inv.UserID != "" && inv.UserID != p.User.ID || inv.UserID == "" && !strings.EqualFold(inv.Email, p.User.Email) {
			return errOtherPerson
		}
		roster.NoteTenant(ctx, inv.TenantID)
		m, err = findMembershipOrNil(ctx, tx, inv.TenantID, p.User.ID)
		t := now()
		switch {
		case err != nil:
			return err
		case m == nil:
			if len(inv.Roles) == 0 {
				return roster.Errorf(roster.EConflict, "This invitation offers no role any more; ask for a new one.")
			}
			m = &roster.Membership{TenantID: inv.TenantID, UserID: p.User.ID, Status: roster.MemberActive, Roles: inv.Roles,
				CreatedAt: t, UpdatedAt: t, Version: 1}
			if err := tx.CreateMembership(ctx, m); err != nil {
				return err
			}
			if err := audit(ctx, tx, memberEvent("member.added", m)); err != nil {
				return err
			}
		case m.Status != roster.MemberInvited: // active, or held in some other state
			return roster.Errorf(roster.EConflict, "You are a member of this tenant already.")
		default:
			m.UpdatedAt = t
			if err := tx.ActivateMembership(ctx, m); err != nil {
				return err
			}
			if err := audit(ctx, tx, memberEvent("member.accepted", m)); err != nil {
				return err
			}
		}
		inv.UserID = p.User.ID
		if err := closeInvitation(ctx, tx, inv, roster.InvitationAccepted, "invitation.accepted"); err != nil {
			return err
		}
		m, err = tx.FindMembership(ctx, inv.TenantID, p.User.ID)
		return err
	})
	return m, err
}
