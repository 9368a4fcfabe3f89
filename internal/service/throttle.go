package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

// Login throttling. Password checks are counted in the database under three keys, so every
// replica sees the same counts and a restart forgets nothing. A key's subject is the account
// when the login names one (by email or username, in any spelling that folds to it), else a
// digest of the folded name; never the name as typed.
//
//   - pair, the subject from the client address: pairThreshold attempts lock it. Each attempt is
//     counted before its password is hashed, by one conditional write that refuses while the
//     key is locked, so racing attempts are counted one after the other and at most
//     pairThreshold of them are ever checked. A right password takes the pair's record back in
//     the transaction that starts the session (or sets the new password).
//   - addr, the client address whatever the names (credential stuffing): addrThreshold failures
//     lock it.
//   - acct, the subject from any address: acctThreshold failures lock it, but only for
//     addresses that have failed for that subject themselves, so the real user still logs in
//     from a clean address.
//
// Each further failure doubles a lock, from Config.LoginLock up to throttleMax, and failures are
// forgotten throttleForget after the last one. While a key is locked, the right password gets
// the same 429 as a wrong one, and the refused attempt is audited as auth.throttled. Every lock
// (auth.locked) and unlock (auth.unlocked) is audited too.
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

// keysFor returns the keys of an attempt on subject (see throttleSubject) from the client.
func keysFor(ctx context.Context, subject string) throttleKeys {
	addr := roster.RequestInfoFromContext(ctx).ClientAddr
	return throttleKeys{pair: "pair:" + addr + "|" + subject, addr: "addr:" + addr, acct: "acct:" + subject}
}

// throttleSubject names what a login's attempts count against: the account once it is known,
// so that its email, its username and every spelling of them share one count; else the
// folded login name, as a digest (people type passwords into the name field).
func throttleSubject(u *roster.User, folded string) string {
	if u != nil {
		return u.ID
	}
	sum := sha256.Sum256([]byte(folded))
	return "name:" + hex.EncodeToString(sum[:16])
}

// lockFor is how long a key with this many failures over its threshold stays locked.
func lockFor(base time.Duration, over int64) time.Duration {
	d := base
	for i := int64(0); i < over && d < throttleMax; i++ {
		d *= 2
	}
	return min(d, throttleMax)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// attempt is a password check under way: it holds the pair count taken for it up front.
type attempt struct {
	keys   throttleKeys
	userID string
	// locked is set when this attempt's count locked the pair; the lock is audited if the
	// attempt fails (a success takes it back).
	locked bool
	// rehash, set after a successful check, is a new hash of the password to store with the
	// attempt's settlement.
	rehash string
}

// reserve counts an attempt on userID's (or an unknown name's) keys before its password is
// checked, or refuses it with ERateLimited while a key that applies is locked; a refusal is
// audited. Expired locks it passes are lifted and audited.
func (s *Service) reserve(ctx context.Context, k throttleKeys, userID string) (*attempt, error) {
	var att *attempt
	var refused error
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		att, refused = nil, nil
		t := now()
		until, err := s.checkLocks(ctx, tx, k, userID, t)
		if err != nil {
			return err
		}
		if until.IsZero() {
			th, ok, err := tx.ReserveAttempt(ctx, k.pair, t, t.Add(-throttleForget))
			if err != nil {
				return err
			}
			if ok {
				att = &attempt{keys: k, userID: userID}
				return s.afterReserve(ctx, tx, att, th, t)
			}
			until = th.LockedUntil
		}
		wait := max(until.Sub(t).Round(time.Second), 0) + time.Second
		refused = &roster.Error{Code: roster.ERateLimited, RetryAfter: wait,
			Message: fmt.Sprintf("Too many failed logins; try again in %d seconds.", int(wait.Seconds()))}
		return audit(ctx, tx, event{action: "auth.throttled", targetKind: targetUser, targetID: userID, outcome: roster.OutcomeFailure})
	})
	if err != nil {
		return nil, err
	}
	return att, refused
}

