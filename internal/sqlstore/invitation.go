package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/rosterhq/roster"
)

var errInvitationNotFound = roster.Errorf(roster.ENotFound, "Invitation not found.")

const invitationColumns = `id, tenant_id, email, given_name, family_name, locale, user_id, status, inviter_kind,
	inviter_id, inviter_user_id, inviter_name, mail_id, expires_at, created_at, updated_at, closed_at, version`

func scanInvitation(row scanner) (*roster.Invitation, error) {
	var inv roster.Invitation
	var userID sql.NullString
	var expires, created, updated int64
	var closed sql.NullInt64
	if err := row.Scan(&inv.ID, &inv.TenantID, &inv.Email, &inv.GivenName, &inv.FamilyName, &inv.Locale, &userID,
		&inv.Status, &inv.InvitedBy.Kind, &inv.InvitedBy.ID, &inv.InvitedBy.UserID, &inv.InviterName, &inv.MailID,
		&expires, &created, &updated, &closed, &inv.Version); err != nil {
		return nil, err
	}
	inv.UserID = userID.String
	inv.ExpiresAt, inv.CreatedAt, inv.UpdatedAt, inv.ClosedAt = fromMicros(expires), fromMicros(created), fromMicros(updated), fromNullMicros(closed)
	return &inv, nil
}

func (t *tx) CreateInvitation(ctx context.Context, inv *roster.Invitation) error {
	res, err := t.exec(ctx, `INSERT INTO invitations (id, tenant_id, email, email_key, given_name, family_name, locale,
		user_id, status, inviter_kind, inviter_id, inviter_user_id, inviter_name, mail_id, expires_at, created_at,
		updated_at, closed_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) ON CONFLICT DO NOTHING`,
		inv.ID, inv.TenantID, inv.Email, FoldKey(inv.Email), inv.GivenName, inv.FamilyName, inv.Locale,
		nullString(inv.UserID), inv.Status, inv.InvitedBy.Kind, inv.InvitedBy.ID, inv.InvitedBy.UserID, inv.InviterName,
		inv.MailID, micros(inv.ExpiresAt), micros(inv.CreatedAt), micros(inv.UpdatedAt), nullMicros(inv.ClosedAt), inv.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &roster.Error{Code: roster.EConflict, Message: "This tenant has a pending invitation for this address; send it again instead.",
			Fields: []roster.FieldError{{Pointer: "/email", Detail: "has a pending invitation"}}}
	}
	if len(inv.Roles) == 0 {
		return nil
	}
	var a args
	q := `INSERT INTO invitation_roles (tenant_id, invitation_id, role_id) VALUES `
	for i, r := range inv.Roles {
		if i > 0 {
			q += ", "
		}
		q += "(" + a.add(inv.TenantID) + ", " + a.add(inv.ID) + ", " + a.add(r.ID) + ")"
	}
	_, err = t.exec(ctx, q, a...)
	return err
}

// invitations runs a query selecting invitation rows of one tenant and fills in their roles
// with a second query.
func (t *tx) invitations(ctx context.Context, q string, qargs ...any) ([]*roster.Invitation, error) {
	out, err := queryAll(ctx, t, scanInvitation, q, qargs...)
	if err != nil || len(out) == 0 {
		return out, err
	}
	var a args
	tenant := a.add(out[0].TenantID)
	byID := make(map[string]*roster.Invitation, len(out))
	var ids []string
	// The list is padded to a power of two with its last id, so that few query texts exist
	// (the statement cache keeps each text).
	for n := 1; ; n *= 2 {
		if n >= len(out) {
			for i := range n {
				inv := out[min(i, len(out)-1)]
				ids = append(ids, a.add(inv.ID))
				byID[inv.ID] = inv
			}
			break
		}
	}
	rq := `SELECT ir.invitation_id, ` + roleColumnsOf("r") + ` FROM invitation_roles ir
		JOIN roles r ON r.tenant_id = ir.tenant_id AND r.id = ir.role_id
		WHERE ir.tenant_id = ` + tenant + ` AND ir.invitation_id IN (` + strings.Join(ids, ", ") + `)
		ORDER BY ir.invitation_id, r.name`
	rows, err := t.query(ctx, rq, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		role, dest, finish := roleDest()
		if err := rows.Scan(append([]any{&id}, dest...)...); err != nil {
			return nil, t.fail(err)
		}
		if err := finish(); err != nil {
			return nil, err
		}
		if inv := byID[id]; inv != nil {
			inv.Roles = append(inv.Roles, role)
		}
	}
	return out, t.fail(rows.Err())
}

