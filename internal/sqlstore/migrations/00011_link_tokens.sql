-- +goose Up
-- Single-use links sent by mail (verify an address, reset a password). Only the SHA-256 of each
-- secret is stored; a secret is minted when its message is sent, never kept to be sent later.
CREATE TABLE link_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    subject_id TEXT NOT NULL, -- a user id (or an invitation id)
    email      TEXT NOT NULL, -- the address the link went to
    outbox_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX link_tokens_subject ON link_tokens (subject_id, purpose);

-- +goose Down
DROP TABLE link_tokens;
