package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/seal"
)

// secret-key generate writes a key file the server can load, of mode 0600, and never
// overwrites one.
func TestSecretKeyGenerate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.key")
	if out, err := run(t, "", "secret-key", "generate", "--out", path); err != nil {
		t.Fatalf("generate: %v\n%s", err, out)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	s, err := seal.LoadFile(path)
	if err != nil {
		t.Fatalf("the generated file does not load: %v", err)
	}
	if _, err := s.Open("p", s.Seal("p", []byte("x"))); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if _, err := run(t, "", "secret-key", "generate", "--out", path); err == nil {
		t.Error("generate overwrote an existing key file")
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("the existing key file changed")
	}
	out, err := run(t, "", "secret-key", "generate")
	if err != nil || len(strings.TrimSpace(out)) != 44 {
		t.Errorf("to standard output: %q, %v", out, err)
	}
}
