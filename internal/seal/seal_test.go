package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	s, err := New(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal("totp:usr_1", []byte("JBSWY3DPEHPK3PXP"))
	if strings.Contains(sealed, "JBSWY3DPEHPK3PXP") {
		t.Fatal("the sealed value holds the plaintext")
	}
	got, err := s.Open("totp:usr_1", sealed)
	if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if again := s.Seal("totp:usr_1", []byte("JBSWY3DPEHPK3PXP")); again == sealed {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
	// Another purpose, an altered byte, another key: none opens.
	if _, err := s.Open("totp:usr_2", sealed); !errors.Is(err, ErrOpen) {
		t.Errorf("opened for another purpose: %v", err)
	}
	b := []byte(sealed)
	b[len(b)-3] ^= 1
	if _, err := s.Open("totp:usr_1", string(b)); !errors.Is(err, ErrOpen) {
		t.Errorf("opened an altered value: %v", err)
	}
	other, _ := New(newKey(t))
	if _, err := other.Open("totp:usr_1", sealed); !errors.Is(err, ErrOpen) {
		t.Errorf("opened with another key: %v", err)
	}
	for _, junk := range []string{"", "v1", "v1.", "v2.abcd.AAAA", "v1.00000000.%%%", sealed[:20]} {
		if _, err := s.Open("totp:usr_1", junk); !errors.Is(err, ErrOpen) {
			t.Errorf("Open(%q) = %v", junk, err)
		}
	}
}

func TestRotation(t *testing.T) {
	oldKey, newK := newKey(t), newKey(t)
	before, _ := New(oldKey)
	sealed := before.Seal("oidc-key", []byte("private"))
	after, err := New(newK, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := after.Open("oidc-key", sealed); err != nil || string(got) != "private" {
		t.Fatalf("the old key no longer opens its values: %q, %v", got, err)
	}
	if !after.NeedsReseal(sealed) {
		t.Error("a value of the old key does not ask to be resealed")
	}
	if after.NeedsReseal(after.Seal("oidc-key", []byte("private"))) {
		t.Error("a value of the sealing key asks to be resealed")
	}
	if _, err := New(oldKey, oldKey); err == nil {
		t.Error("a repeated key was accepted")
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := GenerateKey(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "roster.key")
	if err := os.WriteFile(path, append([]byte("# rotated 2026-12-04\n\n"), buf.Bytes()...), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("p", s.Seal("p", []byte("x"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable key file was accepted: %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not base64\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(bad); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a malformed key file was accepted or not located: %v", err)
	}
	empty := filepath.Join(dir, "empty.key")
	if err := os.WriteFile(empty, []byte("# nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(empty); err == nil {
		t.Error("a key file without a key was accepted")
	}
}
