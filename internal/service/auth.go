package service

import (
	"context"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/token"
)

// SessionResult is a new session and its bearer secret, which is shown this once.
type SessionResult struct {
	Token   string
	Session *roster.Session
	User    *roster.User
}

// BootstrapInput creates the first instance administrator.
type BootstrapInput struct {
	Email    string
	Username string
	Password string
	// Join makes the administrator a member of these tenants in the same transaction.
	Join []TenantRoles
}

var errBootstrapped = roster.Errorf(roster.EConflict, "The instance is already bootstrapped; log in instead.")

// errBadLogin is the one answer for an unknown user, a wrong password and a deactivated user.
var errBadLogin = roster.Errorf(roster.EUnauthenticated, "Invalid login or password.")

// Bootstrap creates the first instance administrator and logs it in. It succeeds only while the
// instance has no user; afterwards, and for every racing call but one, it returns EConflict.
func (s *Service) Bootstrap(ctx context.Context, in BootstrapInput) (*SessionResult, error) {
	// Refuse before hashing, so that a bootstrapped instance does no work for this call.
	done := false
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		users, err := tx.ListUsers(ctx, roster.UserFilter{Page: roster.Page{Limit: 1}})
		done = len(users) > 0
		return err
	})
	if err != nil {
		return nil, err
	}
	if done {
		return nil, errBootstrapped
	}
	u, err := s.newUser(ctx, CreateUserInput{Email: in.Email, Username: in.Username, Password: &in.Password, InstanceAdmin: true}, true)
	if err != nil {
		return nil, err
	}
	var res *SessionResult
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		ok, err := tx.ClaimBootstrap(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return errBootstrapped
		}
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		ctx := roster.NewContextWithPrincipal(ctx, &roster.Principal{User: u})
		if err := audit(ctx, tx, event{action: "auth.bootstrap", targetKind: targetUser, targetID: u.ID}); err != nil {
			return err
		}
		if err := s.verifyNewUser(ctx, tx, u, nil, true); err != nil {
			return err
		}
		if err := join(ctx, tx, u.ID, in.Join); err != nil {
			return err
		}
		res, err = s.startSession(ctx, tx, u)
		return err
	})
	if err == nil {
		s.wake()
	}
	return res, err
}

// Login checks a login name (email or username) and password and starts a session. Every
// attempt is on the audit trail.
func (s *Service) Login(ctx context.Context, login, pw string) (*SessionResult, error) {
	var v roster.Validator
	v.Check(login != "", "/login", "is required")
	v.Check(pw != "", "/password", "is required")
	if err := v.Err(); err != nil {
		return nil, err
	}
	u, att, err := s.observedCheck(ctx, login, pw)
	if err != nil {
		return nil, err
	}
	verified := u.PasswordHash
	var res *SessionResult
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		// The password was checked outside this transaction; a password change or a
		// deactivation that committed meanwhile must win. Recording the login first takes the
		// user's row lock (waiting for such a change to commit); the read after it sees it.
		at := now()
		if err := tx.RecordLogin(ctx, u.ID, at); err != nil {
			return err
		}
		if u, err = tx.FindUserByID(ctx, u.ID); err != nil {
			return err
		}
		if u.PasswordHash != verified || !u.Active {
			return errBadLogin
		}
		if err := att.settle(ctx, tx, u); err != nil {
			return err
		}
		ctx := roster.NewContextWithPrincipal(ctx, &roster.Principal{User: u})
		if err := audit(ctx, tx, event{action: "auth.login", targetKind: targetUser, targetID: u.ID}); err != nil {
			return err
		}
		res, err = s.startSession(ctx, tx, u)
		return err
	})
	if roster.ErrorCodeOf(err) == roster.ENotFound { // deleted between the check and the write
		return nil, errBadLogin
	}
	return res, err
}

// CheckPassword returns the active user whose login name (an email when it holds "@", else a
// username) and password these are, without starting a session. Every way to fail gives
// EUnauthenticated after the same hash work, and is recorded on the audit trail; it is
// throttled like a login (ERateLimited).
func (s *Service) CheckPassword(ctx context.Context, login, pw string) (*roster.User, error) {
	u, att, err := s.observedCheck(ctx, login, pw)
	if err != nil {
		return nil, err
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		fresh, err := tx.FindUserByID(ctx, u.ID)
		if err != nil {
			return err
		}
		if fresh.PasswordHash != u.PasswordHash || !fresh.Active {
			return errBadLogin
		}
		u = fresh
		return att.settle(ctx, tx, u)
	})
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return nil, errBadLogin
	}
	return u, err
}

// observedCheck is checkPassword, with its outcome reported to Config.ObserveLogin.
func (s *Service) observedCheck(ctx context.Context, login, pw string) (u *roster.User, att *attempt, err error) {
	if s.cfg.ObserveLogin != nil {
		defer func() { s.cfg.ObserveLogin(err == nil) }()
	}
	return s.checkPassword(ctx, login, pw)
}

