package service

import (
	"context"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// Password-reset throttling, in the counters every replica shares. Requests are refused (429)
// past resetsPerAddr an hour from one client address and past resetsPerName for one login name
// as typed, whether or not an account has it, so a 429 tells nothing about accounts. One
// account gets at most resetMailsPerAccount reset mails an hour, however it is named; past that
// the request is answered as any other and no mail goes out.
const (
	resetsPerAddr        = 20
	resetsPerName        = 5
	resetMailsPerAccount = 3
)

// ResetAccepted is the one answer to a password-reset request.
const ResetAccepted = "If this is the login of an active account, a message with a link to reset its password is on its way to the account's address."

// RequestPasswordReset mails a link that sets a new password to the active account whose email
// or username login is. The call returns nil whether or not there is such an account, after the
// same reads and writes (throttle counters, the audit event) either way; only the queued mail
// differs. It answers ERateLimited past the throttles above and EUnavailable when mail is off.
func (s *Service) RequestPasswordReset(ctx context.Context, login string) error {
	var v roster.Validator
	v.Check(strings.TrimSpace(login) != "", "/login", "is required")
	v.Check(len(login) <= maxEmailBytes, "/login", "is too long to be an email or a username")
	if err := v.Err(); err != nil {
		return err
	}
	if !s.cfg.Mail.Enabled {
		return errMailOff
	}
	name := strings.ToLower(strings.TrimSpace(login))
	addr := roster.RequestInfoFromContext(ctx).ClientAddr
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		if err := hitOrRefuse(ctx, tx, "reset-addr:"+addr, resetsPerAddr, "password-reset requests from your address"); err != nil {
			return err
		}
		if err := hitOrRefuse(ctx, tx, "reset-name:"+name, resetsPerName, "password-reset requests for this login"); err != nil {
			return err
		}
		var u *roster.User
		var err error
		if strings.Contains(login, "@") {
			u, err = tx.FindUserByEmail(ctx, strings.TrimSpace(login))
		} else {
			u, err = tx.FindUserByUsername(ctx, usernameKey(strings.TrimSpace(login)))
		}
		if roster.ErrorCodeOf(err) == roster.ENotFound || err == nil && !u.Active {
			u, err = nil, nil
		}
		if err != nil {
			return err
		}
		// The account's own count, under a key of the same shape for an unknown name.
		acct, target := "reset-acct:?"+name, ""
		if u != nil {
			acct, target = "reset-acct:"+u.ID, u.ID
		}
		n, err := tx.Hit(ctx, acct, time.Now().Truncate(time.Hour).Unix())
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, event{action: "auth.password_reset_requested", targetKind: targetUser, targetID: target}); err != nil {
			return err
		}
		if u == nil || n > resetMailsPerAccount {
			return nil
		}
		return s.queueReset(ctx, tx, u)
	})
	if err == nil {
		s.wake()
	}
	return err
}

func (s *Service) queueReset(ctx context.Context, tx roster.Tx, u *roster.User) error {
	return s.queueMail(ctx, tx, mailPayload{To: u.Email, Template: "reset_password", Locale: u.Locale,
		Data: mailData{Name: u.GivenName},
		Link: &linkSpec{Purpose: roster.LinkResetPassword, SubjectID: u.ID, ExpiresAt: now().Add(s.cfg.Mail.ResetTTL), Path: PathResetPassword}})
}

// SendPasswordReset mails a user (by id, email or username) a password-reset link, for an
// administrator who would rather not choose a password for someone. Only the account's manager
// may (see ownership.go): EForbidden for a caller who sees the account but does not manage it,
// ENotFound for one who does not see it. A deactivated user is EConflict.
func (s *Service) SendPasswordReset(ctx context.Context, userRef string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if !s.cfg.Mail.Enabled {
		return errMailOff
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		u, err := findUser(ctx, tx, userRef)
		if err != nil {
			return err
		}
		if err := mayManage(ctx, tx, p, u); err != nil {
			return err
		}
		if !u.Active {
			return roster.Errorf(roster.EConflict, "The user is deactivated; activate it first.")
		}
		if err := s.queueReset(ctx, tx, u); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "user.password_reset_sent", targetKind: targetUser, targetID: u.ID})
	})
	if err == nil {
		s.wake()
	}
	return err
}

// ResetPassword uses a password-reset link: it sets the new password (under the password
// policy), marks the address the link went to as verified, and ends every session of the user.
// The link works once; EInvalid answers a link that is unknown, used or expired, and a
// password the policy refuses.
func (s *Service) ResetPassword(ctx context.Context, secret, next string) error {
	var u *roster.User
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		lt, err := usableLink(ctx, tx, secret, roster.LinkResetPassword)
		if err != nil {
			return err
		}
		u, err = tx.FindUserByID(ctx, lt.SubjectID)
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			return errLinkInvalid
		}
		return err
	})
	if err != nil {
		return err
	}
	var v roster.Validator
	s.checkNewPassword(&v, "/password", next, u.Username, u.Email)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx roster.Tx) error {
		lt, err := usableLink(ctx, tx, secret, roster.LinkResetPassword)
		if err != nil {
			return err
		}
		u, err := tx.FindUserByID(ctx, lt.SubjectID)
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			return errLinkInvalid
		} else if err != nil {
			return err
		}
		if err := useLink(ctx, tx, lt); err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, now()
		if strings.EqualFold(u.Email, lt.Email) {
			u.EmailVerified = true // the link reached the address
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, u.ID, ""); err != nil {
			return err
		}
		ctx := roster.NewContextWithPrincipal(ctx, &roster.Principal{User: u})
		return audit(ctx, tx, event{action: "user.password_reset", targetKind: targetUser, targetID: u.ID})
	})
}
