package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

var (
	errServiceAccountNotFound = roster.Errorf(roster.ENotFound, "Service account not found.")
	errKeyNotFound            = roster.Errorf(roster.ENotFound, "Key not found.")
)

func serviceAccountNameTaken(name string) error {
	return &roster.Error{Code: roster.EConflict, Message: fmt.Sprintf("A service account named %q already exists in this tenant.", name),
		Fields: []roster.FieldError{{Pointer: "/name", Detail: "is already taken"}}}
}

func (t *tx) CreateServiceAccount(ctx context.Context, sa *roster.ServiceAccount) error {
	res, err := t.exec(ctx, `INSERT INTO service_accounts (id, tenant_id, name, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		sa.ID, sa.TenantID, sa.Name, micros(sa.CreatedAt), micros(sa.UpdatedAt), sa.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return serviceAccountNameTaken(sa.Name)
	}
	return t.insertServiceAccountRoles(ctx, sa)
}

func (t *tx) insertServiceAccountRoles(ctx context.Context, sa *roster.ServiceAccount) error {
	for _, r := range sa.Roles {
		if _, err := t.exec(ctx, `INSERT INTO service_account_roles (tenant_id, service_account_id, role_id) VALUES ($1, $2, $3)`,
			sa.TenantID, sa.ID, r.ID); err != nil {
			return err
		}
	}
	return nil
}

// serviceAccounts runs inner, a query selecting service-account rows, and returns them with
// their roles (every account holds at least one), ordered by id.
func (t *tx) serviceAccounts(ctx context.Context, inner string, a args) ([]*roster.ServiceAccount, error) {
	rows, err := t.query(ctx, `SELECT sa.id, sa.tenant_id, sa.name, sa.created_at, sa.updated_at, sa.version, `+roleColumnsOf("r")+`
		FROM (`+inner+`) sa
		JOIN service_account_roles sr ON sr.tenant_id = sa.tenant_id AND sr.service_account_id = sa.id
		JOIN roles r ON r.tenant_id = sr.tenant_id AND r.id = sr.role_id
		ORDER BY sa.id, r.name`, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*roster.ServiceAccount
	for rows.Next() {
		var sa roster.ServiceAccount
		var created, updated int64
		role, rdest, finishRole := roleDest()
		if err := rows.Scan(append([]any{&sa.ID, &sa.TenantID, &sa.Name, &created, &updated, &sa.Version}, rdest...)...); err != nil {
			return nil, t.fail(err)
		}
		if err := finishRole(); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == sa.ID {
			out[n-1].Roles = append(out[n-1].Roles, role)
			continue
		}
		sa.CreatedAt, sa.UpdatedAt, sa.Roles = fromMicros(created), fromMicros(updated), []*roster.Role{role}
		out = append(out, &sa)
	}
	return out, t.fail(rows.Err())
}

func (t *tx) FindServiceAccount(ctx context.Context, tenantID, id string) (*roster.ServiceAccount, error) {
	var a args
	found, err := t.serviceAccounts(ctx, `SELECT * FROM service_accounts WHERE tenant_id = `+a.add(tenantID)+` AND id = `+a.add(id), a)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, errServiceAccountNotFound
	}
	return found[0], nil
}

func (t *tx) ListServiceAccounts(ctx context.Context, tenantID string, p roster.Page) ([]*roster.ServiceAccount, error) {
	var a args
	return t.serviceAccounts(ctx, `SELECT * FROM service_accounts WHERE tenant_id = `+a.add(tenantID)+
		` AND id > `+a.add(p.After)+` ORDER BY id LIMIT `+a.add(p.Limit), a)
}

func (t *tx) UpdateServiceAccount(ctx context.Context, sa *roster.ServiceAccount) error {
	var taken int
	if err := t.queryRow(ctx, nil, `SELECT COUNT(*) FROM service_accounts WHERE tenant_id = $1 AND name = $2 AND id <> $3`,
		[]any{sa.TenantID, sa.Name, sa.ID}, &taken); err != nil {
		return err
	}
	if taken > 0 {
		return serviceAccountNameTaken(sa.Name)
	}
	err := t.execOne(ctx, errStale, `UPDATE service_accounts SET name = $1, updated_at = $2, version = version + 1
		WHERE tenant_id = $3 AND id = $4 AND version = $5`, sa.Name, micros(sa.UpdatedAt), sa.TenantID, sa.ID, sa.Version)
	if err != nil {
		return err
	}
	sa.Version++
	if _, err := t.exec(ctx, `DELETE FROM service_account_roles WHERE tenant_id = $1 AND service_account_id = $2`, sa.TenantID, sa.ID); err != nil {
		return err
	}
	return t.insertServiceAccountRoles(ctx, sa)
}

func (t *tx) DeleteServiceAccount(ctx context.Context, tenantID, id string) error {
	return t.execOne(ctx, errServiceAccountNotFound, `DELETE FROM service_accounts WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

func (t *tx) CountServiceAccountsWithRole(ctx context.Context, tenantID, roleID string) (int, error) {
	var n int
	err := t.queryRow(ctx, nil, `SELECT COUNT(*) FROM service_account_roles WHERE tenant_id = $1 AND role_id = $2`,
		[]any{tenantID, roleID}, &n)
	return n, err
}

const keyColumns = `k.id, k.tenant_id, k.service_account_id, k.key_hash, k.hint, k.created_at, k.expires_at, k.last_used_at`

func scanKey(row scanner) (*roster.ServiceAccountKey, error) {
	var k roster.ServiceAccountKey
	var created int64
	var expires, lastUsed sql.NullInt64
	if err := row.Scan(&k.ID, &k.TenantID, &k.ServiceAccountID, &k.KeyHash, &k.Hint, &created, &expires, &lastUsed); err != nil {
		return nil, err
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(lastUsed)
	return &k, nil
}

func (t *tx) CreateKey(ctx context.Context, k *roster.ServiceAccountKey) error {
	_, err := t.exec(ctx, `INSERT INTO service_account_keys (id, tenant_id, service_account_id, key_hash, hint, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.TenantID, k.ServiceAccountID, k.KeyHash, k.Hint, micros(k.CreatedAt), nullMicros(k.ExpiresAt))
	return err
}

func (t *tx) FindKeyByHash(ctx context.Context, hash string) (*roster.ServiceAccountKey, *roster.ServiceAccount, error) {
	keys, err := queryAll(ctx, t, scanKey, `SELECT `+keyColumns+` FROM service_account_keys k WHERE k.key_hash = $1`, hash)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) == 0 {
		return nil, nil, errKeyNotFound
	}
	sa, err := t.FindServiceAccount(ctx, keys[0].TenantID, keys[0].ServiceAccountID)
	if err != nil {
		return nil, nil, err
	}
	return keys[0], sa, nil
}

func (t *tx) ListKeys(ctx context.Context, tenantID, serviceAccountID string) ([]*roster.ServiceAccountKey, error) {
	return queryAll(ctx, t, scanKey, `SELECT `+keyColumns+` FROM service_account_keys k
		WHERE k.tenant_id = $1 AND k.service_account_id = $2 ORDER BY k.id`, tenantID, serviceAccountID)
}

func (t *tx) DeleteKey(ctx context.Context, tenantID, serviceAccountID, id string) error {
	return t.execOne(ctx, errKeyNotFound, `DELETE FROM service_account_keys WHERE tenant_id = $1 AND service_account_id = $2 AND id = $3`,
		tenantID, serviceAccountID, id)
}

func (t *tx) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE service_account_keys SET last_used_at = $1 WHERE id = $2`, micros(at), id)
	return err
}
