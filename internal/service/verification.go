package service

import (
	"context"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/token"
)

// How often one user may ask for a verification or an address-change mail.
const (
	verifyMailsPerHour = 5
	changeMailsPerHour = 5
)

// queueVerification queues the mail that proves u's current address, in tx.
func (s *Service) queueVerification(ctx context.Context, tx roster.Tx, u *roster.User) error {
	return s.queueMail(ctx, tx, mailPayload{To: u.Email, Template: "verify_email", Locale: u.Locale,
		Data: mailData{Name: u.GivenName},
		Link: &linkSpec{Purpose: roster.LinkVerifyEmail, SubjectID: u.ID, ExpiresAt: now().Add(s.cfg.Mail.VerifyTTL), Path: PathVerifyEmail}})
}

// verifyNewUser queues a verification mail for a user just created in tx, unless its address is
// verified already or mail is off. send, when set, overrides the instance setting
// (SkipVerificationMail): a surface whose caller asked for the mail, or said not to send one.
// selfService marks users who created themselves (bootstrap), whom the setting does not cover.
func (s *Service) verifyNewUser(ctx context.Context, tx roster.Tx, u *roster.User, send *bool, selfService bool) error {
	if u.EmailVerified || !s.cfg.Mail.Enabled {
		return nil
	}
	want := selfService || !s.cfg.Mail.SkipVerificationMail
	if send != nil {
		want = *send
	}
	if !want {
		return nil
	}
	return s.queueVerification(ctx, tx, u)
}

// addressChangedByAdmin handles an administrator's change of u's address in tx: a new address is
// not verified (unless the same change says it is), and gets a verification mail under the
// instance setting.
func (s *Service) addressChangedByAdmin(ctx context.Context, tx roster.Tx, oldEmail string, u *roster.User, in UpdateUserInput) error {
	if in.Email == nil || strings.EqualFold(oldEmail, u.Email) || in.EmailVerified != nil {
		return nil
	}
	u.EmailVerified = false
	if !s.cfg.Mail.Enabled || s.cfg.Mail.SkipVerificationMail {
		return nil
	}
	return s.queueVerification(ctx, tx, u)
}

// hitOrRefuse counts one request in the hour-long bucket and returns ERateLimited past limit.
func hitOrRefuse(ctx context.Context, tx roster.Tx, bucket string, limit int64, what string) error {
	t := time.Now()
	start := t.Truncate(time.Hour)
	n, err := tx.Hit(ctx, bucket, start.Unix())
	if err != nil {
		return err
	}
	if n <= limit {
		return nil
	}
	wait := start.Add(time.Hour).Sub(t).Round(time.Second) + time.Second
	return &roster.Error{Code: roster.ERateLimited, RetryAfter: wait,
		Message: "Too many " + what + "; try again in " + wait.String() + "."}
}

// RequestEmailVerification mails the caller a link that confirms its current address. It
// answers EConflict when the address is verified already, ERateLimited past five an hour, and
// EUnavailable when mail is off.
func (s *Service) RequestEmailVerification(ctx context.Context) error {
	p, err := userCaller(ctx)
	if err != nil {
		return err
	}
	if !s.cfg.Mail.Enabled {
		return errMailOff
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		u, err := tx.FindUserByID(ctx, p.User.ID)
		if err != nil {
			return err
		}
		if u.EmailVerified {
			return roster.Errorf(roster.EConflict, "Your address %s is verified already.", u.Email)
		}
		if err := hitOrRefuse(ctx, tx, "verify-mail:"+u.ID, verifyMailsPerHour, "verification mails"); err != nil {
			return err
		}
		if err := s.queueVerification(ctx, tx, u); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "user.verification_sent", targetKind: targetUser, targetID: u.ID})
	})
	if err == nil {
		s.wake()
	}
	return err
}

// RequestEmailChange mails newEmail a link that moves the caller's account to it; until the
// link is used the account keeps its address. A caller with a password must give it
// (currentPassword), so that a stolen token cannot take the account over through a new address.
// The answer does not say whether another account has the address: that shows only to whoever
// opens the link, who owns the address.
func (s *Service) RequestEmailChange(ctx context.Context, newEmail, currentPassword string) error {
	p, err := userCaller(ctx)
	if err != nil {
		return err
	}
	var v roster.Validator
	checkEmail(&v, "/email", newEmail)
	if err := v.Err(); err != nil {
		return err
	}
	var u *roster.User
	if err := s.store.Read(ctx, func(tx roster.Tx) (err error) { u, err = tx.FindUserByID(ctx, p.User.ID); return err }); err != nil {
		return err
	}
	if strings.EqualFold(u.Email, newEmail) {
		return roster.Invalid("This is your address already.", roster.FieldError{Pointer: "/email", Detail: "is your current address"})
	}
	var att *attempt
	if u.PasswordHash != "" { // a password check like a login: throttled, and settled below
		if currentPassword == "" {
			return roster.Invalid("Give your current password.", roster.FieldError{Pointer: "/current_password", Detail: "is required"})
		}
		if att, err = s.checkCurrentPassword(ctx, u, currentPassword); err != nil {
			return err
		}
	}
	if !s.cfg.Mail.Enabled {
		if att != nil {
			s.forget(ctx, att)
		}
		return errMailOff
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		u, err := tx.FindUserByID(ctx, p.User.ID)
		if err != nil {
			return err
		}
		if att != nil {
			if err := att.settle(ctx, tx, u); err != nil {
				return err
			}
		}
		if err := hitOrRefuse(ctx, tx, "change-mail:"+u.ID, changeMailsPerHour, "address changes"); err != nil {
			return err
		}
		err = s.queueMail(ctx, tx, mailPayload{To: newEmail, Template: "change_email", Locale: u.Locale,
			Data: mailData{Name: u.GivenName, OldEmail: u.Email, NewEmail: newEmail},
			Link: &linkSpec{Purpose: roster.LinkChangeEmail, SubjectID: u.ID, ExpiresAt: now().Add(s.cfg.Mail.VerifyTTL), Path: PathVerifyEmail}})
		if err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "user.email_change_requested", targetKind: targetUser, targetID: u.ID})
	})
	if err == nil {
		s.wake()
	} else if att != nil {
		s.forget(ctx, att) // the password was right; only the request failed
	}
	return err
}

