package service

import (
	"context"
	"slices"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/token"
)

// Limits on credentials.
const (
	maxTokensPerUser  = 100
	maxKeysPerAccount = 20
	maxTokenNameRunes = 100
)

// NewAPIToken is a created token with its secret, which is shown this once.
type NewAPIToken struct {
	Token  *roster.APIToken
	Secret string
}

// expiry applies the configured maximum lifetime to a requested expiry.
func (s *Service) expiry(v *roster.Validator, expiresAt *time.Time) *time.Time {
	t := now()
	if expiresAt != nil {
		if !expiresAt.After(t) {
			v.Field("/expires_at", "must be in the future")
			return nil
		}
		at := expiresAt.UTC().Truncate(time.Microsecond)
		expiresAt = &at
	}
	if max := s.cfg.TokenMaxTTL; max > 0 {
		limit := t.Add(max)
		if expiresAt == nil {
			expiresAt = &limit
		} else if expiresAt.After(limit) {
			v.Field("/expires_at", "must be at most %s from now", max)
		}
	}
	return expiresAt
}

// Formats of API token secrets.
const (
	FormatRoster   = ""         // rsp_… with a checksum
	FormatEllaCore = "ellacore" // ellacore_<12-char id>_<24 chars>, as Ella Core issues them
)

// CreateAPIToken gives the calling user a new personal token that acts as that user.
func (s *Service) CreateAPIToken(ctx context.Context, name string, expiresAt *time.Time) (*NewAPIToken, error) {
	return s.CreateAPITokenInFormat(ctx, name, expiresAt, FormatRoster)
}

// CreateAPITokenInFormat is CreateAPIToken with the secret in a surface's format; every
// surface accepts tokens of every format.
func (s *Service) CreateAPITokenInFormat(ctx context.Context, name string, expiresAt *time.Time, format string) (*NewAPIToken, error) {
	p, err := userCaller(ctx)
	if err != nil {
		return nil, err
	}
	var v roster.Validator
	checkText(&v, "/name", name, true, maxTokenNameRunes)
	expiresAt = s.expiry(&v, expiresAt)
	if err := v.Err(); err != nil {
		return nil, err
	}
	secret, hash := token.New(token.PrefixAPIToken)
	publicID := ""
	if format == FormatEllaCore {
		secret, publicID, hash = token.NewEllaCore()
	}
	k := &roster.APIToken{ID: roster.NewID(roster.PrefixAPIToken), PublicID: publicID, UserID: p.User.ID, Name: name,
		TokenHash: hash, Hint: token.Hint(secret), CreatedAt: now(), ExpiresAt: expiresAt}
	err = s.store.Write(ctx, func(tx roster.Tx) error {
		existing, err := tx.ListAPITokens(ctx, p.User.ID)
		if err != nil {
			return err
		}
		if len(existing) >= maxTokensPerUser {
			return roster.Errorf(roster.EConflict, "You have %d API tokens, the most allowed; revoke one first.", len(existing))
		}
		if err := tx.CreateAPIToken(ctx, k); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "api_token.created", targetKind: targetAPIToken, targetID: k.ID})
	})
	if err != nil {
		return nil, err
	}
	return &NewAPIToken{Token: k, Secret: secret}, nil
}

// ListAPITokens lists a user's tokens: one's own, or anyone's for an instance administrator.
func (s *Service) ListAPITokens(ctx context.Context, userID string) ([]*roster.APIToken, error) {
	if err := s.mayManageCredentials(ctx, userID); err != nil {
		return nil, err
	}
	var out []*roster.APIToken
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		if _, err := tx.FindUserByID(ctx, userID); err != nil {
			return err
		}
		var err error
		out, err = tx.ListAPITokens(ctx, userID)
		return err
	})
	return out, err
}

// RevokeAPIToken deletes a token, named by its id or by the public id of a surface's format;
// it is refused from the next request on. The audit trail names it by its id, as its creation.
func (s *Service) RevokeAPIToken(ctx context.Context, userID, id string) error {
	if err := s.mayManageCredentials(ctx, userID); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx roster.Tx) error {
		tokens, err := tx.ListAPITokens(ctx, userID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(tokens, func(k *roster.APIToken) bool { return k.ID == id || k.PublicID != "" && k.PublicID == id })
		if i < 0 {
			return roster.Errorf(roster.ENotFound, "API token not found.")
		}
		if err := tx.DeleteAPIToken(ctx, userID, tokens[i].ID); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "api_token.revoked", targetKind: targetAPIToken, targetID: tokens[i].ID})
	})
}

// mayManageCredentials allows a user its own sessions and tokens, and an instance
// administrator everyone's; anyone else learns nothing.
func (s *Service) mayManageCredentials(ctx context.Context, userID string) error {
	p, err := userCaller(ctx)
	if err != nil {
		return err
	}
	if !roster.IsID(roster.PrefixUser, userID) { // these routes take a user's id only
		return roster.Errorf(roster.EInvalid, "%q is not a user id: user ids are %s followed by 26 letters and digits, as Roster returned them.",
			truncate(userID, 64), roster.PrefixUser)
	}
	if p.IsUser(userID) || p.IsInstanceAdmin() {
		return nil
	}
	return errUserNotFound
}
