package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

var errUserNotFound = roster.Errorf(roster.ENotFound, "User not found.")

const userColumns = `id, username, email, given_name, family_name, locale, password_hash, active,
	email_verified, instance_admin, created_at, updated_at, last_login_at, managed_by, version`

func userColumnsOf(alias string) string {
	cols := strings.Split(userColumns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// userDest returns the scan destinations for userColumns and a function that finishes the user.
func userDest() (*roster.User, []any, func()) {
	var u roster.User
	var created, updated int64
	var lastLogin sql.NullInt64
	var managedBy sql.NullString
	dest := []any{&u.ID, &u.Username, &u.Email, &u.GivenName, &u.FamilyName, &u.Locale, &u.PasswordHash,
		&u.Active, &u.EmailVerified, &u.InstanceAdmin, &created, &updated, &lastLogin, &managedBy, &u.Version}
	return &u, dest, func() {
		u.CreatedAt, u.UpdatedAt, u.LastLoginAt = fromMicros(created), fromMicros(updated), fromNullMicros(lastLogin)
		u.ManagedBy = managedBy.String
	}
}

func scanUser(row scanner) (*roster.User, error) {
	u, dest, finish := userDest()
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return u, nil
}

// FoldKey is the case-folded form under which usernames and emails are unique.
func FoldKey(s string) string { return strings.ToLower(s) }

func searchKey(u *roster.User) string {
	// A space separates the parts: SQLite's LIKE stops at a NUL byte.
	return FoldKey(strings.Join([]string{u.Username, u.Email, u.GivenName, u.FamilyName}, " "))
}

// nullString stores "" as NULL, for optional references.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func (t *tx) CreateUser(ctx context.Context, u *roster.User) error {
	res, err := t.exec(ctx, `INSERT INTO users (id, username, username_key, email, email_key, search_key,
		given_name, family_name, locale, password_hash, active, email_verified, instance_admin,
		created_at, updated_at, last_login_at, managed_by, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT DO NOTHING`,
		u.ID, u.Username, FoldKey(u.Username), u.Email, FoldKey(u.Email), searchKey(u),
		u.GivenName, u.FamilyName, u.Locale, u.PasswordHash, u.Active, u.EmailVerified, u.InstanceAdmin,
		micros(u.CreatedAt), micros(u.UpdatedAt), nullMicros(u.LastLoginAt), nullString(u.ManagedBy), u.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return t.userConflict(ctx, u)
	}
	return nil
}

// userConflict explains which of u's unique keys another user already holds.
func (t *tx) userConflict(ctx context.Context, u *roster.User) error {
	rows, err := t.query(ctx, `SELECT email_key = $1, username_key = $2 FROM users
		WHERE (email_key = $1 OR username_key = $2) AND id <> $3`, FoldKey(u.Email), FoldKey(u.Username), u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var fields []roster.FieldError
	for rows.Next() {
		var email, username bool
		if err := rows.Scan(&email, &username); err != nil {
			return t.fail(err)
		}
		if email {
			fields = append(fields, roster.FieldError{Pointer: "/email", Detail: "is already used by another user"})
		}
		if username {
			fields = append(fields, roster.FieldError{Pointer: "/username", Detail: "is already used by another user"})
		}
	}
	if err := rows.Err(); err != nil {
		return t.fail(err)
	}
	if len(fields) == 0 {
		return nil
	}
	return &roster.Error{Code: roster.EConflict, Message: "A user with this " +
		strings.TrimPrefix(fields[0].Pointer, "/") + " already exists.", Fields: fields}
}

func (t *tx) FindUserByID(ctx context.Context, id string) (*roster.User, error) {
	u, dest, finish := userDest()
	if err := t.queryRow(ctx, errUserNotFound, `SELECT `+userColumns+` FROM users WHERE id = $1`, []any{id}, dest...); err != nil {
		return nil, err
	}
	finish()
	return u, nil
}

func (t *tx) FindUserByEmail(ctx context.Context, email string) (*roster.User, error) {
	return t.findUserBy(ctx, "email_key", email)
}

func (t *tx) FindUserByUsername(ctx context.Context, username string) (*roster.User, error) {
	return t.findUserBy(ctx, "username_key", username)
}

// findUserBy looks a user up by one of its case-folded unique keys.
func (t *tx) findUserBy(ctx context.Context, column, value string) (*roster.User, error) {
	u, dest, finish := userDest()
	if err := t.queryRow(ctx, errUserNotFound, `SELECT `+userColumns+` FROM users WHERE `+column+` = $1`,
		[]any{FoldKey(value)}, dest...); err != nil {
		return nil, err
	}
	finish()
	return u, nil
}

func (t *tx) ListUsers(ctx context.Context, f roster.UserFilter) ([]*roster.User, error) {
	var a args
	return queryAll(ctx, t, scanUser, usersQuery(&a, f), a...)
}

// usersQuery selects userColumns of the users matching f, in id order.
func usersQuery(a *args, f roster.UserFilter) string {
	q := `SELECT ` + userColumns + ` FROM users WHERE id > ` + a.add(f.After)
	if f.EmailPrefix != "" {
		q += ` AND email_key LIKE ` + a.add(likePrefix(FoldKey(f.EmailPrefix))) + ` ESCAPE '\'`
	}
	if f.UsernamePrefix != "" {
		q += ` AND username_key LIKE ` + a.add(likePrefix(FoldKey(f.UsernamePrefix))) + ` ESCAPE '\'`
	}
	if f.Query != "" {
		q += ` AND search_key LIKE ` + a.add(likeContains(FoldKey(f.Query))) + ` ESCAPE '\'`
	}
	if f.Active != nil {
		q += ` AND active = ` + a.add(*f.Active)
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += ` LIMIT ` + a.add(f.Limit)
	}
	return q
}

func (t *tx) EachUser(ctx context.Context, f roster.UserFilter, fn func(*roster.User, []roster.UserTenant) error) error {
	var a args
	rows, err := t.query(ctx, `SELECT `+userColumnsOf("u")+`, m.created_at, `+tenantColumnsOf("tn")+`
		FROM (`+usersQuery(&a, f)+`) u
		LEFT JOIN memberships m ON m.user_id = u.id AND m.status = 'active'
		LEFT JOIN tenants tn ON tn.id = m.tenant_id
		ORDER BY u.id, m.tenant_id`, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur *roster.User
	var tenants []roster.UserTenant
	for rows.Next() {
		u, dest, finish := userDest()
		var joined sql.NullInt64
		var tid, slug, name sql.NullString
		var created, updated, version sql.NullInt64
		dest = append(dest, &joined, &tid, &slug, &name, &created, &updated, &version)
		if err := rows.Scan(dest...); err != nil {
			return t.fail(err)
		}
		finish()
		if cur != nil && cur.ID != u.ID {
			if err := fn(cur, tenants); err != nil {
				return err
			}
			tenants = nil
		}
		if cur == nil || cur.ID != u.ID {
			cur = u
		}
		if tid.Valid {
			tenants = append(tenants, roster.UserTenant{JoinedAt: fromMicros(joined.Int64), Tenant: &roster.Tenant{
				ID: tid.String, Slug: slug.String, Name: name.String, CreatedAt: fromMicros(created.Int64),
				UpdatedAt: fromMicros(updated.Int64), Version: version.Int64}})
		}
	}
	if err := rows.Err(); err != nil {
		return t.fail(err)
	}
	if cur != nil {
		return fn(cur, tenants)
	}
	return nil
}

func (t *tx) UpdateUser(ctx context.Context, u *roster.User) error {
	if err := t.userConflict(ctx, u); err != nil {
		return err
	}
	err := t.execOne(ctx, errStale, `UPDATE users SET username = $1, username_key = $2, email = $3,
		email_key = $4, search_key = $5, given_name = $6, family_name = $7, locale = $8, password_hash = $9,
		active = $10, email_verified = $11, instance_admin = $12, updated_at = $13, last_login_at = $14,
		managed_by = $15, version = version + 1
		WHERE id = $16 AND version = $17`,
		u.Username, FoldKey(u.Username), u.Email, FoldKey(u.Email), searchKey(u), u.GivenName, u.FamilyName,
		u.Locale, u.PasswordHash, u.Active, u.EmailVerified, u.InstanceAdmin, micros(u.UpdatedAt),
		nullMicros(u.LastLoginAt), nullString(u.ManagedBy), u.ID, u.Version)
	if err != nil {
		return err
	}
	u.Version++
	return nil
}

func (t *tx) DeleteUser(ctx context.Context, id string) error {
	return t.execOne(ctx, errUserNotFound, `DELETE FROM users WHERE id = $1`, id)
}

func (t *tx) CountInstanceAdmins(ctx context.Context) (int, error) {
	var n int
	err := t.queryRow(ctx, nil, `SELECT COUNT(*) FROM users WHERE instance_admin = TRUE AND active = TRUE`, nil, &n)
	return n, err
}

func (t *tx) ClaimBootstrap(ctx context.Context) (bool, error) {
	res, err := t.exec(ctx, `UPDATE instance SET bootstrapped = TRUE WHERE id = 1 AND bootstrapped = FALSE`)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	var users int
	if err := t.queryRow(ctx, nil, `SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS any_user`, nil, &users); err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	return users == 0, nil
}

func (t *tx) RecordLogin(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, errUserNotFound, `UPDATE users SET last_login_at = $1 WHERE id = $2`,
		micros(at), id)
}

func (t *tx) LockInstance(ctx context.Context) error {
	return t.execOne(ctx, errors.New("instance row missing"), `UPDATE instance SET bootstrapped = bootstrapped WHERE id = 1`)
}

func (t *tx) ReplacePasswordHash(ctx context.Context, id, old, next string) error {
	_, err := t.exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, next, id, old)
	return err
}
