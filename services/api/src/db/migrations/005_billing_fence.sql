-- Billing, exactly once (services/billing-leader writes these; the api reads them).

-- One row per shard database: the newest fencing token (the billing leader's etcd leader-key
-- create revision) that wrote billing rows here. A billing transaction whose token is older is
-- refused, so a leader that was paused or cut off past its lease cannot act once a newer one has.
CREATE TABLE IF NOT EXISTS billing_fence (
  one        boolean PRIMARY KEY DEFAULT true CHECK (one),
  token      bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO billing_fence (one) VALUES (true) ON CONFLICT DO NOTHING;

-- What every charge records: the token of its last write (x-fence), the provider's idempotency key
-- (`sub:<subscription id>:<period start ISO>`, made once at insert so every later leader retries
-- with the very same key), the provider's charge id once it succeeded, and why it failed.
ALTER TABLE charges
  ADD COLUMN IF NOT EXISTS token              bigint NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS idempotency_key    text NULL,
  ADD COLUMN IF NOT EXISTS provider_charge_id text NULL,
  ADD COLUMN IF NOT EXISTS failure_code       text NULL,
  ADD COLUMN IF NOT EXISTS updated_at         timestamptz NOT NULL DEFAULT now();
ALTER TABLE charges DROP CONSTRAINT IF EXISTS charges_status_check;
ALTER TABLE charges ADD CONSTRAINT charges_status_check CHECK (status IN ('pending', 'succeeded', 'failed'));
-- Pending charges (a provider call in flight, or left by a dead leader) are found without a scan.
CREATE INDEX IF NOT EXISTS charges_pending_idx ON charges (updated_at) WHERE status = 'pending';

-- The fence check, the second statement of every billing write transaction (after sdl_write_guard).
-- It advances the fence to `t` when `t` is newer, then share-locks the row and returns the token it
-- holds: the caller is stale when that is greater than `t`. The share lock (not an UPDATE of the row
-- by every transaction) lets one leader's transactions run concurrently, while a newer leader's
-- advance waits for the older leader's transactions in flight, so each of those commits before the
-- fence moves (ordered before the new leader) or is refused after it.
CREATE OR REPLACE FUNCTION sdl_billing_fence(t bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  current bigint;
BEGIN
  UPDATE billing_fence SET token = t, updated_at = now() WHERE token < t;
  SELECT token INTO current FROM billing_fence FOR SHARE;
  RETURN current;
END;
$$;
