-- +goose Up
-- Invitations to join a tenant, by email. A pending invitation past expires_at is expired; it
-- stays 'pending' here until it is sent again, revoked, or replaced by a new one. The secret of
-- its link is never stored (link_tokens keeps only hashes, minted when each mail is sent).
CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL, -- case-folded email
    given_name      TEXT NOT NULL,
    family_name     TEXT NOT NULL,
    locale          TEXT NOT NULL, -- '' when the inviter gave none
    -- The account it is for (known when it was made, or made by accepting it). Deleting the
    -- account makes it an invitation to the address again.
    user_id         TEXT REFERENCES users (id) ON DELETE SET NULL,
    status          TEXT NOT NULL, -- pending, accepted, declined, revoked, expired (replaced)
    inviter_kind    TEXT NOT NULL,
    inviter_id      TEXT NOT NULL,
    inviter_user_id TEXT NOT NULL,
    inviter_name    TEXT NOT NULL,
    mail_id         TEXT NOT NULL, -- the outbox id of the latest mail; only its link is sent
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    closed_at       BIGINT,
    version         BIGINT NOT NULL,
    UNIQUE (tenant_id, id)
);
-- One pending invitation per tenant and address.
CREATE UNIQUE INDEX invitations_pending_email ON invitations (tenant_id, email_key) WHERE status = 'pending';
CREATE INDEX invitations_user ON invitations (user_id);

-- The roles an invitation offers; the composite keys keep them inside its tenant.
CREATE TABLE invitation_roles (
    tenant_id     TEXT NOT NULL,
    invitation_id TEXT NOT NULL,
    role_id       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, invitation_id, role_id),
    FOREIGN KEY (tenant_id, invitation_id) REFERENCES invitations (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX invitation_roles_role ON invitation_roles (tenant_id, role_id);

-- +goose Down
DROP TABLE invitation_roles;
DROP TABLE invitations;
