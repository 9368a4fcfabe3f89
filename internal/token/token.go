// Package token makes and checks bearer secrets. A secret is a type prefix, 256 random bits in
// base62, and a CRC-32 checksum of both in base62: scanners can recognise a leaked secret by its
// prefix, and a mistyped one is refused before any database read. Only a secret's SHA-256 is
// stored.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"math/big"
	"strings"
)

// Prefixes of the kinds of secret Roster issues: login sessions, personal API tokens, and
// service-account keys (sent as "Bearer sk:…", the form partner portals expect).
const (
	PrefixSession  = "rss_"
	PrefixAPIToken = "rsp_"
	PrefixKey      = "sk:"
	// PrefixLink begins the single-use secrets of emailed links (verify an address, reset a
	// password, accept an invitation).
	PrefixLink = "rsl_"
)

const (
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	randomBytes = 32
	randomLen   = 43 // base62 digits that hold 256 bits
	checksumLen = 6  // base62 digits that hold 32 bits
)

// New returns a fresh secret with the given prefix and its storage hash.
func New(prefix string) (secret, hash string) {
	b := make([]byte, randomBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	body := prefix + base62(new(big.Int).SetBytes(b), randomLen)
	secret = body + base62(big.NewInt(int64(crc32.ChecksumIEEE([]byte(body)))), checksumLen)
	return secret, Hash(secret)
}

// Valid reports whether s is well-formed with the given prefix and its checksum matches.
func Valid(prefix, s string) bool {
	if len(s) != len(prefix)+randomLen+checksumLen || !strings.HasPrefix(s, prefix) {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	body, sum := s[:len(s)-checksumLen], s[len(s)-checksumLen:]
	return base62(big.NewInt(int64(crc32.ChecksumIEEE([]byte(body)))), checksumLen) == sum
}

// PrefixEllaCore begins API tokens in Ella Core's format: the prefix, 12 alphanumerics (the
// token's public id), "_" and 24 alphanumerics (143 random bits). It has no checksum.
const PrefixEllaCore = "ellacore_"

const (
	ellaIDLen     = 12
	ellaSecretLen = 24
)

// NewEllaCore returns a fresh secret in Ella Core's format, its public id and storage hash.
func NewEllaCore() (secret, publicID, hash string) {
	publicID, tail := randomAlnum(ellaIDLen), randomAlnum(ellaSecretLen)
	secret = PrefixEllaCore + publicID + "_" + tail
	return secret, publicID, Hash(secret)
}

// ValidEllaCore reports whether s has the shape of a secret in Ella Core's format.
func ValidEllaCore(s string) bool {
	if len(s) != len(PrefixEllaCore)+ellaIDLen+1+ellaSecretLen || !strings.HasPrefix(s, PrefixEllaCore) {
		return false
	}
	rest := s[len(PrefixEllaCore):]
	for i := 0; i < len(rest); i++ {
		if i == ellaIDLen {
			if rest[i] != '_' {
				return false
			}
		} else if strings.IndexByte(alphabet, rest[i]) < 0 {
			return false
		}
	}
	return true
}

// randomAlnum returns n uniformly random base62 characters.
func randomAlnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		v, _ := rand.Int(rand.Reader, big.NewInt(62)) // crypto/rand does not fail on supported platforms
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// Hint returns a short reminder of which secret this is, safe to show: its prefix and its
// last four characters (part of the checksum).
func Hint(secret string) string {
	if len(secret) < 8 {
		return "…"
	}
	if ValidEllaCore(secret) {
		return secret[:len(PrefixEllaCore)+ellaIDLen+1] + "…" + secret[len(secret)-4:]
	}
	i := strings.LastIndexAny(secret, "_:") + 1
	return secret[:i] + "…" + secret[len(secret)-4:]
}

// Hash returns the hex SHA-256 under which a secret is stored and looked up.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// base62 renders n in exactly width base62 digits, zero-padded on the left.
func base62(n *big.Int, width int) string {
	out := make([]byte, width)
	base := big.NewInt(62)
	mod := new(big.Int)
	n = new(big.Int).Set(n)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = alphabet[mod.Int64()]
	}
	return string(out)
}
