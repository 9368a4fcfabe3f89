-- +goose Up
-- Account ownership. managed_by is the tenant that manages an account (the one it was created
-- in); NULL is the instance. Accounts that exist already stay NULL: nobody can tell how they
-- were made, and NULL is the safe side (only instance administrators manage them). Deleting
-- the tenant hands its accounts back to the instance.
ALTER TABLE users ADD COLUMN managed_by TEXT REFERENCES tenants (id) ON DELETE SET NULL;
CREATE INDEX users_managed_by ON users (managed_by);

-- A membership is active, or invited: a tenant added an account it does not manage. An
-- invitation grants nothing until the person accepts it, and the tenant sees of the account
-- only what it supplied itself, kept here.
ALTER TABLE memberships ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE memberships ADD COLUMN invited_email TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN invited_given_name TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN invited_family_name TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE memberships DROP COLUMN invited_family_name;
ALTER TABLE memberships DROP COLUMN invited_given_name;
ALTER TABLE memberships DROP COLUMN invited_email;
ALTER TABLE memberships DROP COLUMN status;
DROP INDEX users_managed_by;
ALTER TABLE users DROP COLUMN managed_by;
