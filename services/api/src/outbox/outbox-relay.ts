import { encodeEnvelope, type OutgoingEvent } from '@sdl/events';
import type { Logger } from '@sdl/logging';
import { Counter, Gauge, type Registry } from '@sdl/metrics';
import type { EventPublisher } from './kafka-publisher.js';
import { claimUnpublished, countUnpublished, markPublished, type OutboxRow } from './outbox-store.js';
import type { ShardPools } from '../db/shard-pools.js';
import { untilAborted } from '@sdl/retry';

/** Shared by every shard's relay; each series is labelled with its shard. */
export interface OutboxMetrics {
  readonly published: Counter<'shard'>;
  readonly pending: Gauge<'shard'>;
  readonly errors: Counter<'shard'>;
}

export function createOutboxMetrics(registry: Registry): OutboxMetrics {
  return {
    published: new Counter({
      name: 'api_outbox_published_total',
      help: 'Outbox events published to Kafka and marked published',
      labelNames: ['shard'] as const,
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'api_outbox_pending',
      help: 'Unpublished outbox rows seen by this relay (capped count)',
      labelNames: ['shard'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'api_outbox_errors_total',
      help: 'Relay ticks that failed (database or broker) and were rolled back',
      labelNames: ['shard'] as const,
      registers: [registry],
    }),
  };
}

export interface OutboxRelayOptions {
  readonly shard: number;
  readonly shards: ShardPools;
  readonly publisher: EventPublisher;
  /** Topic of aggregate types not listed in `topics`. */
  readonly topic: string;
  /** One topic per aggregate type (account, post, subscription); others go to `topic`. */
  readonly topics?: Readonly<Record<string, string>>;
  /** Rows per transaction (default 100). */
  readonly batchSize?: number;
  /**
   * Pause between polls when idle, ms (default 250); failures back off up to `maxBackoffMs`. With
   * a listener calling wake() on each commit (LISTEN/NOTIFY), this is only the safety net.
   */
  readonly pollMs?: number;
  /** Default 5000. */
  readonly maxBackoffMs?: number;
  /**
   * Asked before every tick; false skips it (default: always true). The relay lock's check: a
   * node relays a shard only while it holds that shard's lock.
   */
  readonly mayRelay?: () => boolean;
  readonly logger: Logger;
  readonly metrics: OutboxMetrics;
}

const PENDING_CAP = 100_000;
// How often a node that does not hold a shard's relay lock looks whether it does now.
const IDLE_CHECK_MS = 250;

/** The Kafka message for an outbox row: keyed by aggregate so one aggregate's events stay ordered. */
export function toMessage(row: OutboxRow): OutgoingEvent {
  const value = encodeEnvelope({
    eventId: row.eventId,
    type: row.eventType,
    aggregateType: row.aggregateType,
    aggregateId: row.aggregateId,
    occurredAt: row.createdAt.toISOString(),
    data: row.payload,
  });
  return {
    key: row.aggregateId,
    value,
    headers: { 'event-id': row.eventId, 'event-type': row.eventType },
  };
}

/**
 * Publishes one shard's outbox, at least once: in one transaction it locks a batch of unpublished
 * rows (FOR UPDATE SKIP LOCKED), publishes them, marks them published and commits. A publish
 * failure rolls back and the batch goes again on a later tick; a crash between the broker's ack
 * and the commit publishes the batch twice, which is why consumers de-duplicate by `eventId`.
 */
export class OutboxRelay {
  readonly #o: Required<Omit<OutboxRelayOptions, 'logger'>>;
  readonly #log: Logger;
  readonly #label: { shard: string };
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #stopped = true;
  #stopping = new AbortController();
  #failures = 0;
  /** A wake() came during a tick: the next one starts at once. */
  #woken = false;

  constructor(options: OutboxRelayOptions) {
    this.#o = { batchSize: 100, pollMs: 250, maxBackoffMs: 5000, topics: {}, mayRelay: () => true, ...options };
    this.#log = options.logger.child({ component: 'outbox-relay', shard: options.shard });
    this.#label = { shard: String(options.shard) };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#stopping = new AbortController();
    this.#schedule(0);
  }

  /**
   * New rows were committed (a NOTIFY): tick now instead of at the next poll. During a tick, the
   * next one follows at once; while failing, the backoff stands (a wake is no reason to hammer).
   */
  wake(): void {
    if (this.#stopped || this.#failures > 0) return;
    if (this.#current !== undefined) {
      this.#woken = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  /** Stops polling and waits for the tick in progress (its transaction commits or rolls back). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#stopping.abort();
    await this.#current;
  }

  /** One transaction's worth of publishing; returns how many events were published. */
  async runOnce(): Promise<number> {
    const { shards, shard, publisher, topic, topics, batchSize } = this.#o;
    const count = await shards.transaction(shard, 'outbox_relay', async (client) => {
      const rows = await claimUnpublished(client, batchSize);
      if (rows.length === 0) return 0;
      // One publish per topic, in id order within each: per-aggregate order holds because an
      // aggregate's events all go to one topic.
      const byTopic = new Map<string, OutboxRow[]>();
      for (const row of rows) {
        const t = topics[row.aggregateType] ?? topic;
        byTopic.set(t, [...(byTopic.get(t) ?? []), row]);
      }
      for (const [t, group] of byTopic) await publisher.publish(t, group.map(toMessage));
      await markPublished(
        client,
        rows.map((r) => r.id),
      );
      return rows.length;
    });
    if (count > 0) this.#o.metrics.published.inc(this.#label, count);
    return count;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#current = this.#tick().finally(() => (this.#current = undefined));
    }, delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    // Another node relays this shard: stay idle, but look again soon to take over without delay
    // (a local check, no database work).
    if (!this.#o.mayRelay()) return this.#schedule(Math.min(this.#o.pollMs, IDLE_CHECK_MS));
    let published = 0;
    let failed = false;
    try {
      // Connecting can take seconds while Kafka is down: do it before any row is locked, and
      // give it up at once on stop.
      const connecting = this.#o.publisher.connect().then(() => 'connected' as const);
      connecting.catch(() => undefined);
      const stop = untilAborted(this.#stopping.signal);
      try {
        if ((await Promise.race([connecting, stop.promise])) === 'stopped') return;
      } finally {
        stop.dispose();
      }
      published = await this.runOnce();
      this.#recovered();
    } catch (err) {
      failed = true;
      this.#fail(err);
    }
    await this.#updatePending(published, failed);
    // A full batch means a backlog: drain it without waiting for the next poll.
    const woken = this.#woken;
    this.#woken = false;
    const delay = failed
      ? Math.min(this.#o.pollMs * 2 ** this.#failures, this.#o.maxBackoffMs)
      : published === this.#o.batchSize || woken
        ? 0
        : this.#o.pollMs;
    this.#schedule(delay);
  }

  async #updatePending(published: number, failed: boolean): Promise<void> {
    if (!failed && published < this.#o.batchSize) {
      this.#o.metrics.pending.set(this.#label, 0);
      return;
    }
    try {
      const pending = await this.#o.shards.withClient(this.#o.shard, 'outbox_pending', (c) =>
        countUnpublished(c, PENDING_CAP),
      );
      this.#o.metrics.pending.set(this.#label, pending);
    } catch {
      // The shard is down: the gauge keeps its last value, the error counter already moved.
    }
  }

  #fail(err: unknown): void {
    this.#o.metrics.errors.inc(this.#label);
    this.#failures++;
    // Log the first failure of a streak loudly, the rest quietly: ticks run several times a second.
    if (this.#failures === 1) this.#log.warn({ err }, 'outbox relay failed; retrying with backoff');
    else this.#log.debug({ err, failures: this.#failures }, 'outbox relay still failing');
  }

  #recovered(): void {
    if (this.#failures > 0) this.#log.info({ failures: this.#failures }, 'outbox relay recovered');
    this.#failures = 0;
  }
}

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  return new OutboxRelay(options);
}
