package sqlstore

import (
	"context"

	"github.com/rosterhq/roster"
)

var errMemberNotFound = roster.Errorf(roster.ENotFound, "Member not found.")

func (t *tx) CreateMembership(ctx context.Context, m *roster.Membership) error {
	status := m.Status
	if status == "" {
		status = roster.MemberActive
	}
	res, err := t.exec(ctx, `INSERT INTO memberships (tenant_id, user_id, status, invited_email, invited_given_name,
		invited_family_name, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		m.TenantID, m.UserID, status, m.Invitee.Email, m.Invitee.GivenName, m.Invitee.FamilyName,
		micros(m.CreatedAt), micros(m.UpdatedAt), m.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &roster.Error{Code: roster.EConflict, Message: "The user is already a member of this tenant.",
			Fields: []roster.FieldError{{Pointer: "/user_id", Detail: "is already a member"}}}
	}
	return t.insertMembershipRoles(ctx, m)
}

// insertMembershipRoles inserts all of m's roles in one statement.
func (t *tx) insertMembershipRoles(ctx context.Context, m *roster.Membership) error {
	if len(m.Roles) == 0 {
		return nil
	}
	var a args
	q := `INSERT INTO membership_roles (tenant_id, user_id, role_id) VALUES `
	for i, r := range m.Roles {
		if i > 0 {
			q += ", "
		}
		q += "(" + a.add(m.TenantID) + ", " + a.add(m.UserID) + ", " + a.add(r.ID) + ")"
	}
	_, err := t.exec(ctx, q, a...)
	return err
}

func (t *tx) FindMembership(ctx context.Context, tenantID, userID string) (*roster.Membership, error) {
	var a args
	inner := `SELECT m.* FROM memberships m WHERE m.tenant_id = ` + a.add(tenantID) + ` AND m.user_id = ` + a.add(userID)
	ms, err := t.memberships(ctx, inner, a)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, errMemberNotFound
	}
	return ms[0], nil
}

func (t *tx) ListMemberships(ctx context.Context, f roster.MemberFilter) ([]*roster.Membership, error) {
	var a args
	inner, err := t.membersQuery(ctx, &a, f)
	if err != nil {
		return nil, err
	}
	return t.memberships(ctx, inner, a)
}

func (t *tx) EachMembership(ctx context.Context, f roster.MemberFilter, fn func(*roster.Membership) error) error {
	var a args
	inner, err := t.membersQuery(ctx, &a, f)
	if err != nil {
		return err
	}
	return t.eachMembership(ctx, inner, a, fn)
}

// membersQuery selects the membership rows matching f, in user order.
func (t *tx) membersQuery(ctx context.Context, a *args, f roster.MemberFilter) (string, error) {
	inner := `SELECT m.* FROM memberships m`
	where := ` WHERE m.tenant_id = ` + a.add(f.TenantID) + ` AND m.user_id > ` + a.add(f.After)
	if f.EmailPrefix != "" {
		pattern := likePrefix(FoldKey(f.EmailPrefix))
		few, err := t.fewEmailsLike(ctx, pattern)
		if err != nil {
			return "", err
		}
		// Few matches: start from them through the email index (users first; the CROSS JOIN
		// fixes that order for SQLite) and sort them. Many: walk the tenant's members in order
		// and keep the matching ones, which come soon.
		if few {
			inner = `SELECT m.* FROM users fu CROSS JOIN memberships m`
			where += ` AND m.user_id = fu.id`
		} else {
			inner += ` JOIN users fu ON fu.id = m.user_id`
		}
		where += ` AND fu.email_key LIKE ` + a.add(pattern) + ` ESCAPE '\'`
	}
	if f.Query != "" {
		if f.EmailPrefix == "" {
			inner += ` JOIN users fu ON fu.id = m.user_id`
		}
		where += ` AND fu.search_key LIKE ` + a.add(likeContains(FoldKey(f.Query))) + ` ESCAPE '\'`
	}
	if f.EmailPrefix != "" || f.Query != "" {
		// An invited account's stored email and names are not the tenant's to probe.
		where += ` AND m.status = 'active'`
	}
	if f.RoleID != "" {
		where += ` AND EXISTS (SELECT 1 FROM membership_roles fr WHERE fr.tenant_id = m.tenant_id
			AND fr.user_id = m.user_id AND fr.role_id = ` + a.add(f.RoleID) + `)`
	}
	q := inner + where + ` ORDER BY m.user_id`
	if f.Limit > 0 {
		q += ` LIMIT ` + a.add(f.Limit)
	}
	return q, nil
}

// fewMatches is how many users an email prefix may match for the search to start from them.
const fewMatches = 10000

// fewEmailsLike reports whether at most fewMatches users have an email key LIKE pattern,
// counting through the email index and stopping past the bound.
func (t *tx) fewEmailsLike(ctx context.Context, pattern string) (bool, error) {
	var n int
	err := t.queryRow(ctx, nil, `SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE email_key LIKE $1 ESCAPE '\' LIMIT $2) AS hits`,
		[]any{pattern, fewMatches + 1}, &n)
	return n <= fewMatches, err
}

func (t *tx) ListUserMemberships(ctx context.Context, userID string) ([]*roster.Membership, error) {
	var a args
	return t.memberships(ctx, `SELECT m.* FROM memberships m WHERE m.user_id = `+a.add(userID), a)
}

// memberships runs inner, a query selecting membership rows, and returns them with their users
// and roles in one round trip, ordered by tenant and user.
func (t *tx) memberships(ctx context.Context, inner string, a args) ([]*roster.Membership, error) {
	var out []*roster.Membership
	err := t.eachMembership(ctx, inner, a, func(m *roster.Membership) error {
		out = append(out, m)
		return nil
	})
	return out, err
}

