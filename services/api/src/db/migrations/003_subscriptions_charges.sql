-- Subscriptions live on their account's shard (shard key = account id). Billing derives due work
-- from `next_billing_at <= now()` without a charge row for that period, never from timers.
CREATE TABLE IF NOT EXISTS subscriptions (
  id              text PRIMARY KEY,
  account_id      text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  partition       integer NOT NULL,
  plan            text NOT NULL,
  status          text NOT NULL CHECK (status IN ('active', 'canceled')),
  amount_cents    integer NOT NULL CHECK (amount_cents >= 0),
  currency        text NOT NULL,
  period_months   integer NOT NULL CHECK (period_months > 0),
  next_billing_at timestamptz NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  canceled_at     timestamptz NULL
);
-- At most one active subscription per account: a second "choose a plan" is a 409, even under races.
CREATE UNIQUE INDEX IF NOT EXISTS subscriptions_one_active_idx ON subscriptions (account_id) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS subscriptions_due_idx ON subscriptions (next_billing_at) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS subscriptions_partition_idx ON subscriptions (partition);

-- One charge per subscription and billing period, enforced by the database: the billing leader's
-- exactly-once guarantee rests on this constraint.
CREATE TABLE IF NOT EXISTS charges (
  id              text PRIMARY KEY,
  subscription_id text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  account_id      text NOT NULL,
  partition       integer NOT NULL,
  period_start    timestamptz NOT NULL,
  period_end      timestamptz NOT NULL,
  amount_cents    integer NOT NULL,
  currency        text NOT NULL,
  status          text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT charges_subscription_period_key UNIQUE (subscription_id, period_start)
);
CREATE INDEX IF NOT EXISTS charges_partition_idx ON charges (partition);
