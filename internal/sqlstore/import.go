package sqlstore

import (
	"context"
	"strings"

	"github.com/rosterhq/roster"
)

// rowsPerStatement bounds multi-row inserts: 18 parameters a user row stays far below both
// databases' parameter limits.
const rowsPerStatement = 200

func (t *tx) InsertUsers(ctx context.Context, users []*roster.User) ([]string, error) {
	var inserted []string
	for start := 0; start < len(users); start += rowsPerStatement {
		batch := users[start:min(start+rowsPerStatement, len(users))]
		var a args
		var rows []string
		for _, u := range batch {
			rows = append(rows, "("+strings.Join([]string{a.add(u.ID), a.add(u.Username), a.add(FoldKey(u.Username)), a.add(u.Email),
				a.add(FoldKey(u.Email)), a.add(searchKey(u)), a.add(u.GivenName), a.add(u.FamilyName), a.add(u.Locale), a.add(u.PasswordHash),
				a.add(u.Active), a.add(u.EmailVerified), a.add(u.InstanceAdmin), a.add(micros(u.CreatedAt)), a.add(micros(u.UpdatedAt)),
				a.add(nullMicros(u.LastLoginAt)), a.add(nullString(u.ManagedBy)), a.add(u.Version)}, ", ")+")")
		}
		ids, err := queryAll(ctx, t, scanString, `INSERT INTO users (id, username, username_key, email, email_key, search_key,
			given_name, family_name, locale, password_hash, active, email_verified, instance_admin,
			created_at, updated_at, last_login_at, managed_by, version) VALUES `+strings.Join(rows, ", ")+`
			ON CONFLICT DO NOTHING RETURNING id`, a...)
		if err != nil {
			return nil, err
		}
		inserted = append(inserted, ids...)
	}
	return inserted, nil
}

func (t *tx) InsertMemberships(ctx context.Context, ms []*roster.Membership) error {
	for start := 0; start < len(ms); start += rowsPerStatement {
		batch := ms[start:min(start+rowsPerStatement, len(ms))]
		var a, ra args
		var rows, roleRows []string
		for _, m := range batch {
			rows = append(rows, "("+a.add(m.TenantID)+", "+a.add(m.UserID)+", "+a.add(micros(m.CreatedAt))+", "+
				a.add(micros(m.UpdatedAt))+", "+a.add(m.Version)+")")
			for _, r := range m.Roles {
				roleRows = append(roleRows, "("+ra.add(m.TenantID)+", "+ra.add(m.UserID)+", "+ra.add(r.ID)+")")
			}
		}
		if _, err := t.exec(ctx, `INSERT INTO memberships (tenant_id, user_id, created_at, updated_at, version) VALUES `+
			strings.Join(rows, ", "), a...); err != nil {
			return err
		}
		if len(roleRows) > 0 {
			if _, err := t.exec(ctx, `INSERT INTO membership_roles (tenant_id, user_id, role_id) VALUES `+
				strings.Join(roleRows, ", "), ra...); err != nil {
				return err
			}
		}
	}
	return nil
}
