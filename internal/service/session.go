package service

import (
	"context"

	"github.com/rosterhq/roster"
)

// ListSessions lists a user's unexpired sessions: one's own, or anyone's for an instance
// administrator.
func (s *Service) ListSessions(ctx context.Context, userID string) ([]*roster.Session, error) {
	if err := s.mayManageCredentials(ctx, userID); err != nil {
		return nil, err
	}
	var out []*roster.Session
	err := s.store.Read(ctx, func(tx roster.Tx) error {
		if _, err := tx.FindUserByID(ctx, userID); err != nil {
			return err
		}
		var err error
		out, err = tx.ListUserSessions(ctx, userID, now())
		return err
	})
	return out, err
}

// RevokeSession ends one session of the user.
func (s *Service) RevokeSession(ctx context.Context, userID, id string) error {
	if err := s.mayManageCredentials(ctx, userID); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx roster.Tx) error {
		sessions, err := tx.ListUserSessions(ctx, userID, now())
		if err != nil {
			return err
		}
		for _, sess := range sessions {
			if sess.ID == id {
				if err := tx.DeleteSession(ctx, id); err != nil {
					return err
				}
				return audit(ctx, tx, event{action: "session.revoked", targetKind: targetSession, targetID: id})
			}
		}
		return roster.Errorf(roster.ENotFound, "Session not found.")
	})
}

// RevokeAllSessions ends every session of the user.
func (s *Service) RevokeAllSessions(ctx context.Context, userID string) error {
	if err := s.mayManageCredentials(ctx, userID); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx roster.Tx) error {
		if _, err := tx.FindUserByID(ctx, userID); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, userID, ""); err != nil {
			return err
		}
		return audit(ctx, tx, event{action: "session.revoked_all", targetKind: targetUser, targetID: userID})
	})
}
