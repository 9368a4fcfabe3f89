package sqlstore

import "context"

func (t *tx) Hit(ctx context.Context, bucket string, windowStart int64) (int64, error) {
	var n int64
	err := t.queryRow(ctx, nil, `INSERT INTO rate_counters (bucket, window_start, hits) VALUES ($1, $2, 1)
		ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_counters.hits + 1
		RETURNING hits`, []any{bucket, windowStart}, &n)
	if err != nil {
		return 0, err
	}
	if n == 1 { // a new window: the bucket's earlier ones are of no more use
		if _, err := t.exec(ctx, `DELETE FROM rate_counters WHERE bucket = $1 AND window_start < $2`, bucket, windowStart); err != nil {
			return 0, err
		}
	}
	return n, nil
}
