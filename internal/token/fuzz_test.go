package token

import (
	"strings"
	"testing"
)

// Parsing any string as a secret never panics, and whatever passes has the exact shape.
func FuzzValid(f *testing.F) {
	s, _ := New(PrefixSession)
	k, _ := New(PrefixKey)
	e, _, _ := NewEllaCore()
	for _, seed := range []string{s, k, e, "", "rss_", "sk:", "ellacore_", s[:len(s)-1], "ellacore_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbb"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, secret string) {
		_ = Hint(secret)
		for _, prefix := range []string{PrefixSession, PrefixAPIToken, PrefixKey} {
			if Valid(prefix, secret) && (len(secret) != len(prefix)+randomLen+checksumLen || !strings.HasPrefix(secret, prefix)) {
				t.Fatalf("Valid(%q, %q) with the wrong shape", prefix, secret)
			}
		}
		if ValidEllaCore(secret) && len(secret) != len(PrefixEllaCore)+ellaIDLen+1+ellaSecretLen {
			t.Fatalf("ValidEllaCore(%q) with the wrong length", secret)
		}
	})
}