func (t *tx) oneInvitation(ctx context.Context, q string, qargs ...any) (*roster.Invitation, error) {
	found, err := t.invitations(ctx, q, qargs...)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, errInvitationNotFound
	}
	return found[0], nil
}

func (t *tx) FindInvitation(ctx context.Context, tenantID, id string) (*roster.Invitation, error) {
	return t.oneInvitation(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

func (t *tx) FindInvitationForLink(ctx context.Context, id string) (*roster.Invitation, error) {
	return t.oneInvitation(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE id = $1`, id)
}

func (t *tx) FindPendingInvitation(ctx context.Context, tenantID, email string) (*roster.Invitation, error) {
	return t.oneInvitation(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE tenant_id = $1 AND email_key = $2 AND status = 'pending'`, tenantID, FoldKey(email))
}

func (t *tx) FindPendingInvitationForUser(ctx context.Context, tenantID, userID string) (*roster.Invitation, error) {
	return t.oneInvitation(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE tenant_id = $1 AND user_id = $2 AND status = 'pending' ORDER BY id LIMIT 1`, tenantID, userID)
}

func (t *tx) ListInvitations(ctx context.Context, f roster.InvitationFilter) ([]*roster.Invitation, error) {
	var a args
	q := `SELECT ` + invitationColumns + ` FROM invitations WHERE tenant_id = ` + a.add(f.TenantID) + ` AND id > ` + a.add(f.After)
	switch f.Status {
	case "":
	case roster.InvitationPending:
		q += ` AND status = 'pending' AND expires_at > ` + a.add(micros(f.Now))
	case roster.InvitationExpired: // past its expiry, or replaced by a newer one after it
		q += ` AND (status = 'expired' OR status = 'pending' AND expires_at <= ` + a.add(micros(f.Now)) + `)`
	default:
		q += ` AND status = ` + a.add(f.Status)
	}
	q += ` ORDER BY id LIMIT ` + a.add(f.Limit)
	return t.invitations(ctx, q, a...)
}

func (t *tx) UpdateInvitation(ctx context.Context, inv *roster.Invitation) error {
	err := t.execOne(ctx, errStale, `UPDATE invitations SET status = $1, user_id = $2, mail_id = $3, expires_at = $4,
		updated_at = $5, closed_at = $6, version = version + 1
		WHERE tenant_id = $7 AND id = $8 AND version = $9`,
		inv.Status, nullString(inv.UserID), inv.MailID, micros(inv.ExpiresAt), micros(inv.UpdatedAt), nullMicros(inv.ClosedAt),
		inv.TenantID, inv.ID, inv.Version)
	if err != nil {
		return err
	}
	inv.Version++
	return nil
}

func (t *tx) CountPendingInvitationsWithRole(ctx context.Context, tenantID, roleID string) (int, error) {
	var n int
	err := t.queryRow(ctx, nil, `SELECT COUNT(*) FROM invitation_roles ir
		JOIN invitations i ON i.tenant_id = ir.tenant_id AND i.id = ir.invitation_id
		WHERE ir.tenant_id = $1 AND ir.role_id = $2 AND i.status = 'pending'`, []any{tenantID, roleID}, &n)
	return n, err
}
