-- Accounts live on the shard their id hashes to; `partition` is stored so that moving one logical
-- partition to another shard later is a `WHERE partition = $1` copy, not a rehash of every row.
CREATE TABLE IF NOT EXISTS accounts (
  id         text PRIMARY KEY,
  email      text NOT NULL,
  name       text NOT NULL,
  partition  integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS accounts_partition_idx ON accounts (partition);

-- Transactional outbox: every state change inserts its event here in the same transaction; the
-- relay publishes unpublished rows to Kafka and stamps published_at (at least once; consumers
-- de-duplicate by event_id).
CREATE TABLE IF NOT EXISTS outbox (
  id             bigserial PRIMARY KEY,
  event_id       uuid NOT NULL UNIQUE,
  aggregate_type text NOT NULL,
  aggregate_id   text NOT NULL,
  event_type     text NOT NULL,
  payload        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz NULL
);
-- The relay only ever scans the unpublished tail; a partial index keeps that scan tiny however
-- large the published history grows.
CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
