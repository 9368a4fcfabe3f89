-- +goose Up
-- Domain events, in the order their transactions committed. seq is handed out at commit time
-- under the lock of the event_sequence row, so a transaction that commits later always has the
-- higher numbers: a reader following seq never skips an event that commits late.
CREATE TABLE events (
    seq           BIGINT PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE, -- the audit event's id
    type          TEXT NOT NULL,
    occurred_at   BIGINT NOT NULL,
    tenant_id     TEXT NOT NULL,        -- empty for installation-wide events
    actor_kind    TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_user_id TEXT NOT NULL,
    object_kind   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    data          TEXT NOT NULL         -- a JSON object; never a secret or a hash
);
CREATE INDEX events_tenant ON events (tenant_id, seq);

CREATE TABLE event_sequence (
    id       INTEGER PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
INSERT INTO event_sequence (id, last_seq) VALUES (1, 0);

-- +goose Down
DROP TABLE event_sequence;
DROP TABLE events;
