-- Idempotent creates (an `Idempotency-Key` header on POST): the key and a hash of the request are
-- stored on the row the POST created, in the same transaction, so a retried POST finds its first
-- answer on the same shard and creates nothing new (src/idempotency/). Keys are scoped to the
-- owner: the tenant for accounts, the account for posts and subscriptions. A key lives as long as
-- its row: after a DELETE the same key creates again.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS idempotency_key text NULL;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS request_hash text NULL;
CREATE UNIQUE INDEX IF NOT EXISTS accounts_idempotency_idx ON accounts (tenant, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

ALTER TABLE posts ADD COLUMN IF NOT EXISTS idempotency_key text NULL;
ALTER TABLE posts ADD COLUMN IF NOT EXISTS request_hash text NULL;
CREATE UNIQUE INDEX IF NOT EXISTS posts_idempotency_idx ON posts (account_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS idempotency_key text NULL;
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS request_hash text NULL;
CREATE UNIQUE INDEX IF NOT EXISTS subscriptions_idempotency_idx ON subscriptions (account_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
