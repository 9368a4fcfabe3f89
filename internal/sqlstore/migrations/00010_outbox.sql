-- +goose Up
-- The transactional outbox: a message (a mail, later a webhook call) is inserted in the same
-- transaction as the change that causes it, and workers on any replica deliver it afterwards.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    partition_key   TEXT NOT NULL,   -- '' for none; otherwise delivered one at a time in seq order
    seq             BIGINT NOT NULL, -- order within the partition (0 without one)
    payload         TEXT NOT NULL,   -- JSON; never a secret
    state           TEXT NOT NULL,   -- pending, sent, dead
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT NOT NULL,   -- '' when not leased
    lease_until     BIGINT,
    last_error      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_partition ON outbox (partition_key, seq) WHERE partition_key <> '';
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE state = 'sent';

-- The last seq handed out per partition. Its row lock orders writers to one partition.
CREATE TABLE outbox_partitions (
    partition_key TEXT PRIMARY KEY,
    last_seq      BIGINT NOT NULL
);

-- +goose Down
DROP TABLE outbox_partitions;
DROP TABLE outbox;
