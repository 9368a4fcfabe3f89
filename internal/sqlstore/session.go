package sqlstore

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

var errSessionNotFound = roster.Errorf(roster.ENotFound, "Session not found.")

func (t *tx) CreateSession(ctx context.Context, s *roster.Session) error {
	_, err := t.exec(ctx, `INSERT INTO sessions (id, user_id, token_hash, created_at, expires_at, client_addr, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.ID, s.UserID, s.TokenHash, micros(s.CreatedAt), micros(s.ExpiresAt), s.ClientAddr, s.UserAgent)
	return err
}

func (t *tx) FindSessionByTokenHash(ctx context.Context, hash string, now time.Time) (*roster.Session, *roster.User, error) {
	var s roster.Session
	var created, expires int64
	u, udest, finish := userDest()
	dest := append([]any{&s.ID, &s.UserID, &s.TokenHash, &created, &expires, &s.ClientAddr, &s.UserAgent}, udest...)
	err := t.queryRow(ctx, errSessionNotFound, `SELECT s.id, s.user_id, s.token_hash, s.created_at, s.expires_at,
		s.client_addr, s.user_agent, `+userColumnsOf("u")+`
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, []any{hash, micros(now)}, dest...)
	if err != nil {
		return nil, nil, err
	}
	finish()
	s.CreatedAt, s.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &s, u, nil
}

func (t *tx) DeleteSession(ctx context.Context, id string) error {
	return t.execOne(ctx, errSessionNotFound, `DELETE FROM sessions WHERE id = $1`, id)
}

func (t *tx) DeleteUserSessions(ctx context.Context, userID, keepID string) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepID)
	return err
}