// checkLocks returns until when the address key, or the subject key for an address that has
// failed for this subject, is locked (zero: neither is), lifting locks that have run out.
func (s *Service) checkLocks(ctx context.Context, tx roster.Tx, k throttleKeys, userID string, t time.Time) (time.Time, error) {
	pair, err := tx.FindThrottle(ctx, k.pair)
	if err != nil {
		return time.Time{}, err
	}
	keys := []string{k.addr}
	if pair.Failures > 0 && !pair.LastFailure.Before(t.Add(-throttleForget)) {
		keys = append(keys, k.acct)
	}
	var until time.Time
	for _, key := range keys {
		th, err := tx.FindThrottle(ctx, key)
		if err != nil {
			return time.Time{}, err
		}
		switch {
		case th.LockedUntil.After(t):
			until = maxTime(until, th.LockedUntil)
		case !th.LockedUntil.IsZero():
			if err := s.unlock(ctx, tx, key, userID); err != nil {
				return time.Time{}, err
			}
		}
	}
	return until, nil
}

// afterReserve locks the pair when this attempt's count reaches the threshold (so that racing
// attempts are refused while it is checked), or lifts a lock that has run out.
func (s *Service) afterReserve(ctx context.Context, tx roster.Tx, att *attempt, th roster.Throttle, t time.Time) error {
	expired := !th.LockedUntil.IsZero()
	if expired {
		if err := audit(ctx, tx, event{action: "auth.unlocked", targetKind: targetUser, targetID: att.userID}); err != nil {
			return err
		}
	}
	if th.Failures >= pairThreshold {
		att.locked = true
		return tx.SetLock(ctx, att.keys.pair, t.Add(lockFor(s.cfg.LoginLock, th.Failures-pairThreshold)))
	}
	if expired {
		return tx.SetLock(ctx, att.keys.pair, time.Time{})
	}
	return nil
}

func (s *Service) unlock(ctx context.Context, tx roster.Tx, key, userID string) error {
	if err := tx.SetLock(ctx, key, time.Time{}); err != nil {
		return err
	}
	return audit(ctx, tx, event{action: "auth.unlocked", targetKind: targetUser, targetID: userID})
}

// failed records that the attempt's password was wrong: the audit event, the failure of the
// address and of the subject (locking those past their thresholds), and the pair's lock if this
// attempt's count set it. The pair itself counted the failure when the attempt was reserved.
// It returns errBadLogin.
func (s *Service) failed(ctx context.Context, att *attempt) error {
	err := s.store.Write(ctx, func(tx roster.Tx) error {
		if err := audit(ctx, tx, event{action: "auth.login", targetKind: targetUser, targetID: att.userID, outcome: roster.OutcomeFailure}); err != nil {
			return err
		}
		if att.locked {
			if err := audit(ctx, tx, event{action: "auth.locked", targetKind: targetUser, targetID: att.userID}); err != nil {
				return err
			}
		}
		t := now()
		for _, key := range []struct {
			name      string
			threshold int64
		}{{att.keys.addr, addrThreshold}, {att.keys.acct, acctThreshold}} {
			th, err := tx.RecordFailure(ctx, key.name, t, t.Add(-throttleForget))
			if err != nil {
				return err
			}
			if th.Failures < key.threshold || th.LockedUntil.After(t) {
				continue
			}
			if err := tx.SetLock(ctx, key.name, t.Add(lockFor(s.cfg.LoginLock, th.Failures-key.threshold))); err != nil {
				return err
			}
			if err := audit(ctx, tx, event{action: "auth.locked", targetKind: targetUser, targetID: att.userID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errBadLogin
}

// settle takes a successful attempt's count back inside the transaction that acts on the
// check (starting the session, setting the password), and stores the upgraded hash if there
// is one. u must be the user as read in tx.
func (att *attempt) settle(ctx context.Context, tx roster.Tx, u *roster.User) error {
	if att.rehash != "" {
		if err := tx.ReplacePasswordHash(ctx, u.ID, u.PasswordHash, att.rehash); err != nil {
			return err
		}
		u.PasswordHash = att.rehash
	}
	return tx.ClearThrottle(ctx, att.keys.pair)
}

// forget takes a successful attempt's count back on its own, for a caller whose transaction
// failed for a reason of its own (a stale If-Match, say).
func (s *Service) forget(ctx context.Context, att *attempt) {
	err := s.store.Write(ctx, func(tx roster.Tx) error { return tx.ClearThrottle(ctx, att.keys.pair) })
	if err != nil {
		s.log.WarnContext(ctx, "could not take back a login attempt", "error", err)
	}
}
