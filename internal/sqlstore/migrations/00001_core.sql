-- +goose Up
-- Times are BIGINT microseconds since the Unix epoch (UTC) so that one schema and one set of
-- queries serve SQLite and PostgreSQL alike. Secrets are never stored: only hashes.

-- instance has exactly one row; bootstrapping claims it so that racing bootstraps serialize.
CREATE TABLE instance (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    bootstrapped BOOLEAN NOT NULL
);
INSERT INTO instance (id, bootstrapped) VALUES (1, FALSE);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version    BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL,
    username_key   TEXT NOT NULL UNIQUE, -- case-folded username
    email          TEXT NOT NULL,
    email_key      TEXT NOT NULL UNIQUE, -- case-folded email
    search_key     TEXT NOT NULL,        -- case-folded username, email and names for q=
    given_name     TEXT NOT NULL,
    family_name    TEXT NOT NULL,
    locale         TEXT NOT NULL,
    password_hash  TEXT NOT NULL,        -- PHC string, empty for no password
    active         BOOLEAN NOT NULL,
    email_verified BOOLEAN NOT NULL,
    instance_admin BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    last_login_at  BIGINT,
    version        BIGINT NOT NULL
);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    permissions TEXT NOT NULL, -- JSON array of permission strings
    builtin     BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
);

CREATE TABLE memberships (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id, tenant_id);

-- The composite foreign key to roles makes it impossible to give a member a role of another
-- tenant, whatever the code above does.
CREATE TABLE membership_roles (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    role_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX membership_roles_role ON membership_roles (tenant_id, role_id, user_id);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    client_addr TEXT NOT NULL,
    user_agent  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- +goose Down
DROP TABLE sessions;
DROP TABLE membership_roles;
DROP TABLE memberships;
DROP TABLE roles;
DROP TABLE users;
DROP TABLE tenants;
DROP TABLE instance;
