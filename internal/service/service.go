// Package service holds Roster's business rules: who may do what, what input is valid, how
// secrets are made and checked, and the invariants that span rows (one bootstrap, a last admin
// per tenant). Every transport calls it; storage only stores.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/seal"
)

// Config holds the service's tunables.
type Config struct {
	// SessionTTL is how long a login session lasts.
	SessionTTL time.Duration
	// TokenMaxTTL caps the lifetime of API tokens and service-account keys; 0 means no cap
	// (a credential without expires_at then never expires).
	TokenMaxTTL time.Duration
	// ObserveLogin, when set, hears the outcome of every password check (for metrics).
	ObserveLogin func(ok bool)
	// PasswordPolicy is what new passwords must satisfy.
	PasswordPolicy password.Policy
	// LoginLock is the first lock after too many failed logins; each further failure doubles it.
	LoginLock time.Duration
	// Sealer encrypts the secrets Roster must read back; nil when no --secret-key-file is set,
	// and then the features that need one refuse with EUnavailable.
	Sealer *seal.Sealer
	// Mail says whether and how people are mailed (verification, password reset).
	Mail MailConfig
}

// DefaultConfig returns the configuration used when none is given.
func DefaultConfig() Config {
	return Config{SessionTTL: 12 * time.Hour, PasswordPolicy: password.DefaultPolicy, LoginLock: 30 * time.Second}
}

// Service implements every use case of Roster on top of a roster.Store.
type Service struct {
	store  roster.Store
	hasher *password.Hasher
	cfg    Config
	log    *slog.Logger
}

// New returns a Service.
func New(store roster.Store, hasher *password.Hasher, cfg Config, log *slog.Logger) *Service {
	if cfg.PasswordPolicy.MinLength == 0 {
		cfg.PasswordPolicy = password.DefaultPolicy
	}
	if cfg.LoginLock <= 0 {
		cfg.LoginLock = DefaultConfig().LoginLock
	}
	if cfg.Mail.ResetTTL <= 0 {
		cfg.Mail.ResetTTL = DefaultResetTTL
	}
	if cfg.Mail.VerifyTTL <= 0 {
		cfg.Mail.VerifyTTL = DefaultVerifyTTL
	}
	return &Service{store: store, hasher: hasher, cfg: cfg, log: log}
}

// now returns the current time at the precision the store keeps, so that what a write returns
// equals what a later read returns.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Defaults and bounds of list pages.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ListOptions is the paging part of a list request.
type ListOptions struct {
	After string
	Limit int // 0 means DefaultLimit
}

func (o ListOptions) page(v *roster.Validator) roster.Page {
	if o.Limit == 0 {
		o.Limit = DefaultLimit
	}
	if o.Limit < 1 || o.Limit > MaxLimit {
		v.Param("limit", "must be between 1 and %d", MaxLimit)
	}
	// One extra row tells whether there is a next page.
	return roster.Page{After: o.After, Limit: o.Limit + 1}
}

// paginate trims a page fetched with one extra row and returns the key of the next page.
func paginate[T any](items []T, p roster.Page, key func(T) string) ([]T, string) {
	if len(items) < p.Limit {
		return items, ""
	}
	items = items[:p.Limit-1]
	return items, key(items[len(items)-1])
}

// checkVersion enforces an If-Match precondition. A nil want means the caller sent none.
func checkVersion(want *int64, have int64) error {
	if want != nil && *want != have {
		return roster.Errorf(roster.EPreconditionFailed,
			"The resource has changed since you read it (If-Match does not match); fetch it again and retry.")
	}
	return nil
}

// caller returns the authenticated principal, or EUnauthenticated.
func caller(ctx context.Context) (*roster.Principal, error) {
	p := roster.PrincipalFromContext(ctx)
	if p == nil || p.User == nil && p.ServiceAccount == nil {
		return nil, roster.Errorf(roster.EUnauthenticated, "Authentication required: send Authorization: Bearer <token>.")
	}
	return p, nil
}
