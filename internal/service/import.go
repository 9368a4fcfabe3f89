package service

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
)

// ImportRow is one user to import. PasswordHash, when set, is an argon2id PHC string or a
// bcrypt hash from another system; it is replaced by Roster's own at the user's first login.
// Line, when set, is where the row came from, for the report of skipped rows.
type ImportRow struct {
	Email        string `json:"email"`
	Username     string `json:"username"`
	GivenName    string `json:"given_name"`
	FamilyName   string `json:"family_name"`
	PasswordHash string `json:"password_hash"`
	Line         int    `json:"-"`
}

// ImportStats counts an import.
type ImportStats struct {
	Read, Imported, Skipped int
}

// importBatch is how many rows one transaction imports.
const importBatch = 2000

// ImportMembersAsSystem loads users into a tenant with roles, acting as the system (the
// command line), importBatch rows to a transaction. Each row is validated; a row that is
// invalid, or whose email (or the username it gives) is taken, by an existing user or an
// earlier row, is skipped and reported through skip with its Line (or its position, counting
// from 1, when it has none), and the rest is imported. A username derived from the email that
// is taken gets a suffix instead. next returns false when there are no more rows.
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
	var batch []importing
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var inserted, taken []importing
		err := s.store.Write(ctx, func(tx roster.Tx) (err error) {
			if inserted, taken, err = insertImported(ctx, tx, batch); err != nil {
				return err
			}
			t := now()
			ms := make([]*roster.Membership, len(inserted))
			for i, it := range inserted {
				ms[i] = &roster.Membership{TenantID: tenant.ID, UserID: it.user.ID, Roles: roles, CreatedAt: t, UpdatedAt: t, Version: 1}
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
		stats.Skipped += len(taken)
		for _, it := range taken {
			skip(it.line, it.why)
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
		line := row.Line
		if line == 0 {
			line = stats.Read
		}
		u, why := s.importUser(row)
		if why != "" {
			stats.Skipped++
			skip(line, why)
			continue
		}
		batch = append(batch, importing{user: u, line: line, derived: row.Username == ""})
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return stats, err
			}
		}
	}
	return stats, flush()
}

// importing is a valid row on its way into the database.
type importing struct {
	user    *roster.User
	line    int
	derived bool   // the username was made from the email
	why     string // why it was not inserted
}

// insertImported inserts the batch's users, skipping those whose email or username is taken.
// A taken username made from the email gets a random suffix and one more try. It returns the
// rows inserted and those not, each with the reason.
func insertImported(ctx context.Context, tx roster.Tx, batch []importing) (inserted, taken []importing, err error) {
	retry := batch
	for attempt := 0; attempt < 2 && len(retry) > 0; attempt++ {
		users := make([]*roster.User, len(retry))
		for i, it := range retry {
			users[i] = it.user
		}
		ids, err := tx.InsertUsers(ctx, users)
		if err != nil {
			return nil, nil, err
		}
		done := make(map[string]bool, len(ids))
		for _, id := range ids {
			done[id] = true
		}
		var again []importing
		for _, it := range retry {
			if done[it.user.ID] {
				inserted = append(inserted, it)
				continue
			}
			_, err := tx.FindUserByEmail(ctx, it.user.Email)
			switch {
			case err == nil:
				it.why = fmt.Sprintf("email %s is already taken (by an existing user or an earlier line)", it.user.Email)
			case roster.ErrorCodeOf(err) != roster.ENotFound:
				return nil, nil, err
			case it.derived && attempt == 0:
				it.user.Username = truncate(it.user.Username, maxUsernameBytes-7) + "-" + roster.NewID("")[20:]
				again = append(again, it)
				continue
			default:
				it.why = fmt.Sprintf("username %s is already taken (by an existing user or an earlier line)", it.user.Username)
			}
			taken = append(taken, it)
		}
		retry = again
	}
	return inserted, taken, nil
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
