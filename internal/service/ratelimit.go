package service

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

// Quota is the state of one bucket's rate limit after a request.
type Quota struct {
	Limit     int64
	Remaining int64
	Reset     time.Duration // until the window ends
	Allowed   bool
}

// Hit counts one request against bucket, allowing limit requests per window. The counters live
// in the database, so every replica enforces one shared limit.
func (s *Service) Hit(ctx context.Context, bucket string, limit int64, window time.Duration) (Quota, error) {
	t := time.Now()
	start := t.Truncate(window)
	var n int64
	err := s.store.Write(ctx, func(tx roster.Tx) (err error) {
		n, err = tx.Hit(ctx, bucket, start.Unix())
		return err
	})
	if err != nil {
		return Quota{}, err
	}
	return Quota{Limit: limit, Remaining: max(limit-n, 0), Reset: start.Add(window).Sub(t), Allowed: n <= limit}, nil
}
