package sqlstore

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster"
)

var errTenantNotFound = roster.Errorf(roster.ENotFound, "Tenant not found.")

const tenantColumns = `id, slug, name, created_at, updated_at, version`

func tenantColumnsOf(alias string) string {
	return alias + ".id, " + alias + ".slug, " + alias + ".name, " + alias + ".created_at, " + alias + ".updated_at, " + alias + ".version"
}

func scanTenant(row scanner) (*roster.Tenant, error) {
	var t roster.Tenant
	var created, updated int64
	if err := row.Scan(&t.ID, &t.Slug, &t.Name, &created, &updated, &t.Version); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}

func (t *tx) CreateTenant(ctx context.Context, tn *roster.Tenant) error {
	res, err := t.exec(ctx, `INSERT INTO tenants (`+tenantColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`,
		tn.ID, tn.Slug, tn.Name, micros(tn.CreatedAt), micros(tn.UpdatedAt), tn.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return slugTaken(tn.Slug)
	}
	return nil
}

func slugTaken(slug string) error {
	return &roster.Error{Code: roster.EConflict, Message: fmt.Sprintf("A tenant with slug %q already exists.", slug),
		Fields: []roster.FieldError{{Pointer: "/slug", Detail: "is already taken"}}}
}

func (t *tx) FindTenant(ctx context.Context, ref string) (*roster.Tenant, error) {
	// An id never has the shape of a slug or role name, so at most one row matches.
	found, err := queryAll(ctx, t, scanTenant, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1 OR slug = $1`, ref)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, errTenantNotFound
	}
	return found[0], nil
}

func (t *tx) ListTenants(ctx context.Context, f roster.TenantFilter) ([]*roster.Tenant, error) {
	var a args
	q := `SELECT ` + tenantColumns + ` FROM tenants WHERE id > ` + a.add(f.After)
	if f.MemberUserID != "" {
		q += ` AND id IN (SELECT tenant_id FROM memberships WHERE user_id = ` + a.add(f.MemberUserID) + ` AND status = 'active')`
	}
	if f.Query != "" {
		pattern := a.add(likeContains(FoldKey(f.Query)))
		q += ` AND (slug LIKE ` + pattern + ` ESCAPE '\' OR LOWER(name) LIKE ` + pattern + ` ESCAPE '\')`
	}
	q += ` ORDER BY id LIMIT ` + a.add(f.Limit)
	return queryAll(ctx, t, scanTenant, q, a...)
}

func (t *tx) UpdateTenant(ctx context.Context, tn *roster.Tenant) error {
	var taken int
	if err := t.queryRow(ctx, nil, `SELECT COUNT(*) FROM tenants WHERE slug = $1 AND id <> $2`,
		[]any{tn.Slug, tn.ID}, &taken); err != nil {
		return err
	}
	if taken > 0 {
		return slugTaken(tn.Slug)
	}
	err := t.execOne(ctx, errStale, `UPDATE tenants SET slug = $1, name = $2, updated_at = $3, version = version + 1
		WHERE id = $4 AND version = $5`, tn.Slug, tn.Name, micros(tn.UpdatedAt), tn.ID, tn.Version)
	if err != nil {
		return err
	}
	tn.Version++
	return nil
}

func (t *tx) DeleteTenant(ctx context.Context, id string) error {
	return t.execOne(ctx, errTenantNotFound, `DELETE FROM tenants WHERE id = $1`, id)
}

func (t *tx) LockTenant(ctx context.Context, id string) error {
	// An UPDATE takes the row lock on every database that has row locks, and is a no-op write
	// on SQLite, whose single writer already serializes.
	return t.execOne(ctx, errTenantNotFound, `UPDATE tenants SET version = version WHERE id = $1`, id)
}

// errStale answers an update whose expected version is no longer current.
var errStale = roster.Errorf(roster.EPreconditionFailed,
	"The resource was changed by someone else; fetch it again and retry.")