// checkPassword finds the user a login name names and checks the password, throttled: the
// attempt is counted before the hash is checked (see reserve). A failure is recorded here; a
// success returns the attempt, for the caller to settle in the transaction that acts on it.
func (s *Service) checkPassword(ctx context.Context, login, pw string) (*roster.User, *attempt, error) {
	folded := usernameKey(login)
	if folded == "" {
		folded = strings.ToLower(login)
	}
	if len(pw) > password.MaxBytes { // no stored password is this long; do the work of one
		pw = pw[:password.MaxBytes]
		login = ""
	}
	var u *roster.User
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		switch {
		case login == "":
			err = roster.Errorf(roster.ENotFound, "no login")
		case strings.Contains(folded, "@"): // full-width ＠ folds to @ too
			u, err = tx.FindUserByEmail(ctx, folded)
		default:
			u, err = tx.FindUserByUsername(ctx, folded)
		}
		return err
	})
	if err != nil && roster.ErrorCodeOf(err) != roster.ENotFound {
		return nil, nil, err
	}
	userID := ""
	if u != nil {
		userID = u.ID
	}
	att, err := s.reserve(ctx, keysFor(ctx, throttleSubject(u, folded)), userID)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		if err := s.hasher.Waste(ctx, pw); err != nil {
			return nil, nil, err
		}
		return nil, nil, s.failed(ctx, att)
	}
	ok, err := s.hasher.Verify(ctx, pw, u.PasswordHash)
	if err != nil {
		return nil, nil, err
	}
	if !ok || !u.Active {
		return nil, nil, s.failed(ctx, att)
	}
	if u.PasswordHash != "" && s.hasher.NeedsRehash(u.PasswordHash) {
		// A failure only postpones the upgrade to the next login.
		if next, err := s.hasher.Hash(ctx, pw); err == nil {
			att.rehash = next
		} else {
			s.log.WarnContext(ctx, "could not upgrade a password hash", "user", u.ID, "error", err)
		}
	}
	return u, att, nil
}

// checkCurrentPassword checks the current password of a user changing its own, throttled
// and audited like a login under the account's keys. A wrong one is EInvalid at
// /current_password; a success returns the attempt for the caller to settle.
func (s *Service) checkCurrentPassword(ctx context.Context, u *roster.User, current string) (*attempt, error) {
	att, err := s.reserve(ctx, keysFor(ctx, throttleSubject(u, "")), u.ID)
	if err != nil {
		return nil, err
	}
	ok, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.failed(ctx, att); err != errBadLogin {
			return nil, err
		}
		return nil, roster.Invalid("The current password is wrong.",
			roster.FieldError{Pointer: "/current_password", Detail: "does not match"})
	}
	return att, nil
}

