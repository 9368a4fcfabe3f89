package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

var errTokenNotFound = roster.Errorf(roster.ENotFound, "API token not found.")

const tokenColumns = `k.id, k.user_id, k.name, k.token_hash, k.hint, k.created_at, k.expires_at, k.last_used_at, k.public_id`

func tokenDest() (*roster.APIToken, []any, func()) {
	var k roster.APIToken
	var created int64
	var expires, lastUsed sql.NullInt64
	var publicID sql.NullString
	dest := []any{&k.ID, &k.UserID, &k.Name, &k.TokenHash, &k.Hint, &created, &expires, &lastUsed, &publicID}
	return &k, dest, func() {
		k.CreatedAt, k.ExpiresAt, k.LastUsedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(lastUsed)
		k.PublicID = publicID.String
	}
}

func scanToken(row scanner) (*roster.APIToken, error) {
	k, dest, finish := tokenDest()
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return k, nil
}

func (t *tx) CreateAPIToken(ctx context.Context, k *roster.APIToken) error {
	publicID := sql.NullString{String: k.PublicID, Valid: k.PublicID != ""}
	res, err := t.exec(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at, expires_at, public_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		k.ID, k.UserID, k.Name, k.TokenHash, k.Hint, micros(k.CreatedAt), nullMicros(k.ExpiresAt), publicID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &roster.Error{Code: roster.EConflict, Message: fmt.Sprintf("You already have an API token named %q.", k.Name),
			Fields: []roster.FieldError{{Pointer: "/name", Detail: "is already taken"}}}
	}
	return nil
}

func (t *tx) FindAPITokenByHash(ctx context.Context, hash string) (*roster.APIToken, *roster.User, error) {
	k, kdest, finishToken := tokenDest()
	u, udest, finishUser := userDest()
	err := t.queryRow(ctx, errTokenNotFound, `SELECT `+tokenColumns+`, `+userColumnsOf("u")+`
		FROM api_tokens k JOIN users u ON u.id = k.user_id
		WHERE k.token_hash = $1`, []any{hash}, append(kdest, udest...)...)
	if err != nil {
		return nil, nil, err
	}
	finishToken()
	finishUser()
	return k, u, nil
}

func (t *tx) ListAPITokens(ctx context.Context, userID string) ([]*roster.APIToken, error) {
	return queryAll(ctx, t, scanToken, `SELECT `+tokenColumns+` FROM api_tokens k WHERE k.user_id = $1 ORDER BY k.id`, userID)
}

func (t *tx) DeleteAPIToken(ctx context.Context, userID, id string) error {
	return t.execOne(ctx, errTokenNotFound, `DELETE FROM api_tokens WHERE user_id = $1 AND (id = $2 OR public_id = $2)`, userID, id)
}

func (t *tx) DeleteUserAPITokens(ctx context.Context, userID string) error {
	_, err := t.exec(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, userID)
	return err
}

func (t *tx) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, micros(at), id)
	return err
}
