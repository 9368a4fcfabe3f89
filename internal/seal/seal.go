// Package seal encrypts the few secrets Roster must be able to read back (TOTP seeds, OpenID
// Connect signing keys) with AES-256-GCM under a key the operator keeps outside the database
// (--secret-key-file). Everything else secret is stored as a one-way hash and never needs this.
//
// A key file holds one or more keys, one per line, each 32 random bytes in standard base64
// (`roster secret-key generate` writes one). The first key seals; every key opens, so a key can
// be rotated by putting the new one first and keeping the old one below it until every sealed
// value has been rewritten. Blank lines and lines starting with # are ignored.
//
// A sealed value is "v1.<key id>.<base64 of nonce and ciphertext>". The key id (the first 4
// bytes of the key's SHA-256, in hex) says which key opens it without trying each. Every value is
// sealed for a purpose (such as "totp:usr_…"), authenticated but not stored: a value copied to
// another row, or read for another purpose, does not open.
package seal

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

const version = "v1"

// ErrOpen is returned for a value that does not open: altered, sealed for another purpose, or
// sealed with a key this Sealer does not hold.
var ErrOpen = errors.New("seal: the value does not open with these keys for this purpose")

type key struct {
	id   string
	aead cipher.AEAD
}

// Sealer seals with its first key and opens with any of its keys. It is safe for concurrent use.
type Sealer struct {
	keys []key
}

// New returns a Sealer over raw keys, the first of which seals.
func New(keys ...[]byte) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	s := &Sealer{}
	seen := map[string]bool{}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("seal: key %d is %d bytes; want %d", i+1, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		sum := sha256.Sum256(k)
		id := hex.EncodeToString(sum[:4])
		if seen[id] {
			return nil, fmt.Errorf("seal: key %d repeats an earlier key", i+1)
		}
		seen[id] = true
		s.keys = append(s.keys, key{id: id, aead: aead})
	}
	return s, nil
}

// LoadFile reads a key file (see the package comment) and returns its Sealer. The file must not
// be readable by group or others.
func LoadFile(path string) (*Sealer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s: mode %v lets others read it; chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	keys, err := parseKeys(data)
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return New(keys...)
}

func parseKeys(data []byte) ([][]byte, error) {
	var keys [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(k) != KeySize {
			return nil, fmt.Errorf("line %d: want %d random bytes in standard base64 (roster secret-key generate writes one)", n, KeySize)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("holds no key")
	}
	return keys, nil
}

// GenerateKey writes a new key line, for a key file.
func GenerateKey(w io.Writer) error {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, base64.StdEncoding.EncodeToString(k))
	return err
}

// Seal encrypts plaintext for purpose with the first key.
func (s *Sealer) Seal(purpose string, plaintext []byte) string {
	k := s.keys[0]
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("seal: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	out := k.aead.Seal(nonce, nonce, plaintext, []byte(purpose))
	return version + "." + k.id + "." + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a value sealed for purpose, or returns ErrOpen.
func (s *Sealer) Open(purpose, sealed string) ([]byte, error) {
	v, rest, ok := strings.Cut(sealed, ".")
	if !ok || v != version {
		return nil, ErrOpen
	}
	id, body, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, ErrOpen
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, ErrOpen
	}
	for _, k := range s.keys {
		if k.id != id {
			continue
		}
		if len(raw) < k.aead.NonceSize() {
			return nil, ErrOpen
		}
		plain, err := k.aead.Open(nil, raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():], []byte(purpose))
		if err != nil {
			return nil, ErrOpen
		}
		return plain, nil
	}
	return nil, ErrOpen
}

// NeedsReseal reports whether sealed was made with a key other than the sealing one, so that a
// caller holding the plaintext can rewrite it after a rotation.
func (s *Sealer) NeedsReseal(sealed string) bool {
	_, rest, _ := strings.Cut(sealed, ".")
	id, _, _ := strings.Cut(rest, ".")
	return id != s.keys[0].id
}
