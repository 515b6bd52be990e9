import { setTimeout as sleep } from 'node:timers/promises';
import { onShard } from '@sdl/compose';
import type { AcknowledgedWrite } from '../load/workload.js';
import type { OracleResult } from './oracle.js';

/** The physical shards of the compose cluster (pg-N-primary). */
const SHARDS = [0, 1];

/** Ids are `acc_...`, `post_...`: checked before they go into SQL text. */
const SAFE_ID = /^[A-Za-z0-9_-]+$/;

/** `<kind>.created` rows among `ids`, each with whether the relay has published it. */
async function outboxRows(ids: readonly string[]): Promise<Map<string, boolean>> {
  const rows = new Map<string, boolean>();
  const list = ids.filter((id) => SAFE_ID.test(id)).join(',');
  if (list === '') return rows;
  for (const shard of SHARDS) {
    const sql = `SELECT aggregate_id, published_at IS NOT NULL FROM outbox
      WHERE event_type LIKE '%.created' AND aggregate_id = ANY('{${list}}'::text[])`;
    for (const [id, published] of await onShard(shard, sql))
      rows.set(id!, (rows.get(id!) ?? false) || published === 't');
  }
  return rows;
}

/**
 * outbox-no-loss (the publishing half): every acknowledged create has its `<kind>.created` outbox
 * row, committed with it on its shard, and the relay publishes each within `withinS` (a Kafka
 * outage makes a backlog that must drain). Consumption by the subscribers is not checked here.
 */
export async function outboxPublished(writes: readonly AcknowledgedWrite[], withinS = 60): Promise<OracleResult> {
  const ids = writes.map((w) => w.id);
  const started = Date.now();
  let rows = await outboxRows(ids);
  while ([...rows.values()].some((p) => !p) && Date.now() - started < withinS * 1000) {
    await sleep(2000);
    rows = await outboxRows(ids);
  }
  const missing = ids.filter((id) => !rows.has(id));
  const unpublished = [...rows].filter(([, p]) => !p).map(([id]) => id);
  const ok = ids.length > 0 && missing.length === 0 && unpublished.length === 0;
  return {
    name: 'outbox-no-loss',
    verdict: ok ? 'pass' : 'fail',
    summary:
      ids.length === 0
        ? 'no acknowledged create to check'
        : `${ids.length} acknowledged creates: ${missing.length} without an outbox row, ${unpublished.length} not published ${withinS} s after the run (consumption not checked)`,
    evidence: { checked: ids.length, missing: missing.slice(0, 50), unpublished: unpublished.slice(0, 50), withinS },
  };
}
