-- +goose Up
-- Failed password checks, per login name and client address, shared by every replica.
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL, -- microseconds since the epoch; 0 when not locked
    last_failure BIGINT NOT NULL
);

-- +goose Down
DROP TABLE login_throttle;
