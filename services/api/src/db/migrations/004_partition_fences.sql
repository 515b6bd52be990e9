-- Online partition moves. A shard that gave a partition away keeps a row here: from then on every
-- write to that partition on this shard is refused (the writer re-reads the shard map and retries
-- on the new shard), so a node that has not yet seen the new map cannot write where nobody reads.
CREATE TABLE IF NOT EXISTS partition_fences (
  partition   integer PRIMARY KEY,
  moved_to    integer NOT NULL,
  map_version integer NOT NULL,
  fenced_at   timestamptz NOT NULL DEFAULT now()
);

-- The first statement of every write transaction. A shared advisory lock per partition lets writes
-- run concurrently with each other but not with a move's final catch-up, which holds the exclusive
-- lock (pg_advisory_xact_lock(1500, p)) on the source shard: the move waits for the writes in
-- flight, and the writes that arrive meanwhile wait for the move. Each statement of a volatile
-- plpgsql function reads a fresh snapshot, so a writer that waited sees the fence the move
-- committed. Returns the partitions (of those given) that this shard no longer holds.
CREATE OR REPLACE FUNCTION sdl_write_guard(parts integer[]) RETURNS integer[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  p integer;
  fenced integer[];
BEGIN
  FOREACH p IN ARRAY (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest(parts) AS x) LOOP
    PERFORM pg_advisory_xact_lock_shared(1500, p);
  END LOOP;
  SELECT coalesce(array_agg(partition ORDER BY partition), '{}') INTO fenced
    FROM partition_fences WHERE partition = ANY (parts);
  RETURN fenced;
END;
$$;
