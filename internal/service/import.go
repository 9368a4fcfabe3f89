package service

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
)

// ImportRow is one user to import. PasswordHash, when set, is an argon2id PHC string or a
// bcrypt hash from another system; it is replaced by Roster's own at the user's first login.
type ImportRow struct {
	Email        string `json:"email"`
	Username     string `json:"username"`
	GivenName    string `json:"given_name"`
	FamilyName   string `json:"family_name"`
	PasswordHash string `json:"password_hash"`
}

// ImportStats counts an import.
type ImportStats struct {
	Read, Imported, Skipped int
}

// importBatch is how many rows one transaction imports.
const importBatch = 2000

// ImportMembersAsSystem loads users into a tenant with roles, acting as the system (the
// command line), importBatch rows to a transaction. Each row is validated; a row that is
// invalid, or whose email or username is taken, is skipped and reported through skip (line
// numbers count from 1). next returns false when there are no more rows.
func (s *Service) ImportMembersAsSystem(ctx context.Context, tenantRef string, roleRefs []string,
	next func() (ImportRow, bool, error), skip func(line int, reason string)) (ImportStats, error) {
	ctx = withSystemActor(ctx)
	var tenant *roster.Tenant
	var roles []*roster.Role
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		if tenant, err = tx.FindTenant(ctx, tenantRef); err != nil {
			return err
		}
		var v roster.Validator
		roles, err = newResolver(tx, tenant.ID).resolve(ctx, &v, "/roles", roleRefs)
		if err != nil {
			return err
		}
		return v.Err()
	})
	if err != nil {
		return ImportStats{}, err
	}
	var stats ImportStats
	var batch []*roster.User
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var inserted []string
		err := s.store.Write(ctx, func(tx roster.Tx) (err error) {
			if inserted, err = tx.InsertUsers(ctx, batch); err != nil {
				return err
			}
			t := now()
			ms := make([]*roster.Membership, len(inserted))
			for i, id := range inserted {
				ms[i] = &roster.Membership{TenantID: tenant.ID, UserID: id, Roles: roles, CreatedAt: t, UpdatedAt: t, Version: 1}
			}
			if err := tx.InsertMemberships(ctx, ms); err != nil {
				return err
			}
			return audit(ctx, tx, event{action: "tenant.members_imported", tenantID: tenant.ID, targetKind: targetTenant, targetID: tenant.ID})
		})
		if err != nil {
			return err
		}
		stats.Imported += len(inserted)
		stats.Skipped += len(batch) - len(inserted)
		if len(inserted) < len(batch) {
			skip(0, fmt.Sprintf("%d rows of this batch: email or username already taken", len(batch)-len(inserted)))
		}
		batch = batch[:0]
		return nil
	}
	for {
		row, ok, err := next()
		if err != nil {
			return stats, err
		}
		if !ok {
			break
		}
		stats.Read++
		u, why := s.importUser(row)
		if why != "" {
			stats.Skipped++
			skip(stats.Read, why)
			continue
		}
		batch = append(batch, u)
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return stats, err
			}
		}
	}
	return stats, flush()
}

// importUser validates one row, returning the user or why it is refused.
func (s *Service) importUser(row ImportRow) (*roster.User, string) {
	var v roster.Validator
	checkEmail(&v, "email", row.Email)
	username := usernameBase(row.Email)
	if row.Username != "" {
		username = normalizeUsername(&v, "username", row.Username)
	}
	checkText(&v, "given_name", row.GivenName, false, maxNameRunes)
	checkText(&v, "family_name", row.FamilyName, false, maxNameRunes)
	if row.PasswordHash != "" {
		if err := password.CheckImported(row.PasswordHash); err != nil {
			v.Field("password_hash", "must be %s", err)
		}
	}
	if err := v.Err(); err != nil {
		e := err.(*roster.Error)
		return nil, e.Fields[0].Pointer + " " + e.Fields[0].Detail
	}
	t := now()
	return &roster.User{ID: roster.NewID(roster.PrefixUser), Username: username, Email: row.Email, GivenName: row.GivenName,
		FamilyName: row.FamilyName, Locale: "en-US", PasswordHash: row.PasswordHash, Active: true,
		CreatedAt: t, UpdatedAt: t, Version: 1}, ""
}
