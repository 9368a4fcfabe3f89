package password

import (
	"context"
	"testing"
)

// A stored hash of any shape is parsed without panicking, and hostile parameters are refused
// before any work.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=-1,t=2,p=1$$", "$$$$$", "", "$argon2id$v=19$m=8,t=1,p=0$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := decode(encoded)
		if err != nil {
			return
		}
		if p.MemoryKiB > 1<<20 || p.Time > 16 || p.Threads < 1 || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
			t.Fatalf("accepted hostile parameters %+v (salt %d, key %d)", p, len(salt), len(key))
		}
		if p.MemoryKiB <= 64 && p.Time <= 2 { // cheap enough to run in the fuzzer
			_, _ = NewHasher(DefaultParams).Verify(context.Background(), "pw", encoded)
		}
	})
}
