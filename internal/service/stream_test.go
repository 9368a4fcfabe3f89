package service

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
)

// replaying is a store that runs every read twice, as a store retrying a transaction would.
type replaying struct{ untouchable }

func (replaying) Read(ctx context.Context, fn func(roster.Tx) error) error {
	if err := fn(nil); err != nil {
		return err
	}
	return fn(nil)
}

// A streamed read that the store runs again fails instead of handing its rows over twice.
func TestStreamNeverReplays(t *testing.T) {
	svc := New(replaying{untouchable{t}}, password.NewHasher(password.DefaultParams), DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	runs := 0
	err := svc.stream(context.Background(), func(roster.Tx) error { runs++; return nil })
	if runs != 1 || roster.ErrorCodeOf(err) != roster.EUnavailable {
		t.Errorf("the read ran %d times and returned %v; want once, then unavailable", runs, err)
	}
}