// eachMembership runs inner, a query selecting membership rows, and calls fn with each
// membership, its user and its roles as soon as its last row is read, in tenant and user order.
func (t *tx) eachMembership(ctx context.Context, inner string, a args, fn func(*roster.Membership) error) error {
	rows, err := t.query(ctx, `SELECT m.tenant_id, m.user_id, m.status, m.invited_email, m.invited_given_name,
		m.invited_family_name, m.created_at, m.updated_at, m.version,
		`+userColumnsOf("u")+`, `+roleColumnsOf("r")+`
		FROM (`+inner+`) m
		JOIN users u ON u.id = m.user_id
		JOIN membership_roles mr ON mr.tenant_id = m.tenant_id AND mr.user_id = m.user_id
		JOIN roles r ON r.tenant_id = mr.tenant_id AND r.id = mr.role_id
		ORDER BY m.tenant_id, m.user_id, r.name`, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur *roster.Membership
	seen := map[string]*roster.Role{} // a tenant holds few distinct roles: decode each once
	for rows.Next() {
		var m roster.Membership
		var created, updated int64
		u, udest, finishUser := userDest()
		role, rdest, finishRole := roleDest()
		dest := append([]any{&m.TenantID, &m.UserID, &m.Status, &m.Invitee.Email, &m.Invitee.GivenName,
			&m.Invitee.FamilyName, &created, &updated, &m.Version}, udest...)
		if err := rows.Scan(append(dest, rdest...)...); err != nil {
			return t.fail(err)
		}
		if known, ok := seen[role.ID]; ok {
			role = known
		} else if err := finishRole(); err != nil {
			return err
		} else {
			seen[role.ID] = role
		}
		if cur != nil && cur.TenantID == m.TenantID && cur.UserID == m.UserID {
			cur.Roles = append(cur.Roles, role)
			continue
		}
		if cur != nil {
			if err := fn(cur); err != nil {
				return err
			}
		}
		finishUser()
		m.CreatedAt, m.UpdatedAt, m.User, m.Roles = fromMicros(created), fromMicros(updated), u, []*roster.Role{role}
		cur = &m
	}
	if err := rows.Err(); err != nil {
		return t.fail(err)
	}
	if cur != nil {
		return fn(cur)
	}
	return nil
}

func (t *tx) SetMembershipRoles(ctx context.Context, m *roster.Membership) error {
	err := t.execOne(ctx, errStale, `UPDATE memberships SET updated_at = $1, version = version + 1
		WHERE tenant_id = $2 AND user_id = $3 AND version = $4`, micros(m.UpdatedAt), m.TenantID, m.UserID, m.Version)
	if err != nil {
		return err
	}
	m.Version++
	if _, err := t.exec(ctx, `DELETE FROM membership_roles WHERE tenant_id = $1 AND user_id = $2`, m.TenantID, m.UserID); err != nil {
		return err
	}
	return t.insertMembershipRoles(ctx, m)
}

func (t *tx) ActivateMembership(ctx context.Context, m *roster.Membership) error {
	err := t.execOne(ctx, errStale, `UPDATE memberships SET status = 'active', invited_email = '', invited_given_name = '',
		invited_family_name = '', updated_at = $1, version = version + 1
		WHERE tenant_id = $2 AND user_id = $3 AND version = $4`, micros(m.UpdatedAt), m.TenantID, m.UserID, m.Version)
	if err != nil {
		return err
	}
	m.Version++
	m.Status, m.Invitee = roster.MemberActive, roster.Invitee{}
	return nil
}

func (t *tx) DeleteMembership(ctx context.Context, tenantID, userID string) error {
	return t.execOne(ctx, errMemberNotFound, `DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
}

func (t *tx) CountMembersWithRole(ctx context.Context, tenantID, roleID string, activeOnly bool) (int, error) {
	var n int
	err := t.queryRow(ctx, nil, `SELECT COUNT(*) FROM membership_roles mr
		JOIN memberships m ON m.tenant_id = mr.tenant_id AND m.user_id = mr.user_id
		JOIN users u ON u.id = mr.user_id
		WHERE mr.tenant_id = $1 AND mr.role_id = $2 AND (u.active = TRUE AND m.status = 'active' OR $3 = FALSE)`,
		[]any{tenantID, roleID, activeOnly}, &n)
	return n, err
}

func (t *tx) TenantsWhereSoleHolder(ctx context.Context, userID, roleName string) ([]string, error) {
	return queryAll(ctx, t, scanString, `SELECT mr.tenant_id FROM membership_roles mr
		JOIN memberships m ON m.tenant_id = mr.tenant_id AND m.user_id = mr.user_id
		JOIN roles r ON r.tenant_id = mr.tenant_id AND r.id = mr.role_id
		WHERE mr.user_id = $1 AND r.name = $2 AND r.builtin = TRUE AND m.status = 'active'
		AND NOT EXISTS (SELECT 1 FROM membership_roles o
			JOIN memberships om ON om.tenant_id = o.tenant_id AND om.user_id = o.user_id
			JOIN users ou ON ou.id = o.user_id
			WHERE o.tenant_id = mr.tenant_id AND o.role_id = mr.role_id AND o.user_id <> mr.user_id
			AND ou.active = TRUE AND om.status = 'active')
		ORDER BY mr.tenant_id`, userID, roleName)
}

func scanString(row scanner) (string, error) {
	var v string
	err := row.Scan(&v)
	return v, err
}