func (s *Service) startSession(ctx context.Context, tx roster.Tx, u *roster.User) (*SessionResult, error) {
	secret, hash := token.New(token.PrefixSession)
	t := now()
	info := roster.RequestInfoFromContext(ctx)
	sess := &roster.Session{
		ID: roster.NewID(roster.PrefixSession), UserID: u.ID, TokenHash: hash,
		CreatedAt: t, ExpiresAt: t.Add(s.cfg.SessionTTL),
		ClientAddr: info.ClientAddr, UserAgent: truncate(info.UserAgent, 512),
	}
	if err := tx.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	// Expired sessions are of no use to anyone; each login sweeps its user's.
	if err := tx.DeleteExpiredSessions(ctx, u.ID, t); err != nil {
		return nil, err
	}
	return &SessionResult{Token: secret, Session: sess, User: u}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// errBadToken is the answer for a bearer secret that is malformed, unknown or revoked, or whose
// owner is deactivated; ErrTokenExpired for one that was valid until its expiry.
var (
	errBadToken     = roster.Errorf(roster.EUnauthenticated, "The bearer token is invalid or has expired.")
	ErrTokenExpired = roster.Errorf(roster.EUnauthenticated, "The bearer token has expired.")
)

// expired reports whether a credential with the given expiry (nil for never) has expired.
func expired(at *time.Time) bool { return at != nil && !at.After(now()) }

// touchEvery is how stale a credential's last-used time may get before a request updates it,
// so that a busy credential costs one write a minute, not one per request.
const touchEvery = time.Minute

// Authenticate resolves a bearer secret (session, API token or service-account key) to the
// principal it stands for. A malformed secret is refused without touching the database.
func (s *Service) Authenticate(ctx context.Context, secret string) (*roster.Principal, error) {
	p, lastUsed, touch, err := s.resolve(ctx, secret)
	if err != nil {
		return nil, err
	}
	roster.NoteActor(ctx, p.Actor())
	if at := now(); lastUsed == nil || at.Sub(*lastUsed) >= touchEvery {
		if err := s.store.Write(ctx, func(tx roster.Tx) error { return touch(tx, at) }); err != nil {
			s.log.WarnContext(ctx, "could not record credential use", "error", err)
		}
	}
	return p, nil
}

// resolve finds the principal of secret, when it was last used, and how to record a use.
func (s *Service) resolve(ctx context.Context, secret string) (*roster.Principal, *time.Time, func(roster.Tx, time.Time) error, error) {
	var (
		p        roster.Principal
		lastUsed *time.Time
		touch    func(roster.Tx, time.Time) error
		find     func(tx roster.Tx, hash string) error
	)
	switch {
	case token.Valid(token.PrefixSession, secret):
		find = func(tx roster.Tx, hash string) (err error) {
			p.Session, p.User, err = tx.FindSessionByTokenHash(ctx, hash)
			if err == nil && expired(&p.Session.ExpiresAt) {
				return ErrTokenExpired
			}
			if err == nil {
				lastUsed = p.Session.LastUsedAt
				touch = func(tx roster.Tx, at time.Time) error { return tx.TouchSession(ctx, p.Session.ID, at) }
			}
			return err
		}
	case token.Valid(token.PrefixAPIToken, secret), token.ValidEllaCore(secret):
		find = func(tx roster.Tx, hash string) (err error) {
			p.Token, p.User, err = tx.FindAPITokenByHash(ctx, hash)
			if err == nil && expired(p.Token.ExpiresAt) {
				return ErrTokenExpired
			}
			if err == nil {
				lastUsed = p.Token.LastUsedAt
				touch = func(tx roster.Tx, at time.Time) error { return tx.TouchAPIToken(ctx, p.Token.ID, at) }
			}
			return err
		}
	case token.Valid(token.PrefixKey, secret):
		find = func(tx roster.Tx, hash string) (err error) {
			p.Key, p.ServiceAccount, err = tx.FindKeyByHash(ctx, hash)
			if err == nil && expired(p.Key.ExpiresAt) {
				return ErrTokenExpired
			}
			if err == nil {
				lastUsed = p.Key.LastUsedAt
				touch = func(tx roster.Tx, at time.Time) error { return tx.TouchKey(ctx, p.Key.ID, at) }
			}
			return err
		}
	default:
		return nil, nil, nil, errBadToken
	}
	err := s.store.Read(ctx, func(tx roster.Tx) error { return find(tx, token.Hash(secret)) })
	if roster.ErrorCodeOf(err) == roster.ENotFound || err == nil && p.User != nil && !p.User.Active {
		return nil, nil, nil, errBadToken
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return &p, lastUsed, touch, nil
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if p.Session == nil {
		return roster.Errorf(roster.EInvalid, "Only a login session can log out; revoke API tokens and keys instead.")
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		if err := tx.DeleteSession(ctx, p.Session.ID); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "auth.logout", targetKind: targetSession, targetID: p.Session.ID})
	})
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return errBadToken
	}
	return err
}

// MembershipView is one of the caller's memberships with the permissions its roles add up to.
type MembershipView struct {
	Tenant      *roster.Tenant
	Membership  *roster.Membership
	Permissions []string
}

// Me returns the calling user and each of its memberships, invitations included.
func (s *Service) Me(ctx context.Context) (*roster.User, []MembershipView, error) {
	p, err := userCaller(ctx)
	if err != nil {
		return nil, nil, err
	}
	var views []MembershipView
	var u *roster.User
	err = s.store.Read(ctx, func(tx roster.Tx) (err error) {
		if u, err = tx.FindUserByID(ctx, p.User.ID); err != nil {
			return err
		}
		views, err = membershipViews(ctx, tx, u.ID, true)
		return err
	})
	return u, views, err
}

// membershipViews returns the active memberships of a user, and with invited its invitations
// too (which grant no permission), each with its tenant.
func membershipViews(ctx context.Context, tx roster.Tx, userID string, invited bool) ([]MembershipView, error) {
	ms, err := tx.ListUserMemberships(ctx, userID)
	if err != nil {
		return nil, err
	}
	tenants, err := tx.ListTenants(ctx, roster.TenantFilter{MemberUserID: userID, Page: roster.Page{Limit: len(ms) + 1}})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*roster.Tenant, len(tenants))
	for _, t := range tenants {
		byID[t.ID] = t
	}
	var views []MembershipView
	for _, m := range ms {
		switch {
		case m.Active() && byID[m.TenantID] != nil:
			views = append(views, MembershipView{Tenant: byID[m.TenantID], Membership: m, Permissions: permissionsOf(m.Roles)})
		case !m.Active() && invited: // invitations are few: one lookup each
			t, err := tx.FindTenant(ctx, m.TenantID)
			if err != nil {
				return nil, err
			}
			views = append(views, MembershipView{Tenant: t, Membership: m})
		}
	}
	return views, nil
}
