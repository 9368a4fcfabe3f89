-- +goose Up
-- Throttling keys now name the account (or a digest of the folded login name) instead of the
-- login name as typed; records under the old keys would never be read again.
DELETE FROM login_throttle;

-- +goose Down
-- The old keys cannot be recovered; the records start empty either way.
DELETE FROM login_throttle;
