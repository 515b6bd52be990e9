-- The api's idempotent consumer of billing.events (src/domain/billing/billing-ledger-consumer.ts).

-- Events already applied, recorded in the same transaction as their effect: a redelivered or
-- twice-published event finds its id here and changes nothing. `id` is `<consumer>:<event id>`;
-- the rows live on the account's shard, with its partition, so they move with a partition move.
CREATE TABLE IF NOT EXISTS processed_events (
  id           text PRIMARY KEY,
  partition    integer NOT NULL,
  event_type   text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS processed_events_partition_idx ON processed_events (partition);

-- The per-account billing ledger, projected from the events: totals that an event applied twice
-- would visibly double, which is what the de-duplication above prevents. `id` is the account id
-- (no foreign key: an event may arrive after its account was deleted).
CREATE TABLE IF NOT EXISTS billing_ledger (
  id                text PRIMARY KEY,
  partition         integer NOT NULL,
  charges_created   integer NOT NULL DEFAULT 0,
  charges_succeeded integer NOT NULL DEFAULT 0,
  charges_failed    integer NOT NULL DEFAULT 0,
  charged_cents     bigint NOT NULL DEFAULT 0,
  last_charge_id    text NULL,
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS billing_ledger_partition_idx ON billing_ledger (partition);
