package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/rosterhq/roster"
)

var errSessionNotFound = roster.Errorf(roster.ENotFound, "Session not found.")

const sessionColumns = `s.id, s.user_id, s.token_hash, s.created_at, s.expires_at, s.client_addr, s.user_agent, s.last_used_at`

// sessionDest returns the scan destinations for sessionColumns and a function that finishes it.
func sessionDest() (*roster.Session, []any, func()) {
	var s roster.Session
	var created, expires int64
	var lastUsed sql.NullInt64
	dest := []any{&s.ID, &s.UserID, &s.TokenHash, &created, &expires, &s.ClientAddr, &s.UserAgent, &lastUsed}
	return &s, dest, func() {
		s.CreatedAt, s.ExpiresAt, s.LastUsedAt = fromMicros(created), fromMicros(expires), fromNullMicros(lastUsed)
	}
}

func scanSession(row scanner) (*roster.Session, error) {
	s, dest, finish := sessionDest()
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return s, nil
}

func (t *tx) CreateSession(ctx context.Context, s *roster.Session) error {
	_, err := t.exec(ctx, `INSERT INTO sessions (id, user_id, token_hash, created_at, expires_at, client_addr, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.ID, s.UserID, s.TokenHash, micros(s.CreatedAt), micros(s.ExpiresAt), s.ClientAddr, s.UserAgent)
	return err
}

func (t *tx) FindSessionByTokenHash(ctx context.Context, hash string) (*roster.Session, *roster.User, error) {
	s, sdest, finishSession := sessionDest()
	u, udest, finishUser := userDest()
	err := t.queryRow(ctx, errSessionNotFound, `SELECT `+sessionColumns+`, `+userColumnsOf("u")+`
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1`, []any{hash}, append(sdest, udest...)...)
	if err != nil {
		return nil, nil, err
	}
	finishSession()
	finishUser()
	return s, u, nil
}

func (t *tx) ListUserSessions(ctx context.Context, userID string, now time.Time) ([]*roster.Session, error) {
	return queryAll(ctx, t, scanSession, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = $1 AND s.expires_at > $2 ORDER BY s.id DESC`, userID, micros(now))
}

func (t *tx) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE sessions SET last_used_at = $1 WHERE id = $2`, micros(at), id)
	return err
}

func (t *tx) DeleteSession(ctx context.Context, id string) error {
	return t.execOne(ctx, errSessionNotFound, `DELETE FROM sessions WHERE id = $1`, id)
}

func (t *tx) DeleteUserSessions(ctx context.Context, userID, keepID string) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepID)
	return err
}

func (t *tx) DeleteExpiredSessions(ctx context.Context, userID string, now time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2`, userID, micros(now))
	return err
}
