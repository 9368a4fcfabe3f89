package sqlstore

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

func throttleOf(failures, lockedUntil, lastFailure int64) roster.Throttle {
	th := roster.Throttle{Failures: failures, LastFailure: fromMicros(lastFailure)}
	if lockedUntil != 0 {
		th.LockedUntil = fromMicros(lockedUntil)
	}
	return th
}

func (t *tx) FindThrottle(ctx context.Context, key string) (roster.Throttle, error) {
	var failures, locked, last int64
	err := t.queryRow(ctx, errNoThrottle, `SELECT failures, locked_until, last_failure FROM login_throttle WHERE throttle_key = $1`,
		[]any{key}, &failures, &locked, &last)
	if err == errNoThrottle {
		return roster.Throttle{}, nil
	}
	if err != nil {
		return roster.Throttle{}, err
	}
	return throttleOf(failures, locked, last), nil
}

var errNoThrottle = roster.Errorf(roster.ENotFound, "no throttle")

func (t *tx) RecordFailure(ctx context.Context, key string, now, forgetBefore time.Time) (roster.Throttle, error) {
	var failures, locked, last int64
	err := t.queryRow(ctx, nil, `INSERT INTO login_throttle (throttle_key, failures, locked_until, last_failure) VALUES ($1, 1, 0, $2)
		ON CONFLICT (throttle_key) DO UPDATE SET
			failures = CASE WHEN login_throttle.last_failure < $3 THEN 1 ELSE login_throttle.failures + 1 END,
			last_failure = $2
		RETURNING failures, locked_until, last_failure`, []any{key, micros(now), micros(forgetBefore)}, &failures, &locked, &last)
	if err != nil {
		return roster.Throttle{}, err
	}
	return throttleOf(failures, locked, last), nil
}

func (t *tx) SetLock(ctx context.Context, key string, until time.Time) error {
	var v int64
	if !until.IsZero() {
		v = micros(until)
	}
	_, err := t.exec(ctx, `UPDATE login_throttle SET locked_until = $1 WHERE throttle_key = $2`, v, key)
	return err
}

func (t *tx) ClearThrottle(ctx context.Context, key string) error {
	_, err := t.exec(ctx, `DELETE FROM login_throttle WHERE throttle_key = $1`, key)
	return err
}

// ReserveAttempt is one INSERT … ON CONFLICT DO UPDATE … WHERE: the row lock it takes (on
// PostgreSQL) or the single writer (on SQLite) makes racing reservations of one key count one
// after the other, each seeing the lock an earlier one's transaction set.
func (t *tx) ReserveAttempt(ctx context.Context, key string, now, forgetBefore time.Time) (roster.Throttle, bool, error) {
	var failures, locked, last int64
	err := t.queryRow(ctx, errNoThrottle, `INSERT INTO login_throttle (throttle_key, failures, locked_until, last_failure) VALUES ($1, 1, 0, $2)
		ON CONFLICT (throttle_key) DO UPDATE SET
			failures = CASE WHEN login_throttle.last_failure < $3 THEN 1 ELSE login_throttle.failures + 1 END,
			last_failure = $2
		WHERE login_throttle.locked_until <= $2
		RETURNING failures, locked_until, last_failure`, []any{key, micros(now), micros(forgetBefore)}, &failures, &locked, &last)
	if err == errNoThrottle { // locked: the update did not apply
		th, err := t.FindThrottle(ctx, key)
		return th, false, err
	}
	if err != nil {
		return roster.Throttle{}, false, err
	}
	return throttleOf(failures, locked, last), true, nil
}
