-- The outbox relay is woken by Postgres instead of polling every 250 ms (src/outbox/): each
-- statement that inserts outbox rows notifies `sdl_outbox`, delivered when its transaction commits
-- (never for a rollback), and Postgres folds identical notifications of one transaction into one.
-- The relay still polls slowly (OUTBOX_POLL_MS) as a safety net for a listener that was down.
CREATE OR REPLACE FUNCTION sdl_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('sdl_outbox', '');
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS outbox_notify ON outbox;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION sdl_outbox_notify();
