-- Every account belongs to the tenant that created it (the gateway's client id, sent as
-- x-tenant-id): routes under /v1/accounts/:id answer 404 to any other tenant (see
-- src/tenancy/account-owner-guard.ts). Rows created before tenants existed belong to `default`,
-- the tenant of callers that send no x-tenant-id; inserts that name no tenant get it too.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS tenant text NOT NULL DEFAULT 'default';
