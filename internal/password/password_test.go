package password

import (
	"context"
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(DefaultParams)
	ctx := context.Background()
	pw := "pässwörd with ünïcode and a long tail " + strings.Repeat("x", 900)
	hash, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with the default parameters", hash)
	}
	for _, c := range []struct {
		pw   string
		want bool
	}{{pw, true}, {pw[:len(pw)-1], false}, {pw + "x", false}, {"", false}} {
		got, err := h.Verify(ctx, c.pw, hash)
		if err != nil || got != c.want {
			t.Errorf("Verify(%.20q…) = %v, %v; want %v", c.pw, got, err, c.want)
		}
	}
	other, _ := h.Hash(ctx, pw)
	if other == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if ok, err := h.Verify(ctx, pw, ""); ok || err != nil {
		t.Errorf("Verify against no hash = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyRefusesHostileHashes(t *testing.T) {
	h := NewHasher(DefaultParams)
	for _, bad := range []string{
		"plain",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", // 4 GiB
		"$argon2id$v=19$m=19456,t=1000,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if _, err := h.Verify(context.Background(), "pw", bad); err != ErrMalformedHash {
			t.Errorf("Verify(%q) error = %v, want ErrMalformedHash", bad, err)
		}
	}
}

func TestHashWaitsForContext(t *testing.T) {
	h := NewHasher(DefaultParams)
	for range cap(h.slots) {
		h.slots <- struct{}{} // every slot busy
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "password"); err != context.Canceled {
		t.Errorf("Hash with every slot busy and a cancelled context = %v, want context.Canceled", err)
	}
}

func TestQueueIsBounded(t *testing.T) {
	h := NewHasher(DefaultParams)
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	h.waiting.Store(h.maxWaiting)
	if _, err := h.Hash(context.Background(), "password"); err != ErrBusy {
		t.Errorf("Hash with a full queue = %v, want ErrBusy", err)
	}
}

// BenchmarkHashParallel is the argon2id limit of this machine: hashes a second on every core,
// which login and create-with-password can at best approach.
func BenchmarkHashParallel(b *testing.B) {
	h := NewHasher(DefaultParams)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash(context.Background(), "lunar orchid 7 tea"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
