package service

import (
	"context"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/token"
)

// ClientInfo describes where a request came from, for sessions (and the audit trail).
type ClientInfo struct {
	Addr      string
	UserAgent string
}

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
}

// errBadLogin is the one answer for an unknown user, a wrong password and a deactivated user.
var errBadLogin = roster.Errorf(roster.EUnauthenticated, "Invalid login or password.")

// Bootstrap creates the first instance administrator and logs it in. It succeeds only while the
// instance has no user; afterwards, and for every racing call but one, it returns EConflict.
func (s *Service) Bootstrap(ctx context.Context, in BootstrapInput, client ClientInfo) (*SessionResult, error) {
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
			return roster.Errorf(roster.EConflict, "The instance is already bootstrapped; log in instead.")
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		res, err = s.startSession(ctx, tx, u, client)
		return err
	})
	return res, err
}

// Login checks a login name (email or username) and password and starts a session.
func (s *Service) Login(ctx context.Context, login, pw string, client ClientInfo) (*SessionResult, error) {
	var v roster.Validator
	v.Check(login != "", "/login", "is required")
	v.Check(pw != "", "/password", "is required")
	if err := v.Err(); err != nil {
		return nil, err
	}
	var u *roster.User
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		u, err = tx.FindUserByLogin(ctx, login)
		return err
	})
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		if err := s.hasher.Waste(ctx, pw); err != nil {
			return nil, err
		}
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.hasher.Verify(ctx, pw, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok || !u.Active {
		return nil, errBadLogin
	}
	var res *SessionResult
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		at := now()
		if err := tx.RecordLogin(ctx, u.ID, at); err != nil {
			return err
		}
		u.LastLoginAt = &at
		u.Version++
		res, err = s.startSession(ctx, tx, u, client)
		return err
	})
	if roster.ErrorCodeOf(err) == roster.ENotFound { // deleted between the check and the write
		return nil, errBadLogin
	}
	return res, err
}

func (s *Service) startSession(ctx context.Context, tx roster.Tx, u *roster.User, client ClientInfo) (*SessionResult, error) {
	secret, hash := token.New(token.PrefixSession)
	t := now()
	sess := &roster.Session{
		ID: roster.NewID(roster.PrefixSession), UserID: u.ID, TokenHash: hash,
		CreatedAt: t, ExpiresAt: t.Add(s.cfg.SessionTTL),
		ClientAddr: client.Addr, UserAgent: truncate(client.UserAgent, 512),
	}
	if err := tx.CreateSession(ctx, sess); err != nil {
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

// errBadToken is the answer for a bearer token that is malformed, unknown, expired or revoked,
// or whose user is deactivated.
var errBadToken = roster.Errorf(roster.EUnauthenticated, "The bearer token is invalid or has expired; log in again.")

// Authenticate resolves a bearer secret to the principal it stands for. A malformed secret is
// refused without touching the database.
func (s *Service) Authenticate(ctx context.Context, secret string) (*roster.Principal, error) {
	if !token.Valid(token.PrefixSession, secret) {
		return nil, errBadToken
	}
	var p roster.Principal
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		p.Session, p.User, err = tx.FindSessionByTokenHash(ctx, token.Hash(secret), now())
		return err
	})
	if roster.ErrorCodeOf(err) == roster.ENotFound || err == nil && !p.User.Active {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if p.Session == nil {
		return roster.Errorf(roster.EInvalid, "This credential is not a login session.")
	}
	err = s.store.Write(ctx, func(tx roster.Tx) error { return tx.DeleteSession(ctx, p.Session.ID) })
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

// Me returns the caller and each of its memberships.
func (s *Service) Me(ctx context.Context) (*roster.User, []MembershipView, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	var views []MembershipView
	var u *roster.User
	err = s.store.Read(ctx, func(tx roster.Tx) error {
		if u, err = tx.FindUserByID(ctx, p.User.ID); err != nil {
			return err
		}
		ms, err := tx.ListUserMemberships(ctx, u.ID)
		if err != nil {
			return err
		}
		tenants, err := tx.ListTenants(ctx, roster.TenantFilter{MemberUserID: u.ID, Page: roster.Page{Limit: len(ms) + 1}})
		if err != nil {
			return err
		}
		byID := make(map[string]*roster.Tenant, len(tenants))
		for _, t := range tenants {
			byID[t.ID] = t
		}
		for _, m := range ms {
			views = append(views, MembershipView{Tenant: byID[m.TenantID], Membership: m, Permissions: permissionsOf(m.Roles)})
		}
		return nil
	})
	return u, views, err
}