// Answers for a link that cannot be used. Whoever holds a link may learn why it fails.
var (
	errLinkInvalid = roster.Invalid("This link is not valid; ask for a new one.",
		roster.FieldError{Pointer: "/token", Detail: "is not a link Roster sent for this"})
	errLinkUsed = roster.Invalid("This link was used already; ask for a new one.",
		roster.FieldError{Pointer: "/token", Detail: "was used already"})
	errLinkExpired = roster.Invalid("This link has expired; ask for a new one.",
		roster.FieldError{Pointer: "/token", Detail: "has expired"})
)

// usableLink finds the unused, unexpired link with this secret and one of the purposes.
func usableLink(ctx context.Context, tx roster.Tx, secret string, purposes ...string) (*roster.LinkToken, error) {
	if !token.Valid(token.PrefixLink, secret) {
		return nil, errLinkInvalid
	}
	lt, err := tx.FindLinkToken(ctx, token.Hash(secret))
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return nil, errLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	ok := false
	for _, p := range purposes {
		ok = ok || lt.Purpose == p
	}
	switch {
	case !ok:
		return nil, errLinkInvalid
	case lt.UsedAt != nil:
		return nil, errLinkUsed
	case !lt.ExpiresAt.After(now()):
		return nil, errLinkExpired
	}
	return lt, nil
}

// useLink uses up lt and every other link of its subject and purpose; a racing use that won
// first makes it errLinkUsed.
func useLink(ctx context.Context, tx roster.Tx, lt *roster.LinkToken) error {
	ok, err := tx.UseLinkTokens(ctx, lt.TokenHash, lt.SubjectID, lt.Purpose, now())
	if err != nil {
		return err
	}
	if !ok {
		return errLinkUsed
	}
	return nil
}

// VerifyEmail uses a link from a verification or address-change mail. A verification link
// marks the address verified, if the account still has it; an address-change link moves the
// account to the new address (verified) and tells the old address. Either works once; it
// answers EInvalid for a link that is unknown, used or expired, and EConflict when another
// account took the new address meanwhile.
func (s *Service) VerifyEmail(ctx context.Context, secret string) (*roster.User, error) {
	var u *roster.User
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		lt, err := usableLink(ctx, tx, secret, roster.LinkVerifyEmail, roster.LinkChangeEmail)
		if err != nil {
			return err
		}
		if u, err = tx.FindUserByID(ctx, lt.SubjectID); roster.ErrorCodeOf(err) == roster.ENotFound {
			return errLinkInvalid
		} else if err != nil {
			return err
		}
		if err := useLink(ctx, tx, lt); err != nil {
			return err
		}
		ctx := roster.NewContextWithPrincipal(ctx, &roster.Principal{User: u})
		old := u.Email
		switch lt.Purpose {
		case roster.LinkVerifyEmail:
			if !strings.EqualFold(u.Email, lt.Email) {
				return roster.Invalid("The account's address has changed since this link was sent.",
					roster.FieldError{Pointer: "/token", Detail: "is for an address the account no longer has"})
			}
			u.EmailVerified = true
		case roster.LinkChangeEmail:
			u.Email, u.EmailVerified = lt.Email, true
		}
		u.UpdatedAt = now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			if roster.ErrorCodeOf(err) == roster.EConflict {
				return roster.Errorf(roster.EConflict, "Another account uses %s; the address was not changed.", lt.Email)
			}
			return err
		}
		if lt.Purpose == roster.LinkVerifyEmail {
			return audit(ctx, tx, event{action: "user.email_verified", targetKind: targetUser, targetID: u.ID})
		}
		if err := s.queueMail(ctx, tx, mailPayload{To: old, Template: "email_changed", Locale: u.Locale,
			Data: mailData{Name: u.GivenName, OldEmail: old, NewEmail: u.Email}}); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "user.email_changed", targetKind: targetUser, targetID: u.ID})
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return u, nil
}
