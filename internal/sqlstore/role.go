package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rosterhq/roster"
)

var errRoleNotFound = roster.Errorf(roster.ENotFound, "Role not found.")

const roleColumns = `id, tenant_id, name, description, permissions, builtin, created_at, updated_at, version`

func roleColumnsOf(alias string) string {
	return alias + ".id, " + alias + ".tenant_id, " + alias + ".name, " + alias + ".description, " +
		alias + ".permissions, " + alias + ".builtin, " + alias + ".created_at, " + alias + ".updated_at, " +
		alias + ".version"
}

// roleDest returns the scan destinations for roleColumns and a function that finishes the role.
func roleDest() (*roster.Role, []any, func() error) {
	var r roster.Role
	var perms string
	var created, updated int64
	dest := []any{&r.ID, &r.TenantID, &r.Name, &r.Description, &perms, &r.Builtin, &created, &updated, &r.Version}
	return &r, dest, func() error {
		if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
			return fmt.Errorf("role %s: permissions: %w", r.ID, err)
		}
		r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
		return nil
	}
}

func scanRole(row scanner) (*roster.Role, error) {
	r, dest, finish := roleDest()
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return r, finish()
}

func encodePermissions(perms []string) string {
	if perms == nil {
		perms = []string{}
	}
	b, _ := json.Marshal(perms) // a []string always marshals
	return string(b)
}

func roleNameTaken(name string) error {
	return &roster.Error{Code: roster.EConflict, Message: fmt.Sprintf("A role named %q already exists in this tenant.", name),
		Fields: []roster.FieldError{{Pointer: "/name", Detail: "is already taken"}}}
}

func (t *tx) CreateRole(ctx context.Context, r *roster.Role) error {
	res, err := t.exec(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT DO NOTHING`,
		r.ID, r.TenantID, r.Name, r.Description, encodePermissions(r.Permissions), r.Builtin,
		micros(r.CreatedAt), micros(r.UpdatedAt), r.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roleNameTaken(r.Name)
	}
	return nil
}

func (t *tx) FindRole(ctx context.Context, tenantID, ref string) (*roster.Role, error) {
	// An id never has the shape of a slug or role name, so at most one row matches.
	found, err := queryAll(ctx, t, scanRole, `SELECT `+roleColumns+` FROM roles WHERE tenant_id = $1 AND (id = $2 OR name = $2)`, tenantID, ref)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, errRoleNotFound
	}
	return found[0], nil
}

func (t *tx) ListRoles(ctx context.Context, tenantID string, p roster.Page) ([]*roster.Role, error) {
	return queryAll(ctx, t, scanRole, `SELECT `+roleColumns+` FROM roles WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		tenantID, p.After, p.Limit)
}

func (t *tx) UpdateRole(ctx context.Context, r *roster.Role) error {
	var taken int
	if err := t.queryRow(ctx, nil, `SELECT COUNT(*) FROM roles WHERE tenant_id = $1 AND name = $2 AND id <> $3`,
		[]any{r.TenantID, r.Name, r.ID}, &taken); err != nil {
		return err
	}
	if taken > 0 {
		return roleNameTaken(r.Name)
	}
	err := t.execOne(ctx, errStale, `UPDATE roles SET name = $1, description = $2, permissions = $3, updated_at = $4,
		version = version + 1 WHERE tenant_id = $5 AND id = $6 AND version = $7`,
		r.Name, r.Description, encodePermissions(r.Permissions), micros(r.UpdatedAt), r.TenantID, r.ID, r.Version)
	if err != nil {
		return err
	}
	r.Version++
	return nil
}

func (t *tx) DeleteRole(ctx context.Context, tenantID, id string) error {
	return t.execOne(ctx, errRoleNotFound, `DELETE FROM roles WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}
