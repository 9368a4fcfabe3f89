-- +goose Up
-- Personal API tokens act as their owner. Only the SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    UNIQUE (user_id, name)
);

-- A service account is a tenant's machine identity; it acts only inside its tenant.
CREATE TABLE service_accounts (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version    BIGINT NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
);

CREATE TABLE service_account_roles (
    tenant_id          TEXT NOT NULL,
    service_account_id TEXT NOT NULL,
    role_id            TEXT NOT NULL,
    PRIMARY KEY (tenant_id, service_account_id, role_id),
    FOREIGN KEY (tenant_id, service_account_id) REFERENCES service_accounts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX service_account_roles_role ON service_account_roles (tenant_id, role_id);

CREATE TABLE service_account_keys (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL,
    service_account_id TEXT NOT NULL,
    key_hash           TEXT NOT NULL UNIQUE,
    hint               TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT,
    last_used_at       BIGINT,
    FOREIGN KEY (tenant_id, service_account_id) REFERENCES service_accounts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX service_account_keys_account ON service_account_keys (tenant_id, service_account_id);

-- Sessions learn when they were last used (updated at most once a minute).
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;

-- The audit trail. No foreign keys: events outlive what they describe. No secrets, ever.
CREATE TABLE audit_events (
    id            TEXT PRIMARY KEY,
    occurred_at   BIGINT NOT NULL,
    actor_kind    TEXT NOT NULL, -- user, api_token, service_account, system, anonymous
    actor_id      TEXT NOT NULL,
    actor_user_id TEXT NOT NULL, -- the user behind a user or api_token actor, else empty
    tenant_id     TEXT NOT NULL, -- empty for installation-wide events
    action        TEXT NOT NULL, -- e.g. member.roles_set
    target_kind   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    outcome       TEXT NOT NULL, -- success or failure
    request_id    TEXT NOT NULL,
    client_addr   TEXT NOT NULL,
    user_agent    TEXT NOT NULL
);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, id);

-- +goose Down
DROP TABLE audit_events;
ALTER TABLE sessions DROP COLUMN last_used_at;
DROP TABLE service_account_keys;
DROP TABLE service_account_roles;
DROP TABLE service_accounts;
DROP TABLE api_tokens;
