package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/rosterhq/roster"
)

var errLinkNotFound = roster.Errorf(roster.ENotFound, "Link not found.")

func (t *tx) CreateLinkToken(ctx context.Context, lt *roster.LinkToken) error {
	_, err := t.exec(ctx, `INSERT INTO link_tokens (token_hash, purpose, subject_id, email, outbox_id, created_at, expires_at, used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, lt.TokenHash, lt.Purpose, lt.SubjectID, lt.Email, lt.OutboxID,
		micros(lt.CreatedAt), micros(lt.ExpiresAt), nullMicros(lt.UsedAt))
	return err
}

func (t *tx) FindLinkToken(ctx context.Context, hash string) (*roster.LinkToken, error) {
	var lt roster.LinkToken
	var created, expires int64
	var used sql.NullInt64
	if err := t.queryRow(ctx, errLinkNotFound, `SELECT token_hash, purpose, subject_id, email, outbox_id, created_at, expires_at, used_at
		FROM link_tokens WHERE token_hash = $1`, []any{hash},
		&lt.TokenHash, &lt.Purpose, &lt.SubjectID, &lt.Email, &lt.OutboxID, &created, &expires, &used); err != nil {
		return nil, err
	}
	lt.CreatedAt, lt.ExpiresAt, lt.UsedAt = fromMicros(created), fromMicros(expires), fromNullMicros(used)
	return &lt, nil
}

func (t *tx) UseLinkTokens(ctx context.Context, hash, subjectID, purpose string, at time.Time) (bool, error) {
	// The token itself first: of two racing uses, the second waits for the first's row lock
	// and then finds it used.
	res, err := t.exec(ctx, `UPDATE link_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL`, micros(at), hash)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	_, err = t.exec(ctx, `UPDATE link_tokens SET used_at = $1 WHERE subject_id = $2 AND purpose = $3 AND used_at IS NULL`,
		micros(at), subjectID, purpose)
	return err == nil, err
}

func (t *tx) DeleteExpiredLinkTokens(ctx context.Context, subjectID string, now time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM link_tokens WHERE subject_id = $1 AND expires_at < $2`, subjectID, micros(now))
	return err
}

func (t *tx) RevokeLinkTokens(ctx context.Context, subjectID, purpose string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE link_tokens SET used_at = $1 WHERE subject_id = $2 AND purpose = $3 AND used_at IS NULL`,
		micros(at), subjectID, purpose)
	return err
}
