package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// Login throttling. Failed password checks are counted in the database under three keys, so
// every replica sees the same counts and a restart forgets nothing:
//
//   - the login name as typed (whether or not such a user exists) with the client address:
//     after pairThreshold failures that pair is locked;
//   - the client address, whatever the names (credential stuffing): after addrThreshold;
//   - the login name from any address: after acctThreshold, but only for addresses that have
//     failed for that name themselves, so the real user still logs in from a clean address.
//
// Each further failure doubles the lock, from Config.LoginLock up to throttleMax, and failures are
// forgotten throttleForget after the last one. While a key is locked, the right password gets
// the same 429 as a wrong one. Every lock, and every unlock, is an audit event.
const (
	pairThreshold  = 5
	addrThreshold  = 50
	acctThreshold  = 20
	throttleMax    = time.Hour
	throttleForget = time.Hour
)

type throttleKeys struct {
	pair, addr, acct string
}

func keysFor(ctx context.Context, login string) throttleKeys {
	name := strings.ToLower(strings.TrimSpace(login))
	addr := roster.RequestInfoFromContext(ctx).ClientAddr
	return throttleKeys{pair: "pair:" + addr + "|" + name, addr: "addr:" + addr, acct: "acct:" + name}
}

// lockFor is how long a key with this many failures over its threshold stays locked.
func lockFor(base time.Duration, over int64) time.Duration {
	d := base
	for i := int64(0); i < over && d < throttleMax; i++ {
		d *= 2
	}
	return min(d, throttleMax)
}

// checkThrottle returns ERateLimited while any key that applies to this attempt is locked,
// and records the unlock of keys whose lock has run out. It reports how many failures this
// name has from this address, so that a success with none need not write.
func (s *Service) checkThrottle(ctx context.Context, k throttleKeys, userID string) (int64, error) {
	var pair, addr, acct roster.Throttle
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		if pair, err = tx.FindThrottle(ctx, k.pair); err != nil {
			return err
		}
		if addr, err = tx.FindThrottle(ctx, k.addr); err != nil {
			return err
		}
		acct, err = tx.FindThrottle(ctx, k.acct)
		return err
	})
	if err != nil {
		return 0, err
	}
	t := now()
	applies := map[string]roster.Throttle{k.pair: pair, k.addr: addr}
	if pair.Failures > 0 {
		applies[k.acct] = acct
	}
	var until time.Time
	var expired []string
	for key, th := range applies {
		switch {
		case th.LockedUntil.After(t):
			until = maxTime(until, th.LockedUntil)
		case !th.LockedUntil.IsZero():
			expired = append(expired, key)
		}
	}
	if len(expired) > 0 {
		err := s.store.Write(ctx, func(tx roster.Tx) error {
			for _, key := range expired {
				if err := tx.SetLock(ctx, key, time.Time{}); err != nil {
					return err
				}
				if err := audit(ctx, tx, event{action: "auth.unlocked", targetKind: targetUser, targetID: userID}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	if until.IsZero() {
		return pair.Failures, nil
	}
	wait := until.Sub(t).Round(time.Second) + time.Second
	return pair.Failures, &roster.Error{Code: roster.ERateLimited, RetryAfter: wait,
		Message: fmt.Sprintf("Too many failed logins; try again in %d seconds.", int(wait.Seconds()))}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// recordFailure counts a failed password check under every key, locking those past their
// threshold.
func recordFailure(ctx context.Context, tx roster.Tx, k throttleKeys, userID string, base time.Duration) error {
	t := now()
	for key, threshold := range map[string]int64{k.pair: pairThreshold, k.addr: addrThreshold, k.acct: acctThreshold} {
		th, err := tx.RecordFailure(ctx, key, t, t.Add(-throttleForget))
		if err != nil {
			return err
		}
		if th.Failures < threshold || th.LockedUntil.After(t) {
			continue
		}
		if err := tx.SetLock(ctx, key, t.Add(lockFor(base, th.Failures-threshold))); err != nil {
			return err
		}
		if err := audit(ctx, tx, event{action: "auth.locked", targetKind: targetUser, targetID: userID}); err != nil {
			return err
		}
	}
	return nil
}

// clearFailures forgets the failures of this name from this address, after a success.
func (s *Service) clearFailures(ctx context.Context, k throttleKeys) error {
	return s.store.Write(ctx, func(tx roster.Tx) error { return tx.ClearThrottle(ctx, k.pair) })
}
