-- Posts live on their account's shard: the shard key of a post is its account id, so every post
-- route (/v1/accounts/:accountId/posts/...) finds the shard without a scatter-gather query, and
-- deleting an account cascades locally. `partition` repeats the account's for partition moves.
CREATE TABLE IF NOT EXISTS posts (
  id         text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  partition  integer NOT NULL,
  title      text NOT NULL,
  body       text NOT NULL,
  -- Written back from Redis every VIEWS_FLUSH_MS (or directly while Redis is down).
  view_count bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Listing an account's posts newest first: ids are ULIDs, so id order is creation order and the
-- cursor is simply the last id seen.
CREATE INDEX IF NOT EXISTS posts_account_id_idx ON posts (account_id, id DESC);
CREATE INDEX IF NOT EXISTS posts_partition_idx ON posts (partition);
