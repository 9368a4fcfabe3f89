package token

import (
	"strings"
	"testing"
)

func TestNewIsValidAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		secret, hash := New(PrefixSession)
		if !Valid(PrefixSession, secret) {
			t.Fatalf("New made an invalid secret %q", secret)
		}
		if hash != Hash(secret) || len(hash) != 64 {
			t.Fatalf("hash %q is not the SHA-256 of the secret", hash)
		}
		if seen[secret] {
			t.Fatalf("secret %q made twice", secret)
		}
		seen[secret] = true
	}
}

// Every single-character change is caught by the checksum or the alphabet.
func TestValidRefusesAlteredSecrets(t *testing.T) {
	secret, _ := New(PrefixSession)
	for i := len(PrefixSession); i < len(secret); i++ {
		for _, c := range []byte{'0', 'Z', 'z', '_', '-'} {
			if secret[i] == c {
				continue
			}
			altered := secret[:i] + string(c) + secret[i+1:]
			if Valid(PrefixSession, altered) {
				t.Errorf("altered secret %q (position %d) is valid", altered, i)
			}
		}
	}
	for _, bad := range []string{"", PrefixSession, secret[:len(secret)-1], secret + "0", "xyz_" + secret[4:], strings.ToUpper(secret)} {
		if Valid(PrefixSession, bad) {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
}
