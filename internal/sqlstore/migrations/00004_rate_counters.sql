-- +goose Up
-- Fixed-window request counters shared by every replica (rate limits, login throttling).
CREATE TABLE rate_counters (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL, -- Unix seconds
    hits         BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- +goose Down
DROP TABLE rate_counters;
