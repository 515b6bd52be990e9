import { setTimeout as sleep } from 'node:timers/promises';
import { API_NODES, execIn, inspect, isRunning, onShard } from '@sdl/compose';
import type { AcknowledgedWrite } from '../load/workload.js';
import type { OracleResult } from './oracle.js';

/** The physical shards of the compose cluster (pg-N-primary). */
const SHARDS = [0, 1];
/** Where the relay publishes each aggregate's events (the api's *_TOPIC defaults). */
const TOPIC_OF: Record<AcknowledgedWrite['kind'], string> = {
  account: 'accounts.events',
  post: 'posts.events',
  subscription: 'subscriptions.events',
};

/** Ids are `acc_...`, `post_...`: checked before they go into SQL text. */
const SAFE_ID = /^[A-Za-z0-9_-]+$/;

/** `<kind>.created` rows among `ids`: when the relay published each (ms since the epoch), or 0 when not yet. */
async function outboxRows(ids: readonly string[]): Promise<Map<string, number>> {
  const rows = new Map<string, number>();
  const list = ids.filter((id) => SAFE_ID.test(id)).join(',');
  if (list === '') return rows;
  for (const shard of SHARDS) {
    const sql = `SELECT aggregate_id, coalesce(floor(extract(epoch FROM published_at) * 1000), 0) FROM outbox
      WHERE event_type LIKE '%.created' AND aggregate_id = ANY('{${list}}'::text[])`;
    for (const [id, at] of await onShard(shard, sql)) rows.set(id!, Math.max(rows.get(id!) ?? 0, Number(at)));
  }
  return rows;
}

interface Consumed {
  readonly seen: number;
  readonly missing: string[];
  readonly duplicates: number;
}

/**
 * Reads `topic` from its start in a new consumer group, from inside an api container (the broker is
 * not published on the host), until every id's `<kind>.created` event came or 30 s passed.
 */
async function consumeCreated(topic: string, ids: readonly string[]): Promise<Consumed> {
  let node: string | undefined;
  for (const candidate of API_NODES) if (await isRunning(candidate)) node = candidate;
  if (node === undefined) throw new Error('no api node running to consume from');
  const command = ['node', 'libs/events/dist/bin/consume.js', '--topic', topic, '--created', ids.join(',')];
  let out: string;
  try {
    out = await execIn(node, [...command, '--timeout-ms', '30000'], 60_000);
  } catch (err) {
    // Exit 1: some never came; the report on stdout says which.
    out = String((err as { stdout?: unknown }).stdout ?? '');
    if (out.trim() === '') throw err;
  }
  return JSON.parse(out.trim().split('\n').pop()!) as Consumed;
}

/**
 * outbox-no-loss: every acknowledged create has its `<kind>.created` outbox row, committed with it
 * on its shard; the relay publishes each within `withinS` (a Kafka outage makes a backlog that must
 * drain); and a consumer reading the topic from its start finds each of those events (duplicates
 * counted: consumers de-duplicate by event id). Only events published since the broker's last start
 * are looked for there: the offline broker (librdkafka's mock) keeps its topics in memory.
 */
export async function outboxPublished(writes: readonly AcknowledgedWrite[], withinS = 60): Promise<OracleResult> {
  const ids = writes.map((w) => w.id);
  const started = Date.now();
  let rows = await outboxRows(ids);
  while ([...rows.values()].some((at) => at === 0) && Date.now() - started < withinS * 1000) {
    await sleep(2000);
    rows = await outboxRows(ids);
  }
  const missing = ids.filter((id) => !rows.has(id));
  const unpublished = [...rows].filter(([, at]) => at === 0).map(([id]) => id);
  const brokerStartedAt = Date.parse(await inspect('kafka', '{{.State.StartedAt}}'));
  const byTopic = new Map<string, string[]>();
  let before = 0;
  for (const w of writes) {
    const at = rows.get(w.id) ?? 0;
    if (at === 0) continue;
    if (at < brokerStartedAt) before++;
    else byTopic.set(TOPIC_OF[w.kind], [...(byTopic.get(TOPIC_OF[w.kind]) ?? []), w.id]);
  }
  const notConsumed: string[] = [];
  let consumed = 0;
  let duplicates = 0;
  for (const [topic, list] of byTopic) {
    const result = await consumeCreated(topic, list);
    consumed += result.seen;
    duplicates += result.duplicates;
    notConsumed.push(...result.missing);
  }
  // A broker that started again meanwhile (the offline mock can abort, and Docker restarts it) lost
  // what it held: the events not read back are then the broker's loss, said as such.
  const restartedMeanwhile = Date.parse(await inspect('kafka', '{{.State.StartedAt}}')) !== brokerStartedAt;
  const ok =
    ids.length > 0 &&
    missing.length === 0 &&
    unpublished.length === 0 &&
    notConsumed.length === 0 &&
    !restartedMeanwhile;
  return {
    name: 'outbox-no-loss',
    verdict: ok ? 'pass' : 'fail',
    summary:
      ids.length === 0
        ? 'no acknowledged create to check'
        : `${ids.length} acknowledged creates: ${missing.length} without an outbox row, ${unpublished.length} not published ${withinS} s after the run; ` +
          `${consumed} of ${consumed + notConsumed.length} published since the broker's last start read back from their topics ` +
          `(${duplicates} duplicate deliveries; ${before} published before that start not looked for: the offline broker is in memory)` +
          (restartedMeanwhile ? '; the broker started again during this check (a crash?), emptying its topics' : ''),
    evidence: {
      checked: ids.length,
      missing: missing.slice(0, 50),
      unpublished: unpublished.slice(0, 50),
      notConsumed: notConsumed.slice(0, 50),
      duplicates,
      publishedBeforeBrokerStart: before,
      brokerRestartedDuringCheck: restartedMeanwhile,
      withinS,
    },
  };
}
