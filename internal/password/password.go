// Package password hashes and verifies passwords with argon2id, stored as PHC strings.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/rosterhq/roster"
)

// Params are argon2id's cost parameters. The defaults are OWASP's minimum recommendation
// (19 MiB, two passes, one lane).
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams are the parameters new hashes use.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// ErrMalformedHash is returned for a stored hash that is not an argon2id PHC string.
var ErrMalformedHash = errors.New("password: malformed argon2id hash")

// ErrBusy is returned when too many hashes are already queued, or one waited too long.
var ErrBusy = &roster.Error{Code: roster.EUnavailable, Message: "The server is busy checking passwords; retry in a few seconds."}

// Queue bounds: a hash waits at most maxWait for a slot, and at most maxWaitingPerCPU hashes
// per CPU wait at all; past that callers get ErrBusy at once instead of piling up.
const (
	maxWait          = 10 * time.Second
	maxWaitingPerCPU = 256
)

// Hasher hashes and verifies passwords. Each hash holds MemoryKiB of memory for tens of
// milliseconds, so a Hasher runs at most one per CPU at a time and makes a bounded number of
// others wait, instead of letting a login storm exhaust memory.
type Hasher struct {
	params     Params
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
	dummy      string
	// OnWait, when set before use, hears how long each hash that had to wait waited.
	OnWait func(time.Duration)
}

// NewHasher returns a Hasher using params for new hashes.
func NewHasher(params Params) *Hasher {
	n := runtime.GOMAXPROCS(0)
	h := &Hasher{params: params, slots: make(chan struct{}, n), maxWaiting: int64(n * maxWaitingPerCPU)}
	h.dummy = h.encode(make([]byte, saltLen), make([]byte, keyLen))
	return h
}

// Waiting returns how many hashes are queued for a slot.
func (h *Hasher) Waiting() int64 { return h.waiting.Load() }

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	if h.waiting.Add(1) > h.maxWaiting {
		h.waiting.Add(-1)
		return ErrBusy
	}
	defer h.waiting.Add(-1)
	start := time.Now()
	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		if h.OnWait != nil {
			h.OnWait(time.Since(start))
		}
		return nil
	case <-timer.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of password under the Hasher's parameters.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(Normalize(password)), salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, keyLen)
	return h.encode(salt, key), nil
}

func (h *Hasher) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches the PHC string encoded. An empty encoded (a user
// without a password) never matches, but costs the same work as a real comparison.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	if encoded == "" {
		_, err := h.Verify(ctx, password, h.dummy)
		return false, err
	}
	if isBcrypt(encoded) { // imported from another system; replaced at the next login
		if err := h.acquire(ctx); err != nil {
			return false, err
		}
		defer h.release()
		return bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)) == nil, nil
	}
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(Normalize(password)), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) == 1 {
		return true, nil
	}
	if n := Normalize(password); n != password { // an imported hash may be of the raw form
		raw := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
		return subtle.ConstantTimeCompare(raw, key) == 1, nil
	}
	return false, nil
}

// Costs accepted in imported hashes: enough for any sane system, never a denial of service.
const (
	minBcryptCost = 4
	maxBcryptCost = 14
)

func isBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") || strings.HasPrefix(encoded, "$2y$")
}

// CheckImported returns nil when encoded is a hash Roster can verify: an argon2id PHC string
// or a bcrypt hash, with cost parameters within bounds.
func CheckImported(encoded string) error {
	if isBcrypt(encoded) {
		cost, err := bcrypt.Cost([]byte(encoded))
		if err != nil || cost < minBcryptCost || cost > maxBcryptCost {
			return fmt.Errorf("a bcrypt hash with a cost from %d to %d", minBcryptCost, maxBcryptCost)
		}
		return nil
	}
	if _, _, _, err := decode(encoded); err != nil {
		return errors.New("an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$key) or a bcrypt hash ($2b$…)")
	}
	return nil
}

// NeedsRehash reports whether a stored hash was made with other parameters than the Hasher's
// (or another algorithm), so that it should be replaced at the next successful login.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p != h.params
}

// Waste spends the work of one verification, so that a login for an unknown user takes as long
// as one for a known user.
func (h *Hasher) Waste(ctx context.Context, password string) error {
	_, err := h.Verify(ctx, password, h.dummy)
	return err
}

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	// Refuse parameters that would make one verification a denial of service.
	if p.MemoryKiB < 8 || p.MemoryKiB > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}
